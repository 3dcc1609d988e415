"""A report's exports: CSV (UTF-8 with a BOM, so Excel opens it right), XLSX (openpyxl: one
sheet per table, real number and date cells, a header row, column widths) and PDF (WeasyPrint
from the Jinja2 template templates/report.html: A4, the MPP's name and logo, the period, page
numbers, the Kepala's signature line, the charts as SVG with their numbers in a table).

The heavy libraries (openpyxl, matplotlib, WeasyPrint) load only when their format is made."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from shared.config import HallConfig
from shared.indonesian import BULAN
from shared.reports.definitions import REPORTS, Table, cell_text, tables
from shared.reports.figures import Period, Report

FORMATS = ("csv", "xlsx", "pdf")
TEMPLATES = Path(__file__).resolve().parent / "templates"
ROOT = Path(__file__).resolve().parents[2]


def period_text(period: Period) -> str:
    """'November 2026' for a month, '1 Oktober 2026 – 31 Desember 2026' for any other."""
    def day(d: dt.date) -> str:
        return f"{d.day} {BULAN[d.month - 1]} {d.year}"

    if period.kind == "month":
        return f"{BULAN[period.start.month - 1]} {period.start.year}"
    if period.start == period.end:
        return day(period.start)
    return f"{day(period.start)} – {day(period.end)}"


def to_csv(report: Report, name: str) -> bytes:
    """Every table of the report one after another: its title, its header row, its rows and a
    blank line. Numbers as plain numbers (minutes with one decimal, shares as fractions)."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\r\n")
    out.writerow([REPORTS[name].title_id, report.mpp, period_text(report.period)])
    out.writerow([])
    for t in tables(report, name):
        out.writerow([t.table.title_id])
        out.writerow([c.title_id for c in t.table.columns])
        for row in t.rows:
            out.writerow([_csv_cell(v, c.kind) for v, c in zip(row, t.table.columns,
                                                                  strict=True)])
        out.writerow([])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _csv_cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind in ("minutes", "share"):
        return f"{value:.1f}" if kind == "minutes" else f"{value:.3f}"
    return cell_text(value, kind)


_XLSX_FORMATS = {"minutes": "0.0", "share": "0%", "date": "yyyy-mm-dd", "hour": "00\":00\""}


def to_xlsx(report: Report, name: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="E8EEF7")
    for t in tables(report, name):
        sheet = book.create_sheet(t.table.name)
        columns = t.table.columns
        sheet.append([c.title_id for c in columns])
        for cell in sheet[1]:
            cell.font, cell.fill = bold, fill
        for row in t.rows:
            sheet.append([_round(v, c.kind) for v, c in zip(row, columns, strict=True)])
        for i, c in enumerate(columns, start=1):
            number_format = _XLSX_FORMATS.get(c.kind)
            if number_format:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                    cell.number_format = number_format
            longest = max([len(c.title_id), *(len(cell_text(r[i - 1], c.kind))
                                              for r in t.rows)])
            sheet.column_dimensions[get_column_letter(i)].width = min(60, longest + 2)
        sheet.freeze_panes = "A2"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _round(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "minutes":
        return round(float(value), 2)
    if kind == "share":
        return round(float(value), 4)
    return value


def logo_uri(config: HallConfig) -> str | None:
    """The MPP's logo as a data URI: the config's [mpp] logo (absolute, beside the config, from
    the project root or assets/logos/), else assets/logos/mpp.png; None when there is none."""
    candidates: list[Path] = []
    if config.mpp.logo:
        path = Path(config.mpp.logo)
        if path.is_absolute():
            candidates.append(path)
        else:
            if config.source and not config.source.startswith("<"):
                candidates.append(Path(config.source).parent / path)
            candidates += [ROOT / path, ROOT / "assets" / "logos" / path]
    candidates.append(ROOT / "assets" / "logos" / "mpp.png")
    found = next((p for p in candidates if p.is_file()), None)
    if found is None:
        return None
    kind = "svg+xml" if found.suffix == ".svg" else found.suffix.lstrip(".").replace("jpg", "jpeg")
    return f"data:image/{kind};base64," + base64.b64encode(found.read_bytes()).decode()


def to_html(report: Report, name: str, config: HallConfig,
            signed_on: dt.date | None = None) -> str:
    """The report as one HTML page (the PDF's source; the console can serve the same)."""
    import jinja2

    from shared.reports.charts import charts

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    drawn = charts(report)
    by_table = {c.table: {"uri": "data:image/svg+xml;base64,"
                          + base64.b64encode(c.svg.encode()).decode(),
                          "title_id": c.title_id} for c in drawn}
    filled = [hall_hours(t, report) for t in tables(report, name)]
    day = signed_on or report.period.end
    place = config.mpp.kabupaten.removeprefix("Kabupaten ").removeprefix("Kota ")
    fmt: Callable[[Any, str], str] = cell_text
    return env.get_template("report.html").render(
        title=REPORTS[name].title_id, mpp=report.mpp, kabupaten=report.kabupaten,
        period_text=period_text(report.period), priority=report.priority, total=report.total,
        peak_hour=report.peak_hour, tables=filled, charts_by_table=by_table,
        logo=logo_uri(config), fmt=fmt, place=place or report.kabupaten,
        signed_on=f"{day.day} {BULAN[day.month - 1]} {day.year}")


def hall_hours(t: Table, report: Report) -> Table:
    """The hour tables with only the hall's hours, so that they fit an A4 page."""
    from shared.reports.charts import hours_span

    if t.table.name == "hours":
        span = hours_span(report)
        return Table(t.table, [row for row in t.rows if row[0] in span])
    if t.table.name != "arrivals":
        return t
    keep = [0, *(1 + h for h in hours_span(report)), len(t.table.columns) - 1]
    columns = tuple(t.table.columns[i] for i in keep)
    return Table(replace(t.table, columns=columns),
                 [tuple(row[i] for i in keep) for row in t.rows])


def to_pdf(report: Report, name: str, config: HallConfig,
           signed_on: dt.date | None = None) -> bytes:
    import logging

    import weasyprint

    # WeasyPrint logs every CSS property it does not know at WARNING; none of ours matter.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    html = to_html(report, name, config, signed_on)
    return bytes(weasyprint.HTML(string=html, base_url=str(TEMPLATES)).write_pdf())


def export(report: Report, name: str, fmt: str, config: HallConfig) -> bytes:
    if fmt == "csv":
        return to_csv(report, name)
    if fmt == "xlsx":
        return to_xlsx(report, name)
    if fmt == "pdf":
        return to_pdf(report, name, config)
    raise ValueError(f"no export format {fmt!r} (one of {', '.join(FORMATS)})")
