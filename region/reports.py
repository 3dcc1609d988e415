"""The region's reports, as data: each a name, a title, the parameters it takes and one SQL
query over region.tickets / region.halls. The CLI (`antrean region report`) prints them as
tables or CSV; the management console can list `REPORTS` and run the same definitions.

The figures are the hall's reports' own, named, titled and kinded by
shared/reports/definitions.py (`SHARED_FIGURES` gives each its SQL): issued, served (finished),
no-show, cancelled, expired (still waiting when the hub closed the day), the tickets refused
for the quota and outside the hours; the wait is issue -> first call, the service time start
(or the call, when the officer never pressed start) -> finish, in minutes, mean, median and
90th percentile (nearest rank, as the hall's: percentile_disc). `waiting` (still in the
queue) is the region's own. tests/system/test_region_store.py checks that the region's figures
and the hall's report (shared.reports.figures.compute) agree for the same events."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg

from shared.reports.definitions import COUNT_COLUMNS, TIME_COLUMNS, Column, cell_text

_WAIT = "(t.called_at_ms - t.issued_at_ms) / 60000.0"
_SERVICE = "(t.ended_at_ms - coalesce(t.started_at_ms, t.called_at_ms)) / 60000.0"
_DONE = "t.status = 'finished' AND t.called_at_ms IS NOT NULL"


def _minutes(sql: str) -> str:
    return f"round(({sql})::numeric, 1)"


def _pct(p: float, expr: str, where: str | None = None) -> str:
    # percentile_disc is the nearest rank, as the hall's `percentile`.
    return _minutes(f"percentile_disc({p}) WITHIN GROUP (ORDER BY {expr})"
                    + (f" FILTER (WHERE {where})" if where else ""))


# The hall's figures (shared/reports/definitions.py: their names, titles and kinds) as SQL
# over region.report_rows (migration 002: the tickets, and one row per refused ticket, whose
# status and times are NULL, so every figure of the tickets leaves it out).
SHARED_FIGURES: dict[str, str] = {
    "issued": "count(t.ticket_id)",
    "served": "count(*) FILTER (WHERE t.status = 'finished')",
    "no_show": "count(*) FILTER (WHERE t.status = 'no_show')",
    "cancelled": "count(*) FILTER (WHERE t.status = 'cancelled')",
    "expired": "count(*) FILTER (WHERE t.status = 'expired')",
    "avg_wait_min": _minutes(f"avg({_WAIT})"),
    "median_wait_min": _pct(0.5, _WAIT),
    "p90_wait_min": _pct(0.9, _WAIT),
    "avg_service_min": _minutes(f"avg({_SERVICE}) FILTER (WHERE {_DONE})"),
    "median_service_min": _pct(0.5, _SERVICE, _DONE),
    "p90_service_min": _pct(0.9, _SERVICE, _DONE),
    "refused_quota": "count(*) FILTER (WHERE t.refused = 'quota_full')",
    "refused_hours": "count(*) FILTER (WHERE t.refused <> 'quota_full')",
}
# The region's own: tickets still waiting in the queue (the hall's day figures' `waiting`,
# shared/ledger/queries.py), not the reports' "not ended yet".
REGION_FIGURES = {"waiting": "count(*) FILTER (WHERE t.status = 'waiting')"}
FIGURE_COLUMNS = ("issued", "served", "no_show", "cancelled", "waiting", "expired",
                  "avg_wait_min", "median_wait_min", "p90_wait_min", "avg_service_min",
                  "median_service_min", "p90_service_min", "refused_quota", "refused_hours")
COLUMNS: dict[str, Column] = {
    c.key: c for c in (*COUNT_COLUMNS, *TIME_COLUMNS) if c.key in SHARED_FIGURES}
FIGURES = ",\n    ".join(f"{(SHARED_FIGURES | REGION_FIGURES)[k]} AS {k}"
                           for k in FIGURE_COLUMNS)


@dataclass(frozen=True)
class Report:
    name: str
    title: str  # with {parameters} filled in
    params: tuple[str, ...]
    columns: tuple[str, ...]
    sql: str  # psycopg named parameters: %(from)s …


REPORTS: dict[str, Report] = {r.name: r for r in (
    Report(
        "halls", "Halls compared, {from} to {to}", ("from", "to"),
        ("hall", "name", "province", *FIGURE_COLUMNS),
        f"""SELECT h.hall, h.name, coalesce(h.province, ''), {FIGURES}
            FROM region.halls h JOIN region.report_rows t ON t.hall = h.hall
            WHERE t.service_day BETWEEN %(from)s AND %(to)s
            GROUP BY h.hall, h.name, h.province ORDER BY h.hall"""),
    Report(
        "agency", "Agency {agency} across halls, {from} to {to}", ("agency", "from", "to"),
        ("hall", "name", "service", *FIGURE_COLUMNS),
        f"""SELECT h.hall, h.name, t.service, {FIGURES}
            FROM region.halls h JOIN region.report_rows t ON t.hall = h.hall
            WHERE t.agency = %(agency)s AND t.service_day BETWEEN %(from)s AND %(to)s
            GROUP BY h.hall, h.name, t.service ORDER BY h.hall, t.service"""),
    Report(
        "month", "{province}, {month}: each hall and agency", ("province", "month"),
        ("hall", "name", "agency", *FIGURE_COLUMNS),
        f"""SELECT h.hall, h.name, t.agency, {FIGURES}
            FROM region.halls h JOIN region.report_rows t ON t.hall = h.hall
            WHERE h.province = %(province)s
              AND t.service_day BETWEEN %(from)s AND %(to)s
            GROUP BY ROLLUP ((h.hall, h.name), t.agency)
            ORDER BY h.hall NULLS LAST, t.agency NULLS LAST"""),
    Report(
        "status", "The region's halls: what has been exported", (),
        ("hall", "name", "province", "last_seq", "exported_at", "refusals"),
        """SELECT h.hall, h.name, coalesce(h.province, ''), h.last_seq,
                  to_char(h.exported_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"'),
                  (SELECT count(*) FROM region.refusals r WHERE r.hall = h.hall)
           FROM region.halls h ORDER BY h.hall"""),
)}


def parameters(report: Report, given: Mapping[str, Any]) -> dict[str, Any]:
    """The query's parameters from what was given: a month (YYYY-MM) becomes its first and
    last day; `to` defaults to `from`. Raises ValueError with one English line."""
    out = {k: v for k, v in given.items() if v is not None}
    if "month" in report.params:
        month = str(out.get("month", ""))
        try:
            first = dt.date.fromisoformat(f"{month}-01")
        except ValueError:
            raise ValueError(f"a month is YYYY-MM, not {month!r}") from None
        out["from"] = first
        out["to"] = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    elif "from" in report.params:
        out.setdefault("to", out.get("from"))
    missing = [k for k in report.params if out.get(k) in (None, "")]
    if missing:
        raise ValueError(f"the {report.name} report needs {', '.join(missing)}")
    return out


def run(conn: psycopg.Connection, report: Report, params: Mapping[str, Any]
        ) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in conn.execute(report.sql.encode(), params)]  # type: ignore[call-overload]


def title(report: Report, params: Mapping[str, Any]) -> str:
    return report.title.format(**{k: str(v) for k, v in params.items()})


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal | float):
        return f"{value:.1f}"
    return str(value)


def _figure_cell(value: Any, key: str) -> str:
    """A cell as the hall's reports write it (shared definitions' kind), else plainly."""
    column = COLUMNS.get(key)
    if column is None or value is None:
        return _cell(value)
    return cell_text(float(value) if isinstance(value, Decimal) else value, column.kind)


def table(report: Report, rows: Sequence[tuple[Any, ...]]) -> str:
    """English plain-text table; numbers right-aligned; a ROLLUP's total rows say "total"."""
    cells = [[_figure_cell(v, k) for v, k in zip(row, report.columns, strict=True)]
             for row in rows]
    for row in cells:
        if row and row[0] == "":
            row[0] = "total"
        elif len(row) > 2 and row[2] == "" and report.name == "month":
            row[2] = "(all)"
    head = list(report.columns)
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h)
              for i, h in enumerate(head)]
    numeric = [all(_numeric(r[i]) for r in cells) and bool(cells) for i in range(len(head))]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if n else v.ljust(w)
                         for v, w, n in zip(values, widths, numeric, strict=True)).rstrip()

    out = [line(head), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    if not cells:
        out.append("(no tickets)")
    return "\n".join(out)


def _numeric(text: str) -> bool:
    return text == "" or text.replace(".", "", 1).lstrip("-").isdigit()


def to_csv(report: Report, rows: Sequence[tuple[Any, ...]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(report.columns)
    w.writerows([_cell(v) for v in row] for row in rows)
    return buf.getvalue()
