"""`antrean backup`: copy the hub's ledger to a second disk (once or in a loop), list and check
the copies, and restore one.

    antrean backup run --ledger /var/lib/antrean/ledger.db --to /srv/antrean-backup --every 300
    antrean backup list --to /srv/antrean-backup
    antrean backup restore /srv/antrean-backup/ledger-...db --ledger /var/lib/antrean/ledger.db
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
from pathlib import Path

from antrean.backup import (
    BackupError,
    backup_database,
    backup_ledger,
    backup_logos,
    list_backups,
    restore_ledger,
    run_backups,
    verify_backup,
)
from shared.config import SettingsError

DEFAULT_LEDGER = "/var/lib/antrean/ledger.db"

log = logging.getLogger(__name__)


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True)
    run_p = sub.add_parser("run", help="back up the ledger now, or every N seconds")
    run_p.add_argument("--ledger", default=DEFAULT_LEDGER, help="the hub's ledger file")
    run_p.add_argument("--to", required=True, dest="dest", metavar="DIR",
                       help="backup folder, on a second disk")
    run_p.add_argument("--keep", type=int, default=48, help="copies to keep (default 48)")
    run_p.add_argument("--also", action="append", default=[], metavar="FILE",
                       help="another SQLite file to copy alongside, e.g. the hub's hub-auth.db "
                            "(station tokens and officers); may be repeated")
    run_p.add_argument("--every", type=float, default=None, metavar="SECONDS",
                       help="keep running and back up this often (skips when nothing changed)")

    list_p = sub.add_parser("list", help="list the copies in a backup folder and check each")
    list_p.add_argument("--to", required=True, dest="dest", metavar="DIR",
                        help="the backup folder")

    restore_p = sub.add_parser("restore", help="put a backup or a replica in place as the ledger")
    restore_p.add_argument("backup", help="a backup file, or a station's replica")
    restore_p.add_argument("--ledger", default=DEFAULT_LEDGER, help="where the ledger goes")
    restore_p.add_argument("--force", action="store_true",
                           help="replace an existing ledger (it is kept beside, renamed)")


def run(args: argparse.Namespace) -> int:
    try:
        if args.action == "run":
            return _run(args)
        if args.action == "list":
            return _list(Path(args.dest))
        target = restore_ledger(args.backup, args.ledger, force=args.force)
        print(f"restored {args.backup} to {target}; start the hub now")
        return 0
    except BackupError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


def check(args: argparse.Namespace) -> None:
    if args.action != "run":
        return
    if args.keep < 1:
        raise SettingsError("--keep must be at least 1")
    if args.every is not None and args.every <= 0:
        raise SettingsError("--every must be more than 0 seconds")


def _run(args: argparse.Namespace) -> int:
    try:
        check(args)
    except SettingsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.every is None:
        print(backup_ledger(args.ledger, args.dest, args.keep))
        for logo in backup_logos(args.ledger, args.dest):
            print(logo)
        for other in args.also:
            print(backup_database(other, args.dest, args.keep))
        return 0
    stop = threading.Event()
    # systemd stops the service with SIGTERM: finish the copy in hand, then leave.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    log.info("backing up %s to %s every %g s, keeping %d", args.ledger, args.dest, args.every,
             args.keep)
    with contextlib.suppress(KeyboardInterrupt):
        run_backups(args.ledger, args.dest, args.keep, args.every, stop, tuple(args.also))
    return 0


def _list(folder: Path) -> int:
    backups = list_backups(folder)
    if not backups:
        print(f"no backups in {folder}")
        return 1
    bad = 0
    for p in backups:
        if "-seq" not in p.name:
            print(f"      {p.name}  (not a ledger: copy it back by hand, see docs/install-id.md)")
            continue
        try:
            info = verify_backup(p)
            print(f"OK    {p.name}  {info.events} events")
        except BackupError as e:
            bad += 1
            print(f"BAD   {p.name}  {e}")
    return 1 if bad else 0
