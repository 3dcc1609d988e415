"""`antrean ledger ...`: check, repair and read a ledger file from a terminal.

    antrean ledger verify FILE --config CFG    does the projection equal a replay of the events?
    antrean ledger rebuild FILE --config CFG   throw the projection away and replay the events
    antrean ledger hash FILE                   a hash of the whole history, to compare two copies
    antrean ledger figures FILE --config CFG [--day YYYY-MM-DD]   the day's figures per agency
    antrean ledger events FILE [--after N] [--limit N] [--kind KIND] [--ticket ID]
                                               the events themselves, one JSON line each

Exit codes: 0 fine, 1 the projection differs from the events (verify), 2 the command could not
run (missing file, bad config, not a ledger). Errors are one English line on stderr. Every
action but rebuild only reads: it may point at a running hub's ledger or at a replica.

Reading uses sqlite-utils (table names, counts, `rows_where` for the event filter); writing does
not: the ledger's writes are its own `BEGIN IMMEDIATE` transactions (shared.ledger.store).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

import sqlite_utils

from shared.clock import SystemClock
from shared.config import ConfigError, HallConfig, load_config
from shared.ledger.ledger import Ledger
from shared.ledger.lock import hold_for_tool
from shared.ledger.model import EVENT_KINDS
from shared.ledger.projection import ledger_hash
from shared.ledger.queries import Figures, LedgerReader
from shared.ledger.store import PROJECTION_TABLES, LedgerError, connect


class _Failed(Exception):
    """The command cannot run; the message is the one line the user sees."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    verify = sub.add_parser("verify", help="check the projection against a replay of the events")
    rebuild = sub.add_parser("rebuild", help="rebuild the projection from the events")
    digest = sub.add_parser("hash", help="print a hash of the event history")
    figures = sub.add_parser("figures", help="print a day's figures per agency")
    events = sub.add_parser("events", help="print events, one JSON line each, oldest first")
    for action in (verify, rebuild, digest, figures, events):
        action.add_argument("file", help="ledger file (SQLite)")
    for action in (verify, rebuild, figures):
        action.add_argument("--config", required=True, help="the hall config (TOML)")
    figures.add_argument("--day", type=_day, help="service day, YYYY-MM-DD (default: today)")
    events.add_argument("--after", type=_whole, default=0, metavar="N",
                        help="only events after sequence number N (default: 0, from the start)")
    events.add_argument("--limit", type=_whole, default=None, metavar="N",
                        help="at most N events (default: all)")
    events.add_argument("--kind", choices=EVENT_KINDS, metavar="KIND",
                        help="only events of this kind, e.g. ticket.called")
    events.add_argument("--ticket", metavar="ID",
                        help="only events of this ticket, e.g. 20261130-KTP-001")


def run(args: argparse.Namespace) -> int:
    try:
        return int(_ACTIONS[args.action](args))
    except _Failed as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def _whole(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"not a whole number >= 0: {text!r}")
    return n


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _existing(file: str) -> Path:
    """The path of an existing ledger file. Checked read-only first, so that pointing a command
    at some other SQLite file never adds the ledger's tables to it."""
    path = Path(file)
    if not path.is_file():
        raise _Failed(f"ledger file {file} does not exist")
    try:
        conn = connect(path, readonly=True)
        try:
            has_events = "events" in sqlite_utils.Database(conn).table_names()
        finally:
            conn.close()
    except sqlite3.Error as e:
        raise _Failed(f"{file}: cannot read as a ledger: {e}") from None
    if not has_events:
        raise _Failed(f"{file} is not an Antrean ledger (it has no events table)")
    return path


def _config(file: str) -> HallConfig:
    try:
        return load_config(file)
    except ConfigError as e:
        raise _Failed(str(e)) from None


def _open(file: str, config_file: str) -> Ledger:
    path = _existing(file)
    config = _config(config_file)
    try:
        return Ledger(path, config)
    except (LedgerError, sqlite3.Error) as e:
        raise _Failed(f"{file}: cannot open as a ledger: {e}") from None


def _counts(led: Ledger) -> str:
    db = sqlite_utils.Database(led.conn)
    rows = {t: db.table(t).count for t in PROJECTION_TABLES}
    return f"{rows['tickets']} tickets, {rows['counters']} counters"


def _verify(args: argparse.Namespace) -> int:
    led = _open(args.file, args.config)
    try:
        same = led.verify()
        print(f"{args.file}: {led.reader.last_seq()} events, {_counts(led)}")
        if same:
            print("projection equals the replay of the events: OK")
            return 0
        print(f"projection DIFFERS from the replay of the events; "
              f"run 'antrean ledger rebuild {args.file} --config {args.config}'")
        return 1
    except (LedgerError, sqlite3.Error) as e:
        raise _Failed(f"{args.file}: {e}") from None
    finally:
        led.close()


def _rebuild(args: argparse.Namespace) -> int:
    # Rewriting the projection under a running hub would race its writer: refuse instead.
    try:
        held = hold_for_tool(_existing(args.file), "antrean ledger rebuild")
    except LedgerError as e:
        raise _Failed(str(e)) from None
    with held:
        return _rebuild_held(args)


def _rebuild_held(args: argparse.Namespace) -> int:
    led = _open(args.file, args.config)
    try:
        n = led.rebuild()
        print(f"{args.file}: rebuilt the projection from {n} events: {_counts(led)}")
        return 0 if led.verify() else 1
    except (LedgerError, sqlite3.Error) as e:
        raise _Failed(f"{args.file}: {e}") from None
    finally:
        led.close()


def _hash(args: argparse.Namespace) -> int:
    path = _existing(args.file)
    try:
        conn = connect(path, readonly=True)
        try:
            print(f"{ledger_hash(conn)}  {args.file}")
        finally:
            conn.close()
    except (LedgerError, sqlite3.Error) as e:
        raise _Failed(f"{args.file}: cannot read as a ledger: {e}") from None
    return 0


def _figures(args: argparse.Namespace) -> int:
    path = _existing(args.file)
    config = _config(args.config)
    day = args.day or config.service_day(SystemClock().now())
    try:
        conn = connect(path, readonly=True)
        try:
            rows = LedgerReader(conn, config).figures(day)
        finally:
            conn.close()
    except (LedgerError, sqlite3.Error) as e:
        raise _Failed(f"{args.file}: cannot read as a ledger: {e}") from None
    print(f"{config.mpp.name} — {day.isoformat()}")
    if not rows:
        print("no tickets on this day")
        return 0
    print(format_figures(rows, config))
    return 0


_COLUMNS = ("agency", "issued", "served", "no-show", "cancelled", "waiting", "expired",
            "avg wait", "p90 wait", "avg service", "standard", "priority ok/no/all")


def _priority(confirmed: int, rejected: int, claimed: int) -> str:
    """Priority claims checked by officers: confirmed / rejected / all claimed."""
    return f"{confirmed}/{rejected}/{claimed}" if claimed else "-"


def format_figures(rows: list[Figures], config: HallConfig) -> str:
    """A plain-text table, minutes with one decimal, '-' where there is no data yet."""
    def minutes(x: float | None) -> str:
        return "-" if x is None else f"{x:.1f}"

    body = [
        (config.agencies[f.key].short_name if f.key in config.agencies else f.key,
         str(f.issued), str(f.served), str(f.no_show), str(f.cancelled), str(f.waiting),
         str(f.expired), minutes(f.avg_wait_min), minutes(f.p90_wait_min),
         minutes(f.avg_service_min), minutes(f.standard_min),
         _priority(f.priority_confirmed, f.priority_rejected, f.priority))
        for f in rows
    ]
    total = ("total", *(str(sum(getattr(f, k) for f in rows))
                        for k in ("issued", "served", "no_show", "cancelled", "waiting",
                                  "expired")),
             "", "", "", "",
             _priority(*(sum(getattr(f, k) for f in rows)
                         for k in ("priority_confirmed", "priority_rejected", "priority"))))
    table = [_COLUMNS, *body, total]
    widths = [max(len(r[i]) for r in table) for i in range(len(_COLUMNS))]
    lines = []
    for n, r in enumerate(table):
        cells = [r[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(r[1:], widths[1:],
                                                                     strict=True))]
        lines.append("  ".join(cells).rstrip())
        if n == 0 or n == len(table) - 2:
            lines.append("  ".join("-" * w for w in widths))
    lines.append("(times in minutes; wait = issued to first call)")
    return "\n".join(lines)


def _events(args: argparse.Namespace) -> int:
    path = _existing(args.file)
    where, params = ["seq > ?"], [args.after]
    if args.kind:
        where.append("kind = ?")
        params.append(args.kind)
    if args.ticket:
        where.append("ticket_id = ?")
        params.append(args.ticket)
    try:
        conn = connect(path, readonly=True)
        try:
            rows = sqlite_utils.Database(conn).table("events").rows_where(
                " AND ".join(where), params, order_by="seq", limit=args.limit)
            for row in rows:
                print(json.dumps(_event_line(row), ensure_ascii=False, separators=(",", ":")))
        finally:
            conn.close()
    except (LedgerError, sqlite3.Error) as e:
        raise _Failed(f"{args.file}: cannot read as a ledger: {e}") from None
    return 0


def _event_line(row: dict[str, Any]) -> dict[str, Any]:
    """An event as the hub sends it (docs/protocol.md section 6.2)."""
    return {**row, "data": json.loads(row["data"])}


_ACTIONS = {"verify": _verify, "rebuild": _rebuild, "hash": _hash, "figures": _figures,
            "events": _events}
