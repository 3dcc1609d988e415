"""`antrean region`: the region's PostgreSQL — reports across halls (region/reports.py), the
schema's migrations, and what has been exported."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from antrean.cli_export import add_dsn_argument, check_dsn
from shared.config import SettingsError


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    report = sub.add_parser("report", help="a report over every exported hall")
    kinds = report.add_subparsers(dest="report", required=True, metavar="REPORT")
    halls = kinds.add_parser("halls", help="compare the halls over some days")
    _days(halls)
    agency = kinds.add_parser("agency", help="one agency across the halls")
    agency.add_argument("agency", help="the agency's code, e.g. DUKCAPIL")
    _days(agency)
    month = kinds.add_parser("month", help="a province's month, hall by hall and agency")
    month.add_argument("--province", required=True, help="as given to 'antrean export'")
    month.add_argument("--month", required=True, help="YYYY-MM")
    kinds.add_parser("status", help="each hall's exported seq, when, and its refusals")
    for each in (halls, agency, month, kinds.choices["status"]):
        add_dsn_argument(each)
        each.add_argument("--csv", action="store_true", help="CSV instead of a table")
    migrate = sub.add_parser("migrate", help="bring the region's schema up to date")
    add_dsn_argument(migrate)


def _days(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from", dest="from_day", type=dt.date.fromisoformat, required=True,
                   metavar="YYYY-MM-DD", help="first service day")
    p.add_argument("--to", dest="to_day", type=dt.date.fromisoformat, default=None,
                   metavar="YYYY-MM-DD", help="last service day (default: the first)")


def check(args: argparse.Namespace) -> None:
    check_dsn(args.dsn)
    if args.action == "report":
        from region import reports

        try:
            reports.parameters(reports.REPORTS[args.report], _given(args))
        except ValueError as e:
            raise SettingsError(str(e)) from None


def _given(args: argparse.Namespace) -> dict[str, object]:
    return {"from": getattr(args, "from_day", None), "to": getattr(args, "to_day", None),
            "agency": getattr(args, "agency", None), "province": getattr(args, "province", None),
            "month": getattr(args, "month", None)}


def run(args: argparse.Namespace) -> int:
    import psycopg

    from region import reports, schema

    try:
        with psycopg.connect(args.dsn, autocommit=True, connect_timeout=10) as conn:
            if args.action == "migrate":
                applied = schema.migrate(conn)
                print(f"region schema at version {schema.version(conn)}"
                      + (f" (applied {', '.join(map(str, applied))})" if applied else ""))
                return 0
            if schema.version(conn) == 0:
                print("antrean region: this database holds no region yet (run 'antrean "
                      "export postgres' or 'antrean region migrate')", file=sys.stderr)
                return 2
            report = reports.REPORTS[args.report]
            params = reports.parameters(report, _given(args))
            rows = reports.run(conn, report, params)
    except psycopg.OperationalError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        print(f"antrean region: cannot reach PostgreSQL: {first}", file=sys.stderr)
        return 1
    if args.csv:
        sys.stdout.write(reports.to_csv(report, rows))
    else:
        print(reports.title(report, params))
        print()
        print(reports.table(report, rows))
    return 0
