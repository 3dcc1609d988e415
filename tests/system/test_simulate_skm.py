"""`antrean simulate --survey-share`: a simulated day whose served visitors answer the SKM
survey through a real web station's token and the real hub, every invariant still holding,
and the month's SKM report written beside the day report."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from antrean.cli_simulate import EXAMPLE_WEEK
from antrean.sim.runner import SimulationError, simulate
from shared.config import load_config
from shared.ledger import model as m
from shared.reports import skm
from tests.system.test_simulate import small_day

pytestmark = pytest.mark.slow


def test_a_share_of_the_served_answer_and_the_report_is_written(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    opts = replace(small_day(out, EXAMPLE_WEEK, visitors=120, speed=1500), survey_share=0.5)
    report = simulate(opts)
    assert report["ok"], [c for c in report["checks"] if not c["ok"]]
    assert (out / "skm-report.pdf").read_bytes().startswith(b"%PDF")
    assert (out / "skm-report.xlsx").stat().st_size > 0
    conn = sqlite3.connect(f"file:{out / 'run' / 'ledger.db'}?mode=ro", uri=True)
    try:
        answered = conn.execute("SELECT count(*) FROM events WHERE kind=?",
                                (m.SURVEY_ANSWERED,)).fetchone()[0]
        served = conn.execute("SELECT count(*) FROM tickets WHERE status='finished'"
                              ).fetchone()[0]
        figures = skm.compute(conn, load_config(opts.config),
                              skm.skm_period("month", 2026, 11))
    finally:
        conn.close()
    assert served == report["totals"]["served"] > 20
    assert 0.3 * served < answered < 0.7 * served  # half, give or take the dice
    assert figures.respondents == answered and figures.ikm is not None


def test_a_share_outside_0_to_1_is_refused(tmp_path: Path) -> None:
    opts = replace(small_day(tmp_path / "x", EXAMPLE_WEEK, visitors=10, speed=1500),
                   survey_share=1.5)
    with pytest.raises(SimulationError, match="survey-share"):
        simulate(opts)
    assert not (tmp_path / "x").exists()
