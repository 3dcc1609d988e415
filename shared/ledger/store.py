"""Opening a ledger file: pragmas for durability, the schema and its migrations.

The same schema serves the hub's authoritative ledger and every station's replica, so the
queries the apps run work on either.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlite_utils

from shared.ledger.files import create_private

WAL_AUTOCHECKPOINT_PAGES = 4000  # ~16.5 MB of WAL with 4 KB pages
WAL_LIMIT_BYTES = 20 * 1024 * 1024


class LedgerError(Exception):
    """The environment failed the ledger (disk full, I/O error, file locked too long): not a bug
    in the caller, and not a refusal of the command."""


def connect(path: str | Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open a ledger file. Writers get WAL with synchronous=FULL so that a commit that returned
    survives a power cut; autocommit mode so that we issue BEGIN IMMEDIATE ourselves."""
    p = Path(path)
    if readonly:
        # as_uri() percent-encodes '#', '?' and '%': pasted into "file:..." raw, they would cut
        # the path short and open (even create) some other file, without mode=ro.
        conn = sqlite3.connect(
            f"{p.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None,
            check_same_thread=False, timeout=10.0,
        )
    else:
        # 0600 from the first byte, whatever the umask: SQLite gives -wal and -shm the same.
        create_private(p)
        conn = sqlite3.connect(p, isolation_level=None, check_same_thread=False, timeout=10.0)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        # Checkpoint every ~16 MB of WAL rather than SQLite's 4 MB: a checkpoint copies pages
        # and fsyncs once more, so it lands on whichever command triggers it; four times rarer
        # moves that stall out of the p99 of call_next (measured by benchmarks/bench_ledger.py).
        conn.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        # A ticket writes ~42 KB of WAL (whole 4 KB pages: the event, the ticket, the counts
        # and their indexes). The checkpoint above bounds the WAL at ~16 MB as long as each one
        # completes; while a reader holds an old snapshot (a backup being copied, a long
        # catch-up) it cannot restart the WAL, which grows past that, and SQLite keeps the
        # file at its largest for good. This limit cuts it back at the next restart, so the
        # WAL stays under WAL_LIMIT_BYTES. Above the checkpoint's size, it never truncates in
        # steady state (a truncated WAL must regrow, each step one more metadata write).
        conn.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
    conn.execute("PRAGMA busy_timeout=10000")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.row_factory = sqlite3.Row
    if not readonly:
        migrate(conn)
    return conn


@contextlib.contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction that takes the write lock up front (BEGIN IMMEDIATE), so two writers
    never both read state and then fail to upgrade with 'database is locked'. (Why not
    sqlite-utils' `db.atomic()`: it opens a plain, deferred BEGIN, which is exactly that race.
    Inside this transaction sqlite-utils' own writes nest as savepoints, so it may still build
    SQL here, as the first migration does.)"""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as e:
        raise LedgerError(f"cannot start a write transaction: {e}") from e
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        try:
            conn.execute("COMMIT")
        except sqlite3.OperationalError as e:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise LedgerError(f"cannot commit: {e}") from e


# --- migrations ----------------------------------------------------------------------------

PROJECTION_TABLES = ("tickets", "counters", "day_counts")


def _m001_initial(conn: sqlite3.Connection) -> None:
    # sqlite-utils writes the table definitions; executing its SQL ourselves keeps the DDL
    # exactly what this migration says, inside our BEGIN IMMEDIATE.
    db = sqlite_utils.Database(conn)

    def table(name: str, columns: dict[str, type], pk: str | tuple[str, ...],
              not_null: set[str] | None = None) -> None:
        conn.execute(db.create_table_sql(name, columns, pk=pk, not_null=not_null))

    table(
        "events",
        {
            "seq": int, "command_id": str, "kind": str, "ticket_id": str, "device": str,
            "officer": str, "at_ms": int, "data": str,
        },
        pk="seq",
        not_null={"command_id", "kind", "device", "at_ms", "data"},
    )
    table(
        "tickets",
        {
            "ticket_id": str, "service_day": str, "queue": str, "number": int, "label": str,
            "service": str, "agency": str, "priority": str, "is_priority": int, "status": str,
            "rank": int, "issued_at": int, "called_at": int, "last_called_at": int,
            "call_count": int, "counter": int, "officer": str, "started_at": int,
            "ended_at": int, "transfers": int, "origin_service": str, "issued_by": str,
        },
        pk="ticket_id",
        not_null={"service_day", "queue", "number", "label", "service", "agency", "status"},
    )
    table(
        "counters",
        {
            "counter": int, "status": str, "officer": str, "ticket_id": str,
            "regular_streak": int, "since": int,
        },
        pk="counter",
    )
    table("day_counts", {"service_day": str, "key": str, "n": int}, pk=("service_day", "key"))
    table("meta", {"key": str, "value": str}, pk="key")
    # One statement at a time: executescript() would COMMIT our transaction first.
    statements = [
        "CREATE INDEX events_command ON events(command_id)",
        "CREATE INDEX events_kind ON events(kind, seq)",
        "CREATE INDEX events_ticket ON events(ticket_id)",
        "CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events BEGIN "
        "SELECT RAISE(ABORT, 'the ledger is append-only: events cannot be changed'); END",
        "CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events BEGIN "
        "SELECT RAISE(ABORT, 'the ledger is append-only: events cannot be deleted'); END",
        "CREATE INDEX tickets_waiting ON tickets(service_day, queue, is_priority, rank) "
        "WHERE status = 'waiting'",
        "CREATE INDEX tickets_day_status ON tickets(service_day, status)",
        "CREATE INDEX tickets_day_service ON tickets(service_day, service)",
    ]
    for sql in statements:
        conn.execute(sql)


def _m002_priority_check(conn: sqlite3.Connection) -> None:
    # NULL: not checked (or no priority claimed); 1: the officer confirmed it; 0: rejected.
    conn.execute("ALTER TABLE tickets ADD COLUMN priority_ok INTEGER")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_m001_initial, _m002_priority_check]


def migrate(conn: sqlite3.Connection) -> None:
    # The version is read inside the write transaction: two processes opening a new file at
    # once must not both run the same step.
    while True:
        with immediate(conn):
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise LedgerError(
                    f"ledger schema version {version} is newer than this program knows "
                    f"({len(MIGRATIONS)}); upgrade Antrean"
                )
            if version == len(MIGRATIONS):
                return
            MIGRATIONS[version](conn)
            conn.execute(f"PRAGMA user_version={version + 1}")
