"""The one check of a ledger (shared.ledger.check), migration 3's chain, and the hub's start-up
comparison with the head record its last run left (shared.ledger.head)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from shared.hub.cli import RestoreError, check_before_serving
from shared.ledger import model as m
from shared.ledger.chain import chain
from shared.ledger.check import check_file
from shared.ledger.head import HeadRecord, head_path
from shared.ledger.ledger import Ledger
from shared.ledger.projection import apply_event, hash_at, insert_event, iter_events
from shared.ledger.store import MIGRATIONS, connect, immediate
from tests.helpers.damage import replace_bytes
from tests.helpers.ledger import KIOSK, open_counter


def append(led: Ledger, kind: str, ticket_id: str | None, data: dict[str, Any]) -> None:
    """Write an event past the ledger's rules, as damage or a bug would."""
    with immediate(led.conn):
        seq = led.reader.last_seq() + 1
        e = insert_event(led.conn, m.Event(seq, f"raw-{seq}", kind, ticket_id, "x", None,
                                           1_796_004_000_000 + seq, data))
        apply_event(led.conn, e)


def problems(path: Path) -> list[str]:
    return check_file(path).lines


def test_a_sound_ledger_passes_and_reports_its_chain(ledger: Ledger) -> None:
    for _ in range(3):
        assert ledger.issue_ticket("kk", KIOSK).ok
    who = open_counter(ledger, 1)
    ledger.call_next(1, who)
    ledger.call_next(1, who)
    report = check_file(ledger.path)
    assert report.ok, report.lines
    events = list(iter_events(ledger.conn))
    assert report.last_seq == len(events) == 7
    assert report.last_hash == chain(events)[-1] == hash_at(ledger.conn, 7)
    assert [e.hash for e in events] == chain(events)


def test_migration_3_chains_an_older_ledger_and_keeps_it_append_only(tmp_path: Path,
                                                                     ledger: Ledger) -> None:
    for _ in range(4):
        assert ledger.issue_ticket("bpjs-daftar", KIOSK).ok
    events = list(iter_events(ledger.conn))
    old = tmp_path / "old.db"
    conn = sqlite3.connect(old, isolation_level=None)
    with immediate(conn):
        for step in MIGRATIONS[:2]:
            step(conn)
        conn.execute("PRAGMA user_version=2")
        for e in events:
            conn.execute("INSERT INTO events (seq, command_id, kind, ticket_id, device, officer, "
                         "at_ms, data) VALUES (?,?,?,?,?,?,?,?)",
                         (e.seq, e.command_id, e.kind, e.ticket_id, e.device, e.officer,
                          e.at_ms, json.dumps(e.data)))
            apply_event(conn, e)
    conn.close()
    assert check_file(old).ok  # checked before the upgrade too, from the events alone

    upgraded = connect(old)
    try:
        assert upgraded.execute("PRAGMA user_version").fetchone()[0] == 3
        stored = [r[0] for r in upgraded.execute("SELECT hash FROM events ORDER BY seq")]
        assert stored == chain(events)
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            upgraded.execute("UPDATE events SET hash='x' WHERE seq=1")
    finally:
        upgraded.close()
    assert check_file(old).ok


def test_a_byte_flipped_inside_an_event_is_found_and_only_that_event_named(ledger: Ledger
                                                                           ) -> None:
    for _ in range(3):
        assert ledger.issue_ticket("bpjs-daftar", KIOSK).ok
    ledger.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    replace_bytes(ledger.path, b'"agency":"BPJSKES"', b'"agency":"BPJSKEZ"')
    report = check_file(ledger.path)
    assert report.damaged
    mismatched = [line for line in report.lines if "does not match its hash" in line]
    assert len(mismatched) == 1 and mismatched[0].startswith("event ")


def test_states_the_events_do_not_allow_are_damage(ledger: Ledger) -> None:
    assert ledger.issue_ticket("kk", KIOSK).ok
    assert ledger.issue_ticket("kk", KIOSK).ok
    who = open_counter(ledger, 1)
    ledger.call_next(1, who)  # KK-001 active at counter 1
    append(ledger, m.TICKET_CALLED, "20261130-KK-002", {"counter": 1})
    append(ledger, m.TICKET_STARTED, "20261130-KK-009", {"counter": 2})
    append(ledger, m.TICKET_NO_SHOW, "20261130-KK-001", {"counter": 1})
    append(ledger, m.TICKET_RECALLED, "20261130-KK-001", {"counter": 1, "call": 2})
    lines = problems(ledger.path)
    assert any("calls 20261130-KK-002 to counter 1, which still has 20261130-KK-001 active"
               in line for line in lines), lines
    assert any("20261130-KK-009, which was never issued" in line for line in lines), lines
    assert any("(ticket.recalled) finds ticket 20261130-KK-001 no_show" in line
               for line in lines), lines


def test_numbers_must_be_contiguous_and_labelled_as_numbered(ledger: Ledger) -> None:
    assert ledger.issue_ticket("kk", KIOSK).ok
    issued = {"service_day": "2026-11-30", "queue": "KK", "service": "kk", "agency": "DUKCAPIL",
              "priority": None}
    append(ledger, m.TICKET_ISSUED, "20261130-KK-004", {**issued, "number": 4,
                                                        "label": "KK-004"})
    append(ledger, m.TICKET_ISSUED, "20261130-KK-005", {**issued, "number": 5,
                                                        "label": "KK-007"})
    lines = problems(ledger.path)
    assert any("number 4 follows 1" in line and "2-3 are missing" in line for line in lines)
    assert any("is labelled KK-007" in line for line in lines), lines


def test_a_projection_that_differs_alone_is_what_rebuild_repairs(ledger: Ledger) -> None:
    assert ledger.issue_ticket("kk", KIOSK).ok
    ledger.conn.execute("UPDATE tickets SET status='finished'")
    report = check_file(ledger.path)
    assert not report.ok and not report.damaged
    assert "projection differs" in report.first()


@pytest.mark.parametrize("content", [b"", b"hello, not a database",
                                     b"SQLite format 3\x00" + b"\0" * 84])
def test_files_that_are_no_ledger_get_one_line(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "ledger.db"
    path.write_bytes(content)
    report = check_file(path)
    assert report.damaged and len(report.lines) == 1 and "\n" not in report.first()


# --- start-up against the head record ------------------------------------------------------------


def test_start_up_accepts_a_ledger_ahead_of_its_record_only_on_the_same_chain(
    ledger: Ledger
) -> None:
    for _ in range(3):
        assert ledger.issue_ticket("kk", KIOSK).ok
    record = HeadRecord(ledger.path)
    record.committed(2, hash_at(ledger.conn, 2) or "")  # killed before rewriting it at 3
    record.close()
    report = check_before_serving(ledger.path)
    assert report is not None and report.last_seq == 3

    record.committed(2, "f" * 64)
    record.close()
    with pytest.raises(RestoreError, match="its event 2 is not the one"):
        check_before_serving(ledger.path)

    record.committed(7, hash_at(ledger.conn, 3) or "")
    record.close()
    with pytest.raises(RestoreError, match="committed up to seq 7: 4 events were lost"):
        check_before_serving(ledger.path)


def test_start_up_refuses_a_missing_ledger_or_an_unreadable_record(tmp_path: Path,
                                                                   ledger: Ledger) -> None:
    head_path(ledger.path).write_text("{garbled")
    with pytest.raises(RestoreError, match="not a ledger head record"):
        check_before_serving(ledger.path)
    gone = tmp_path / "elsewhere" / "ledger.db"
    gone.parent.mkdir()
    record = HeadRecord(gone)
    record.committed(12, "a" * 64)
    record.close()
    with pytest.raises(RestoreError, match="is missing, but the hub's last run left events up "
                                           "to seq 12"):
        check_before_serving(gone)
    assert check_before_serving(tmp_path / "new-hall" / "ledger.db") is None


def test_the_quick_check_of_a_station_start_reads_only_the_newest_events(ledger: Ledger
                                                                         ) -> None:
    assert ledger.issue_ticket("bpjs-daftar", KIOSK).ok  # the one event with BPJSKES
    for _ in range(5):
        assert ledger.issue_ticket("kk", KIOSK).ok
    ledger.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    replace_bytes(ledger.path, b'"agency":"BPJSKES"', b'"agency":"BPJSKEZ"')
    quick = check_file(ledger.path, tail=5)
    assert quick.ok and quick.last_seq == 6 and quick.last_hash == hash_at(ledger.conn, 6)
    assert not check_file(ledger.path, tail=6).ok
    assert not check_file(ledger.path).ok


def test_a_closed_day_is_sound_and_a_call_of_an_expired_ticket_is_damage(ledger: Ledger
                                                                         ) -> None:
    assert ledger.issue_ticket("kk", KIOSK).ok
    append(ledger, m.TICKET_EXPIRED, "20261130-KK-001",
           {"service_day": "2026-11-30", "reason": "day_closed"})
    assert check_file(ledger.path).ok, problems(ledger.path)
    append(ledger, m.TICKET_CALLED, "20261130-KK-001", {"counter": 1})
    assert any("(ticket.called) finds ticket 20261130-KK-001 expired" in line
               for line in problems(ledger.path)), problems(ledger.path)
