"""The reports' exports opened back: the CSV parsed, the XLSX read with openpyxl, the PDF
rendered to PNG with pdftoppm (poppler-utils) and its text read with pdftotext."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from shared.clock import ManualClock
from shared.ledger.ledger import Ledger
from shared.reports.export import to_csv, to_pdf, to_xlsx
from shared.reports.figures import Period, Report, compute
from tests.unit.test_reports import build_two_days

NOVEMBER = Period.month(2026, 11)


@pytest.fixture
def november(ledger: Ledger, clock: ManualClock) -> Report:
    build_two_days(ledger, clock)
    return compute(ledger.conn, ledger.config, NOVEMBER)


def sections(data: bytes) -> dict[str, list[list[str]]]:
    """The CSV's tables by title: header row first."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    out: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    for row in rows[2:]:
        if not row:
            current = None
        elif current is None:
            current = out.setdefault(row[0], [])
        else:
            current.append(row)
    return out


def test_csv_has_a_bom_and_every_table(november: Report) -> None:
    data = to_csv(november, "monthly")
    assert data.startswith(b"\xef\xbb\xbf")
    tables = sections(data)
    monthly = tables["Rekapitulasi per instansi dan layanan"]
    assert monthly[0][:4] == ["Instansi", "Layanan", "Pengunjung", "Dilayani"]
    assert monthly[1][:6] == ["BPJS Kesehatan", "Pendaftaran peserta", "4", "3", "0", "27.5"]
    assert monthly[-1][:4] == ["Jumlah", "", "6", "5"]
    hours = tables["Kedatangan per jam"]
    assert hours[1 + 9] == ["09:00", "6"]
    arrivals = tables["Kedatangan per hari dan jam"]
    assert len(arrivals) == 1 + 30 and arrivals[-1][0] == "2026-11-30"
    assert arrivals[-1][-1] == "6"


def test_xlsx_one_sheet_per_table_with_real_cells(november: Report) -> None:
    book = load_workbook(io.BytesIO(to_xlsx(november, "monthly")))
    assert book.sheetnames == ["summary", "monthly", "figures", "times", "hours", "arrivals",
                               "counters"]
    monthly = book["monthly"]
    assert [c.value for c in monthly[1]][:3] == ["Instansi", "Layanan", "Pengunjung"]
    assert monthly["C2"].value == 4 and isinstance(monthly["C2"].value, int)
    assert monthly["F2"].value == pytest.approx(27.5) and monthly["F2"].number_format == "0.0"
    assert monthly["I2"].value == pytest.approx(2 / 3, abs=1e-4)
    assert monthly["I2"].number_format == "0%"
    assert monthly.column_dimensions["A"].width > 10
    arrivals = book["arrivals"]
    assert isinstance(arrivals["A31"].value, dt.datetime)  # a date cell, read back as datetime
    assert arrivals["A31"].value.date() == dt.date(2026, 11, 30)
    assert arrivals["K31"].value == 6  # the 09:00 column (B is 00:00)
    times = book["times"]
    assert times["A4"].value == "Jumlah"


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_pdf_is_a4_with_the_mpp_period_pages_and_signature(
        november: Report, ledger: Ledger, tmp_path: Path) -> None:
    pdf = tmp_path / "monthly.pdf"
    pdf.write_bytes(to_pdf(november, "monthly", ledger.config))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert "841.89 pts (A4)" in info.stdout
    pages = int(next(line.split()[-1] for line in info.stdout.splitlines()
                     if line.startswith("Pages:")))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Laporan Bulanan Mal Pelayanan Publik" in text
    assert "Mal Pelayanan Publik Uji" in text and "November 2026" in text
    assert f"Halaman 1 dari {pages}" in text and f"Halaman {pages} dari {pages}" in text
    assert "Kepala Dinas Penanaman Modal" in text and "NIP." in text
    assert "Pendaftaran" in text and "27.5" in text
    out = tmp_path / "page"
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(pdf), str(out)],
                   check=True)
    png = next(tmp_path.glob("page*.png"))
    assert png.stat().st_size > 20_000  # a page with tables and a chart, not a blank one
    keep = os.environ.get("ANTREAN_REPORT_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(keep) / "report-monthly-pdf.png")


def test_refusals_are_in_every_export(ledger: Ledger, clock: ManualClock) -> None:
    from tests.unit.test_reports import build_refusals

    build_refusals(ledger, clock)
    rep = compute(ledger.conn, ledger.config, NOVEMBER)
    csv_tables = sections(to_csv(rep, "monthly"))
    summary = csv_tables["Ringkasan"]
    quota = summary[0].index("Ditolak: kuota habis")
    assert (summary[1][quota], summary[1][quota + 1]) == ("2", "2")
    monthly = csv_tables["Rekapitulasi per instansi dan layanan"]
    assert monthly[0][-1] == "Ditolak: kuota habis"
    assert [(r[1], r[-1]) for r in monthly[1:]] == [
        ("Pendaftaran peserta", "0"), ("Kartu Keluarga", "0"), ("Perekaman KTP-el", "2"),
        ("", "2")]
    book = load_workbook(io.BytesIO(to_xlsx(rep, "monthly")))
    sheet = book["summary"]
    assert [c.value for c in sheet[2]][6:8] == [2, 2]
