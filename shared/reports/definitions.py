"""The reports as data: each a name, its titles in Indonesian and English and the tables it
holds, each table with its columns (key, titles, kind of cell). The console's pages, the
exports (export.py) and region/reports.py read the same definitions; `tables()` fills them
from a computed Report (figures.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from shared.reports.figures import Report, Row

# How a column's cells are written: a whole number, minutes (one decimal), a share (percent),
# a date, an hour of the day or text.
KINDS = ("int", "minutes", "share", "date", "hour", "text")


@dataclass(frozen=True)
class Column:
    key: str
    title_id: str
    title_en: str
    kind: str = "int"


@dataclass(frozen=True)
class TableDef:
    name: str
    title_id: str
    title_en: str
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class ReportDef:
    name: str
    title_id: str
    title_en: str
    tables: tuple[str, ...]  # TABLES' names, in the report's order


@dataclass(frozen=True)
class Table:
    """A table of a report, filled: its definition and rows of cells in the columns' order."""

    table: TableDef
    rows: list[tuple[Any, ...]]


def _c(key: str, title_id: str, title_en: str, kind: str = "int") -> Column:
    return Column(key, title_id, title_en, kind)


COUNT_COLUMNS = (
    _c("issued", "Diterbitkan", "Issued"),
    _c("served", "Dilayani", "Served"),
    _c("no_show", "Tidak hadir", "No-show"),
    _c("returned", "Kembali", "Returned"),
    _c("transferred", "Dialihkan", "Transferred"),
    _c("cancelled", "Dibatalkan", "Cancelled"),
    _c("expired", "Kedaluwarsa", "Expired"),
    _c("priority", "Prioritas", "Priority"),
    _c("priority_confirmed", "Prioritas sah", "Priority confirmed"),
    _c("priority_rejected", "Prioritas ditolak", "Priority rejected"),
    _c("refused_quota", "Ditolak: kuota habis", "Refused: quota full"),
    _c("refused_hours", "Ditolak: di luar jam", "Refused: outside hours"),
)
TIME_COLUMNS = (
    _c("avg_wait_min", "Rata-rata tunggu (mnt)", "Average wait (min)", "minutes"),
    _c("median_wait_min", "Median tunggu (mnt)", "Median wait (min)", "minutes"),
    _c("p90_wait_min", "Persentil 90 tunggu (mnt)", "90th pct wait (min)", "minutes"),
    _c("avg_service_min", "Rata-rata layanan (mnt)", "Average service (min)", "minutes"),
    _c("median_service_min", "Median layanan (mnt)", "Median service (min)", "minutes"),
    _c("p90_service_min", "Persentil 90 layanan (mnt)", "90th pct service (min)", "minutes"),
    _c("standard_min", "Standar pelayanan (mnt)", "Service standard (min)", "minutes"),
    _c("within_standard", "Sesuai standar", "Within standard", "share"),
)
GROUP_TITLES = {"agency": ("Instansi", "Agency"), "service": ("Layanan", "Service"),
                "counter": ("Loket", "Counter"), "officer": ("Petugas", "Officer")}

TABLES: dict[str, TableDef] = {t.name: t for t in (
    # The monthly report to the Bupati: per agency its services, visitors, served, average wait
    # against the standard.
    TableDef("monthly", "Rekapitulasi per instansi dan layanan", "Per agency and service", (
        _c("agency", "Instansi", "Agency", "text"),
        _c("service", "Layanan", "Service", "text"),
        _c("issued", "Pengunjung", "Visitors"),
        _c("served", "Dilayani", "Served"),
        _c("no_show", "Tidak hadir", "No-show"),
        _c("avg_wait_min", "Rata-rata tunggu (mnt)", "Average wait (min)", "minutes"),
        _c("avg_service_min", "Rata-rata layanan (mnt)", "Average service (min)", "minutes"),
        _c("standard_min", "Standar pelayanan (mnt)", "Service standard (min)", "minutes"),
        _c("within_standard", "Sesuai standar", "Within standard", "share"),
        _c("priority", "Prioritas", "Priority"),
        _c("refused_quota", "Ditolak: kuota habis", "Refused: quota full"),
    )),
    # The period at a glance: every figure of the list that is one number.
    TableDef("summary", "Ringkasan", "Summary", (
        _c("issued", "Diterbitkan", "Issued"),
        _c("served", "Dilayani", "Served"),
        _c("no_show", "Tidak hadir", "No-show"),
        _c("within_standard", "Sesuai standar", "Within standard", "share"),
        _c("priority_confirmed", "Prioritas sah", "Priority confirmed"),
        _c("priority_rejected", "Prioritas ditolak", "Priority rejected"),
        _c("refused_quota", "Ditolak: kuota habis", "Refused: quota full"),
        _c("refused_hours", "Ditolak: di luar jam", "Refused: outside hours"),
        _c("peak_hour", "Jam puncak", "Peak hour", "hour"),
        _c("busiest_day", "Hari tersibuk", "Busiest day", "date"),
        _c("busiest_hour", "Jam tersibuk", "Busiest hour", "hour"),
        _c("busiest_count", "Nomor pada jam tersibuk", "Tickets in the busiest hour"),
    )),
    TableDef("figures", "Jumlah nomor antrean menurut kelompok", "Tickets by group", (
        _c("key", "Kode", "Code", "text"), _c("name", "Nama", "Name", "text"),
        *COUNT_COLUMNS)),
    TableDef("times", "Waktu tunggu dan layanan menurut kelompok",
             "Waiting and service times by group", (
                 _c("key", "Kode", "Code", "text"), *TIME_COLUMNS)),
    TableDef("hours", "Kedatangan per jam", "Arrivals per hour", (
        _c("hour", "Jam", "Hour", "hour"), _c("tickets", "Nomor antrean", "Tickets"))),
    TableDef("arrivals", "Kedatangan per hari dan jam", "Arrivals per day and hour", (
        _c("date", "Tanggal", "Date", "date"),
        *(_c(f"h{h:02d}", f"{h:02d}", f"{h:02d}") for h in range(24)),
        _c("total", "Jumlah", "Total"))),
    TableDef("counters", "Dilayani per loket-jam", "Served per counter-hour", (
        _c("counter", "Loket", "Counter"), _c("name", "Nama", "Name", "text"),
        _c("served", "Dilayani", "Served"),
        _c("open_hours", "Jam buka", "Hours open", "minutes"),
        _c("served_per_hour", "Dilayani per jam", "Served per hour", "minutes"))),
)}

REPORTS: dict[str, ReportDef] = {r.name: r for r in (
    ReportDef("monthly", "Laporan Bulanan Mal Pelayanan Publik",
              "Monthly report of the public service mall",
              ("summary", "monthly", "figures", "times", "hours", "arrivals", "counters")),
    ReportDef("range", "Laporan Pelayanan", "Service report",
              ("summary", "figures", "times", "hours", "arrivals", "counters")),
)}


def _cells(row: Row, columns: tuple[Column, ...]) -> tuple[Any, ...]:
    d = row.as_dict()
    return tuple(d[c.key] for c in columns)


def tables(report: Report, name: str) -> list[Table]:
    """The tables of report definition `name`, filled from a computed report."""
    out = []
    for table_name in REPORTS[name].tables:
        table = TABLES[table_name]
        rows: list[tuple[Any, ...]]
        if table_name == "monthly":
            rows = []
            for agency, services in report.agency_services.items():
                for r in services:
                    rows.append((report.agency_names.get(agency, agency), r.name, r.issued,
                                 r.served, r.no_show, r.avg_wait_min, r.avg_service_min,
                                 r.standard_min,
                                 r.within_standard, r.priority, r.refused_quota))
            t = report.total
            rows.append(("Jumlah", "", t.issued, t.served, t.no_show, t.avg_wait_min,
                         t.avg_service_min, None, t.within_standard, t.priority,
                         t.refused_quota))
        elif table_name == "summary":
            t = report.total
            day, hour, count = report.peak_day_hour or (None, None, None)
            rows = [(t.issued, t.served, t.no_show, t.within_standard, t.priority_confirmed,
                     t.priority_rejected, t.refused_quota, t.refused_hours, report.peak_hour,
                     day, hour, count)]
        elif table_name in ("figures", "times"):
            group_id, group_en = GROUP_TITLES[report.by]
            table = TableDef(table.name, f"{table.title_id}: {group_id.lower()}",
                             f"{table.title_en}: {group_en.lower()}",
                             (_c("key", group_id, group_en, "text"), *table.columns[1:]))
            rows = [_cells(r, table.columns) for r in (*report.rows, report.total)]
            if table_name == "times" and report.by == "officer":
                # An officer's id says nothing to the Kepala: the times name them, as the
                # figures' name column does (the id where the hub knows no name).
                rows = [(r.name, *cells[1:])
                        for r, cells in zip((*report.rows, report.total), rows, strict=True)]
        elif table_name == "hours":
            per_hour = [sum(day[h] for day in report.arrivals.values()) for h in range(24)]
            rows = [(h, per_hour[h]) for h in range(24)]
        elif table_name == "arrivals":
            rows = [(day, *counts, sum(counts)) for day, counts in report.arrivals.items()]
        else:
            rows = [(c.counter, c.name, c.served, c.open_hours, c.served_per_hour)
                    for c in report.counters]
        out.append(Table(table, rows))
    return out


def cell_text(value: Any, kind: str) -> str:
    """A cell as text (CSV, the PDF's tables): minutes with one decimal, shares in percent,
    nothing for no data."""
    if value is None:
        return ""
    if kind == "minutes":
        return f"{value:.1f}"
    if kind == "share":
        return f"{100 * value:.0f}%"
    if kind == "hour":
        return f"{value:02d}:00"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
