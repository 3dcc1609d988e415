"""`antrean export postgres`: follow a hall's hub into the region's PostgreSQL (region/)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import urllib.parse

from antrean.cli_config import hub_arguments
from shared.config import SettingsError
from shared.hub import tls

REFUSED_EXIT = 3


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="target", required=True, metavar="TARGET")
    pg = sub.add_parser("postgres", help="stream every event of the hall into PostgreSQL",
                        description="Follow the hub's event stream into PostgreSQL: every "
                                    "event exactly once, in order, checked against the hash "
                                    "chain; resumes where PostgreSQL left off.")
    add_dsn_argument(pg)
    hub_arguments(pg, role="export")
    pg.add_argument("--hall-id", default=None,
                    help="the hall's id in the region (default: the config's MPP name as a "
                         "slug, e.g. mpp-kota-contoh)")
    pg.add_argument("--province", default=os.environ.get("ANTREAN_PROVINCE") or None,
                    help="the hall's province, for the region's reports (e.g. 'Jawa Tengah'; "
                         "default: $ANTREAN_PROVINCE)")


def add_dsn_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dsn", default=os.environ.get("ANTREAN_REGION_DSN"),
                   help="the region's PostgreSQL, e.g. 'postgresql://antrean@region-db/region' "
                        "(default: $ANTREAN_REGION_DSN)")


def check_dsn(dsn: str | None) -> None:
    import psycopg

    if not dsn:
        raise SettingsError("give the region's PostgreSQL with --dsn (or ANTREAN_REGION_DSN)")
    try:
        psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else "unreadable"
        raise SettingsError(f"--dsn is not a PostgreSQL connection string: {first}") from None


def check(args: argparse.Namespace) -> None:
    check_dsn(args.dsn)
    if not args.hub:
        raise SettingsError("give the hall's hub with --hub (or ANTREAN_HUB)")
    parts = urllib.parse.urlsplit(args.hub.strip())
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise SettingsError(f"--hub {args.hub!r} is not a hub address such as "
                            f"wss://192.168.10.2:8470")
    if not args.token:
        raise SettingsError("give this station's token with --token (or ANTREAN_TOKEN), "
                            "enrolled with 'antrean hub ... enroll --role export'")
    try:
        tls.station_pin(args.hub, args.hub_fingerprint)
    except tls.TlsError as e:
        raise SettingsError(str(e)) from None


def run(args: argparse.Namespace) -> int:
    from region.exporter import ChainDisagrees, Exporter, Refused, Settings, record_refusal

    exporter = Exporter(Settings(dsn=args.dsn, hub=args.hub.strip(), token=args.token,
                                 fingerprint=args.hub_fingerprint, hall_id=args.hall_id,
                                 province=args.province))

    async def main() -> None:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        await exporter.run()

    try:
        asyncio.run(main())
    except Refused as e:
        hall = exporter.hall or args.hub
        if isinstance(e, ChainDisagrees):
            record_refusal(args.dsn, hall, str(e), exporter.refusal)
        print(f"antrean export: refused {hall}: {e}", file=sys.stderr)
        return REFUSED_EXIT
    except asyncio.CancelledError:
        pass
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    return 0
