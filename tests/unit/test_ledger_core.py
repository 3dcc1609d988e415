"""The ledger's core promises: numbering, service days, idempotent commands, refusing bad input
without a trace, an append-only log, and a projection that equals its replay."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from shared.clock import ManualClock
from shared.config import HallConfig
from shared.ledger import model as m
from shared.ledger.ledger import Ledger
from shared.ledger.model import Actor, Command
from shared.ledger.projection import projection_dump
from tests.helpers.ledger import (
    KIOSK,
    all_day_config,
    called_label,
    events,
    label,
    open_counter,
    snapshot,
    wib,
)

# --- numbering ----------------------------------------------------------------------------


def test_numbers_are_contiguous_per_queue_and_shared_by_the_queues_services(
    ledger: Ledger,
) -> None:
    labels = [
        label(ledger.issue_ticket(service, KIOSK))
        for service in ("ktp-baru", "bpjs-daftar", "ktp-ganti", "kk", "ktp-baru", "bpjs-daftar")
    ]
    # ktp-baru and ktp-ganti both draw from the KTP queue; every queue counts on its own.
    assert labels == ["KTP-001", "B-001", "KTP-002", "KK-001", "KTP-003", "B-002"]
    issued = events(ledger, m.TICKET_ISSUED)
    assert [(e.data["queue"], e.data["number"]) for e in issued] == [
        ("KTP", 1), ("B", 1), ("KTP", 2), ("KK", 1), ("KTP", 3), ("B", 2)]
    assert len({e.ticket_id for e in issued}) == 6


def test_issue_returns_the_ticket_people_ahead_and_an_estimate(ledger: Ledger) -> None:
    first = ledger.issue_ticket("bpjs-daftar", KIOSK)
    second = ledger.issue_ticket("bpjs-daftar", KIOSK)
    assert first.ok and second.ok and not second.duplicate
    assert second.value["ticket"]["status"] == m.WAITING
    assert second.value["ticket"]["service_day"] == "2026-11-30"
    assert (first.value["people_ahead"], second.value["people_ahead"]) == (0, 1)
    # One person ahead at the 12-minute published standard, no counter open yet.
    assert second.value["estimated_wait_minutes"] == 12
    assert [e.kind for e in second.events] == [m.TICKET_ISSUED]


def test_a_priority_ticket_is_marked(ledger: Ledger) -> None:
    r = ledger.issue_ticket("kk", KIOSK, priority="lansia")
    assert r.value["ticket"]["priority"] == "lansia"
    assert r.events[0].data["priority"] == "lansia"


# --- service days ---------------------------------------------------------------------------


def test_the_service_day_turns_at_local_midnight(small_config: HallConfig) -> None:
    last_moment = dt.datetime(2026, 11, 30, 16, 59, 59, 999999, tzinfo=dt.UTC)
    assert small_config.service_day(last_moment) == dt.date(2026, 11, 30)
    assert small_config.service_day(last_moment + dt.timedelta(microseconds=1)) == dt.date(
        2026, 12, 1)
    assert small_config.service_day(wib(2026, 11, 30, 23, 59)) == dt.date(2026, 11, 30)
    assert small_config.service_day(wib(2026, 12, 1, 0, 0)) == dt.date(2026, 12, 1)


def test_numbers_restart_at_local_midnight_and_history_stays(tmp_path: Path) -> None:
    clock = ManualClock(wib(2026, 11, 30, 23, 58))
    led = Ledger(tmp_path / "l.db", all_day_config(), clock)
    try:
        monday = [label(led.issue_ticket("bpjs-daftar", KIOSK)) for _ in range(3)]
        assert monday == ["B-001", "B-002", "B-003"]
        who = open_counter(led, 3)
        clock.set(dt.datetime(2026, 11, 30, 16, 59, tzinfo=dt.UTC))  # 23:59 WIB, still Monday
        assert called_label(led.call_next(3, who)) == "B-001"

        clock.set(dt.datetime(2026, 11, 30, 17, 0, tzinfo=dt.UTC))  # 00:00 WIB, Tuesday
        # Monday's waiting tickets are history now: not called on Tuesday...
        rolled = led.call_next(3, who)
        assert called_label(rolled) is None
        assert [e.kind for e in rolled.events] == [m.TICKET_FINISHED]  # B-001 was finished
        tuesday = [label(led.issue_ticket("bpjs-daftar", KIOSK)) for _ in range(2)]
        assert tuesday == ["B-001", "B-002"]
        assert called_label(led.call_next(3, who)) == "B-001"
        called = led.reader.ticket("20261201-B-001")
        assert called is not None and called.status == m.CALLED

        # ...and nothing of Monday was deleted.
        for n, status in ((1, m.FINISHED), (2, m.WAITING), (3, m.WAITING)):
            old = led.reader.ticket(f"20261130-B-00{n}")
            assert old is not None and old.status == status and old.service_day == "2026-11-30"
        assert led.reader.waiting_count(["B"], dt.date(2026, 11, 30)) == 2
        assert led.reader.waiting_count(["B"], dt.date(2026, 12, 1)) == 1
        assert len(events(led, m.TICKET_ISSUED)) == 5
        assert led.verify()
    finally:
        led.close()


# --- idempotency ------------------------------------------------------------------------------


def test_repeating_an_issue_returns_the_first_result_and_writes_nothing(ledger: Ledger) -> None:
    first = ledger.issue_ticket("ktp-baru", KIOSK, command_id="kiosk-1:42")
    before = snapshot(ledger)
    again = ledger.issue_ticket("ktp-baru", KIOSK, command_id="kiosk-1:42")
    assert again.ok and again.duplicate and not first.duplicate
    assert again.value == first.value
    assert again.events == first.events
    assert snapshot(ledger) == before
    assert label(ledger.issue_ticket("ktp-baru", KIOSK)) == "KTP-002"


def test_repeating_a_call_next_does_not_call_a_second_ticket(ledger: Ledger) -> None:
    for _ in range(3):
        ledger.issue_ticket("bpjs-daftar", KIOSK)
    who = open_counter(ledger, 3)
    first = ledger.call_next(3, who, command_id="counter-3:7")
    before = snapshot(ledger)
    again = ledger.call_next(3, who, command_id="counter-3:7")
    assert called_label(first) == called_label(again) == "B-001"
    assert again.duplicate and again.events == first.events
    assert snapshot(ledger) == before
    assert len(events(ledger, m.TICKET_CALLED)) == 1
    assert called_label(ledger.call_next(3, who)) == "B-002"


# --- bad input --------------------------------------------------------------------------------

BAD_COMMANDS: list[tuple[str, Any, str]] = [
    ("launch_rocket", {}, "unknown_command"),
    ("issue_ticket", {"service": "sim-c"}, "unknown_service"),
    ("issue_ticket", {"service": 7}, "bad_args"),  # a number is not a service code
    ("issue_ticket", {}, "bad_args"),
    ("issue_ticket", {"service": None}, "bad_args"),
    ("issue_ticket", {"service": "ktp-baru", "colour": "red"}, "bad_args"),
    ("issue_ticket", {"service": "ktp-baru", "priority": "vip"}, "bad_args"),
    ("issue_ticket", {"service": "ktp-baru", "priority": ""}, "bad_args"),
    ("issue_ticket", ["ktp-baru"], "bad_args"),
    ("call_next", {"counter": 99}, "unknown_counter"),
    ("call_next", {"counter": True}, "bad_args"),  # True == 1, and counter 1 exists
    ("call_next", {"counter": "1"}, "bad_args"),  # malformed, not an unknown counter
    ("call_next", {"counter": 1.0}, "bad_args"),
    ("call_next", {}, "bad_args"),
    ("call_next", {"counter": 1, "ticket": "x"}, "bad_args"),
    ("recall", {"counter": 0}, "unknown_counter"),
    ("transfer", {"counter": 1}, "bad_args"),
    ("transfer", {"counter": 1, "service": "nope"}, "no_active_ticket"),
    ("cancel", {"ticket": "20261130-KTP-999"}, "unknown_ticket"),
    ("cancel", {"ticket": 5}, "bad_args"),
    ("cancel", {"ticket": ["20261130-KTP-001"]}, "bad_args"),
    ("transfer", {"counter": 1, "service": "kk", "to_front": "yes"}, "bad_args"),
    ("check_priority", {"counter": 1, "valid": 1}, "bad_args"),
    ("force_sign_out", {"counter": 2}, "not_signed_in"),
    ("return_no_show", {"ticket": "20261130-KTP-001"}, "wrong_state"),
    ("sign_in", {"counter": False}, "bad_args"),
    ("open_counter", {"counter": 2}, "not_signed_in"),
    ("alert", {"kind": "printer", "message": 3}, "bad_args"),
    ("alert", {"kind": "printer", "message": "x" * 501}, "bad_args"),
]


@pytest.mark.parametrize(("kind", "args", "code"), BAD_COMMANDS)
def test_bad_input_is_refused_and_changes_nothing(
    ledger: Ledger, kind: str, args: Any, code: str
) -> None:
    ledger.issue_ticket("ktp-baru", KIOSK)
    open_counter(ledger, 1)
    before = snapshot(ledger)
    result = ledger.execute(Command(kind, args, Actor("counter-1", "officer-1")))
    assert not result.ok and not result.duplicate
    assert result.refusal is not None and result.refusal.code == code
    assert result.refusal.message and result.refusal.pesan
    assert result.events == ()
    assert snapshot(ledger) == before


def test_a_refused_command_id_can_be_retried_once_the_cause_is_gone(ledger: Ledger) -> None:
    who = open_counter(ledger, 3)
    ledger.run("pause_counter", who, counter=3)
    refused = ledger.call_next(3, who, command_id="c3:1")
    assert refused.refusal is not None and refused.refusal.code == "counter_not_open"
    ledger.run("open_counter", who, counter=3)
    ledger.issue_ticket("bpjs-daftar", KIOSK)
    retried = ledger.call_next(3, who, command_id="c3:1")
    assert called_label(retried) == "B-001" and not retried.duplicate


# --- the log and its projection ---------------------------------------------------------------


def test_events_cannot_be_updated_or_deleted(ledger: Ledger) -> None:
    ledger.issue_ticket("ktp-baru", KIOSK)
    ledger.issue_ticket("kk", KIOSK)
    before = snapshot(ledger)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        ledger.conn.execute("UPDATE events SET kind='ticket.cancelled' WHERE seq=1")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        ledger.conn.execute("DELETE FROM events WHERE seq=2")
    # The triggers live in the file, so another program opening it is refused too.
    other = sqlite3.connect(ledger.path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            other.execute("DELETE FROM events")
        other.rollback()
    finally:
        other.close()
    assert snapshot(ledger) == before


def test_events_carry_sequence_command_actor_and_time(ledger: Ledger, clock: ManualClock) -> None:
    who = open_counter(ledger, 3)
    ledger.issue_ticket("bpjs-daftar", KIOSK, command_id="k:1")
    clock.advance(minutes=5)
    called = ledger.call_next(3, who, command_id="c:1")
    evs = events(ledger)
    assert [e.seq for e in evs] == [1, 2, 3]
    assert [(e.kind, e.command_id) for e in evs] == [
        (m.OFFICER_SIGNED_IN, evs[0].command_id),
        (m.TICKET_ISSUED, "k:1"),
        (m.TICKET_CALLED, "c:1"),
    ]
    assert (evs[1].device, evs[1].officer) == ("kiosk-1", None)
    assert (evs[2].device, evs[2].officer) == ("counter-3", "officer-3")
    assert evs[2].at_ms - evs[1].at_ms == 5 * 60_000
    assert called.events == (evs[2],)


def test_rebuild_gives_the_same_projection_and_verify_notices_tampering(
    ledger: Ledger, clock: ManualClock
) -> None:
    who = open_counter(ledger, 1)
    for svc in ("ktp-baru", "kk", "ktp-ganti"):
        ledger.issue_ticket(svc, KIOSK)
    ledger.call_next(1, who)
    ledger.run("start", who, counter=1)
    clock.advance(minutes=7)
    ledger.call_next(1, who)
    ledger.run("no_show", who, counter=1)
    assert ledger.verify()
    before = projection_dump(ledger.conn)
    assert ledger.rebuild() == len(events(ledger))
    assert projection_dump(ledger.conn) == before
    # Projection rows are not protected; a hand edit is what verify() is for.
    ledger.conn.execute("UPDATE tickets SET status='finished' WHERE label='KTP-002'")
    assert not ledger.verify()
    ledger.rebuild()
    assert ledger.verify() and projection_dump(ledger.conn) == before


def test_reopening_a_ledger_keeps_its_history(
    tmp_path: Path, small_config: HallConfig, clock: ManualClock
) -> None:
    led = Ledger(tmp_path / "l.db", small_config, clock)
    led.issue_ticket("kk", KIOSK)
    before = snapshot(led)
    led.close()
    again = Ledger(tmp_path / "l.db", small_config, clock)
    try:
        assert snapshot(again) == before
        assert label(again.issue_ticket("kk", KIOSK)) == "KK-002"
    finally:
        again.close()


def test_listeners_hear_each_commit_once_and_refusals_never(ledger: Ledger) -> None:
    heard: list[list[str]] = []
    ledger.subscribe(lambda evs: heard.append([e.kind for e in evs]))
    ledger.issue_ticket("kk", KIOSK, command_id="x")
    ledger.issue_ticket("kk", KIOSK, command_id="x")
    ledger.issue_ticket("nope", KIOSK)
    assert heard == [[m.TICKET_ISSUED]]


def test_verify_reads_one_snapshot_while_another_process_writes(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`antrean ledger verify` runs against a hall's live file: a commit by the hub between
    reading the events and reading the projection must not make a good ledger look broken."""
    import shared.ledger.ledger as ledger_module

    ledger.issue_ticket("kk", KIOSK)
    hub = Ledger(ledger.path, ledger.config, ledger.clock)  # another writer on the same file
    real_replay = ledger_module.replay

    def replay_then_the_hub_commits(conn: sqlite3.Connection, evs: Any) -> int:
        n = real_replay(conn, evs)
        if conn is not ledger.conn:
            assert hub.issue_ticket("kk", KIOSK).ok
        return n

    monkeypatch.setattr(ledger_module, "replay", replay_then_the_hub_commits)
    try:
        assert ledger.verify()
        assert len(events(ledger, m.TICKET_ISSUED)) == 2  # the hub's commit did land
        assert ledger.verify()
    finally:
        hub.close()
