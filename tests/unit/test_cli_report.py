"""`antrean report`: through the real entry point, against a hand-built ledger file; bad input
is one line on stderr, exit 2, and no file written."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from antrean.cli import main
from shared.clock import ManualClock
from shared.ledger.ledger import Ledger
from tests.helpers.ledger import DATA
from tests.unit.test_reports import build_two_days

CONFIG = str(DATA / "small_hall.toml")


@pytest.fixture
def ledger_file(ledger: Ledger, clock: ManualClock, tmp_path: Path) -> str:
    build_two_days(ledger, clock)
    return str(tmp_path / "ledger.db")


def test_monthly_csv(ledger_file: str, tmp_path: Path,
                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "laporan.csv"
    assert main(["report", "monthly", "--month", "2026-11", "--ledger", ledger_file,
                 "--config", CONFIG, "--out", str(out)]) == 0
    assert "6 tickets, 5 served" in capsys.readouterr().out
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[0][:3] == ["Laporan Bulanan Mal Pelayanan Publik", "Mal Pelayanan Publik Uji",
                           "November 2026"]


def test_range_by_counter_priority_xlsx(ledger_file: str, tmp_path: Path) -> None:
    out = tmp_path / "r.bin"
    assert main(["report", "range", "--from", "2026-11-30", "--to", "2026-12-01", "--by",
                 "counter", "--priority", "any", "--ledger", ledger_file, "--config", CONFIG,
                 "--format", "xlsx", "--out", str(out)]) == 0
    sheet = load_workbook(io.BytesIO(out.read_bytes()))["figures"]
    assert [(r[0].value, r[2].value) for r in sheet.iter_rows(min_row=2)] == [
        ("1", 1), ("3", 1), ("Jumlah", 2)]


@pytest.mark.parametrize(("argv", "message"), [
    (["range", "--from", "2026-12-01", "--to", "2026-11-30"], "is before --from"),
    (["monthly", "--month", "2026-11", "--out", "{tmp}/laporan.txt"], "say --format"),
    (["monthly", "--month", "2026-11", "--out", "{tmp}/no/such/r.pdf"], "does not exist"),
    (["monthly", "--month", "2026-11", "--ledger", "{tmp}/none.db"], "does not exist"),
    (["monthly", "--month", "2026-11", "--ledger", "{config}"], "cannot read as a ledger"),
    (["monthly", "--month", "2026-11", "--config", "{tmp}/none.toml"], "none.toml"),
])
def test_bad_input_is_one_line_and_writes_nothing(
        ledger_file: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        argv: list[str], message: str) -> None:
    defaults = {"--ledger": ledger_file, "--config": CONFIG, "--out": str(tmp_path / "r.csv")}
    for key, value in defaults.items():
        if key not in argv:
            argv = [*argv, key, value]
    argv = [a.format(tmp=tmp_path, config=CONFIG) for a in argv]
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["report", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_month_that_is_no_month_is_a_usage_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["report", "monthly", "--month", "2026-13", "--ledger", "x", "--config", "y",
              "--out", "z.csv"])
    assert exit_.value.code == 2
    assert "not a month (YYYY-MM): '2026-13'" in capsys.readouterr().err
