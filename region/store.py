"""Writing one hall's events into the region's PostgreSQL: the events (COPY), the head of the
hall's chain and the tickets projection, all in one transaction per batch, so what the region
shows is always exactly what it has exported.

Exactly once, in order: a batch is taken only if it starts right after the head the region
holds (`region.halls.last_seq`, read under `FOR UPDATE`), and (hall, seq) is the events'
primary key. A batch that does not fit (another exporter of the same hall got there first)
is rolled back and the exporter resumes from what PostgreSQL says.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from shared.config import HallConfig
from shared.ledger import model as m
from shared.ledger.chain import GENESIS
from shared.ledger.model import Event


class OutOfStep(Exception):
    """The batch does not follow the head the region holds for its hall."""


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str
    previous: str  # the hash of event seq - 1 (GENESIS for the first)


def hall_id(config: HallConfig) -> str:
    """The hall's id in the region: its MPP name as a slug ("Mal Pelayanan Publik Uji" ->
    "mal-pelayanan-publik-uji")."""
    text = unicodedata.normalize("NFKD", config.mpp.name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if not slug:
        raise ValueError(f"the MPP name {config.mpp.name!r} gives no hall id; use --hall-id")
    return slug


def register(conn: psycopg.Connection, hall: str, config: HallConfig,
             province: str | None) -> Head:
    """Make sure the hall has its row, and return the head of its chain in the region. Call
    it on each new connection before `write`."""
    with conn.transaction():
        conn.execute(
            "INSERT INTO region.halls (hall, name, kabupaten, province, timezone, last_hash) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (hall) DO UPDATE SET "
            "name = EXCLUDED.name, kabupaten = EXCLUDED.kabupaten, "
            "province = coalesce(EXCLUDED.province, region.halls.province), "
            "timezone = EXCLUDED.timezone",
            (hall, config.mpp.name, config.mpp.kabupaten, province, config.mpp.timezone,
             GENESIS))
    conn.execute(_STAGE)  # this connection's staging table for the tickets (see _project)
    return head(conn, hall)


def head(conn: psycopg.Connection, hall: str) -> Head:
    """(The exporter's connections are in autocommit: no read keeps a transaction open while
    it waits on the hub.)"""
    row = conn.execute("SELECT last_seq, last_hash FROM region.halls WHERE hall = %s",
                       (hall,)).fetchone()
    if row is None:
        return Head(0, GENESIS, GENESIS)
    seq, last = int(row[0]), str(row[1])
    previous = GENESIS
    if seq > 1:
        got = conn.execute("SELECT hash FROM region.events WHERE hall = %s AND seq = %s",
                           (hall, seq - 1)).fetchone()
        previous = str(got[0]) if got else GENESIS
    return Head(seq, last, previous)


def write(conn: psycopg.Connection, hall: str, events: Sequence[Event],
          hashes: Sequence[str], previous_hash: str) -> None:
    """Append consecutive events (with their chain hashes) and fold them into the tickets
    projection, in one transaction. Raises OutOfStep when the region's head is not the event
    right before them."""
    if not events:
        return
    with conn.transaction():
        row = conn.execute("SELECT last_seq, last_hash FROM region.halls WHERE hall = %s "
                           "FOR UPDATE", (hall,)).fetchone()
        if row is None or int(row[0]) != events[0].seq - 1 or row[1] != previous_hash:
            raise OutOfStep(f"the region holds {hall} up to seq {row and row[0]}, the batch "
                            f"starts at {events[0].seq}")
        with conn.cursor().copy(
                "COPY region.events (hall, seq, command_id, kind, ticket_id, device, officer, "
                "at_ms, data, hash) FROM STDIN") as copy:
            for e, h in zip(events, hashes, strict=True):
                copy.write_row((hall, e.seq, e.command_id, e.kind, e.ticket_id, e.device,
                                e.officer, e.at_ms, json.dumps(stored_data(e),
                                                               ensure_ascii=False), h))
        _project(conn, hall, events)
        conn.execute("UPDATE region.halls SET last_seq = %s, last_hash = %s, "
                     "exported_at = now() WHERE hall = %s", (events[-1].seq, hashes[-1], hall))


# What the region does not keep of an event's data: the ticket's secret (issue 13), which
# opens the visitor's ticket page; it stays in the hall. The stored hash still covers it, so the
# region proves continuity by (seq, hash) as before; it can no longer recompute the hash of a
# ticket.issued from its own copy alone, which it never needs (it compares the hub's events).
PRIVATE_DATA = ("secret",)


def stored_data(e: Event) -> dict[str, Any]:
    if not any(k in e.data for k in PRIVATE_DATA):
        return e.data
    return {k: v for k, v in e.data.items() if k not in PRIVATE_DATA}


def refuse(conn: psycopg.Connection, hall: str, seq: int | None, reason: str,
           region_hash: str | None, hub_hash: str | None) -> None:
    with conn.transaction():
        conn.execute("INSERT INTO region.refusals (hall, seq, reason, region_hash, hub_hash) "
                     "VALUES (%s, %s, %s, %s, %s)", (hall, seq, reason, region_hash, hub_hash))


# --- the tickets projection ---------------------------------------------------------------------

_COLS = ("service_day", "label", "queue", "agency", "service", "priority", "status", "counter",
         "officer", "issued_at_ms", "called_at_ms", "started_at_ms", "ended_at_ms",
         "call_count", "transfers")
_ALL = ", ".join(("hall", "ticket_id", *_COLS))
# A batch's tickets go by COPY into a temporary table (emptied at each commit), then into
# region.tickets in one statement: one round trip instead of one per ticket.
_STAGE = ("CREATE TEMP TABLE IF NOT EXISTS batch_tickets (LIKE region.tickets) "
          "ON COMMIT DELETE ROWS")
_MERGE = (f"INSERT INTO region.tickets ({_ALL}) SELECT {_ALL} FROM batch_tickets "
          f"ON CONFLICT (hall, ticket_id) DO UPDATE "
          f"SET {', '.join(f'{c} = EXCLUDED.{c}' for c in _COLS)}")


def _project(conn: psycopg.Connection, hall: str, events: Sequence[Event]) -> None:
    """The batch's tickets: read once, folded in Python as shared/ledger/projection.py does
    on the hall, written back by COPY and one upsert."""
    ids = sorted({e.ticket_id for e in events if e.ticket_id})
    if not ids:
        return
    tickets: dict[str, dict[str, Any]] = {}
    cur = conn.execute(f"SELECT ticket_id, {', '.join(_COLS)} FROM region.tickets "
                       "WHERE hall = %s AND ticket_id = ANY(%s)", (hall, ids))
    for row in cur:
        tickets[row[0]] = dict(zip(_COLS, row[1:], strict=True))
    for e in events:
        if e.ticket_id:
            t = tickets.setdefault(e.ticket_id, dict.fromkeys(_COLS) | {
                "call_count": 0, "transfers": 0})
            _fold(t, e)
    with conn.cursor().copy(f"COPY batch_tickets ({_ALL}) FROM STDIN") as copy:
        for tid, t in tickets.items():
            copy.write_row((hall, tid, *(t[c] for c in _COLS)))
    conn.execute(_MERGE)


def _fold(t: dict[str, Any], e: Event) -> None:
    d = e.data
    match e.kind:
        case m.TICKET_ISSUED:
            day = d.get("service_day")
            t.update(service_day=dt.date.fromisoformat(day) if day else None, label=d.get("label"),
                     queue=d.get("queue"), agency=d.get("agency"), service=d.get("service"),
                     priority=d.get("priority"), status=m.WAITING, issued_at_ms=e.at_ms)
        case m.TICKET_CALLED:
            t.update(status=m.CALLED, counter=d.get("counter"), officer=e.officer,
                     call_count=t["call_count"] + 1)
            if t["called_at_ms"] is None:
                t["called_at_ms"] = e.at_ms
        case m.TICKET_RECALLED:
            t["call_count"] += 1
        case m.TICKET_STARTED:
            t.update(status=m.SERVING, started_at_ms=e.at_ms)
        case m.TICKET_FINISHED:
            t.update(status=m.FINISHED, ended_at_ms=e.at_ms)
        case m.TICKET_NO_SHOW:
            t.update(status=m.NO_SHOW, ended_at_ms=e.at_ms)
        case m.TICKET_CANCELLED:
            t.update(status=m.CANCELLED, ended_at_ms=e.at_ms)
        case m.TICKET_EXPIRED:
            t.update(status=m.EXPIRED, ended_at_ms=e.at_ms)
        case m.TICKET_REQUEUED:
            t.update(status=m.WAITING, ended_at_ms=None)
        case m.TICKET_TRANSFERRED:
            t.update(status=m.WAITING, service=d.get("service"), queue=d.get("queue"),
                     agency=d.get("agency"), transfers=t["transfers"] + 1, started_at_ms=None)
