"""A report read through the projection's tickets table (shared/reports/figures.py
`_projected`) is the report folded from the events alone: the same ledger (a transfer, a
returned no-show, priority checks, an expiry) reported both ways, for every grouping and
priority filter, with the projection's copy emptied to force the fold."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from shared.clock import ManualClock
from shared.ledger.ledger import Ledger
from shared.reports.figures import GROUPINGS, PRIORITY_FILTERS, Period, compute
from tests.unit.test_reports import MONDAY, TWO_DAYS, build_two_days


def copy_without_projection(led: Ledger, tmp_path: Path) -> sqlite3.Connection:
    """A copy of the ledger whose tickets table is emptied: only its events are left."""
    led.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    copy = tmp_path / "events-only.db"
    shutil.copy(led.path, copy)
    conn = sqlite3.connect(copy)
    conn.execute("DELETE FROM tickets")
    conn.commit()
    return conn


@pytest.mark.parametrize("period", [TWO_DAYS, Period.day(MONDAY), Period.month(2026, 12)])
def test_the_projection_and_the_events_give_the_same_report(
        ledger: Ledger, clock: ManualClock, tmp_path: Path, period: Period) -> None:
    build_two_days(ledger, clock)
    events_only = copy_without_projection(ledger, tmp_path)
    for by in GROUPINGS:
        for priority in (None, *PRIORITY_FILTERS):
            for agencies in (None, frozenset({"BPJS"})):
                projected = compute(ledger.conn, ledger.config, period, by, priority, agencies)
                folded = compute(events_only, ledger.config, period, by, priority, agencies)
                assert projected == folded, (by, priority, agencies)
    events_only.close()


def test_the_report_reads_the_projection_when_it_holds_the_period(
        ledger: Ledger, clock: ManualClock, tmp_path: Path) -> None:
    """Proof the fast path is taken: a projection altered by hand (never done for real)
    shows in the report, and the events' report stays the hand-worked one."""
    build_two_days(ledger, clock)
    events_only = copy_without_projection(ledger, tmp_path)
    before = compute(ledger.conn, ledger.config, TWO_DAYS)
    ledger.conn.execute("UPDATE tickets SET status='no_show' WHERE ticket_id='20261130-B-003'")
    after = compute(ledger.conn, ledger.config, TWO_DAYS)
    assert (before.total.served, before.total.no_show) == (5, 0)
    assert (after.total.served, after.total.no_show) == (4, 1)
    assert compute(events_only, ledger.config, TWO_DAYS) == before
    events_only.close()
