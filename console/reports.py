"""The reports' page and its downloads, without HTTP: the page's query read and checked
(`parse`), the report computed from the console's own replica (a read-only connection of its
own, so a worker thread can read while the event loop applies the hub's events) and made into
the page's tables and charts (`page`) or into a file (`download`).

A coordinator's report holds their agency only: `compute` gets `agencies=` and leaves every
other agency's tickets and counters out before anything is counted."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from shared.clock import to_ms
from shared.config import PRIORITY_GROUPS, HallConfig
from shared.reports import export
from shared.reports.definitions import REPORTS, cell_text, tables
from shared.reports.figures import Period, Report, ReportError, compute

# The form's words for the period's kind and the grouping, and the priority filters.
KINDS = {"hari": "day", "minggu": "week", "bulan": "month", "triwulan": "quarter",
         "rentang": "range"}
GROUPS = {"instansi": "agency", "layanan": "service", "loket": "counter", "petugas": "officer"}
PRIORITIES: dict[str, str | None] = {"semua": None, "prioritas": "any", "reguler": "none",
                                     **{g: g for g in PRIORITY_GROUPS}}
LONGEST_RANGE_DAYS = 366
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


class QueryError(ValueError):
    """A report's query that cannot be: its `key` is the console's word (console.i18n) to show."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class Query:
    """The page's form, checked: the form's own values (to fill it again) and what they mean."""

    form: dict[str, str]
    period: Period
    by: str
    priority: str | None

    @property
    def name(self) -> str:
        """The report definition: the monthly report for a month, the service report else."""
        return "monthly" if self.period.kind == "month" else "range"

    def query_string(self, **more: str) -> str:
        return urlencode({**self.form, **more})


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise QueryError("report_bad_date") from None


def parse(query: dict[str, str], today: dt.date) -> Query:
    """The page's query (every field optional: this month, per agency, every ticket)."""
    kind = query.get("periode", "bulan")
    group = query.get("kelompok", "instansi")
    prio = query.get("prioritas", "semua")
    if kind not in KINDS:
        raise QueryError("report_bad_kind")
    if group not in GROUPS:
        raise QueryError("report_bad_group")
    if prio not in PRIORITIES:
        raise QueryError("report_bad_priority")
    form = {"periode": kind, "kelompok": group, "prioritas": prio}
    try:
        if kind in ("hari", "minggu"):
            day = _date(query.get("tanggal") or today.isoformat())
            form["tanggal"] = day.isoformat()
            period = Period.day(day) if kind == "hari" else Period.week(day)
        elif kind == "bulan":
            text = query.get("bulan") or f"{today:%Y-%m}"
            year, _, month = text.partition("-")
            if not (year.isdigit() and month.isdigit() and len(year) == 4):
                raise QueryError("report_bad_month")
            form["bulan"] = f"{int(year):04d}-{int(month):02d}"
            period = Period.month(int(year), int(month))
        elif kind == "triwulan":
            year_text = query.get("tahun") or str(today.year)
            quarter_text = query.get("triwulan") or str((today.month - 1) // 3 + 1)
            if not (year_text.isdigit() and len(year_text) == 4 and quarter_text.isdigit()):
                raise QueryError("report_bad_quarter")
            form["tahun"], form["triwulan"] = year_text, quarter_text
            period = Period.quarter(int(year_text), int(quarter_text))
        else:
            if not query.get("dari") or not query.get("sampai"):
                raise QueryError("report_bad_range")
            start, end = _date(query["dari"]), _date(query["sampai"])
            form["dari"], form["sampai"] = start.isoformat(), end.isoformat()
            period = Period(start, end, "range")
    except ReportError:
        raise QueryError("report_bad_period") from None
    if (period.end - period.start).days >= LONGEST_RANGE_DAYS:
        raise QueryError("report_too_long")
    return Query(form, period, GROUPS[group], PRIORITIES[prio])


class ReportCache:
    """Reports computed before, by their query and the replica's state for their period
    (`fingerprint`): a month of 100,000 tickets takes seconds to fold, and the same report
    is asked for again (the page, then its downloads; another person; a reload). Holds the
    newest few; thread-safe (the reports are computed in worker threads)."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._items: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> Any:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def held(self) -> list[tuple[Any, ...]]:
        with self._lock:
            return list(self._items)

    def put(self, key: tuple[Any, ...], value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def fingerprint(conn: sqlite3.Connection, config: HallConfig, period: Period) -> tuple[int, int]:
    """What a report of the period depends on in this replica, cheaply: while the replica's
    newest event is not past the period's end, any new event may count (its last seq); once
    it is, the events of the period are all here (the hub writes in time order) and only
    later events about the period's tickets (an expiry, a late finish) change it: the newest
    seq of those, through the events_ticket index."""
    row = conn.execute("SELECT seq, at_ms FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    last, last_at = (int(row[0]), int(row[1])) if row else (0, 0)
    end_ms = to_ms(dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(), config.tz))
    if last_at < end_ms:
        return (0, last)
    newest = conn.execute(
        "SELECT max(seq) FROM events WHERE ticket_id >= ? AND ticket_id < ?",
        (f"{period.start:%Y%m%d}-", f"{period.end + dt.timedelta(days=1):%Y%m%d}-")).fetchone()
    return (1, int(newest[0] or 0))


def _compute(replica_path: Path, config: HallConfig, query: Query,
             agencies: frozenset[str] | None, cache: ReportCache | None = None,
             officer_names: Mapping[str, str] | None = None
             ) -> tuple[Report, tuple[Any, ...]]:
    """The report and its cache key (the query, the agencies, the officers' names of a
    report by officer and the replica's fingerprint, read in the same snapshot as the
    report)."""
    names = dict(officer_names or {}) if query.by == "officer" else {}
    conn = sqlite3.connect(f"file:{replica_path}?mode=ro", uri=True)
    try:
        conn.execute("BEGIN")
        key = (query.period, query.by, query.priority, agencies,
               fingerprint(conn, config, query.period), tuple(sorted(names.items())))
        report = cache.get(("report", *key)) if cache else None
        if report is None:
            report = compute(conn, config, query.period, query.by, query.priority, agencies,
                             names)
            if cache:
                cache.put(("report", *key), report)
        return report, key
    finally:
        conn.close()


@dataclass(frozen=True)
class PageTable:
    name: str
    title: str
    headers: list[tuple[str, bool]]  # (title, numeric)
    rows: list[list[tuple[str, bool]]]  # (text, numeric)
    chart: dict[str, str] | None  # {"uri", "title"}: the chart drawn from this table


def page(replica_path: Path, config: HallConfig, query: Query,
         agencies: frozenset[str] | None, english: bool,
         cache: ReportCache | None = None,
         officer_names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The report's title, period and tables (each with its chart, an SVG as a data URI: the
    console's Content-Security-Policy allows no inline styles, which matplotlib's SVG has,
    and an image keeps them its own). A page made before for the same report is reused.
    `officer_names` (id -> full name, the hub's) name the rows of a report by officer."""
    report, key = _compute(replica_path, config, query, agencies, cache, officer_names)
    made = cache.get(("page", english, *key)) if cache else None
    if made is None:
        made = _page(report, query, english)
        if cache:
            cache.put(("page", english, *key), made)
    return dict(made)


def _page(report: Report, query: Query, english: bool) -> dict[str, Any]:
    import base64

    from shared.reports.charts import charts

    drawn = {c.table: {"uri": "data:image/svg+xml;base64,"
                       + base64.b64encode(c.svg.encode()).decode(),
                       "title": c.title_en if english else c.title_id} for c in charts(report)}
    out = []
    for t in (export.hall_hours(t, report) for t in tables(report, query.name)):
        columns = t.table.columns
        numeric = [c.kind not in ("text", "date", "hour") for c in columns]
        out.append(PageTable(
            t.table.name, t.table.title_en if english else t.table.title_id,
            [(c.title_en if english else c.title_id, n) for c, n in zip(columns, numeric,
                                                                         strict=True)],
            [[(cell_text(v, c.kind), n) for v, c, n in zip(row, columns, numeric, strict=True)]
             for row in t.rows],
            drawn.get(t.table.name)))
    definition = REPORTS[query.name]
    return {"report_title": definition.title_en if english else definition.title_id,
            "period_text": export.period_text(query.period), "tables": out,
            "total": report.total}


def filename(query: Query, fmt: str, agency: str | None) -> str:
    """'laporan-bulanan-2026-11.pdf', 'laporan-pelayanan-2026-11-02-sd-2026-11-08-dukcapil.csv'."""
    p = query.period
    if p.kind == "month":
        when = f"bulanan-{p.start:%Y-%m}"
    elif p.kind == "quarter":
        when = f"triwulan-{p.start.year}-{(p.start.month - 1) // 3 + 1}"
    elif p.start == p.end:
        when = f"harian-{p.start.isoformat()}"
    else:
        when = f"pelayanan-{p.start.isoformat()}-sd-{p.end.isoformat()}"
    parts = ["laporan", when]
    if query.by != "agency":
        parts.append(f"per-{query.form['kelompok']}")
    if query.priority is not None:
        parts.append(query.form["prioritas"].replace("_", "-"))
    if agency:
        parts.append(agency.lower())
    return "-".join(parts) + "." + fmt


def download(replica_path: Path, config: HallConfig, query: Query, fmt: str,
             agencies: frozenset[str] | None, cache: ReportCache | None = None,
             officer_names: Mapping[str, str] | None = None) -> bytes:
    report, _ = _compute(replica_path, config, query, agencies, cache, officer_names)
    return export.export(report, query.name, fmt, config)
