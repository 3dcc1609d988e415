"""The hall's rules as the ledger enforces them: quotas, opening hours, priority policies,
transfers, recalls, the ticket and counter state machines."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.clock import ManualClock
from shared.ledger import model as m
from shared.ledger.ledger import RECORDED_REFUSALS, Ledger
from shared.ledger.model import Actor, Result
from tests.helpers.ledger import (
    KIOSK,
    called_label,
    events,
    label,
    officer,
    open_counter,
    snapshot,
    wib,
)


def refused(result: Result, code: str) -> m.Refusal:
    """A refusal; a new ticket refused for the hall's reason writes its one ticket.refused
    (no ticket), any other refusal nothing."""
    assert not result.ok, result.value
    assert result.refusal is not None and result.refusal.code == code, result.refusal
    if code in RECORDED_REFUSALS:
        (e,) = result.events
        assert (e.kind, e.ticket_id, e.data["reason"]) == (m.TICKET_REFUSED, None, code)
    else:
        assert result.events == ()
    return result.refusal


def tickets(led: Ledger) -> list[tuple[object, ...]]:
    return [tuple(r) for r in led.conn.execute("SELECT * FROM tickets ORDER BY ticket_id")]


def drain(led: Ledger, counter: int, who: Actor) -> list[str]:
    """Call until the counter's lines are empty; the labels in calling order."""
    out: list[str] = []
    while (got := called_label(led.call_next(counter, who))) is not None:
        out.append(got)
    return out


# --- quotas -----------------------------------------------------------------------------------


def test_quota_full_names_the_next_open_day_in_indonesian(
    ledger: Ledger, clock: ManualClock
) -> None:
    for _ in range(5):  # ktp-baru: daily_quota = 5
        assert ledger.issue_ticket("ktp-baru", KIOSK).ok
    before = tickets(ledger)
    r = refused(ledger.issue_ticket("ktp-baru", KIOSK), "quota_full")
    assert r.pesan == ("Kuota hari ini untuk layanan Perekaman KTP-el sudah habis. "
                       "Silakan datang kembali pada Selasa, 1 Desember 2026.")
    assert r.detail == {"next_open": "2026-12-01"}
    assert tickets(ledger) == before
    # The quota is the service's, not the queue's: ktp-ganti still draws from KTP.
    assert label(ledger.issue_ticket("ktp-ganti", KIOSK)) == "KTP-006"
    clock.set(wib(2026, 12, 1, 8, 0))
    assert label(ledger.issue_ticket("ktp-baru", KIOSK)) == "KTP-001"


def test_the_quota_counts_issued_tickets_even_when_cancelled(ledger: Ledger) -> None:
    ids = [ledger.issue_ticket("ktp-baru", KIOSK).value["ticket"]["ticket_id"] for _ in range(5)]
    assert ledger.run("cancel", KIOSK, ticket=ids[0]).ok
    refused(ledger.issue_ticket("ktp-baru", KIOSK), "quota_full")


# --- hours ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "service", "code"),
    [
        (wib(2026, 11, 30, 6, 59), "kk", "not_yet_open"),  # Monday: tickets from 07:00
        (wib(2026, 11, 30, 7, 0), "kk", None),
        (wib(2026, 11, 30, 14, 29), "kk", None),  # closes 15:00, cutoff 30 minutes
        (wib(2026, 11, 30, 14, 30), "kk", "cutoff"),
        (wib(2026, 12, 4, 10, 29), "kk", None),  # Friday: 08:00-11:00
        (wib(2026, 12, 4, 10, 30), "kk", "cutoff"),
        (wib(2026, 12, 5, 9, 0), "kk", "closed_today"),  # Saturday
        (wib(2026, 11, 30, 11, 29), "pajak-kendaraan", None),  # Samsat: Mon/Wed 08:00-12:00
        (wib(2026, 11, 30, 11, 30), "pajak-kendaraan", "cutoff"),
        (wib(2026, 12, 1, 9, 0), "pajak-kendaraan", "closed_today"),  # Tuesday
        (wib(2026, 12, 25, 9, 0), "kk", "holiday"),
        (dt.datetime(2026, 11, 29, 23, 59, tzinfo=dt.UTC), "kk", "not_yet_open"),  # 06:59 WIB
    ],
)
def test_tickets_only_within_hours(
    ledger: Ledger, clock: ManualClock, moment: dt.datetime, service: str, code: str | None
) -> None:
    clock.set(moment)
    result = ledger.issue_ticket(service, KIOSK)
    if code is None:
        assert result.ok, result.refusal
    else:
        refused(result, code)
        assert [e.kind for e in events(ledger)] == [m.TICKET_REFUSED]
        assert tickets(ledger) == []


def test_refusals_for_hours_say_when_to_come_back(ledger: Ledger, clock: ManualClock) -> None:
    clock.set(wib(2026, 11, 30, 6, 30))
    early = refused(ledger.issue_ticket("kk", KIOSK), "not_yet_open")
    assert early.pesan == "Pengambilan nomor antrean dibuka pukul 07:00."

    clock.set(wib(2026, 12, 1, 9, 0))
    closed = refused(ledger.issue_ticket("pajak-kendaraan", KIOSK), "closed_today")
    assert closed.pesan == ("Layanan Pajak kendaraan tahunan tidak buka hari ini. "
                            "Silakan datang kembali pada Rabu, 2 Desember 2026.")
    assert closed.detail["next_open"] == "2026-12-02"

    clock.set(wib(2026, 11, 30, 14, 45))
    late = refused(ledger.issue_ticket("kk", KIOSK), "cutoff")
    assert "14:30" in late.pesan and "Selasa, 1 Desember 2026" in late.pesan

    clock.set(wib(2026, 12, 25, 9, 0))
    holiday = refused(ledger.issue_ticket("kk", KIOSK), "holiday")
    # 26-27 December is a weekend.
    assert holiday.pesan == ("Hari ini libur (Hari Raya Natal). "
                             "Silakan datang kembali pada Senin, 28 Desember 2026.")


# --- priority policies ------------------------------------------------------------------------


def test_strict_priority_calls_every_priority_ticket_first(ledger: Ledger) -> None:
    for prio in (None, None, "lansia", None, "disabilitas"):
        ledger.issue_ticket("kk", KIOSK, priority=prio)
    who = open_counter(ledger, 1)
    assert drain(ledger, 1, who) == ["KK-003", "KK-005", "KK-001", "KK-002", "KK-004"]


def test_interleave_calls_one_priority_ticket_after_every_two_regular(ledger: Ledger) -> None:
    # KTP: interleave, priority_every = 2. The day's first priority ticket goes at once; after
    # each priority call, two regular ones.
    for prio in (None, "lansia", None, None, "ibu_hamil", None, None, "anak", None):
        ledger.issue_ticket("ktp-ganti", KIOSK, priority=prio)
    who = open_counter(ledger, 2)
    assert drain(ledger, 2, who) == [
        "KTP-002", "KTP-001", "KTP-003",
        "KTP-005", "KTP-004", "KTP-006",
        "KTP-008", "KTP-007", "KTP-009",
    ]


def test_interleave_counts_regular_calls_per_queue_across_counters(ledger: Ledger) -> None:
    # Counters 1 and 2 both serve KTP: the "every two regular" count is the queue's.
    for prio in ("lansia", None, None, "anak", None):
        ledger.issue_ticket("ktp-ganti", KIOSK, priority=prio)
    one, two = open_counter(ledger, 1), open_counter(ledger, 2)
    called = [ledger.call_next(c, w).value["ticket"]["label"]
              for c, w in ((1, one), (2, two), (1, one), (2, two), (1, one))]
    assert called == ["KTP-001", "KTP-002", "KTP-003", "KTP-004", "KTP-005"]


def test_interleave_calls_a_priority_ticket_at_once_when_its_turn_is_due(ledger: Ledger) -> None:
    for _ in range(3):
        ledger.issue_ticket("ktp-ganti", KIOSK)
    who = open_counter(ledger, 2)
    assert drain(ledger, 2, who) == ["KTP-001", "KTP-002", "KTP-003"]
    ledger.issue_ticket("ktp-ganti", KIOSK)
    ledger.issue_ticket("ktp-ganti", KIOSK, priority="lansia")
    assert drain(ledger, 2, who) == ["KTP-005", "KTP-004"]


def test_fifo_ignores_priority(ledger: Ledger) -> None:
    for prio in (None, "lansia", None, "anak", "lansia", None):
        ledger.issue_ticket("bpjs-daftar", KIOSK, priority=prio)
    who = open_counter(ledger, 3)
    assert drain(ledger, 3, who) == [f"B-00{n}" for n in range(1, 7)]


def test_a_counter_serving_two_queues_takes_the_oldest_first(ledger: Ledger) -> None:
    for svc in ("kk", "ktp-ganti", "kk", "ktp-ganti"):
        ledger.issue_ticket(svc, KIOSK)
    who = open_counter(ledger, 1)
    assert drain(ledger, 1, who) == ["KK-001", "KTP-001", "KK-002", "KTP-002"]


# --- transfer ---------------------------------------------------------------------------------


def test_transfer_keeps_the_label_goes_to_the_front_and_frees_the_counter(ledger: Ledger) -> None:
    ledger.issue_ticket("ktp-ganti", KIOSK)
    ledger.issue_ticket("bpjs-daftar", KIOSK)
    ledger.issue_ticket("bpjs-daftar", KIOSK)
    dukcapil = open_counter(ledger, 2)
    bpjs = open_counter(ledger, 3)
    assert called_label(ledger.call_next(2, dukcapil)) == "KTP-001"
    moved = ledger.run("transfer", dukcapil, counter=2, service="bpjs-daftar")
    assert moved.ok, moved.refusal
    t = moved.value["ticket"]
    assert (t["label"], t["queue"], t["service"], t["agency"], t["status"], t["transfers"]) == (
        "KTP-001", "B", "bpjs-daftar", "BPJSKES", m.WAITING, 1)
    assert moved.events[0].data["from_service"] == "ktp-ganti"
    assert ledger.reader.counter(2).ticket_id is None
    assert ledger.reader.active_ticket(2) is None
    # The freed counter calls nothing more (and finishes nothing): its line is empty.
    assert [e.kind for e in ledger.call_next(2, dukcapil).events] == []
    assert drain(ledger, 3, bpjs) == ["KTP-001", "B-001", "B-002"]


def test_transfer_to_the_back_when_asked(ledger: Ledger) -> None:
    ledger.issue_ticket("ktp-ganti", KIOSK)
    ledger.issue_ticket("bpjs-daftar", KIOSK)
    dukcapil = open_counter(ledger, 2)
    ledger.call_next(2, dukcapil)
    ledger.issue_ticket("bpjs-daftar", KIOSK)  # joins before the transfer
    assert ledger.run("transfer", dukcapil, counter=2, service="bpjs-daftar", to_front=False).ok
    ledger.issue_ticket("bpjs-daftar", KIOSK)  # joins after
    assert drain(ledger, 3, open_counter(ledger, 3)) == ["B-001", "B-002", "KTP-001", "B-003"]


def test_transfer_refusals(ledger: Ledger, clock: ManualClock) -> None:
    ledger.issue_ticket("ktp-ganti", KIOSK)
    who = open_counter(ledger, 2)
    refused(ledger.run("transfer", who, counter=2, service="kk"), "no_active_ticket")
    ledger.call_next(2, who)
    before = snapshot(ledger)
    refused(ledger.run("transfer", who, counter=2, service="ktp-ganti"), "bad_args")
    refused(ledger.run("transfer", who, counter=2, service="kk", to_front="yes"), "bad_args")
    refused(ledger.run("transfer", who, counter=2, service="nope"), "unknown_service")
    clock.set(wib(2026, 12, 1, 9, 0))  # Tuesday: Samsat is closed
    refused(ledger.run("transfer", who, counter=2, service="pajak-kendaraan"), "closed")
    assert snapshot(ledger) == before
    # Transferring a ticket being served is allowed; the service clock restarts at the target.
    ledger.run("start", who, counter=2)
    moved = ledger.run("transfer", who, counter=2, service="kk")
    assert moved.ok and moved.value["ticket"]["started_at"] is None


# --- recall and the ticket state machine ------------------------------------------------------


def test_recall_counts_calls_only_while_called(ledger: Ledger, clock: ManualClock) -> None:
    ledger.issue_ticket("bpjs-daftar", KIOSK)
    who = open_counter(ledger, 3)
    refused(ledger.run("recall", who, counter=3), "no_active_ticket")
    called = ledger.call_next(3, who)
    first_call = called.value["ticket"]["called_at"]
    for n in (2, 3):
        clock.advance(minutes=1)
        r = ledger.run("recall", who, counter=3)
        assert r.ok and r.value["ticket"]["call_count"] == n
        assert r.events[0].kind == m.TICKET_RECALLED and r.events[0].data["call"] == n
    t = ledger.reader.ticket(called.value["ticket"]["ticket_id"])
    assert t is not None and t.called_at == first_call and t.last_called_at == t.called_at + 120_000
    ledger.run("start", who, counter=3)
    refused(ledger.run("recall", who, counter=3), "wrong_state")


def test_start_finish_no_show_follow_the_state_machine(ledger: Ledger) -> None:
    for _ in range(3):
        ledger.issue_ticket("bpjs-daftar", KIOSK)
    who = open_counter(ledger, 3)
    for kind in ("start", "finish", "no_show"):
        refused(ledger.run(kind, who, counter=3), "no_active_ticket")

    ledger.call_next(3, who)  # B-001: called
    assert ledger.run("start", who, counter=3).ok
    refused(ledger.run("start", who, counter=3), "wrong_state")
    refused(ledger.run("no_show", who, counter=3), "wrong_state")  # they are here
    assert ledger.run("finish", who, counter=3).value["ticket"]["status"] == m.FINISHED
    refused(ledger.run("finish", who, counter=3), "no_active_ticket")

    ledger.call_next(3, who)  # B-002: finished straight from called
    assert ledger.run("finish", who, counter=3).ok
    ledger.call_next(3, who)  # B-003: did not come
    assert ledger.run("no_show", who, counter=3).value["ticket"]["status"] == m.NO_SHOW
    refused(ledger.run("start", who, counter=3), "no_active_ticket")
    statuses = [ledger.reader.ticket(f"20261130-B-00{n}") for n in (1, 2, 3)]
    assert [t.status for t in statuses if t] == [m.FINISHED, m.FINISHED, m.NO_SHOW]
    assert all(t and t.ended_at is not None for t in statuses)


def test_call_next_finishes_the_ticket_in_front_of_the_officer_first(ledger: Ledger) -> None:
    ledger.issue_ticket("bpjs-daftar", KIOSK)
    ledger.issue_ticket("bpjs-daftar", KIOSK)
    who = open_counter(ledger, 3)
    first = ledger.call_next(3, who)
    ledger.run("start", who, counter=3)
    second = ledger.call_next(3, who)
    assert [(e.kind, e.ticket_id) for e in second.events] == [
        (m.TICKET_FINISHED, first.value["ticket"]["ticket_id"]),
        (m.TICKET_CALLED, second.value["ticket"]["ticket_id"]),
    ]
    assert called_label(second) == "B-002"
    old = ledger.reader.ticket(first.value["ticket"]["ticket_id"])
    assert old is not None and old.status == m.FINISHED
    assert ledger.reader.counter(3).ticket_id == second.value["ticket"]["ticket_id"]


# --- return after a no-show, and cancel -------------------------------------------------------


def test_a_returning_no_show_goes_back_in_line(ledger: Ledger) -> None:
    for _ in range(3):
        ledger.issue_ticket("bpjs-daftar", KIOSK)
    who = open_counter(ledger, 3)
    ledger.call_next(3, who)
    ledger.run("no_show", who, counter=3)
    back = ledger.run("return_no_show", KIOSK, ticket="20261130-B-001")
    assert back.ok and back.value["ticket"]["status"] == m.WAITING
    refused(ledger.run("return_no_show", KIOSK, ticket="20261130-B-001"), "wrong_state")
    # returning_no_show_to_front = false: behind everyone already waiting.
    assert drain(ledger, 3, who) == ["B-002", "B-003", "B-001"]
    t = ledger.reader.ticket("20261130-B-001")
    assert t is not None and t.call_count == 2


def test_a_no_show_can_only_return_the_same_day(ledger: Ledger, clock: ManualClock) -> None:
    ledger.issue_ticket("bpjs-daftar", KIOSK)
    who = open_counter(ledger, 3)
    ledger.call_next(3, who)
    ledger.run("no_show", who, counter=3)
    clock.set(wib(2026, 12, 1, 8, 0))
    r = refused(ledger.run("return_no_show", KIOSK, ticket="20261130-B-001"), "expired")
    assert r.pesan == "Nomor B-001 hanya berlaku pada hari diambil."


def test_return_no_show_refuses_a_counter_that_does_not_exist(ledger: Ledger) -> None:
    ledger.issue_ticket("bpjs-daftar", KIOSK)
    who = open_counter(ledger, 3)
    ledger.call_next(3, who)
    ledger.run("no_show", who, counter=3)
    before = snapshot(ledger)
    refused(ledger.run("return_no_show", who, ticket="20261130-B-001", counter=99),
            "unknown_counter")
    for bad in (True, "3", {"n": 3}):  # not a counter number at all
        refused(ledger.run("return_no_show", who, ticket="20261130-B-001", counter=bad),
                "bad_args")
    assert snapshot(ledger) == before
    ok = ledger.run("return_no_show", who, ticket="20261130-B-001", counter=3)
    assert ok.ok and ok.events[0].data["counter"] == 3


def test_cancel_a_waiting_or_called_ticket_only(ledger: Ledger) -> None:
    ids = [ledger.issue_ticket("bpjs-daftar", KIOSK).value["ticket"]["ticket_id"]
           for _ in range(3)]
    who = open_counter(ledger, 3)
    gone = ledger.run("cancel", KIOSK, ticket=ids[1], reason="pulang")
    assert gone.ok and gone.value["ticket"]["status"] == m.CANCELLED
    assert gone.events[0].data == {"reason": "pulang"}
    ledger.call_next(3, who)  # B-001
    assert ledger.run("cancel", who, ticket=ids[0]).ok
    assert ledger.reader.counter(3).ticket_id is None  # the counter is free again
    assert drain(ledger, 3, who) == ["B-003"]
    refused(ledger.run("cancel", who, ticket=ids[2]), "wrong_state")  # finished
    refused(ledger.run("cancel", who, ticket=ids[1]), "wrong_state")  # already cancelled


# --- counters and officers --------------------------------------------------------------------


def test_pause_needs_no_active_ticket_and_a_paused_counter_does_not_call(ledger: Ledger) -> None:
    ledger.issue_ticket("bpjs-daftar", KIOSK)
    ledger.issue_ticket("bpjs-daftar", KIOSK)
    who = open_counter(ledger, 3)
    assert ledger.reader.counter(3).status == m.COUNTER_OPEN
    ledger.call_next(3, who)
    refused(ledger.run("pause_counter", who, counter=3), "ticket_active")
    refused(ledger.run("close_counter", who, counter=3), "ticket_active")
    refused(ledger.run("sign_out", who, counter=3), "ticket_active")
    ledger.run("finish", who, counter=3)
    paused = ledger.run("pause_counter", who, counter=3, reason="sholat")
    assert paused.ok and paused.events[0].data == {"counter": 3, "reason": "sholat"}
    assert ledger.reader.counter(3).status == m.COUNTER_PAUSED
    before = snapshot(ledger)
    refused(ledger.call_next(3, who), "counter_not_open")
    assert snapshot(ledger) == before
    assert ledger.run("open_counter", who, counter=3).ok
    assert called_label(ledger.call_next(3, who)) == "B-002"


def test_a_counter_belongs_to_one_officer_at_a_time(ledger: Ledger) -> None:
    ledger.issue_ticket("bpjs-daftar", KIOSK)
    ani, budi = officer(3, "ani"), officer(3, "budi")
    refused(ledger.call_next(3, ani), "not_signed_in")
    refused(ledger.run("open_counter", ani, counter=3), "not_signed_in")
    refused(ledger.run("sign_out", ani, counter=3), "not_signed_in")
    refused(ledger.run("sign_in", Actor("counter-3"), counter=3), "bad_args")
    assert ledger.run("sign_in", ani, counter=3).ok
    assert ledger.run("sign_in", ani, counter=3).ok  # signing in again is harmless
    r = refused(ledger.run("sign_in", budi, counter=3), "counter_taken")
    assert r.pesan == "Loket 3 sedang dipakai petugas lain."
    assert ledger.reader.counter(3).officer == "ani"
    out = ledger.run("sign_out", ani, counter=3)
    assert out.ok and out.events[0].data == {"counter": 3, "officer": "ani"}
    assert ledger.reader.counter(3).status == m.COUNTER_CLOSED
    refused(ledger.call_next(3, ani), "not_signed_in")
    assert ledger.run("sign_in", budi, counter=3).ok
    called = ledger.call_next(3, budi)
    assert called.value["ticket"]["officer"] == "budi"


def test_a_closed_counter_with_its_officer_must_open_before_calling(ledger: Ledger) -> None:
    ledger.issue_ticket("bpjs-daftar", KIOSK)
    who = open_counter(ledger, 3)
    assert ledger.run("close_counter", who, counter=3).ok
    refused(ledger.call_next(3, who), "counter_not_open")
    ledger.run("open_counter", who, counter=3)
    assert called_label(ledger.call_next(3, who)) == "B-001"


def test_an_officer_signs_in_at_one_counter_at_a_time(ledger: Ledger) -> None:
    siti_at_1 = Actor("counter-1", "siti")
    assert ledger.run("sign_in", siti_at_1, counter=1).ok
    refused = ledger.run("sign_in", Actor("counter-2", "siti"), counter=2)
    assert refused.refusal is not None and refused.refusal.code == "officer_elsewhere"
    assert "loket 1" in refused.refusal.pesan
    assert ledger.run("sign_out", siti_at_1, counter=1).ok
    assert ledger.run("sign_in", Actor("counter-2", "siti"), counter=2).ok


def test_the_officer_checks_a_priority_claim_once_and_the_figures_count_it(
    ledger: Ledger,
) -> None:
    ledger.issue_ticket("kk", KIOSK, priority="lansia")
    ledger.issue_ticket("kk", KIOSK, priority="ibu_hamil")
    ledger.issue_ticket("kk", KIOSK)
    who = open_counter(ledger, 1)
    ledger.call_next(1, who)
    ok = ledger.run("check_priority", who, counter=1, valid=True)
    assert ok.ok and ok.value["ticket"]["priority_ok"] == 1
    again = ledger.run("check_priority", who, counter=1, valid=False)
    assert again.refusal is not None and again.refusal.code == "already_checked"
    ledger.call_next(1, who)
    assert ledger.run("check_priority", who, counter=1, valid=False).ok
    ledger.call_next(1, who)  # the regular ticket
    plain = ledger.run("check_priority", who, counter=1, valid=True)
    assert plain.refusal is not None and plain.refusal.code == "not_priority"
    bad = ledger.run("check_priority", who, counter=1, valid="yes")
    assert bad.refusal is not None and bad.refusal.code == "bad_args"
    day = ledger.config.service_day(ledger.clock.now())
    [dukcapil] = [f for f in ledger.reader.figures(day) if f.key == "DUKCAPIL"]
    assert (dukcapil.priority, dukcapil.priority_confirmed, dukcapil.priority_rejected) == (2, 1, 1)
    assert ledger.verify()
