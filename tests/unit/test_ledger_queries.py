"""What stations read from a ledger: people ahead, estimated waits, the day's figures, calls."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from shared.clock import ManualClock
from shared.config import HallConfig
from shared.ledger import model as m
from shared.ledger.ledger import Ledger
from shared.ledger.queries import LedgerReader, TicketView, percentile
from shared.ledger.store import connect
from tests.helpers.ledger import KIOSK, WIB, called_label, open_counter, wib

MONDAY = dt.date(2026, 11, 30)


def ticket(led: Ledger, ticket_id: str) -> TicketView:
    t = led.reader.ticket(ticket_id)
    assert t is not None, ticket_id
    return t


def ahead(led: Ledger, label: str) -> int:
    return led.reader.people_ahead(ticket(led, f"20261130-{label}"))


# --- people ahead -----------------------------------------------------------------------------


def test_people_ahead_counts_priority_tickets_before_regular_ones(ledger: Ledger) -> None:
    for prio in (None, "lansia", None, "anak"):  # KTP: interleave
        ledger.issue_ticket("ktp-ganti", KIOSK, priority=prio)
    # KTP-002 goes first (no priority called yet today); KTP-004 waits for two regular calls
    # after it. Regular tickets count every waiting priority ticket (an upper bound).
    assert [ahead(ledger, f"KTP-00{n}") for n in (1, 2, 3, 4)] == [2, 0, 3, 3]
    for prio in (None, "lansia", None):  # KK: strict priority
        ledger.issue_ticket("kk", KIOSK, priority=prio)
    assert [ahead(ledger, f"KK-00{n}") for n in (1, 2, 3)] == [1, 0, 2]


def test_people_ahead_in_a_fifo_queue_is_everyone_who_came_earlier(ledger: Ledger) -> None:
    # Queue B is fifo: a priority ticket does not go before anyone.
    for prio in (None, "lansia", None, "anak"):
        ledger.issue_ticket("bpjs-daftar", KIOSK, priority=prio)
    assert [ahead(ledger, f"B-00{n}") for n in (1, 2, 3, 4)] == [0, 1, 2, 3]
    # ...which is the order they are called in.
    who = open_counter(ledger, 3)
    assert called_label(ledger.call_next(3, who)) == "B-001"
    assert [ahead(ledger, f"B-00{n}") for n in (1, 2, 3, 4)] == [0, 0, 1, 2]


def test_people_ahead_of_a_ticket_not_waiting_is_zero(ledger: Ledger) -> None:
    ledger.issue_ticket("kk", KIOSK)
    ledger.issue_ticket("kk", KIOSK)
    ledger.call_next(1, open_counter(ledger, 1))
    assert ahead(ledger, "KK-001") == 0
    assert ahead(ledger, "KK-002") == 0



@pytest.mark.parametrize(("service", "priority"), [
    ("ktp-ganti", None), ("ktp-ganti", "lansia"), ("kk", None), ("bpjs-daftar", None)])
def test_people_ahead_reads_only_its_own_queue_through_the_waiting_index(
    ledger: Ledger, service: str, priority: str | None
) -> None:
    """Issuing is the kiosk's hot path and every issue counts people ahead: with 5,000 tickets
    waiting in the hall, scanning them all per issue made issuing 4x slower."""
    for svc in ("ktp-ganti", "kk", "bpjs-daftar") * 3:
        ledger.issue_ticket(svc, KIOSK, priority="anak" if svc == "kk" else None)
    t = ledger.issue_ticket(service, KIOSK, priority=priority).value["ticket"]["ticket_id"]
    statements: list[str] = []
    ledger.conn.set_trace_callback(statements.append)
    try:
        ledger.reader.people_ahead(ticket(ledger, t))
    finally:
        ledger.conn.set_trace_callback(None)
    counts = [sql for sql in statements if sql.startswith("SELECT count(*)")]
    assert counts
    for sql in counts:
        plan = " ".join(r[3] for r in ledger.conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert "USING COVERING INDEX tickets_waiting" in plan or (
            "USING INDEX tickets_waiting" in plan), (sql, plan)
        assert "queue=?" in plan and "is_priority=?" in plan, (sql, plan)


# --- estimated waits --------------------------------------------------------------------------


def test_the_estimate_uses_the_standard_time_until_there_is_history(
    ledger: Ledger, clock: ManualClock
) -> None:
    for _ in range(6):
        ledger.issue_ticket("bpjs-daftar", KIOSK)  # standard_minutes = 12
    reader = ledger.reader
    assert reader.average_service_minutes("B", MONDAY) == 12
    assert reader.estimated_wait_minutes("B", 2, MONDAY) == 24  # no counter open: count one
    who = open_counter(ledger, 3)
    assert reader.estimated_wait_minutes("B", 2, MONDAY) == 24
    # Two finished tickets are not enough history yet; three are.
    for minutes in (3, 4):
        ledger.call_next(3, who)
        ledger.run("start", who, counter=3)
        clock.advance(minutes=minutes)
        ledger.run("finish", who, counter=3)
    assert reader.average_service_minutes("B", MONDAY) == 12
    ledger.call_next(3, who)  # no start: the service time runs from the call
    clock.advance(minutes=5)
    ledger.run("finish", who, counter=3)
    assert reader.average_service_minutes("B", MONDAY) == pytest.approx(4.0)
    assert reader.estimated_wait_minutes("B", 3, MONDAY) == 12
    assert reader.estimated_wait_minutes("B", 0, MONDAY) == 0
    # The next day starts again from the standard.
    assert reader.average_service_minutes("B", dt.date(2026, 12, 1)) == 12


def test_the_estimate_shares_the_line_among_open_counters(ledger: Ledger) -> None:
    # KTP holds ktp-baru (10 min) and ktp-ganti (8 min): 9 on average; counters 1 and 2 serve it.
    # Before any counter opens, both are expected to: ceil(27 / 2).
    assert ledger.reader.estimated_wait_minutes("KTP", 3, MONDAY) == 14
    open_counter(ledger, 1)
    assert ledger.reader.estimated_wait_minutes("KTP", 3, MONDAY) == 27  # one open, alone
    open_counter(ledger, 2)
    assert ledger.reader.estimated_wait_minutes("KTP", 3, MONDAY) == 14  # ceil(27 / 2)
    first = ledger.issue_ticket("ktp-ganti", KIOSK)
    second = ledger.issue_ticket("ktp-ganti", KIOSK)
    assert (first.value["estimated_wait_minutes"], second.value["estimated_wait_minutes"]) == (
        0, 5)


# --- figures ----------------------------------------------------------------------------------


def run_a_morning(led: Ledger, clock: ManualClock) -> None:
    """BPJS: four tickets at 09:00; called 09:10, 09:20, 09:30; one served 8 min after starting,
    one no-show, one served 10 min from the call, one cancelled. Dukcapil: one KK ticket."""
    b_ids = [led.issue_ticket("bpjs-daftar", KIOSK).value["ticket"]["ticket_id"] for _ in range(4)]
    led.issue_ticket("kk", KIOSK)
    bpjs, dukcapil = open_counter(led, 3), open_counter(led, 1)
    clock.set(wib(2026, 11, 30, 9, 5))
    led.call_next(1, dukcapil)
    clock.set(wib(2026, 11, 30, 9, 10))
    led.call_next(3, bpjs)
    clock.set(wib(2026, 11, 30, 9, 12))
    led.run("start", bpjs, counter=3)
    led.run("finish", dukcapil, counter=1)
    clock.set(wib(2026, 11, 30, 9, 20))
    led.call_next(3, bpjs)  # finishes B-001, calls B-002
    led.run("no_show", bpjs, counter=3)
    clock.set(wib(2026, 11, 30, 9, 30))
    led.call_next(3, bpjs)
    clock.set(wib(2026, 11, 30, 9, 40))
    led.run("finish", bpjs, counter=3)
    assert led.run("cancel", KIOSK, ticket=b_ids[3]).ok


def test_figures_per_agency(ledger: Ledger, clock: ManualClock) -> None:
    run_a_morning(ledger, clock)
    bpjs, dukcapil = ledger.reader.figures(MONDAY)
    assert (bpjs.key, bpjs.issued, bpjs.served, bpjs.no_show, bpjs.cancelled, bpjs.waiting) == (
        "BPJSKES", 4, 2, 1, 1, 0)
    assert bpjs.avg_wait_min == pytest.approx(20.0)  # waits 10, 20, 30
    assert bpjs.p90_wait_min == pytest.approx(30.0)
    assert bpjs.avg_service_min == pytest.approx(9.0)  # 8 (from start) and 10 (from call)
    assert bpjs.p90_service_min == pytest.approx(10.0)
    assert bpjs.standard_min == 12.0
    assert (dukcapil.key, dukcapil.issued, dukcapil.served) == ("DUKCAPIL", 1, 1)
    assert dukcapil.avg_wait_min == pytest.approx(5.0)
    assert dukcapil.avg_service_min == pytest.approx(7.0)
    assert dukcapil.standard_min == pytest.approx((10 + 8 + 15) / 3)
    assert ledger.reader.figures(dt.date(2026, 12, 1)) == []


def test_figures_per_service_and_per_officer(ledger: Ledger, clock: ManualClock) -> None:
    run_a_morning(ledger, clock)
    by_service = {f.key: f for f in ledger.reader.figures(MONDAY, by="service")}
    assert sorted(by_service) == ["bpjs-daftar", "kk"]
    assert by_service["kk"].standard_min == 15.0
    mine = ledger.reader.figures(MONDAY, officer="officer-3")
    assert [(f.key, f.issued, f.served, f.no_show) for f in mine] == [("BPJSKES", 3, 2, 1)]
    with pytest.raises(ValueError, match="agency"):
        ledger.reader.figures(MONDAY, by="counter")


def test_the_90th_percentile_is_nearest_rank() -> None:
    assert percentile([], 90) is None
    assert percentile([7.0], 90) == 7.0
    assert percentile([float(x) for x in range(10, 0, -1)], 90) == 9.0
    assert percentile([float(x) for x in range(1, 21)], 90) == 18.0
    assert percentile([1.0, 2.0, 3.0], 50) == 2.0


def test_figures_leave_out_old_waiting_tickets_of_other_days(
    ledger: Ledger, clock: ManualClock
) -> None:
    ledger.issue_ticket("kk", KIOSK)
    clock.set(wib(2026, 12, 1, 9, 0))
    ledger.issue_ticket("kk", KIOSK)
    ledger.issue_ticket("kk", KIOSK)
    (monday,) = ledger.reader.figures(MONDAY)
    (tuesday,) = ledger.reader.figures(dt.date(2026, 12, 1))
    assert (monday.issued, monday.waiting, tuesday.issued, tuesday.waiting) == (1, 1, 2, 2)
    assert monday.avg_wait_min is None and monday.p90_wait_min is None


# --- calls ------------------------------------------------------------------------------------


def test_recent_calls_newest_first_with_recalls(ledger: Ledger, clock: ManualClock) -> None:
    for _ in range(3):
        ledger.issue_ticket("bpjs-daftar", KIOSK)
    ledger.issue_ticket("kk", KIOSK)
    bpjs, dukcapil = open_counter(ledger, 3), open_counter(ledger, 1)
    ledger.call_next(3, bpjs)
    clock.advance(minutes=1)
    ledger.call_next(1, dukcapil)
    clock.advance(minutes=1)
    ledger.run("recall", bpjs, counter=3)
    ledger.call_next(3, bpjs)
    calls = ledger.reader.recent_calls()
    assert [(c.label, c.kind, c.counter) for c in calls] == [
        ("B-002", m.TICKET_CALLED, 3),
        ("B-001", m.TICKET_RECALLED, 3),
        ("KK-001", m.TICKET_CALLED, 1),
        ("B-001", m.TICKET_CALLED, 3),
    ]
    assert (calls[2].agency, calls[2].service) == ("DUKCAPIL", "kk")
    assert calls[1].at_ms - calls[3].at_ms == 120_000
    assert [c.label for c in ledger.reader.recent_calls(limit=2)] == ["B-002", "B-001"]
    assert ledger.reader.recent_calls(day=dt.date(2026, 12, 1)) == []
    assert len(ledger.reader.recent_calls(day=MONDAY)) == 4
    after = ledger.reader.calls_after(calls[2].seq)
    assert [c.seq for c in after] == [calls[1].seq, calls[0].seq]


def test_a_replica_connection_reads_the_same(
    ledger: Ledger, clock: ManualClock, tmp_path: Path
) -> None:
    run_a_morning(ledger, clock)
    replica = connect(ledger.path, readonly=True)
    try:
        reader = LedgerReader(replica, ledger.config)
        assert reader.figures(MONDAY) == ledger.reader.figures(MONDAY)
        assert reader.recent_calls() == ledger.reader.recent_calls()
        assert reader.last_seq() == ledger.reader.last_seq() > 0
    finally:
        replica.close()


def test_a_ticket_as_a_dict_is_every_field_in_order(ledger: Ledger) -> None:
    import dataclasses

    r = ledger.issue_ticket("kk", KIOSK, priority="lansia")
    t = ticket(ledger, r.value["ticket"]["ticket_id"])
    as_dict = t.to_dict()
    assert as_dict == dataclasses.asdict(t) == r.value["ticket"]
    assert list(as_dict) == [f.name for f in dataclasses.fields(TicketView)]
    as_dict["status"] = "finished"  # a copy: the view itself does not change
    assert t.status == m.WAITING


def test_estimated_wait_covers_time_before_opening_and_breaks(
    tmp_path: Path, small_config: HallConfig
) -> None:
    # Small hall: KTP opens 08:00 (tickets from 07:00), Monday break 12:00-13:00; standard
    # times 10 and 8 minutes, so 9 minutes a person, shared by the two KTP counters (none is
    # open yet, both are expected): 4.5 minutes a person.
    early = ManualClock(dt.datetime(2026, 11, 30, 7, 30, tzinfo=WIB))
    led = Ledger(tmp_path / "l.db", small_config, early)
    try:
        first = led.issue_ticket("ktp-ganti", KIOSK)
        assert first.value["estimated_wait_minutes"] == 30  # nobody ahead, counters open 08:00
        second = led.issue_ticket("ktp-ganti", KIOSK)
        assert second.value["estimated_wait_minutes"] == 35  # ceil(30 + 4.5)
        reader = led.reader
        before_break = dt.datetime(2026, 11, 30, 11, 55, tzinfo=WIB)
        assert reader.estimated_wait_minutes("KTP", 2, MONDAY, before_break) == 9 + 60
        in_break = dt.datetime(2026, 11, 30, 12, 30, tzinfo=WIB)
        assert reader.estimated_wait_minutes("KTP", 1, MONDAY, in_break) == 35
        after = dt.datetime(2026, 11, 30, 13, 30, tzinfo=WIB)
        assert reader.estimated_wait_minutes("KTP", 1, MONDAY, after) == 5
    finally:
        led.close()
