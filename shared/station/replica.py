"""A station's full copy of the ledger: the same schema, fed with the hub's events in order.

Applying an event here runs the very projection code the hub runs, so every replica answers
the same queries with the same answers, and any replica can seed a new hub."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from shared.ledger.model import Event
from shared.ledger.projection import apply_event, insert_events, last_seq
from shared.ledger.store import connect, immediate

# The station's enrolled name, from the hub's welcome: `antrean backup run` names a replica's
# copies by it (two kiosks both keep replica-kiosk.db).
STATION_META_KEY = "station"


class ReplicaGap(Exception):
    """Events arrived with a hole before them; the station must ask for the missing ones."""


class Replica:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.conn: sqlite3.Connection = connect(self.path)
        # A copy of what the hub holds durably: after a power cut it may lack its newest
        # transactions (WAL keeps it consistent), which the next hello asks for again. Not
        # waiting for the disk at each commit makes a new replica's catch-up (a commit per
        # frame) that much quicker.
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self._last = last_seq(self.conn)

    @property
    def last_seq(self) -> int:
        return self._last

    def apply(self, events: list[Event]) -> list[Event]:
        """Apply the events not yet held, in one transaction (a catch-up frame of 2,000 is one
        commit); returns those applied."""
        fresh = [e for e in events if e.seq > self._last]
        if not fresh:
            return []
        if fresh[0].seq != self._last + 1:
            raise ReplicaGap(f"replica at seq {self._last} got seq {fresh[0].seq}")
        for expected, e in enumerate(fresh, self._last + 1):
            if e.seq != expected:
                raise ReplicaGap(f"events out of order at seq {e.seq}")
        with immediate(self.conn):
            # The log in one statement, then the projection event by event: the projection
            # reads only itself and the event, never the log, so the order is the same.
            insert_events(self.conn, fresh)
            for e in fresh:
                apply_event(self.conn, e)
        self._last = fresh[-1].seq
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
