"""`antrean report monthly|range`: a report of the hall, computed from its ledger's events
(shared/reports), written as CSV, XLSX or PDF. Reads the ledger read-only: the hub's own file
while it runs, a replica, or a backup copy; the same period gives the same report every time.

    antrean report monthly --month 2026-11 --ledger /var/lib/antrean/ledger.db \\
        --config /etc/antrean/hall.toml --format pdf --out laporan-2026-11.pdf
    antrean report range --from 2026-10-01 --to 2026-12-31 --by service --priority any \\
        --ledger ledger.db --config hall.toml --format xlsx --out triwulan-4.xlsx
    antrean report skm --period quarter --year 2026 --part 4 --ledger ledger.db \\
        --config hall.toml --out ikm-triwulan-4.pdf"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sqlite3
import sys
from pathlib import Path

from shared.config import ConfigError, SettingsError, load_config

FORMATS = ("csv", "xlsx", "pdf")
GROUPINGS = ("agency", "service", "counter", "officer")


def _month(text: str) -> tuple[int, int]:
    try:
        day = dt.date.fromisoformat(f"{text}-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a month (YYYY-MM): {text!r}") from None
    return day.year, day.month


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    from shared.reports.figures import PRIORITY_FILTERS

    sub = p.add_subparsers(dest="action", required=True)
    monthly = sub.add_parser("monthly", help="the monthly report to the Bupati (per agency: "
                                             "services, visitors, served, wait vs standard)")
    monthly.add_argument("--month", type=_month, required=True, help="the month, YYYY-MM")
    ranged = sub.add_parser("range", help="a report of any period (a day, a week, a quarter)")
    ranged.add_argument("--from", dest="start", type=_day, required=True,
                        help="first service day, YYYY-MM-DD")
    ranged.add_argument("--to", dest="end", type=_day, required=True,
                        help="last service day, YYYY-MM-DD (inclusive)")
    ranged.add_argument("--by", choices=GROUPINGS, default="agency",
                        help="group the figures by agency, service, counter or officer")
    skm = sub.add_parser("skm", help="the SKM's IKM report (PermenPANRB 14/2017) of a month, "
                                     "quarter, semester or year")
    skm.add_argument("--period", choices=("month", "quarter", "semester", "year"),
                     default="month", help="the kind of period (default: month)")
    skm.add_argument("--year", type=int, required=True, help="the year, e.g. 2026")
    skm.add_argument("--part", type=int, default=1,
                     help="which month (1-12), quarter (1-4) or semester (1-2); default 1")
    skm.add_argument("--agency", default=None, help="only this agency (its code)")
    for each in (monthly, ranged, skm):
        if each is not skm:
                each.add_argument("--priority", choices=PRIORITY_FILTERS, default=None,
                              help="only tickets of this priority group ('any': every "
                                   "priority ticket, 'none': regular ones); default: all")
        each.add_argument("--ledger", required=True, help="the ledger file (read only)")
        each.add_argument("--config", required=True, help="the hall config TOML")
        each.add_argument("--format", choices=FORMATS, default=None,
                          help="csv, xlsx or pdf; default: from the --out file's suffix")
        each.add_argument("--out", required=True, help="the file to write")


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    suffix = Path(args.out).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise SettingsError(f"--out {args.out}: say --format csv, xlsx or pdf (the suffix "
                            f"{suffix or '(none)'!r} names none of them)")
    return suffix


def check(args: argparse.Namespace) -> None:
    _format(args)
    if args.action == "range" and args.end < args.start:
        raise SettingsError(f"--to {args.end} is before --from {args.start}")
    folder = Path(args.out).resolve().parent
    if not folder.is_dir():
        raise SettingsError(f"--out {args.out}: the folder {folder} does not exist")


def run(args: argparse.Namespace) -> int:
    from shared.ledger.store import connect
    from shared.reports.export import export
    from shared.reports.figures import Period, ReportError, compute

    fmt = _format(args)
    if args.action == "skm":
        return _run_skm(args, fmt)
    # WeasyPrint and matplotlib narrate every step at INFO; the command says one line itself.
    for noisy in ("weasyprint", "fontTools", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        config = load_config(args.config)
    except ConfigError as e:
        return _fail(str(e))
    ledger = Path(args.ledger)
    if not ledger.is_file():
        return _fail(f"ledger file {args.ledger} does not exist")
    try:
        if args.action == "monthly":
            period, by, name = Period.month(*args.month), "agency", "monthly"
        else:
            period, by, name = Period(args.start, args.end), args.by, "range"
        conn = connect(ledger, readonly=True)
        try:
            tables = {r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")}
            if "events" not in tables:
                return _fail(f"{args.ledger} is not an Antrean ledger (it has no events table)")
            report = compute(conn, config, period, by, args.priority)
        finally:
            conn.close()
    except ReportError as e:
        return _fail(str(e))
    except sqlite3.Error as e:
        return _fail(f"{args.ledger}: cannot read as a ledger: {e}")
    try:
        data = export(report, name, fmt, config)
    except (ImportError, OSError) as e:  # WeasyPrint without Pango, matplotlib missing
        return _fail(f"cannot make the {fmt} file here: {str(e).splitlines()[0]}")
    problem = _write(Path(args.out), data)
    if problem:
        return _fail(problem)
    total = report.total
    print(f"{config.mpp.name}, {period.label()}: {total.issued} tickets, {total.served} served "
          f"-> {args.out} ({fmt}, {len(data):,} bytes)")
    return 0


def _write(out: Path, data: bytes) -> str | None:
    """Write the file all or nothing (a half-written report never stands as the file);
    the problem in words, or None."""
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, out)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        return f"cannot write {out}: {e.strerror or e}"
    return None


def _run_skm(args: argparse.Namespace, fmt: str) -> int:
    """`antrean report skm`: the IKM report as XLSX or PDF (shared/reports/skm.py)."""
    from shared.ledger.store import connect
    from shared.reports import skm
    from shared.reports.figures import ReportError

    if fmt == "csv":
        return _fail("the SKM report is made as xlsx or pdf, not csv")
    for noisy in ("weasyprint", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        config = load_config(args.config)
    except ConfigError as e:
        return _fail(str(e))
    if args.agency is not None and args.agency not in config.agencies:
        return _fail(f"no agency {args.agency!r} in {args.config}")
    if not Path(args.ledger).is_file():
        return _fail(f"ledger file {args.ledger} does not exist")
    try:
        period = skm.skm_period(args.period, args.year, args.part)
        conn = connect(args.ledger, readonly=True)
        try:
            report = skm.compute(conn, config, period, agency=args.agency)
        finally:
            conn.close()
        data = skm.to_xlsx(report) if fmt == "xlsx" else skm.to_pdf(report, config)
    except ReportError as e:
        return _fail(str(e))
    except sqlite3.Error as e:
        return _fail(f"{args.ledger}: cannot read as a ledger: {e}")
    except (ImportError, OSError) as e:
        return _fail(f"cannot make the {fmt} file here: {str(e).splitlines()[0]}")
    problem = _write(Path(args.out), data)
    if problem:
        return _fail(problem)
    ikm = f"IKM {report.ikm.value} ({report.ikm.mutu.grade})" if report.ikm else "no IKM yet"
    print(f"{config.mpp.name}, {report.period_text}: {report.respondents} respondents of "
          f"{report.population} served (sample {report.sample}), {ikm} -> {args.out}")
    return 0


def _fail(message: str) -> int:
    print(f"antrean report: {message}", file=sys.stderr)
    return 2
