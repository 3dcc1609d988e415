"""What must hold after a simulated day, checked on the hub's ledger file and the stations'
summaries. Each check returns a named verdict with a short reason, never raises on a failure."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from antrean.sim.day import DayPlan
from shared.clock import to_ms
from shared.config import HallConfig
from shared.ledger import model as m
from shared.ledger.ledger import Ledger
from shared.ledger.projection import iter_events, last_seq, ledger_hash
from shared.ledger.queries import Figures


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


def _first(problems: list[str], total: int, what: str) -> str:
    if not problems:
        return f"{total} {what}"
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    return "; ".join(problems[:3]) + more


def check_acknowledged(conn: sqlite3.Connection, acknowledged: list[str],
                       day: dt.date | None = None) -> Check:
    """With `day`, the tickets of that service day (a run of several days checks each)."""
    ids = {r[0] for r in conn.execute(
        "SELECT ticket_id FROM tickets WHERE ? IS NULL OR service_day = ?",
        (day.isoformat() if day else None,) * 2)}
    missing = [t for t in acknowledged if t not in ids]
    dupes = [t for t, n in Counter(acknowledged).items() if n > 1]
    problems = [f"acknowledged {t} is not in the ledger" for t in missing]
    problems += [f"{t} acknowledged twice" for t in dupes]
    if len(ids) != len(acknowledged):
        problems.append(f"ledger holds {len(ids)} tickets, kiosks were told {len(acknowledged)}")
    return Check("every acknowledged ticket is in the ledger, and no other",
                 not problems, _first(problems, len(acknowledged), "tickets acknowledged"))


def check_numbers(conn: sqlite3.Connection) -> Check:
    """Numbers are unique and contiguous per queue per day, as issued (a transfer moves a
    ticket to another queue but keeps its number)."""
    per_queue: dict[tuple[str, str], list[int]] = {}
    for e in iter_events(conn):
        if e.kind == m.TICKET_ISSUED:
            per_queue.setdefault((e.data["service_day"], e.data["queue"]), []).append(
                int(e.data["number"]))
    problems = []
    for (day, queue), numbers in sorted(per_queue.items()):
        if sorted(numbers) != list(range(1, len(numbers) + 1)):
            problems.append(f"{queue} on {day}: numbers {sorted(numbers)[:5]}… not 1..n")
        elif numbers != sorted(numbers):
            problems.append(f"{queue} on {day}: numbers issued out of order")
    return Check("numbers unique and contiguous per queue per day", not problems,
                 _first(problems, len(per_queue), "queues"))




def check_replay(conn: sqlite3.Connection) -> list[Check]:
    """Replay the log: a ticket is called again only after it went back to waiting (requeue,
    transfer), every step follows from the state before it, and no counter ever has two
    tickets in front of it at once."""
    state: dict[str, str] = {}
    at_counter: dict[str, int] = {}
    active: dict[int, str] = {}
    ticket_problems: list[str] = []
    counter_problems: list[str] = []
    steps = 0
    for e in iter_events(conn):
        if e.kind == m.TICKET_ISSUED:
            assert e.ticket_id is not None
            if e.ticket_id in state:
                ticket_problems.append(f"{e.ticket_id} issued twice (seq {e.seq})")
            state[e.ticket_id] = m.WAITING
            continue
        if e.kind not in m.STATUS_BEFORE or e.ticket_id is None:
            continue
        steps += 1
        t = e.ticket_id
        before = state.get(t)
        if before not in m.STATUS_BEFORE[e.kind]:
            ticket_problems.append(f"seq {e.seq}: {e.kind} of {t} while {before}")
        if e.kind in m.STATUS_AFTER:
            state[t] = m.STATUS_AFTER[e.kind]
        counter = int(e.data.get("counter") or 0)
        if e.kind == m.TICKET_CALLED:
            held = active.get(counter)
            if held is not None:
                counter_problems.append(f"seq {e.seq}: counter {counter} called {t} while "
                                        f"{held} was still in front of it")
            active[counter] = t
            at_counter[t] = counter
        elif e.kind in (m.TICKET_RECALLED, m.TICKET_STARTED):
            if active.get(counter) != t:
                counter_problems.append(f"seq {e.seq}: {e.kind} of {t} at counter {counter}, "
                                        f"which holds {active.get(counter)}")
        elif e.kind in (m.TICKET_FINISHED, m.TICKET_NO_SHOW, m.TICKET_TRANSFERRED,
                        m.TICKET_CANCELLED):
            held_at = at_counter.pop(t, None)
            if held_at is not None and active.get(held_at) == t:
                del active[held_at]
            elif e.kind != m.TICKET_CANCELLED:
                counter_problems.append(f"seq {e.seq}: {e.kind} of {t} held by no counter")
    return [
        Check("each step of a ticket follows from its state; no ticket called twice without "
              "a return or transfer between", not ticket_problems,
              _first(ticket_problems, steps, "ticket steps replayed")),
        Check("each counter holds at most one ticket at any moment", not counter_problems,
              _first(counter_problems, steps, "ticket steps replayed")),
    ]


def check_replicas(conn: sqlite3.Connection, stations: list[dict[str, Any]]) -> Check:
    hub_hash, hub_seq = ledger_hash(conn), last_seq(conn)
    problems = [f"{s['name']} at seq {s['last_seq']} of {hub_seq}" if s["last_seq"] != hub_seq
                else f"{s['name']} holds a different history"
                for s in stations if s["hash"] != hub_hash]
    return Check("every station's replica holds the hub's history (same hash)", not problems,
                 _first(problems, len(stations), f"replicas equal to the hub at seq {hub_seq}"))


def check_boards(conn: sqlite3.Connection, boards: list[dict[str, Any]], since: int = 0
                 ) -> Check:
    """The calls after seq `since`: a board that kept its replica overnight hears only the
    day's."""
    calls = [r[0] for r in conn.execute(
        "SELECT seq FROM events WHERE kind IN (?, ?) AND seq > ? ORDER BY seq",
        (*m.CALL_KINDS, since))]
    problems = []
    for b in boards:
        seen = [c["seq"] for c in b["calls"]]
        if seen != calls:
            dupes = len(seen) - len(set(seen))
            problems.append(f"{b['name']} saw {len(seen)} calls ({dupes} twice) of {len(calls)}")
    return Check("each board received every call and recall exactly once, in order",
                 not problems, _first(problems, len(calls), f"calls on {len(boards)} boards"))


def check_verify(path: Path, config: HallConfig) -> Check:
    led = Ledger(path, config)
    try:
        ok = led.verify()
    finally:
        led.close()
    return Check("the hub's projection equals a replay of its events (Ledger.verify)", ok,
                 "verified" if ok else "projection differs from the replay")


def check_station_errors(stations: list[dict[str, Any]]) -> Check:
    errors = [e for s in stations for e in s.get("errors", [])]
    return Check("no station had a command refused that a correct hall accepts", not errors,
                 _first(errors, len(stations), "stations ran without an unexpected refusal"))


def check_hours(conn: sqlite3.Connection, plan: DayPlan) -> Check:
    """No ticket before tickets start, none after its service's cutoff (Friday is short);
    the tickets of the plan's day (other days of a run are checked against their own)."""
    first = to_ms(plan.tickets_from)
    problems = []
    n = 0
    for e in iter_events(conn):
        if e.kind != m.TICKET_ISSUED or e.data["service_day"] != plan.day.isoformat():
            continue
        n += 1
        cutoff = to_ms(plan.cutoff_of(e.data["service"]))
        if not first <= e.at_ms < cutoff:
            problems.append(f"{e.data['label']} issued at {_local(e.at_ms, plan)} "
                            f"(allowed {plan.tickets_from:%H:%M}–"
                            f"{plan.cutoff_of(e.data['service']):%H:%M})")
    return Check("tickets issued only between tickets-open and each service's cutoff",
                 not problems, _first(problems, n, "tickets inside the hours"))


def check_end_of_day(conn: sqlite3.Connection) -> Check:
    active = conn.execute(
        "SELECT count(*) FROM tickets WHERE status IN (?, ?)", m.ACTIVE_STATUSES).fetchone()[0]
    staffed = conn.execute(
        "SELECT count(*) FROM counters WHERE officer IS NOT NULL").fetchone()[0]
    problems = []
    if active:
        problems.append(f"{active} tickets still called or in service")
    if staffed:
        problems.append(f"{staffed} counters still have an officer signed in")
    return Check("at the end no ticket is left at a counter and every officer signed out",
                 not problems, _first(problems, 0, "tickets or officers left"))


def check_figures(rows: list[Figures], total: Figures) -> Check:
    problems = []
    for f in [*rows, total]:
        accounted = f.served + f.no_show + f.waiting + f.cancelled + f.expired
        if accounted != f.issued:
            problems.append(f"{f.key}: served+no-show+waiting+cancelled={accounted}, "
                            f"issued={f.issued}")
    for attr in ("issued", "served", "no_show", "waiting", "cancelled", "expired"):
        s = sum(getattr(f, attr) for f in rows)
        if s != getattr(total, attr):
            problems.append(f"{attr}: agencies add up to {s}, total is {getattr(total, attr)}")
    return Check("figures add up: served + no-show + waiting + cancelled = issued, per agency "
                 "and in total", not problems, _first(problems, len(rows), "agencies add up"))


def _local(ms: int, plan: DayPlan) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, plan.config.tz).strftime("%H:%M:%S")
