"""What the apps ask of a ledger: waiting lines, people ahead, estimated waits, recent calls and
the day's figures. Read-only; works the same on the hub's ledger and on any station replica.

Plain parameterised SQL over sqlite3.Row: sqlite-utils' `query()` would only hand the same rows
back as dicts, one more copy per row on queries a board runs at every event. (It serves the
inspection tool instead, shared.ledger.cli.)"""

from __future__ import annotations

import datetime as dt
import json
import math
import sqlite3
from dataclasses import dataclass
from typing import Any

from shared.clock import from_ms, to_ms
from shared.config import HallConfig
from shared.ledger import model as m
from shared.ledger.projection import event_from_row


@dataclass(frozen=True)
class TicketView:
    ticket_id: str
    label: str
    queue: str
    number: int
    service: str
    agency: str
    priority: str | None
    status: str
    service_day: str
    issued_at: int
    called_at: int | None
    last_called_at: int | None
    call_count: int
    counter: int | None
    officer: str | None
    started_at: int | None
    ended_at: int | None
    transfers: int
    rank: int
    priority_ok: int | None = None  # the officer's check of a priority claim: 1 ok, 0 not

    def to_dict(self) -> dict[str, Any]:
        # Every field is a str, int or None: a shallow copy is the whole dict, and
        # dataclasses.asdict's recursive deep copy took 12 µs, a tenth of a command's CPU.
        return dict(vars(self))


@dataclass(frozen=True)
class CounterView:
    counter: int
    status: str
    officer: str | None
    ticket_id: str | None
    regular_streak: int
    since: int | None


@dataclass(frozen=True)
class Call:
    """One call or recall, as a board shows it."""

    seq: int
    kind: str
    ticket_id: str
    label: str
    counter: int
    agency: str
    service: str
    at_ms: int


@dataclass(frozen=True)
class Figures:
    key: str  # agency code or service code
    issued: int
    served: int
    no_show: int
    cancelled: int
    waiting: int
    avg_wait_min: float | None
    p90_wait_min: float | None
    avg_service_min: float | None
    p90_service_min: float | None
    standard_min: float | None
    # Priority claims (UU 25/2009) and the officers' checks of them, for the audit.
    priority: int = 0
    priority_confirmed: int = 0
    priority_rejected: int = 0
    # Still waiting when the service day ended (ticket.expired, written by the hub).
    expired: int = 0


@dataclass(frozen=True)
class Alert:
    """A station's open problem (paper out, a failed print), as staff see it."""

    key: str  # "<station>:<kind>": one problem of one station
    device: str  # the station that raised it
    kind: str  # e.g. "printer"
    message: str  # the station's latest words on it, Indonesian, for staff
    since_ms: int  # when this problem was first raised (since it was last resolved)
    at_ms: int  # the latest alert about it
    seq: int


def alert_key(device: str, kind: str) -> str:
    return f"{device}:{kind}"


_TICKET_COLS = (
    "ticket_id, label, queue, number, service, agency, priority, status, service_day, issued_at, "
    "called_at, last_called_at, call_count, counter, officer, started_at, ended_at, transfers, "
    "rank, priority_ok"
)


def _ticket(row: sqlite3.Row) -> TicketView:
    return TicketView(**{k: row[k] for k in row.keys()})  # noqa: SIM118 (Row has no __iter__ keys)


class LedgerReader:
    def __init__(self, conn: sqlite3.Connection, config: HallConfig) -> None:
        self.conn = conn
        self.config = config

    # --- tickets ---------------------------------------------------------------------------

    def ticket(self, ticket_id: str) -> TicketView | None:
        row = self.conn.execute(
            f"SELECT {_TICKET_COLS} FROM tickets WHERE ticket_id=?", (ticket_id,)
        ).fetchone()
        return _ticket(row) if row else None

    def ticket_secret(self, ticket_id: str) -> str | None:
        """The secret of the ticket's web address (shared/ticket_url.py), from its
        ``ticket.issued`` event: None for an unknown ticket or one issued before tickets had
        one. Not in the projection on purpose: it is a fact of the issue, not of the state."""
        row = self.conn.execute(
            "SELECT json_extract(data, '$.secret') FROM events WHERE ticket_id=? AND kind=? "
            "ORDER BY seq LIMIT 1", (ticket_id, m.TICKET_ISSUED),
        ).fetchone()
        return row[0] if row and isinstance(row[0], str) else None

    def survey_answered(self, ticket_id: str) -> bool:
        """Whether the ticket's SKM survey was answered (from the log: events_ticket index)."""
        return self.conn.execute(
            "SELECT 1 FROM events WHERE ticket_id=? AND kind=? LIMIT 1",
            (ticket_id, m.SURVEY_ANSWERED)).fetchone() is not None

    def waiting_line(self, queues: tuple[str, ...] | list[str], day: dt.date) -> list[TicketView]:
        """Waiting tickets of some queues, in the order they joined (front-of-line first);
        priority tickets are marked, the counter's policy decides when they are called."""
        if not queues:
            return []
        marks = ",".join("?" * len(queues))
        rows = self.conn.execute(
            f"SELECT {_TICKET_COLS} FROM tickets WHERE status='waiting' AND service_day=? "
            f"AND queue IN ({marks}) ORDER BY rank",
            (day.isoformat(), *queues),
        ).fetchall()
        return [_ticket(r) for r in rows]

    def no_shows(self, queues: tuple[str, ...] | list[str], day: dt.date, limit: int = 50
                 ) -> list[TicketView]:
        """Today's no-shows of some queues, latest first: the ones an officer may put back."""
        if not queues:
            return []
        marks = ",".join("?" * len(queues))
        rows = self.conn.execute(
            f"SELECT {_TICKET_COLS} FROM tickets WHERE status=? AND service_day=? "
            f"AND queue IN ({marks}) ORDER BY ended_at DESC LIMIT ?",
            (m.NO_SHOW, day.isoformat(), *queues, limit),
        ).fetchall()
        return [_ticket(r) for r in rows]

    def waiting_count(self, queues: tuple[str, ...] | list[str], day: dt.date) -> int:
        if not queues:
            return 0
        marks = ",".join("?" * len(queues))
        return int(self.conn.execute(
            f"SELECT count(*) FROM tickets WHERE status='waiting' AND service_day=? "
            f"AND queue IN ({marks})",
            (day.isoformat(), *queues),
        ).fetchone()[0])

    def people_ahead(self, ticket: TicketView) -> int:
        """Waiting tickets likely called before this one: priority tickets go before regular
        ones, so a regular ticket counts every waiting priority ticket of its queue too —
        except in a fifo queue, where priority changes nothing and the line is the rank order."""
        if ticket.status != m.WAITING:
            return 0
        queue = self.config.queues.get(ticket.queue)
        fifo = queue is not None and queue.policy == "fifo"
        if fifo:
            return self._waiting_before(ticket, 0) + self._waiting_before(ticket, 1)
        if ticket.priority:
            ahead = self._waiting_before(ticket, 1)
            if queue is None or queue.policy == "strict_priority":
                return ahead
            # Interleave: the regular tickets called before each priority one come first.
            streak = self.regular_streak(ticket.queue, dt.date.fromisoformat(ticket.service_day))
            first = 0 if streak is None else max(0, queue.priority_every - streak)
            between = first + ahead * queue.priority_every
            return ahead + min(self._waiting_before(ticket, 0, anywhere=True), between)
        return self._waiting_before(ticket, 0) + self._waiting_before(ticket, 1, anywhere=True)

    def regular_streak(self, queue: str, day: dt.date) -> int | None:
        """Regular tickets of a queue called since its last priority ticket today; None before
        the queue's first priority call of the day (a priority ticket may then go at once)."""
        row = self.conn.execute(
            "SELECT n FROM day_counts WHERE service_day=? AND key=?",
            (day.isoformat(), f"r:{queue}"),
        ).fetchone()
        return None if row is None else int(row[0])

    def _waiting_before(self, ticket: TicketView, priority: int, anywhere: bool = False) -> int:
        """Waiting tickets of the ticket's queue and day in one priority group (all of them, or
        those ranked before it). One equality per column of the tickets_waiting index, so SQLite
        walks only this queue's entries; an `is_priority=1 OR rank<?` form made it count every
        waiting ticket in the hall, for every ticket issued."""
        sql = ("SELECT count(*) FROM tickets WHERE status='waiting' AND service_day=? "
               "AND queue=? AND is_priority=?")
        params: tuple[object, ...] = (ticket.service_day, ticket.queue, priority)
        if not anywhere:
            sql += " AND rank<?"
            params = (*params, ticket.rank)
        return int(self.conn.execute(sql, params).fetchone()[0])

    def average_service_minutes(self, queue: str, day: dt.date) -> float:
        """Recent actual service times in a queue, falling back to the published standard."""
        rows = self.conn.execute(
            "SELECT ended_at - coalesce(started_at, called_at) FROM tickets "
            "WHERE service_day=? AND queue=? AND status='finished' AND called_at IS NOT NULL "
            "ORDER BY ended_at DESC LIMIT ?",
            (day.isoformat(), queue, self.config.rules.estimate_sample),
        ).fetchall()
        if len(rows) >= 3:
            return max(0.5, sum(r[0] for r in rows) / len(rows) / 60000)
        services = self.config.services_in_queue(queue)
        if not services:
            return 10.0
        return sum(s.standard_minutes for s in services) / len(services)

    def open_counters_for(self, queue: str) -> int:
        numbers = [c.number for c in self.config.counters_for_queue(queue)]
        if not numbers:
            return 0
        marks = ",".join("?" * len(numbers))
        return int(self.conn.execute(
            f"SELECT count(*) FROM counters WHERE status='open' AND counter IN ({marks})",
            numbers,
        ).fetchone()[0])

    def estimated_wait_minutes(self, queue: str, people_ahead: int, day: dt.date,
                               now: dt.datetime | None = None) -> int:
        """People ahead × recent service time ÷ counters open for the queue (or, when none is
        open, the counters that serve it). Given the moment of asking, the
        wait also covers the time until the counters open (the 07:55 crowd) and any break
        (Friday prayer, lunch) that falls inside it."""
        per_person = self.average_service_minutes(queue, day)
        # Before opening and at a break no counter is open yet; they will be, so count the
        # counters that serve the queue rather than promise a wait four times too long.
        counters = self.open_counters_for(queue) or len(self.config.counters_for_queue(queue))
        work = people_ahead * per_person / max(1, counters)
        if now is None:
            return math.ceil(work)
        return math.ceil(self._idle_minutes(queue, now, work) + work)

    def _idle_minutes(self, queue: str, now: dt.datetime, work: float) -> float:
        services = self.config.services_in_queue(queue)
        if not services:
            return 0.0
        schedule = self.config.schedule_for(services[0])
        local = now.astimezone(self.config.tz)
        hours = schedule.hours_on(local.date())
        if hours is None:
            return 0.0
        opens = dt.datetime.combine(local.date(), hours.start, self.config.tz)
        start = max(local, opens)
        idle = (start - local).total_seconds() / 60
        end = start + dt.timedelta(minutes=work)
        for brk in sorted(schedule.breaks.get(local.weekday(), ()),
                          key=lambda b: b.range.start):
            b_start = dt.datetime.combine(local.date(), brk.range.start, self.config.tz)
            b_end = dt.datetime.combine(local.date(), brk.range.end, self.config.tz)
            if b_end <= start or b_start >= end:
                continue
            paused = (b_end - max(start, b_start)).total_seconds() / 60
            idle += paused
            end += dt.timedelta(minutes=paused)
        return idle

    # --- counters --------------------------------------------------------------------------

    def counter(self, number: int) -> CounterView:
        row = self.conn.execute("SELECT * FROM counters WHERE counter=?", (number,)).fetchone()
        if row is None:
            return CounterView(number, m.COUNTER_CLOSED, None, None, 0, None)
        return CounterView(
            row["counter"], row["status"], row["officer"], row["ticket_id"],
            row["regular_streak"] or 0, row["since"],
        )

    def counters(self) -> list[CounterView]:
        return [self.counter(n) for n in sorted(self.config.counters)]

    def active_ticket(self, counter: int) -> TicketView | None:
        c = self.counter(counter)
        return self.ticket(c.ticket_id) if c.ticket_id else None

    # --- who: what the hub's policy asks of the projection ---------------------------------

    def ticket_issuer(self, ticket_id: object) -> str | None:
        """The station that issued a ticket (a kiosk may cancel only its own), or None."""
        row = self.conn.execute("SELECT issued_by FROM tickets WHERE ticket_id=?",
                                (ticket_id if isinstance(ticket_id, str) else None,)).fetchone()
        return row[0] if row else None

    def seated_officers(self) -> list[tuple[int, str]]:
        """(counter, officer) for every counter with an officer signed in."""
        return [(int(r[0]), str(r[1])) for r in self.conn.execute(
            "SELECT counter, officer FROM counters WHERE officer IS NOT NULL ORDER BY counter")]

    def resumable_officer(self, device: str) -> tuple[str, int] | None:
        """The officer this station signed in last and the counter, when the ledger still
        seats them there: a station that reconnects (its PC slept, the hub restarted) keeps
        its officer, who proved the PIN on it before."""
        row = self.conn.execute(
            "SELECT kind, data FROM events WHERE device=? AND kind IN (?, ?) "
            "ORDER BY seq DESC LIMIT 1", (device, m.OFFICER_SIGNED_IN, m.OFFICER_SIGNED_OUT),
        ).fetchone()
        if row is None or row[0] != m.OFFICER_SIGNED_IN:
            return None
        data = json.loads(row[1])
        officer, counter = str(data["officer"]), int(data["counter"])
        return (officer, counter) if self.counter(counter).officer == officer else None

    # --- calls -----------------------------------------------------------------------------

    def calls_after(self, seq: int, limit: int = 1000) -> list[Call]:
        rows = self.conn.execute(
            "SELECT e.*, t.label, t.agency, t.service FROM events e "
            "JOIN tickets t ON t.ticket_id = e.ticket_id "
            "WHERE e.kind IN (?, ?) AND e.seq > ? ORDER BY e.seq LIMIT ?",
            (*m.CALL_KINDS, seq, limit),
        ).fetchall()
        return [_call(r) for r in rows]

    def recent_calls(self, limit: int = 10, day: dt.date | None = None) -> list[Call]:
        """The latest calls, newest first (of one service day when given)."""
        rows = self.conn.execute(
            "SELECT e.*, t.label, t.agency, t.service FROM events e "
            "JOIN tickets t ON t.ticket_id = e.ticket_id "
            "WHERE e.kind IN (?, ?) AND (? IS NULL OR t.service_day = ?) "
            "ORDER BY e.seq DESC LIMIT ?",
            (*m.CALL_KINDS, day and day.isoformat(), day and day.isoformat(), limit),
        ).fetchall()
        return [_call(r) for r in rows]

    # --- alerts ----------------------------------------------------------------------------

    def open_alerts(self, day: dt.date | None = None) -> list[Alert]:
        """Problems raised by stations and not resolved since, oldest first; with `day`, only
        those raised or repeated on that service day (yesterday's unresolved print failure
        is not today's news: a printer still out of paper says so again when it starts).

        An alert from before alerts had a state (data without "state"/"key") is open, keyed
        by its station and kind, so the station's next "OK again" resolves it too."""
        rows = self.conn.execute(
            "SELECT * FROM events WHERE kind=? ORDER BY seq", (m.STATION_ALERT,)).fetchall()
        open_: dict[str, Alert] = {}
        for row in rows:
            e = event_from_row(row)
            kind = str(e.data.get("kind", ""))
            key = str(e.data.get("key") or alert_key(e.device, kind))
            if e.data.get("state", m.ALERT_OPEN) == m.ALERT_RESOLVED:
                open_.pop(key, None)
                continue
            first = open_.get(key)
            open_[key] = Alert(key, e.device, kind, str(e.data.get("message", "")),
                               first.since_ms if first else e.at_ms, e.at_ms, e.seq)
        alerts = sorted(open_.values(), key=lambda a: a.seq)
        if day is not None:
            start = to_ms(dt.datetime.combine(day, dt.time(), self.config.tz))
            alerts = [a for a in alerts if a.at_ms >= start]
        return alerts

    def events_after(self, seq: int, limit: int = 10000) -> list[m.Event]:
        rows = self.conn.execute(
            "SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
        ).fetchall()
        return [event_from_row(r) for r in rows]

    def last_seq(self) -> int:
        return int(self.conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0])

    # --- figures ---------------------------------------------------------------------------

    def issued_today(self, key: str, day: dt.date) -> int:
        row = self.conn.execute(
            "SELECT n FROM day_counts WHERE service_day=? AND key=?", (day.isoformat(), key)
        ).fetchone()
        return int(row[0]) if row else 0

    def refused_today(self, service: str, day: dt.date) -> dict[str, int]:
        """A service's new tickets refused on a service day (ticket.refused), per reason."""
        prefix = f"x:{service}:"
        return {key[len(prefix):]: int(n) for key, n in self.conn.execute(
            "SELECT key, n FROM day_counts WHERE service_day=? AND key >= ? AND key < ?",
            (day.isoformat(), prefix, prefix[:-1] + ";"))}

    def figures(self, day: dt.date, by: str = "agency", officer: str | None = None
                ) -> list[Figures]:
        """Per agency (or per service) for one service day: issued, served, no-show, waits and
        service times (average and 90th percentile) against the published standard."""
        if by not in ("agency", "service"):
            raise ValueError("figures are by 'agency' or 'service'")
        sql = (f"SELECT {by} AS key, status, issued_at, called_at, started_at, ended_at, "
               "is_priority, priority_ok FROM tickets WHERE service_day=?")
        params: list[Any] = [day.isoformat()]
        if officer is not None:
            sql += " AND officer=?"
            params.append(officer)
        groups: dict[str, list[sqlite3.Row]] = {}
        for row in self.conn.execute(sql, params):
            groups.setdefault(row["key"], []).append(row)
        out = []
        for key in sorted(groups):
            rows = groups[key]
            waits = [(r["called_at"] - r["issued_at"]) / 60000 for r in rows if r["called_at"]]
            services = [
                (r["ended_at"] - (r["started_at"] or r["called_at"])) / 60000
                for r in rows if r["status"] == m.FINISHED and r["called_at"]
            ]
            out.append(Figures(
                key=key,
                issued=len(rows),
                served=sum(1 for r in rows if r["status"] == m.FINISHED),
                no_show=sum(1 for r in rows if r["status"] == m.NO_SHOW),
                cancelled=sum(1 for r in rows if r["status"] == m.CANCELLED),
                waiting=sum(1 for r in rows if r["status"] == m.WAITING),
                expired=sum(1 for r in rows if r["status"] == m.EXPIRED),
                avg_wait_min=_mean(waits), p90_wait_min=percentile(waits, 90),
                avg_service_min=_mean(services), p90_service_min=percentile(services, 90),
                standard_min=self._standard(key, by),
                priority=sum(1 for r in rows if r["is_priority"]),
                priority_confirmed=sum(1 for r in rows if r["priority_ok"] == 1),
                priority_rejected=sum(1 for r in rows if r["priority_ok"] == 0),
            ))
        return out

    def _standard(self, key: str, by: str) -> float | None:
        if by == "service":
            svc = self.config.services.get(key)
            return float(svc.standard_minutes) if svc else None
        svcs = self.config.services_of(key)
        return _mean([float(s.standard_minutes) for s in svcs])


def _call(r: sqlite3.Row) -> Call:
    e = event_from_row(r)
    return Call(
        seq=e.seq, kind=e.kind, ticket_id=e.ticket_id or "", label=r["label"],
        counter=int(e.data["counter"]), agency=r["agency"], service=r["service"], at_ms=e.at_ms,
    )


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def percentile(xs: list[float], p: float) -> float | None:
    """Nearest-rank percentile; None for no data."""
    if not xs:
        return None
    s = sorted(xs)
    k = max(0, math.ceil(p / 100 * len(s)) - 1)
    return s[k]


def local_time(ms: int, config: HallConfig) -> dt.datetime:
    return from_ms(ms).astimezone(config.tz)
