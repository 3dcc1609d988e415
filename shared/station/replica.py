"""A station's full copy of the ledger: the same schema, fed with the hub's events in order.

Applying an event here runs the very projection code the hub runs, so every replica answers
the same queries with the same answers, and any replica can seed a new hub.

A damaged replica is never used: `open_replica` checks it at start (shared.ledger.check) and a
write that finds it damaged raises ReplicaDamaged; either way the file is moved aside, kept as
evidence (`replica-kiosk-1.db.damaged-20261130T020000Z`), and the station fills a new one from
the hub (`start_over`). A replica of *another history* (the hub refused it, 4005) is not
damaged: it is kept in place, untouched."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import sqlite3
from pathlib import Path

from shared.ledger.check import QUICK_TAIL, check_file
from shared.ledger.model import Event
from shared.ledger.projection import ChainBroken, apply_event, hash_at, insert_events, last_seq
from shared.ledger.store import LedgerError, connect, immediate

log = logging.getLogger(__name__)

# The station's enrolled name, from the hub's welcome: `antrean backup run` names a replica's
# copies by it (two kiosks both keep replica-kiosk.db).
STATION_META_KEY = "station"


class ReplicaGap(Exception):
    """Events arrived with a hole before them; the station must ask for the missing ones."""


class ReplicaForked(Exception):
    """Events arrived whose hashes do not continue this replica's chain: the hub holds another
    history. Nothing was applied; the replica stays as it is, as evidence."""


class ReplicaDamaged(LedgerError):
    """The replica file itself is damaged (SQLite reports a malformed file)."""


class Replica:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.conn: sqlite3.Connection = self._open()
            self._last = last_seq(self.conn)
            self._hash = hash_at(self.conn, self._last)
        except sqlite3.DatabaseError as e:
            if not is_damage(e):
                raise
            raise ReplicaDamaged(f"replica {self.path} is damaged: {e}") from None

    def start_over(self, why: str) -> Path:
        """Move this damaged replica aside (kept as evidence) and continue with an empty one
        at the same path, which the station fills from the hub. Returns where it went."""
        with contextlib.suppress(sqlite3.Error):
            self.conn.close()
        aside = move_aside(self.path)
        log.error("replica %s is damaged (%s): kept as %s; rebuilding it from the hub",
                  self.path, why, aside)
        self.conn = self._open()
        self._last, self._hash = 0, hash_at(self.conn, 0)
        return aside

    def _open(self) -> sqlite3.Connection:
        conn = connect(self.path)
        # A copy of what the hub holds durably: after a power cut it may lack its newest
        # transactions (WAL keeps it consistent), which the next hello asks for again. Not
        # waiting for the disk at each commit makes a new replica's catch-up (a commit per
        # frame) that much quicker.
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    @property
    def last_seq(self) -> int:
        return self._last

    @property
    def last_hash(self) -> str | None:
        """The chain's hash at `last_seq`: what the hello tells the hub, so that it can prove
        this replica holds the same history, not merely as many events."""
        return self._hash

    def apply(self, events: list[Event]) -> list[Event]:
        """Apply the events not yet held, in one transaction (a catch-up frame of 2,000 is one
        commit); returns those applied, with their hashes. Each event's hash, when the hub sent
        one, must be the one this replica's chain gives it: ReplicaForked otherwise, and
        nothing is applied."""
        fresh = [e for e in events if e.seq > self._last]
        if not fresh:
            return []
        if fresh[0].seq != self._last + 1:
            raise ReplicaGap(f"replica at seq {self._last} got seq {fresh[0].seq}")
        for expected, e in enumerate(fresh, self._last + 1):
            if e.seq != expected:
                raise ReplicaGap(f"events out of order at seq {e.seq}")
        try:
            with immediate(self.conn):
                # The log in one statement, then the projection event by event: the projection
                # reads only itself and the event, never the log, so the order is the same.
                fresh = insert_events(self.conn, fresh)
                for e in fresh:
                    apply_event(self.conn, e)
        except ChainBroken as e:
            raise ReplicaForked(f"replica {self.path} at seq {self._last}: {e}") from None
        except sqlite3.DatabaseError as e:
            if not is_damage(e):
                # Busy, disk full, or events this projection cannot take: not the file's fault,
                # and a new file would fare no better.
                raise LedgerError(f"replica {self.path}: {e}") from None
            raise ReplicaDamaged(f"replica {self.path} is damaged: {e}") from None
        self._last = fresh[-1].seq
        self._hash = fresh[-1].hash
        return fresh

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with immediate(self.conn):
            self.conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value", (key, value))

    def remember_station(self, name: str | None) -> None:
        """Keep the name the hub welcomed this station as (written only when it changes)."""
        if name and self.get_meta(STATION_META_KEY) != name:
            self.set_meta(STATION_META_KEY, name)

    def close(self) -> None:
        self.conn.close()


# How many of the newest events a station checks at every start (check_file's quick form;
# the whole replica is checked when it seeds a hub).
START_CHECK_TAIL = QUICK_TAIL
_SQLITE_CORRUPT, _SQLITE_NOTADB = 11, 26


def is_damage(e: sqlite3.DatabaseError) -> bool:
    """SQLite says the file itself is damaged ("database disk image is malformed", "file is
    not a database"), not that a statement failed (a constraint, a lock, a full disk)."""
    code = getattr(e, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)
    return type(e) is sqlite3.DatabaseError


def move_aside(path: Path) -> Path:
    """Rename a replica and its -wal/-shm out of the way, together, and return the new name."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        src = Path(f"{path}{suffix}")
        if src.exists():
            os.replace(src, Path(f"{aside}{suffix}"))
    return aside


def open_replica(path: str | Path) -> Replica:
    """A station's replica, checked first: a damaged one is moved aside (one log line, the
    file kept as evidence) and a new one started, which the station fills from the hub."""
    p = Path(path)
    if p.exists():
        report = check_file(p, tail=START_CHECK_TAIL)
        if not report.ok:
            aside = move_aside(p)
            log.error("replica %s is damaged (%s): kept as %s; rebuilding it from the hub",
                      p, report.first(), aside)
    try:
        return Replica(p)
    except ReplicaDamaged as e:
        aside = move_aside(p)
        log.error("%s: kept as %s; rebuilding it from the hub", e, aside)
        return Replica(p)
