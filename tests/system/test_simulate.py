"""`antrean simulate` in small: a real hub process, simulated kiosks, counters and boards over the
LAN protocol, a compressed Monday and Friday; the invariants and the report's numbers."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from antrean.cli import main
from antrean.cli_simulate import EXAMPLE_WEEK
from antrean.sim import day as d
from antrean.sim.runner import SimOptions, SimulationError, simulate
from shared.config import example_config_path, load_config

pytestmark = pytest.mark.slow

FRIDAY = EXAMPLE_WEEK + dt.timedelta(days=4)


def small_day(out: Path, day: dt.date, visitors: int, speed: float, seed: int = 3
              ) -> SimOptions:
    return SimOptions(config=example_config_path(), out=out, day=day, visitors=visitors,
                      counters=6, kiosks=1, boards=1, speed=speed, seed=seed,
                      command="(test_simulate)")


def assert_numbers_add_up(report: dict[str, Any]) -> None:
    t = report["totals"]
    assert t["issued"] == t["acknowledged"]
    assert t["issued"] + sum(t["refused"].values()) == t["visitors"]
    assert t["served"] + t["no_show"] + t["waiting_at_end"] + t["cancelled"] == t["issued"]
    open_agencies = [a for a in report["agencies"] if not a["closed_today"]]
    for key in ("issued", "served", "no_show", "cancelled"):
        assert sum(a[key] for a in open_agencies) == t[key], key
    assert sum(a["waiting"] for a in open_agencies) == t["waiting_at_end"]
    assert sum(a["refused_quota"] for a in report["agencies"]) == t["refused"].get(
        "quota_full", 0)


def test_a_small_monday_holds_every_invariant_and_reports_its_numbers(tmp_path: Path) -> None:
    out = tmp_path / "mon"
    report = simulate(small_day(out, EXAMPLE_WEEK, visitors=150, speed=1500))

    failed = [c for c in report["checks"] if not c["ok"]]
    assert not failed, failed
    assert report["ok"]
    assert len(report["checks"]) >= 11
    assert_numbers_add_up(report)
    t = report["totals"]
    # A real day happened: people were served, some did not show, the officers broke for lunch.
    assert t["issued"] >= 140
    assert t["served"] > t["no_show"] > 0
    assert t["counter_actions"]["called"] >= t["served"]
    assert t["avg_wait_min"] is not None and t["p90_wait_min"] >= t["avg_wait_min"]
    assert t["avg_service_min"] is not None
    assert report["hours"]["breaks"] == ["12:00-13:00"]
    # Nobody is called during the break (counters paused at 12:00, open at 13:00).
    assert report["hourly"].get("12:00", {}).get("called", 0) == 0
    agencies = {a["agency"]: a for a in report["agencies"]}
    assert set(agencies) == {"DPMPTSP", "DUKCAPIL"}  # the first six counters' agencies
    assert agencies["DUKCAPIL"]["issued"] > agencies["DPMPTSP"]["issued"]
    assert agencies["DUKCAPIL"]["standard_min"] is not None

    # The files: Markdown with the command and the table, JSON equal to what was returned.
    md = (out / "report.md").read_text()
    assert "(test_simulate)" in md and "| Dukcapil |" in md and "all invariants hold" in md
    assert json.loads((out / "report.json").read_text())["totals"] == t
    # The hub's ledger is kept for `antrean ledger figures`; replicas are not.
    assert (out / "run" / "ledger.db").exists()
    assert not (out / "run" / "replicas").exists()


def test_friday_is_short_has_no_break_and_issues_nothing_after_its_cutoff(tmp_path: Path
                                                                          ) -> None:
    # Seed 6 brings a latecomer, after the service's cutoff.
    plan = d.plan_day(load_config(example_config_path()), FRIDAY, 6)
    late = [v for v in d.plan_visitors(plan, 120, 1, seed=6)
            if v.arrives >= plan.cutoff_of(v.service)]
    assert late
    report = simulate(small_day(tmp_path / "fri", FRIDAY, visitors=120, speed=1500, seed=6))

    assert report["ok"], [c for c in report["checks"] if not c["ok"]]
    assert_numbers_add_up(report)
    assert report["hours"]["closes"] == "11:00" and report["hours"]["breaks"] == []
    conn = sqlite3.connect(tmp_path / "fri" / "run" / "ledger.db")
    last_issue_ms = conn.execute(
        "SELECT max(at_ms) FROM events WHERE kind='ticket.issued'").fetchone()[0]
    conn.close()
    config = load_config(example_config_path())
    last_issue = dt.datetime.fromtimestamp(last_issue_ms / 1000, config.tz)
    assert last_issue.date() == FRIDAY
    assert last_issue.time() < dt.time(10, 30)  # Friday cutoff: 11:00 less 30 minutes
    # Latecomers who came after the cutoff were refused, not given a ticket.
    assert report["totals"]["refused"].get("cutoff", 0) >= len(late)


def test_the_cli_refuses_more_counters_than_the_hall_has(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["simulate", "--counters", "41", "--out", str(tmp_path / "x")])
    assert code == 2
    assert "has 40 counters; cannot simulate 41" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_an_out_folder_that_is_not_ours_is_left_alone(tmp_path: Path) -> None:
    foreign = tmp_path / "out" / "run"
    foreign.mkdir(parents=True)
    (foreign / "precious.txt").write_text("keep me")
    with pytest.raises(SimulationError, match="not made by antrean simulate"):
        simulate(small_day(tmp_path / "out", EXAMPLE_WEEK, visitors=10, speed=1500))
    assert (foreign / "precious.txt").read_text() == "keep me"


def test_the_day_plan_is_the_same_for_the_same_seed_and_peaks_after_opening() -> None:
    config = load_config(example_config_path())
    plan = d.plan_day(config, EXAMPLE_WEEK)
    a = d.plan_visitors(plan, 3000, 4, seed=5)
    assert a == d.plan_visitors(plan, 3000, 4, seed=5)
    assert a != d.plan_visitors(plan, 3000, 4, seed=6)
    per_hour = [sum(1 for v in a if v.arrives.hour == h) for h in range(7, 15)]
    assert max(per_hour) == per_hour[1]  # 08:00-09:00, right after opening
    assert per_hour[6] > per_hour[5]  # the wave after the 12:00-13:00 break
    by_agency: dict[str, int] = {}
    for v in a:
        agency = config.services[v.service].agency
        by_agency[agency] = by_agency.get(agency, 0) + 1
    assert max(by_agency, key=by_agency.__getitem__) == "DUKCAPIL"
    assert 0.07 < sum(1 for v in a if v.priority) / len(a) < 0.13
    # BPOM, Taspen and Imigrasi do not open on Mondays in the example hall.
    assert {"BPOM", "TASPEN", "IMIGRASI"}.isdisjoint(by_agency)


def test_the_replay_check_catches_a_double_call_and_a_counter_holding_two(tmp_path: Path
                                                                         ) -> None:
    from antrean.sim.invariants import check_numbers, check_replay
    from shared.ledger.model import Event
    from shared.ledger.projection import insert_event
    from shared.ledger.store import connect, immediate

    def ev(seq: int, kind: str, ticket: str, **data: Any) -> Event:
        return Event(seq, f"c{seq}", kind, ticket, "loket-1", "petugas", seq * 1000, data)

    def issued(seq: int, ticket: str, number: int) -> Event:
        return ev(seq, "ticket.issued", ticket, service_day="2026-11-30", queue="KTP",
                  number=number)

    conn = connect(tmp_path / "broken.db")
    with immediate(conn):
        for e in [issued(1, "t1", 1), issued(2, "t2", 3),
                  ev(3, "ticket.called", "t1", counter=3),
                  ev(4, "ticket.called", "t2", counter=3),  # t1 still at counter 3
                  ev(5, "ticket.finished", "t2", counter=3),
                  ev(6, "ticket.called", "t2", counter=4)]:  # finished, called again
            insert_event(conn, e)
    tickets, counters = check_replay(conn)
    numbers = check_numbers(conn)
    conn.close()
    assert not tickets.ok and "seq 6: ticket.called of t2 while finished" in tickets.detail
    assert not counters.ok and "counter 3 called t2 while t1" in counters.detail
    assert not numbers.ok and "KTP" in numbers.detail  # 1 and 3: number 2 is missing
