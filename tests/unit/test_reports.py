"""The reports' figures (shared/reports/figures.py), checked against a ledger built by hand with
the ledger's own commands on a manual clock, whose every answer is worked out below."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.clock import ManualClock
from shared.ledger.ledger import Ledger
from shared.ledger.model import Actor
from shared.reports.charts import charts
from shared.reports.definitions import tables
from shared.reports.figures import Period, Report, ReportError, compute
from tests.helpers.ledger import KIOSK, open_counter, wib

MONDAY, TUESDAY = dt.date(2026, 11, 30), dt.date(2026, 12, 1)
TWO_DAYS = Period(MONDAY, TUESDAY)


def ok(result: object) -> None:
    assert getattr(result, "ok", False), getattr(result, "refusal", None)


def build_two_days(led: Ledger, clock: ManualClock) -> None:
    """Monday 30 Nov, 09:00: BPJS B-001..B-003 and B-004 (lansia); Dukcapil KK-001. Counter
    3 (BPJS) and counter 1 (Dukcapil) sign in at 09:00.
    - B-001 called 09:10, started 09:12, finished 09:20: wait 10, service 8 (standard 12).
    - B-002 called 09:20, no-show, returned 09:25, cancelled 09:26: wait 20.
    - B-003 called 09:30, finished 09:50 without a start: wait 30, service 20 (over).
    - B-004 called 09:50, priority confirmed, started 09:51, finished 10:01: wait 50, service 10.
    - KK-001 called 09:05 (wait 5), transferred 09:06 to ktp-ganti, called again 09:10, started
      09:10, finished 09:18: service 8 (standard of ktp-ganti 8: within).
    - KK-002 (anak, issued 09:15) called 09:20 (wait 5), priority rejected, finished 09:30:
      service 10 (of 15).
    Counter 3 signs out 11:00 (2 h open), counter 1 at 12:00 (3 h).
    Tuesday 1 Dec 09:00: B-001, never called; expired when the hub closes the day on Wednesday.
    Wednesday 2 Dec 10:00: B-001 (outside the two days)."""
    for priority in (None, None, None, "lansia"):
        ok(led.issue_ticket("bpjs-daftar", KIOSK, priority=priority))
    ok(led.issue_ticket("kk", KIOSK))
    bpjs, dukcapil = open_counter(led, 3), open_counter(led, 1)

    def at(h: int, mi: int, day: int = 30, month: int = 11) -> None:
        clock.set(wib(2026, month, day, h, mi))

    at(9, 5)
    ok(led.call_next(1, dukcapil))  # KK-001
    at(9, 6)
    ok(led.run("transfer", dukcapil, counter=1, service="ktp-ganti"))
    at(9, 10)
    ok(led.call_next(3, bpjs))  # B-001
    ok(led.call_next(1, dukcapil))  # KK-001 again, now in KTP
    ok(led.run("start", dukcapil, counter=1))
    at(9, 12)
    ok(led.run("start", bpjs, counter=3))
    at(9, 15)
    ok(led.issue_ticket("kk", KIOSK, priority="anak"))
    at(9, 18)
    ok(led.run("finish", dukcapil, counter=1))
    at(9, 20)
    ok(led.run("finish", bpjs, counter=3))
    ok(led.call_next(3, bpjs))  # B-002
    ok(led.run("no_show", bpjs, counter=3))
    ok(led.call_next(1, dukcapil))  # KK-002
    ok(led.run("check_priority", dukcapil, counter=1, valid=False))
    at(9, 25)
    ok(led.run("return_no_show", bpjs, ticket="20261130-B-002"))
    at(9, 26)
    ok(led.run("cancel", KIOSK, ticket="20261130-B-002"))
    at(9, 30)
    ok(led.run("finish", dukcapil, counter=1))
    ok(led.call_next(3, bpjs))  # B-003
    at(9, 50)
    ok(led.run("finish", bpjs, counter=3))
    ok(led.call_next(3, bpjs))  # B-004
    ok(led.run("check_priority", bpjs, counter=3, valid=True))
    at(9, 51)
    ok(led.run("start", bpjs, counter=3))
    at(10, 1)
    ok(led.run("finish", bpjs, counter=3))
    at(11, 0)
    ok(led.run("sign_out", bpjs, counter=3))
    at(12, 0)
    ok(led.run("sign_out", dukcapil, counter=1))
    at(9, 0, day=1, month=12)
    ok(led.issue_ticket("bpjs-daftar", KIOSK))
    at(7, 0, day=2, month=12)
    ok(led.run("close_day", Actor("hub"), day="2026-12-01"))
    at(10, 0, day=2, month=12)
    ok(led.issue_ticket("bpjs-daftar", KIOSK))


@pytest.fixture
def two_days(ledger: Ledger, clock: ManualClock) -> Ledger:
    build_two_days(ledger, clock)
    return ledger


def report(led: Ledger, period: Period = TWO_DAYS, by: str = "agency",
           priority: str | None = None) -> Report:
    return compute(led.conn, led.config, period, by, priority)


def test_counts_per_agency_over_two_days(two_days: Ledger) -> None:
    bpjs, dukcapil = report(two_days).rows
    assert (bpjs.key, bpjs.name) == ("BPJSKES", "BPJS Kesehatan")
    assert (bpjs.issued, bpjs.served, bpjs.no_show, bpjs.returned, bpjs.transferred,
            bpjs.cancelled, bpjs.expired, bpjs.waiting) == (5, 3, 0, 1, 0, 1, 1, 0)
    assert (dukcapil.issued, dukcapil.served, dukcapil.transferred) == (2, 2, 1)
    assert (bpjs.priority, bpjs.priority_confirmed, bpjs.priority_rejected) == (1, 1, 0)
    assert (dukcapil.priority, dukcapil.priority_confirmed, dukcapil.priority_rejected) == (
        1, 0, 1)


def test_waits_and_service_times_average_median_and_90th_percentile(two_days: Ledger) -> None:
    bpjs, dukcapil = report(two_days).rows
    # Waits 10, 20, 30, 50; nearest rank: the median is the 2nd, the 90th percentile the 4th.
    assert bpjs.avg_wait_min == pytest.approx(27.5)
    assert (bpjs.median_wait_min, bpjs.p90_wait_min) == (20.0, 50.0)
    # Services 8 (from the start), 20 (from the call), 10.
    assert bpjs.avg_service_min == pytest.approx(38 / 3)
    assert (bpjs.median_service_min, bpjs.p90_service_min) == (10.0, 20.0)
    assert bpjs.standard_min == 12.0
    assert bpjs.within_standard == pytest.approx(2 / 3)
    # A transferred ticket's wait is to its first call (KK-001: 5), as the hall's figures.
    assert dukcapil.avg_wait_min == pytest.approx(5.0)
    assert dukcapil.avg_service_min == pytest.approx(9.0)
    assert dukcapil.within_standard == 1.0
    assert dukcapil.standard_min == pytest.approx((8 + 15) / 2)  # ktp-ganti and kk
    total = report(two_days).total
    assert (total.issued, total.served, total.transferred) == (7, 5, 1)
    assert total.avg_wait_min == pytest.approx((10 + 20 + 30 + 50 + 5 + 5) / 6)


def test_per_service_counter_and_officer(two_days: Ledger) -> None:
    services = {r.key: r for r in report(two_days, by="service").rows}
    assert {k: (r.issued, r.transferred) for k, r in services.items()} == {
        "bpjs-daftar": (5, 0), "kk": (1, 1), "ktp-ganti": (1, 0)}
    counters = {r.key: (r.issued, r.served, r.no_show) for r in report(two_days, by="counter").rows}
    assert counters == {"1": (2, 2, 0), "3": (4, 3, 0)}  # Tuesday's B-001 was never called
    officers = [(r.key, r.name) for r in report(two_days, by="officer").rows]
    assert officers == [("officer-1", "officer-1"), ("officer-3", "officer-3")]  # ids only
    # With the hub's names (the console's): a name where one is known, the id elsewhere.
    named = compute(two_days.conn, two_days.config, TWO_DAYS, "officer",
                    officer_names={"officer-1": "Siti Rahmawati", "other": "Budi"})
    assert [(r.key, r.name) for r in named.rows] == [("officer-1", "Siti Rahmawati"),
                                                     ("officer-3", "officer-3")]
    times = next(t for t in tables(named, "range") if t.table.name == "times")
    assert [row[0] for row in times.rows] == ["Siti Rahmawati", "officer-3", "Jumlah"]
    waits = next(c for c in charts(named) if c.name == "waits")
    assert "Siti Rahmawati" in waits.svg and "officer-1" not in waits.svg
    rep = report(two_days)
    assert [a for a in rep.agency_services] == ["BPJSKES", "DUKCAPIL"]
    assert [r.key for r in rep.agency_services["DUKCAPIL"]] == ["kk", "ktp-ganti"]


def test_priority_filter(two_days: Ledger) -> None:
    assert report(two_days, priority="any").total.issued == 2
    assert [r.key for r in report(two_days, priority="lansia").rows] == ["BPJSKES"]
    assert report(two_days, priority="none").total.issued == 5
    assert report(two_days, priority="korban_bencana").rows == []


def test_arrivals_peak_and_counter_hours(two_days: Ledger) -> None:
    rep = report(two_days)
    assert rep.arrivals[MONDAY][9] == 6 and sum(rep.arrivals[MONDAY]) == 6
    assert rep.arrivals[TUESDAY][9] == 1 and sum(rep.arrivals[TUESDAY]) == 1
    assert rep.peak_hour == 9
    assert rep.peak_day_hour == (MONDAY, 9, 6)
    hours = {c.counter: (c.served, c.open_hours) for c in rep.counters}
    assert hours == {1: (2, 3.0), 3: (3, 2.0)}
    assert [c.served_per_hour for c in rep.counters] == [pytest.approx(2 / 3), 1.5]


def test_periods_pick_the_service_days(two_days: Ledger) -> None:
    assert report(two_days, Period.day(MONDAY)).total.issued == 6
    assert report(two_days, Period.month(2026, 11)).total.issued == 6
    assert report(two_days, Period.month(2026, 12)).total.issued == 2
    assert report(two_days, Period.week(TUESDAY)).total.issued == 8
    quarter = Period.quarter(2026, 4)
    assert (quarter.start, quarter.end) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert report(two_days, Period(dt.date(2026, 1, 1), dt.date(2026, 11, 29))).rows == []


def test_a_report_is_the_same_every_time_and_after_more_events(
        two_days: Ledger, clock: ManualClock) -> None:
    before = report(two_days)
    clock.set(wib(2026, 12, 2, 10, 30))
    ok(two_days.issue_ticket("kk", KIOSK))
    assert report(two_days) == before


def test_bad_requests_are_refused() -> None:
    with pytest.raises(ReportError, match="before it starts"):
        Period(TUESDAY, MONDAY)
    with pytest.raises(ReportError, match="quarter"):
        Period.quarter(2026, 5)
    with pytest.raises(ReportError, match="no month"):
        Period.month(2026, 13)


def test_bad_grouping_and_priority_are_refused(ledger: Ledger) -> None:
    with pytest.raises(ReportError, match="not 'loket'"):
        report(ledger, by="loket")
    with pytest.raises(ReportError, match="unknown priority filter"):
        report(ledger, priority="vip")


def test_an_agency_restriction_keeps_only_its_tickets_and_counters(two_days: Ledger) -> None:
    rep = compute(two_days.conn, two_days.config, TWO_DAYS, "agency",
                  agencies=frozenset({"DUKCAPIL"}))
    assert [r.key for r in rep.rows] == ["DUKCAPIL"]
    assert (rep.total.issued, rep.total.served) == (2, 2)
    assert [c.counter for c in rep.counters] == [1]
    assert list(rep.agency_services) == ["DUKCAPIL"]
    assert rep.arrivals[MONDAY][9] == 2 and sum(rep.arrivals[TUESDAY]) == 0
    services = compute(two_days.conn, two_days.config, TWO_DAYS, "service",
                       agencies=frozenset({"BPJSKES"}))
    assert [r.key for r in services.rows] == ["bpjs-daftar"]


def build_refusals(led: Ledger, clock: ManualClock, day: dt.date = MONDAY) -> None:
    """Monday 30 Nov (or `day`) at the clock's time: ktp-baru's quota of 5 is used up
    (KTP-001..005), then two more are refused for the quota (the second claims lansia) and a
    retry of the first is the same refusal; at 14:45, past the 14:30 cut-off, one kk and one
    bpjs-daftar are refused."""
    for _ in range(5):
        ok(led.issue_ticket("ktp-baru", KIOSK))
    assert not led.issue_ticket("ktp-baru", KIOSK, command_id="refused-1").ok
    assert led.issue_ticket("ktp-baru", KIOSK, command_id="refused-1").duplicate
    assert not led.issue_ticket("ktp-baru", KIOSK, priority="lansia").ok
    clock.set(wib(day.year, day.month, day.day, 14, 45))
    assert not led.issue_ticket("kk", KIOSK).ok
    assert not led.issue_ticket("bpjs-daftar", KIOSK).ok


def test_refusals_per_agency_service_priority_and_period(ledger: Ledger, clock: ManualClock
                                                         ) -> None:
    build_refusals(ledger, clock)
    monday = Period.day(MONDAY)
    rows = {r.key: (r.issued, r.refused_quota, r.refused_hours)
            for r in report(ledger, monday).rows}
    assert rows == {"BPJSKES": (0, 0, 1), "DUKCAPIL": (5, 2, 1)}
    services = {r.key: (r.issued, r.refused_quota, r.refused_hours)
                for r in report(ledger, monday, by="service").rows}
    assert services == {"bpjs-daftar": (0, 0, 1), "kk": (0, 0, 1), "ktp-baru": (5, 2, 0)}
    total = report(ledger, monday).total
    assert (total.issued, total.refused_quota, total.refused_hours) == (5, 2, 2)
    by_counter = report(ledger, monday, by="counter")
    assert by_counter.rows == [] and by_counter.total.refused_quota == 2  # in the total only
    lansia = report(ledger, monday, priority="lansia").total
    assert (lansia.issued, lansia.refused_quota, lansia.refused_hours) == (0, 1, 0)
    assert report(ledger, monday, priority="none").total.refused_quota == 1
    bpjs = compute(ledger.conn, ledger.config, monday, agencies=frozenset({"BPJSKES"})).total
    assert (bpjs.refused_quota, bpjs.refused_hours) == (0, 1)
    assert report(ledger, Period.day(TUESDAY)).total.refused_quota == 0
    monthly = report(ledger, Period.month(2026, 11))
    assert [(r.key, r.refused_quota) for r in monthly.agency_services["DUKCAPIL"]] == [
        ("kk", 0), ("ktp-baru", 2)]


def test_the_summary_table_holds_every_single_figure(two_days: Ledger) -> None:
    from shared.reports.definitions import tables

    summary = next(t for t in tables(report(two_days, Period.month(2026, 11)), "monthly")
                   if t.table.name == "summary")
    cells = dict(zip((c.key for c in summary.table.columns), summary.rows[0], strict=True))
    assert cells == {
        "issued": 6, "served": 5, "no_show": 0, "within_standard": pytest.approx(0.8),
        "priority_confirmed": 1, "priority_rejected": 1, "refused_quota": 0,
        "refused_hours": 0, "peak_hour": 9, "busiest_day": MONDAY, "busiest_hour": 9,
        "busiest_count": 6}
