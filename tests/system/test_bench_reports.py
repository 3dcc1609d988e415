"""benchmarks/bench_reports.py in its short form: a small month, its exports and the
console's /laporan page loaded in Debian's chromium, which must render and hold the month's
figures (the bench asserts the page's report is there and prints its ticket count)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


def test_the_report_bench_renders_a_small_month_in_chromium() -> None:
    pytest.importorskip("playwright.sync_api")
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_reports.py"),
                           "--tickets", "630"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert "630 tickets," in out
    lines = {line.split(":")[0]: line for line in out.splitlines()}
    assert "630 tickets in the page" in lines["browser /laporan month, first load, computed"]
    assert "630 tickets in the page" in lines["browser /laporan month, first load, warmed"]
    for name in ("browser baseline (an empty day's /laporan)",
                 "browser /laporan month, again (best of 3)"):
        assert " ms" in lines[name]
