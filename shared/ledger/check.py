"""One check of a ledger or replica file, for every tool that trusts one: `antrean ledger
verify`, `ledger rebuild` (which refuses to lock damage in), `hub --restore-from`, `antrean
backup` (making and restoring a copy) and the hub's start-up.

In order, each step only when the ones before it passed:

1. the file: SQLite's `PRAGMA integrity_check`;
2. the schema: an Antrean ledger of a version this program knows;
3. the log: sequence numbers 1..N without a gap, every event readable, every stored hash the
   one the chain gives (shared.ledger.chain), so a flipped byte inside an event is found;
4. the promises the log keeps: one ticket per id, numbers per queue and service day unique and
   contiguous from 1 with labels to match, every event about a ticket that was issued and in a
   state that allows it, at most one active ticket per counter;
5. the projection: equal to a fresh replay of the log.

Problems of steps 1-4 are damage to the history itself: rebuilding the projection would hide
them. A problem of step 5 alone is what `ledger rebuild` repairs. Each problem is one line.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.ledger import model as m
from shared.ledger.chain import GENESIS, event_hash
from shared.ledger.projection import apply_event, projection_dump
from shared.ledger.store import MIGRATIONS, PROJECTION_TABLES, immediate

MAX_PROBLEMS = 20  # enough to see the pattern; a wrecked file would print thousands
SQLITE_MAGIC = b"SQLite format 3\x00"

# Where a problem lies: damage to the file or the history, or only the projection.
DAMAGE = "damage"
PROJECTION = "projection"


@dataclass
class CheckReport:
    name: str
    schema: int = 0
    events: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS
    hashes_stored: bool = False
    quick: bool = False  # the quick form: the newest events' chain only, no promises or replay
    problems: list[tuple[str, str]] = field(default_factory=list)  # (DAMAGE|PROJECTION, line)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def damaged(self) -> bool:
        """The file or its history is damaged (not only the projection)."""
        return any(kind == DAMAGE for kind, _ in self.problems)

    @property
    def lines(self) -> list[str]:
        return [line for _, line in self.problems]

    def first(self) -> str:
        """The first problem, for a one-line refusal."""
        if not self.problems:
            return "OK"
        more = len(self.problems) - 1
        return self.problems[0][1] + (f" (and {more} more problem{'s' * (more > 1)})"
                                      if more else "")

    def summary(self) -> str:
        chain = (f"chain to seq {self.last_seq} {self.last_hash[:16]}"
                 if self.events else "no events yet")
        return f"{self.name}: {self.events} events, schema {self.schema}, {chain}"

    def _add(self, kind: str, line: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append((kind, line))


# How many of the newest events the quick form checks (a station's start, the hub's start
# with a head record): the busiest hours of a day, in about 0.2-0.5 s (15,000 events took
# 1.3 s on a loaded 2-core PC, ~90 µs each to parse and hash).
QUICK_TAIL = 5_000


def check_file(path: str | Path, tail: int | None = None, *, integrity: bool = False
               ) -> CheckReport:
    """Check the ledger or replica at `path`, reading only (a running hub's file too).

    With `tail`, the quick form a station runs at every start (a replica holds the hall's
    whole history, a full check of a year would take minutes): SQLite's quick_check, the
    schema, and the chain of the last `tail` events only, from the stored hash before them;
    no promises, no replay. Restores and backups run the full check. `integrity` runs
    SQLite's full integrity_check in the quick form too (the hub's start-up: it reads every
    page and index at C speed; the chain, promises and replay of a year's events are what
    would take minutes)."""
    p = Path(path)
    report = CheckReport(str(p))
    if not p.is_file():
        report._add(DAMAGE, f"{p} does not exist")
        return report
    try:
        with open(p, "rb") as f:
            magic = f.read(len(SQLITE_MAGIC))
    except OSError as e:
        report._add(DAMAGE, f"{p} cannot be read: {e.strerror or e}")
        return report
    if not magic:
        report._add(DAMAGE, f"{p} is empty (0 bytes)")
        return report
    if magic != SQLITE_MAGIC:
        report._add(DAMAGE, f"{p} is not a SQLite file")
        return report
    try:
        conn = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True, timeout=10.0)
    except sqlite3.Error as e:
        report._add(DAMAGE, f"{p} cannot be opened: {e}")
        return report
    try:
        return check_connection(conn, str(p), tail, integrity=integrity)
    finally:
        conn.close()


def check_connection(conn: sqlite3.Connection, name: str, tail: int | None = None, *,
                     integrity: bool = False) -> CheckReport:
    """The same check on an open connection (read in one transaction: one snapshot)."""
    report = CheckReport(name, quick=tail is not None)
    factory, conn.row_factory = conn.row_factory, None
    own = not conn.in_transaction
    try:
        if own:
            conn.execute("BEGIN")
        try:
            _check(conn, report, tail, integrity or tail is None)
        finally:
            if own:
                conn.execute("ROLLBACK")
    except sqlite3.DatabaseError as e:
        report._add(DAMAGE, f"{name} is damaged: {e}")
    finally:
        conn.row_factory = factory
    return report


def _check(conn: sqlite3.Connection, report: CheckReport, tail: int | None,
           integrity: bool) -> None:
    name = report.name
    pragma = "integrity_check" if integrity else "quick_check"
    problems = [r[0] for r in conn.execute(f"PRAGMA {pragma}(5)")]
    if problems != ["ok"]:
        report._add(DAMAGE, f"{name} is damaged (SQLite integrity check): "
                    f"{'; '.join(problems[:2])}")
        return
    report.schema = int(conn.execute("PRAGMA user_version").fetchone()[0])
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not {"events", *PROJECTION_TABLES} <= tables:
        report._add(DAMAGE, f"{name} is not an Antrean ledger or replica (no events table)"
                    if "events" not in tables else
                    f"{name} lacks projection tables: {sorted(set(PROJECTION_TABLES) - tables)}")
        return
    if not 1 <= report.schema <= len(MIGRATIONS):
        report._add(DAMAGE, f"{name} has ledger schema version {report.schema}; this program "
                    f"knows 1 to {len(MIGRATIONS)}")
        return
    columns = {r[1] for r in conn.execute("PRAGMA table_info(events)")}
    report.hashes_stored = "hash" in columns
    events = _read_log(conn, report, tail)
    if events is None or tail is not None:
        return
    _check_promises(events, report)
    if report.damaged:
        return
    _check_projection(conn, events, report)


def _rows(conn: sqlite3.Connection, with_hash: bool, after: int
          ) -> Iterator[tuple[Any, ...]]:
    cols = "seq, command_id, kind, ticket_id, device, officer, at_ms, data"
    yield from conn.execute(f"SELECT {cols}{', hash' if with_hash else ''} FROM events "
                            "WHERE seq > ? ORDER BY seq", (after,))


def _read_log(conn: sqlite3.Connection, report: CheckReport, tail: int | None = None
              ) -> list[m.Event] | None:
    """The events, checked for gaps, readability and their chain; None when unreadable."""
    events: list[m.Event] = []
    previous = GENESIS
    after = 0
    if tail is not None and report.hashes_stored:
        last = int(conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0])
        after = max(0, last - tail)
        if after:
            row = conn.execute("SELECT hash FROM events WHERE seq=?", (after,)).fetchone()
            if row is None or not isinstance(row[0], str):
                report._add(DAMAGE, f"event {after} is missing or has no hash")
                return None
            previous = row[0]
    for row in _rows(conn, report.hashes_stored, after):
        seq = row[0]
        expected = after + len(events) + 1
        if seq != expected:
            report._add(DAMAGE, f"the event log jumps from seq {expected - 1} to {seq}")
            return None
        try:
            data = json.loads(str(row[7]))
            if not isinstance(data, dict):
                raise ValueError("not an object")
            e = m.Event(int(seq), str(row[1]), str(row[2]), row[3], str(row[4]), row[5],
                        int(row[6]), data)
        except (ValueError, TypeError):
            report._add(DAMAGE, f"event {seq} is unreadable (its data is not a JSON object)")
            return None
        computed = event_hash(previous, e)
        stored = row[8] if report.hashes_stored else None
        if report.hashes_stored and stored != computed:
            if stored is None:
                report._add(DAMAGE, f"event {seq} has no hash")
            else:
                report._add(DAMAGE, f"event {seq} does not match its hash: it was changed "
                            f"after it was written, or belongs to another history")
        # Chain on from the stored hash when there is one: a damaged event then shows alone,
        # not with every event after it.
        previous = stored if isinstance(stored, str) else computed
        events.append(e)
    report.events = report.last_seq = after + len(events)
    report.last_hash = previous
    return events


_ENDS = (m.TICKET_FINISHED, m.TICKET_NO_SHOW, m.TICKET_CANCELLED, m.TICKET_TRANSFERRED)


def _check_promises(events: list[m.Event], report: CheckReport) -> None:
    status: dict[str, str] = {}
    issued_at: dict[str, int] = {}
    last_number: dict[tuple[str, str], tuple[int, int]] = {}  # (day, queue) -> (number, seq)
    active: dict[int, str] = {}  # counter -> its called or serving ticket
    answered: set[str] = set()  # tickets whose SKM survey was answered: once each
    for e in events:
        if e.kind == m.TICKET_ISSUED:
            _issued(e, status, issued_at, last_number, report)
            continue
        if e.kind not in m.STATUS_BEFORE:
            continue
        t = e.ticket_id
        if t is None or t not in status:
            report._add(DAMAGE, f"event {e.seq} ({e.kind}) is about ticket {t}, which was "
                        f"never issued")
            continue
        if status[t] not in m.STATUS_BEFORE[e.kind]:
            report._add(DAMAGE, f"event {e.seq} ({e.kind}) finds ticket {t} {status[t]}")
        if e.kind == m.SURVEY_ANSWERED:
            if t in answered:
                report._add(DAMAGE, f"event {e.seq}: the survey of ticket {t} is answered "
                            f"twice")
            answered.add(t)
            continue
        counter = e.data.get("counter")
        if e.kind == m.TICKET_CALLED and isinstance(counter, int):
            held = active.get(counter)
            if held is not None and held != t:
                report._add(DAMAGE, f"event {e.seq} calls {t} to counter {counter}, which "
                            f"still has {held} active")
            active[counter] = t
        if e.kind in _ENDS:
            for c in [c for c, held in active.items() if held == t]:
                del active[c]
        if e.kind in m.STATUS_AFTER:
            status[t] = m.STATUS_AFTER[e.kind]


def _issued(e: m.Event, status: dict[str, str], issued_at: dict[str, int],
            last_number: dict[tuple[str, str], tuple[int, int]], report: CheckReport) -> None:
    d = e.data
    t = e.ticket_id
    try:
        day, queue, number, label = (str(d["service_day"]), str(d["queue"]), int(d["number"]),
                                     str(d["label"]))
    except (KeyError, TypeError, ValueError):
        report._add(DAMAGE, f"event {e.seq} (ticket.issued) lacks its number or queue")
        return
    if t is None or t in status:
        report._add(DAMAGE, f"ticket {t} is issued twice (seq {issued_at.get(t or '')} and "
                    f"{e.seq})")
    if label != f"{queue}-{number:03d}" or t != f"{day.replace('-', '')}-{label}":
        report._add(DAMAGE, f"event {e.seq}: ticket {t} is labelled {label} (queue {queue}, "
                    f"number {number})")
    before, before_seq = last_number.get((day, queue), (0, 0))
    if number != before + 1:
        if number <= before:
            report._add(DAMAGE, f"queue {queue} on {day}: number {number} is issued again at "
                        f"seq {e.seq} (the queue was at {before}, seq {before_seq})")
        else:
            report._add(DAMAGE, f"queue {queue} on {day}: number {number} follows {before} "
                        f"(seq {e.seq}): numbers {before + 1}-{number - 1} are missing")
    last_number[(day, queue)] = (max(before, number), e.seq)
    if t is not None and t not in status:
        status[t] = m.WAITING
        issued_at[t] = e.seq


def _check_projection(conn: sqlite3.Connection, events: list[m.Event],
                      report: CheckReport) -> None:
    fresh = sqlite3.connect(":memory:", isolation_level=None)
    fresh.row_factory = sqlite3.Row
    try:
        with immediate(fresh):
            for step in MIGRATIONS[:report.schema]:
                step(fresh)
        with immediate(fresh):
            for e in events:
                try:
                    apply_event(fresh, e)
                except (ValueError, KeyError, TypeError, sqlite3.Error) as err:
                    report._add(DAMAGE, f"event {e.seq} ({e.kind}) cannot be replayed: {err}")
                    return
        mine, replayed = projection_dump(conn), projection_dump(fresh)
    finally:
        fresh.close()
    for table in PROJECTION_TABLES:
        if mine[table] != replayed[table]:
            extra = len(set(mine[table]) - set(replayed[table]))
            missing = len(set(replayed[table]) - set(mine[table]))
            report._add(PROJECTION, f"the projection differs from a replay of the events: "
                        f"{table} has {extra} row(s) the replay has not, and lacks {missing}")
