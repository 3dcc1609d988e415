"""`antrean simulate --days N`: working days of the hall in one ledger, each day a hub process
from its 06:45 on the same ledger and station tokens; every day's invariants checked, the
numbers restarting each morning, the SKM report counting every day's respondents."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from antrean.cli import main
from antrean.sim import day as d
from antrean.sim.runner import SimulationError, simulate
from shared.config import example_config_path, load_config
from shared.ledger import model as m
from tests.system.test_simulate import FRIDAY, assert_numbers_add_up, small_day

pytestmark = pytest.mark.slow

MONDAY = FRIDAY + dt.timedelta(days=3)


def test_the_working_days_skip_weekends_and_holidays() -> None:
    config = load_config(example_config_path())
    assert d.working_days(config, FRIDAY, 2) == [FRIDAY, MONDAY]
    # Saturday 5 December: the run starts on the next working day.
    assert d.working_days(config, FRIDAY + dt.timedelta(days=1), 1) == [MONDAY]
    christmas = d.working_days(config, dt.date(2026, 12, 23), 2)
    assert christmas[0] == dt.date(2026, 12, 23)
    assert all(day not in config.holidays for day in christmas)
    assert christmas[1] > dt.date(2026, 12, 25)
    with pytest.raises(d.PlanError, match="at least 1"):
        d.working_days(config, FRIDAY, 0)


def test_friday_then_monday_in_one_ledger_with_the_survey(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    opts = replace(small_day(out, FRIDAY, visitors=60, speed=2000), days=2, survey_share=0.5)
    report = simulate(opts)

    assert report["ok"], [(r["day"], c) for r in report["days"] for c in r["checks"]
                          if not c["ok"]]
    assert [r["day"] for r in report["days"]] == [FRIDAY.isoformat(), MONDAY.isoformat()]
    for r in report["days"]:
        assert all(c["ok"] for c in r["checks"]) and len(r["checks"]) >= 11
        assert_numbers_add_up(r)
        assert r["totals"]["served"] > 0
    assert report["days"][0]["hours"]["closes"] == "11:00"  # Friday is short
    assert report["days"][1]["hours"]["breaks"] == ["12:00-13:00"]
    for key in ("issued", "served", "visitors"):
        assert report["totals"][key] == sum(r["totals"][key] for r in report["days"])

    conn = sqlite3.connect(f"file:{out / 'run' / 'ledger.db'}?mode=ro", uri=True)
    try:
        days = dict(conn.execute(
            "SELECT service_day, count(*) FROM tickets GROUP BY service_day").fetchall())
        firsts = conn.execute(
            "SELECT service_day, label FROM tickets WHERE label LIKE '%-001' "
            "ORDER BY service_day").fetchall()
        answered = conn.execute(
            "SELECT t.service_day, count(*) FROM events e JOIN tickets t USING (ticket_id) "
            "WHERE e.kind=? GROUP BY t.service_day", (m.SURVEY_ANSWERED,)).fetchall()
        expired_fridays = conn.execute(
            "SELECT count(*) FROM tickets WHERE service_day=? AND status=?",
            (FRIDAY.isoformat(), m.WAITING)).fetchone()[0]
    finally:
        conn.close()
    # One ledger holds both days, and the numbers started again on Monday morning.
    assert days == {FRIDAY.isoformat(): report["days"][0]["totals"]["issued"],
                    MONDAY.isoformat(): report["days"][1]["totals"]["issued"]}
    labels = {day: {label for dd, label in firsts if dd == day} for day in days}
    assert labels[FRIDAY.isoformat()] & labels[MONDAY.isoformat()]  # e.g. KTP-001 again
    assert expired_fridays == 0  # Monday's hub closed Friday
    # The SKM report is of both days (not the month: December has more working days).
    per_day = dict(answered)
    assert set(per_day) == {FRIDAY.isoformat(), MONDAY.isoformat()}
    assert report["skm"]["respondents"] == sum(per_day.values())
    assert report["skm"]["period"] == f"{FRIDAY} – {MONDAY}"
    assert report["skm"]["population"] == report["totals"]["served"]
    assert (out / "skm-report.pdf").read_bytes().startswith(b"%PDF")
    md = (out / "report.md").read_text()
    assert "## Day by day" in md and f"Fri {FRIDAY}" in md and f"Mon {MONDAY}" in md
    assert "all invariants hold on every day" in md
    assert json.loads((out / "report.json").read_text())["totals"] == report["totals"]
    assert not (out / "run" / "replicas").exists()


def test_the_cli_refuses_no_days(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--days", "0", "--out", str(tmp_path / "x")]) == 2
    assert "--days must be at least 1" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_one_day_on_a_closed_day_is_still_refused(tmp_path: Path) -> None:
    saturday = FRIDAY + dt.timedelta(days=1)
    with pytest.raises(SimulationError):
        simulate(small_day(tmp_path / "x", saturday, visitors=10, speed=1500))
    assert not (tmp_path / "x").exists()


def test_the_skm_period_is_the_month_only_when_all_its_working_days_run(tmp_path: Path
                                                                        ) -> None:
    from antrean.sim.runner import Simulation

    october = dt.date(2026, 10, 1)  # 22 working days in the example hall

    def period(days: int) -> tuple[str, dt.date, dt.date]:
        sim = Simulation(replace(small_day(tmp_path / f"p{days}", october, 10, 1500),
                                 days=days))
        p = sim._skm_period()
        return p.kind, p.start, p.end

    assert period(22) == ("month", october, dt.date(2026, 10, 31))
    assert period(21) == ("range", october, dt.date(2026, 10, 29))
    assert period(1) == ("month", october, dt.date(2026, 10, 31))  # one day: its month
