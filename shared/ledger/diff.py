"""`antrean ledger diff A B`: what one ledger or replica holds that the other does not, as
tickets.

Both histories are read in full and their hash chains computed (shared.ledger.chain): the two
agree up to the last seq where their hashes agree, and part after it. What follows on each
side is listed as tickets, with what each file's projection says of them now: the tickets
issued only on one side (a hub restored from a stale copy forgot them, and may have given
their numbers to other visitors), and the tickets of the common part that one side moved on
(called, served) after the fork.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from shared.clock import from_ms
from shared.ledger import model as m
from shared.ledger.chain import GENESIS, event_hash


class DiffError(Exception):
    """A file cannot be compared; the message is one English line."""


@dataclass(frozen=True)
class TicketLine:
    ticket_id: str
    label: str
    service: str
    status: str
    issued_at_ms: int
    command_id: str  # the command that issued it: the same id on both sides is one visitor


@dataclass
class Side:
    name: str
    events: list[m.Event]
    hashes: list[str]
    tickets: dict[str, TicketLine]  # ticket id -> as its projection says now


@dataclass
class Diff:
    a: Side
    b: Side
    agree: int  # the last seq both hold with the same hash (0: none)
    only_a: list[TicketLine]
    only_b: list[TicketLine]
    moved: list[tuple[TicketLine, TicketLine]]  # issued before the fork, status now differs

    @property
    def same(self) -> bool:
        return self.agree == len(self.a.events) == len(self.b.events)


def read_side(path: str | Path) -> Side:
    p = Path(path)
    if not p.is_file():
        raise DiffError(f"{p} does not exist")
    with open(p, "rb") as f:
        magic = f.read(16)
    if magic != b"SQLite format 3\x00":
        raise DiffError(f"{p} is not a ledger or replica file "
                        f"({'empty' if not magic else 'not SQLite'})")
    try:
        conn = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True, timeout=10.0)
    except sqlite3.Error as e:
        raise DiffError(f"{p} cannot be opened: {e}") from None
    try:
        conn.execute("BEGIN")  # one snapshot of a file a hub or station may be writing
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"events", "tickets"} <= tables:
            raise DiffError(f"{p} is not an Antrean ledger or replica (no events table)")
        events: list[m.Event] = []
        for row in conn.execute("SELECT seq, command_id, kind, ticket_id, device, officer, "
                                "at_ms, data FROM events ORDER BY seq"):
            if row[0] != len(events) + 1:
                raise DiffError(f"{p}: the event log jumps from seq {len(events)} to {row[0]}")
            try:
                data = json.loads(row[7])
            except ValueError:
                raise DiffError(f"{p}: event {row[0]} is unreadable") from None
            events.append(m.Event(row[0], row[1], row[2], row[3], row[4], row[5], row[6],
                                  data))
        tickets = {}
        for r in conn.execute("SELECT ticket_id, label, service, status, issued_at FROM tickets"):
            tickets[r[0]] = TicketLine(r[0], r[1], r[2], r[3], r[4] or 0, "")
    except sqlite3.DatabaseError as err:
        raise DiffError(f"{p} is damaged: {err}") from None
    finally:
        conn.close()
    hashes: list[str] = []
    previous = GENESIS
    for event in events:
        previous = event_hash(previous, event)
        hashes.append(previous)
    return Side(str(p), events, hashes, tickets)


def _issued_after(side: Side, agree: int) -> dict[tuple[str, str], TicketLine]:
    out = {}
    for e in side.events[agree:]:
        if e.kind == m.TICKET_ISSUED and e.ticket_id:
            now = side.tickets.get(e.ticket_id)
            d = e.data
            line = TicketLine(e.ticket_id, str(d.get("label", "?")),
                              now.service if now else str(d.get("service", "?")),
                              now.status if now else "?", e.at_ms, e.command_id)
            out[(e.ticket_id, e.command_id)] = line
    return out


def diff(a: Side, b: Side) -> Diff:
    agree = 0
    for ha, hb in zip(a.hashes, b.hashes, strict=False):
        if ha != hb:
            break
        agree += 1
    in_a, in_b = _issued_after(a, agree), _issued_after(b, agree)
    only_a = [t for k, t in in_a.items() if k not in in_b]
    only_b = [t for k, t in in_b.items() if k not in in_a]
    common = {e.ticket_id for e in a.events[:agree] if e.kind == m.TICKET_ISSUED and e.ticket_id}
    moved = []
    for ticket_id in sorted(common):
        ta, tb = a.tickets.get(ticket_id), b.tickets.get(ticket_id)
        if ta is not None and tb is not None and ta.status != tb.status:
            moved.append((ta, tb))
    return Diff(a, b, agree, only_a, only_b, moved)


def format_diff(d: Diff, tz: dt.tzinfo) -> list[str]:
    a, b = d.a, d.b
    lines = [f"A {a.name}: {len(a.events)} events", f"B {b.name}: {len(b.events)} events"]
    if d.same:
        lines.append(f"A and B hold the same history ({d.agree} events): nothing to recover")
        return lines
    if d.agree == 0:
        lines.append("A and B share no history: they part at seq 1 (another hall, or a "
                     "hall started anew)")
    elif d.agree in (len(a.events), len(b.events)):
        behind = "A" if d.agree == len(a.events) else "B"
        lines.append(f"{behind} is a shorter copy of the same history: both agree up to seq "
                     f"{d.agree}, where {behind} ends")
    else:
        lines.append(f"A and B agree up to seq {d.agree} and part after it: from seq "
                     f"{d.agree + 1}, A has {len(a.events) - d.agree} events and B "
                     f"{len(b.events) - d.agree} that the other has not")
    for label, side, only, other in (("A", a, d.only_a, b), ("B", b, d.only_b, a)):
        lines.append(f"tickets only in {label} ({side.name}): {len(only)}")
        for t in only:
            again = "  (number given again on the other side)" if (
                t.ticket_id in other.tickets) else ""
            lines.append(f"  {_ticket(t, tz)}{again}")
    if d.moved:
        lines.append(f"tickets of the common history whose status differs after seq "
                     f"{d.agree}: {len(d.moved)}")
        for ta, tb in d.moved:
            lines.append(f"  {_ticket(ta, tz, status=False)}  A: {ta.status}  B: {tb.status}")
    return lines


def _ticket(t: TicketLine, tz: dt.tzinfo, status: bool = True) -> str:
    issued = from_ms(t.issued_at_ms).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %Z")
    cols = [t.ticket_id.ljust(20), t.label.ljust(9), t.service.ljust(14)]
    if status:
        cols.append(t.status.ljust(10))
    cols.append(f"issued {issued}")
    return "  ".join(cols)
