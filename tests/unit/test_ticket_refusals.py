"""Tickets refused for a reason of the hall (quota, cut-off, closed, holiday, not yet open) are
history: one ticket.refused event each, written by the ledger, counted per service and day in
the projection, rebuilt by a replay, recorded once however often the kiosk retries. A
malformed request, an unknown service and the hub's own disk floor write nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from shared.clock import ManualClock
from shared.config import HallConfig
from shared.ledger import model as m
from shared.ledger.check import check_file
from shared.ledger.ledger import Ledger
from shared.ledger.model import Command
from tests.helpers.ledger import KIOSK, events, snapshot, wib

MONDAY = dt.date(2026, 11, 30)


def fill_quota(led: Ledger) -> None:
    for _ in range(5):  # ktp-baru: daily_quota = 5
        assert led.issue_ticket("ktp-baru", KIOSK).ok


def test_a_quota_refusal_is_one_event_and_a_count(ledger: Ledger) -> None:
    fill_quota(ledger)
    result = ledger.issue_ticket("ktp-baru", KIOSK, priority="lansia")
    assert not result.ok and result.refusal is not None
    (e,) = result.events
    assert (e.kind, e.ticket_id, e.device, e.seq) == (m.TICKET_REFUSED, None, "kiosk-1", 6)
    assert e.data == {
        "service_day": "2026-11-30", "service": "ktp-baru", "agency": "DUKCAPIL",
        "queue": "KTP", "priority": "lansia", "reason": "quota_full",
        "message": result.refusal.message, "pesan": result.refusal.pesan,
        "detail": {"next_open": "2026-12-01"}}
    assert ledger.reader.refused_today("ktp-baru", MONDAY) == {"quota_full": 1}
    assert ledger.reader.refused_today("ktp-ganti", MONDAY) == {}
    assert ledger.reader.issued_today("s:ktp-baru", MONDAY) == 5  # no ticket came of it


def test_a_retry_of_a_refused_ticket_records_it_once_and_gets_the_same_answer(
        ledger: Ledger, clock: ManualClock) -> None:
    fill_quota(ledger)
    command = Command("issue_ticket", {"service": "ktp-baru"}, KIOSK)
    first = ledger.execute(command)
    clock.set(wib(2026, 11, 30, 9, 30))
    again = ledger.execute(command)
    assert (again.ok, again.duplicate, again.refusal) == (False, True, first.refusal)
    assert again.events == first.events
    assert len(events(ledger, m.TICKET_REFUSED)) == 1
    assert ledger.reader.refused_today("ktp-baru", MONDAY) == {"quota_full": 1}


def test_reasons_are_counted_apart(ledger: Ledger, clock: ManualClock) -> None:
    fill_quota(ledger)
    ledger.issue_ticket("ktp-baru", KIOSK)
    clock.set(wib(2026, 11, 30, 14, 45))  # past the 14:30 cut-off
    ledger.issue_ticket("ktp-baru", KIOSK)
    ledger.issue_ticket("kk", KIOSK)
    assert ledger.reader.refused_today("ktp-baru", MONDAY) == {"quota_full": 1, "cutoff": 1}
    assert ledger.reader.refused_today("kk", MONDAY) == {"cutoff": 1}
    assert ledger.reader.refused_today("kk", MONDAY + dt.timedelta(days=1)) == {}


def test_malformed_and_unknown_requests_write_nothing(ledger: Ledger) -> None:
    fill_quota(ledger)
    before = snapshot(ledger)
    for args in ({"service": "nope"}, {"service": "ktp-baru", "priority": "vip"},
                 {"service": 3}, {}, {"service": "ktp-baru", "extra": 1}):
        result = ledger.execute(Command("issue_ticket", args, KIOSK))
        assert not result.ok and result.events == (), args
    assert snapshot(ledger) == before


def test_below_the_disk_floor_nothing_is_written(tmp_path: Path, small_config: HallConfig,
                                                 clock: ManualClock) -> None:
    led = Ledger(tmp_path / "floor.db", small_config, clock, min_free_bytes=1 << 60)
    try:
        before = snapshot(led)
        result = led.issue_ticket("kk", KIOSK)
        assert result.refusal is not None and result.refusal.code == "disk_low"
        assert result.events == () and snapshot(led) == before
    finally:
        led.close()


def test_the_check_and_a_replay_agree_with_the_refusals(ledger: Ledger, clock: ManualClock
                                                        ) -> None:
    fill_quota(ledger)
    ledger.issue_ticket("ktp-baru", KIOSK)
    clock.set(wib(2026, 11, 30, 14, 45))
    ledger.issue_ticket("kk", KIOSK)
    report = check_file(ledger.path)
    assert report.ok, report.lines
    assert report.events == 7
    assert ledger.verify()
    before = snapshot(ledger)
    ledger.rebuild()
    assert snapshot(ledger) == before
    assert ledger.reader.refused_today("kk", MONDAY) == {"cutoff": 1}
