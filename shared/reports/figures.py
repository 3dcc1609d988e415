"""Report figures from the ledger's events alone, so a report of any past period is the same
every time it is made: each ticket of the period is folded from its own events (issued, called,
started, finished, no-show, requeued, transferred, cancelled, expired, priority checked) exactly
as the projection would, and counters' open time from the counter and sign-in events. The
projection's tickets table is that same fold, kept as the events are appended: where it holds
every ticket issued in the period it is read instead, and only the tickets it cannot tell all
of (requeued, transferred) are folded again (`_projected`).

The rules are the hall's own (shared/ledger/queries.py `figures`): the wait is issue -> first
call, the service time start (or the call, when the officer never pressed start) -> finish, in
minutes; percentiles are nearest-rank (`percentile`, reused). A ticket belongs to the service
and agency it ended in (a transfer moves it); `transferred` counts the tickets that left a
service, under the service they left. Grouped by counter or officer, a ticket counts where it
was last called; tickets never called have no counter and are left out of those groupings.

Refusals of new tickets for a reason of the hall are ticket.refused events (no ticket): a
report counts them per agency and service (the one refused), filtered by priority group like
the tickets, as `refused_quota` (the quota was used up) and `refused_hours` (past the cut-off,
not open yet, closed that day, a holiday). Grouped by counter or officer they are in the total
only: no counter refused them."""

from __future__ import annotations

import calendar
import datetime as dt
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from shared.clock import from_ms, to_ms
from shared.config import PRIORITY_GROUPS, HallConfig
from shared.ledger import config_log
from shared.ledger import model as m
from shared.ledger.availability import QUOTA_FULL
from shared.ledger.queries import percentile

GROUPINGS = ("agency", "service", "counter", "officer")
# A priority filter: one of the groups, "any" (every priority ticket) or "none" (regular only).
PRIORITY_FILTERS = (*PRIORITY_GROUPS, "any", "none")
HOURS = tuple(range(24))

_TICKET_KINDS = (
    m.TICKET_ISSUED, m.TICKET_CALLED, m.TICKET_STARTED, m.TICKET_FINISHED, m.TICKET_NO_SHOW,
    m.TICKET_REQUEUED, m.TICKET_TRANSFERRED, m.TICKET_CANCELLED, m.TICKET_EXPIRED,
    m.TICKET_PRIORITY_CHECKED,
)
_ENDED = {m.TICKET_FINISHED: m.FINISHED, m.TICKET_NO_SHOW: m.NO_SHOW,
          m.TICKET_CANCELLED: m.CANCELLED, m.TICKET_EXPIRED: m.EXPIRED}
_OPENS = (m.OFFICER_SIGNED_IN, m.COUNTER_OPENED)
_SHUTS = (m.OFFICER_SIGNED_OUT, m.COUNTER_PAUSED_EVENT, m.COUNTER_CLOSED_EVENT)


class ReportError(ValueError):
    """A report asked for something that cannot be (a period backwards, an unknown grouping)."""


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive
    kind: str = "range"  # day, week, month, quarter or range

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ReportError(f"the period ends ({self.end}) before it starts ({self.start})")

    @classmethod
    def day(cls, day: dt.date) -> Period:
        return cls(day, day, "day")

    @classmethod
    def week(cls, day: dt.date) -> Period:
        """The Monday-to-Sunday week of a day."""
        monday = day - dt.timedelta(days=day.weekday())
        return cls(monday, monday + dt.timedelta(days=6), "week")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        if not 1 <= month <= 12:
            raise ReportError(f"no month {month}")
        last = calendar.monthrange(year, month)[1]
        return cls(dt.date(year, month, 1), dt.date(year, month, last), "month")

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        if not 1 <= quarter <= 4:
            raise ReportError(f"no quarter {quarter} (1-4)")
        first = 3 * quarter - 2
        return cls(dt.date(year, first, 1), cls.month(year, first + 2).end, "quarter")

    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i)
                for i in range((self.end - self.start).days + 1)]

    def label(self) -> str:
        return self.start.isoformat() if self.start == self.end else (
            f"{self.start.isoformat()} – {self.end.isoformat()}")


@dataclass(slots=True)  # ~100,000 a month: slots make them smaller and quicker to make
class _Ticket:
    """One ticket of the period, folded from its events."""

    ticket_id: str
    day: str
    issued_at: int
    service: str
    agency: str
    priority: str | None
    status: str = m.WAITING
    called_at: int | None = None
    started_at: int | None = None
    ended_at: int | None = None
    counter: int | None = None
    officer: str | None = None
    priority_ok: int | None = None
    returned: int = 0
    left: list[str] = field(default_factory=list)  # services it was transferred away from
    # Measured once per report (_measure), then only summed per group: the wait (issue ->
    # first call) and service time (finished only) in minutes, and whether that service
    # time is within the standard in force when the ticket was issued.
    wait_min: float | None = None
    service_min: float | None = None
    within: bool = False


@dataclass(frozen=True)
class Row:
    """The figures of one group (an agency, service, counter or officer) over the period."""

    key: str
    name: str
    issued: int
    served: int
    no_show: int
    returned: int
    transferred: int
    cancelled: int
    expired: int
    waiting: int  # not ended yet (a period that includes today)
    avg_wait_min: float | None
    median_wait_min: float | None
    p90_wait_min: float | None
    avg_service_min: float | None
    median_service_min: float | None
    p90_service_min: float | None
    standard_min: float | None
    within_standard: float | None  # share of the served whose service time <= its standard
    priority: int
    priority_confirmed: int
    priority_rejected: int
    services: int = 0  # services with tickets (per agency)
    refused_quota: int = 0  # new tickets refused: the daily quota was used up
    refused_hours: int = 0  # ... outside the hours: cut-off, not open yet, closed, holiday

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass(frozen=True)
class CounterHours:
    counter: int
    name: str
    served: int
    open_hours: float
    served_per_hour: float | None


@dataclass(frozen=True)
class Report:
    mpp: str
    kabupaten: str
    period: Period
    by: str
    priority: str | None
    rows: list[Row]
    total: Row
    # Tickets issued per day and local hour: {date: [24 counts]}.
    arrivals: dict[dt.date, list[int]]
    counters: list[CounterHours]
    peak_hour: int | None  # the local hour with the most arrivals over the period
    peak_day_hour: tuple[dt.date, int, int] | None  # the busiest single hour: day, hour, count
    # Per agency, its services' rows (the monthly report's order): {agency: [rows]}.
    agency_services: dict[str, list[Row]] = field(default_factory=dict)
    agency_names: dict[str, str] = field(default_factory=dict)


def compute(conn: sqlite3.Connection, config: HallConfig, period: Period, by: str = "agency",
            priority: str | None = None, agencies: frozenset[str] | None = None,
            officer_names: Mapping[str, str] | None = None) -> Report:
    """The report of a period from the events of a ledger (the hub's or any replica).

    `agencies`, when given, keeps only those agencies' tickets (the agency a ticket ended in)
    and counters (a coordinator's report: the console passes their agency).
    `officer_names` (officer id -> full name) names the rows of a report by officer: the
    ledger holds ids only, the names are the hub's (the console asks it); an id without a
    name stays an id."""
    if by not in GROUPINGS:
        raise ReportError(f"a report is by {', '.join(GROUPINGS)}, not {by!r}")
    if priority is not None and priority not in PRIORITY_FILTERS:
        raise ReportError(f"unknown priority filter {priority!r} "
                          f"(one of {', '.join(PRIORITY_FILTERS)})")
    tickets = _tickets(conn, period)
    if priority is not None or agencies is not None:
        tickets = [t for t in tickets
                   if _keep(t, priority) and (agencies is None or t.agency in agencies)]
    standards_of = _standards_in_force(conn)
    _measure(tickets, config, standards_of)
    arrivals: dict[dt.date, list[int]] = {d: [0] * 24 for d in period.days()}
    local_hour = _local_hours(config)
    groups: dict[str, list[_Ticket]] = {}
    by_service: dict[str, list[_Ticket]] = {}
    moved: Counter[str] = Counter()
    left: Counter[str] = Counter()
    transfers = 0
    # One pass over the tickets for the arrivals, the groups and the services' tickets.
    for t in tickets:
        day, hour = local_hour(t.issued_at)
        arrivals.setdefault(day, [0] * 24)[hour] += 1
        key = _key(t, by)
        if key is not None:
            groups.setdefault(key, []).append(t)
        by_service.setdefault(t.service, []).append(t)
        if not t.left:
            continue
        transfers += len(t.left)
        for code in t.left:
            origin = config.services.get(code)
            if agencies is None or (origin and origin.agency in agencies):
                left[code] += 1
                if by in ("service", "agency"):
                    moved[code if by == "service" else (origin.agency if origin else code)] += 1
    per_hour = [sum(day[h] for day in arrivals.values()) for h in HOURS]
    peak_hour = max(HOURS, key=lambda h: per_hour[h]) if any(per_hour) else None
    busiest = max(((d, h, row[h]) for d, row in arrivals.items() for h in HOURS),
                  key=lambda x: x[2], default=None)
    refusals = [r for r in _refusals(conn, period)
                if _keep_priority(r.priority, priority)
                and (agencies is None or r.agency in agencies)]
    refused_by: dict[str, list[_Refusal]] = {}
    if by in ("agency", "service"):
        for r in refusals:
            refused_by.setdefault(r.agency if by == "agency" else r.service, []).append(r)
    rows = [_refused(_row(k, _name(config, by, k, officer_names), groups.get(k, []), config,
                          moved[k], standards_of),
                     refused_by.get(k, []))
            for k in sorted(set(groups) | set(moved) | set(refused_by), key=_sort_key)]
    total = _refused(_row("Jumlah", "Jumlah", tickets, config, transfers, standards_of),
                     refusals)
    agency_services: dict[str, list[Row]] = {}
    refused_service: dict[str, list[_Refusal]] = {}
    for r in refusals:
        refused_service.setdefault(r.service, []).append(r)
    for code in sorted(set(by_service) | set(left) | set(refused_service)):
        svc = config.services.get(code)
        agency = svc.agency if svc else (by_service[code][0].agency if code in by_service
                                         else refused_service[code][0].agency)
        agency_services.setdefault(agency, []).append(_refused(
            _row(code, _name(config, "service", code), by_service.get(code, []), config,
                 left[code], standards_of), refused_service.get(code, [])))
    return Report(
        mpp=config.mpp.name, kabupaten=config.mpp.kabupaten, period=period, by=by,
        priority=priority, rows=rows, total=total, arrivals=dict(sorted(arrivals.items())),
        counters=[c for c in _counter_hours(conn, config, period, tickets)
                  if agencies is None or _counter_agency(config, c.counter) in agencies],
        peak_hour=peak_hour,
        peak_day_hour=busiest if busiest and busiest[2] else None,
        agency_services=agency_services,
        agency_names={a: _name(config, "agency", a) for a in agency_services},
    )


_Standards = Callable[[int], dict[str, int]]


def _standards_in_force(conn: sqlite3.Connection) -> _Standards | None:
    """Each service's standard minutes in the config in force at an instant (ms), from the
    ledger's config versions; None for a ledger that holds none (the given config's)."""
    versions = config_log.config_versions(conn)
    if not versions:
        return None
    cache: dict[int, dict[str, int]] = {}

    def standards(at_ms: int) -> dict[str, int]:
        v = config_log.version_in_force(versions, from_ms(at_ms)) or versions[0]
        found = cache.get(v.seq)
        if found is None:
            found = cache[v.seq] = {c: s.standard_minutes for c, s in v.config.services.items()}
        return found

    return standards


def _tickets(conn: sqlite3.Connection, period: Period) -> list[_Ticket]:
    """Every ticket whose service day is in the period, as its events fold it: read from the
    projection where it holds the period's tickets (`_projected`), else from the events
    (`_folded`)."""
    found = _projected(conn, period)
    return found if found is not None else _folded(conn, period)


def _projected(conn: sqlite3.Connection, period: Period) -> list[_Ticket] | None:
    """The period's tickets from the projection's tickets table, or None when it does not
    hold them all (a ledger without one, a copy whose projection was cleared).

    The tickets table is the same fold of the same events (shared/ledger/projection.py, in
    the transaction that appends each event, rebuilt from the events alone by
    `Ledger.rebuild`): first call, last counter and officer, start cleared by a transfer,
    end cleared by a requeue, the last priority check. It does not keep how often a ticket
    was requeued nor which services it left, so the few tickets with a requeue or a transfer
    are folded from their own events (`_folded`). Reading ~100,000 rows without JSON is a
    few times faster than folding ~400,000 events; tests/unit/test_report_projection.py
    holds the two to the same report."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='tickets'"
                    ).fetchone() is None:
        return None
    first, last = period.start.isoformat(), period.end.isoformat()
    lo, hi = _id_range(period)
    first_seq, last_seq = conn.execute(
        "SELECT min(seq), max(seq) FROM events WHERE ticket_id >= ? AND ticket_id < ?",
        (lo, hi)).fetchone()
    if first_seq is None:
        return []
    # The period's issue events, through the events_kind index (kind, seq). An issue event
    # whose service day is not its id's would not match the table's count: folded then.
    issued = conn.execute(
        "SELECT count(*) FROM events WHERE kind = ? AND seq BETWEEN ? AND ? "
        "AND +ticket_id >= ? AND +ticket_id < ?",
        (m.TICKET_ISSUED, first_seq, last_seq, lo, hi)).fetchone()[0]
    rows = conn.execute(
        "SELECT ticket_id, service_day, issued_at, service, agency, priority, status, "
        "called_at, started_at, ended_at, counter, officer, priority_ok, transfers "
        "FROM tickets WHERE service_day BETWEEN ? AND ? ORDER BY rowid",  # in issue order
        (first, last)).fetchall()
    if len(rows) != issued:
        return None
    requeued = {tid for (tid,) in conn.execute(
        "SELECT ticket_id FROM events WHERE kind = ? AND seq BETWEEN ? AND ? "
        "AND +ticket_id >= ? AND +ticket_id < ?",
        (m.TICKET_REQUEUED, first_seq, last_seq, lo, hi))}
    out: list[_Ticket] = []
    refold: dict[int, str] = {}
    for (tid, day, issued_at, service, agency, priority, status, called_at, started_at,
         ended_at, counter, officer, priority_ok, transfers) in rows:
        if transfers or tid in requeued:
            refold[len(out)] = tid
        out.append(_Ticket(tid, day, issued_at, service, agency, priority, status, called_at,
                           started_at, ended_at, counter, officer, priority_ok))
    if refold:
        folded = {t.ticket_id: t for t in _folded(conn, period, sorted(refold.values()))}
        for i, tid in refold.items():
            if tid not in folded:
                return None
            out[i] = folded[tid]
    return out


def _id_range(period: Period) -> tuple[str, str]:
    """A ticket's id starts with its service day (YYYYMMDD-…, shared/ledger/ledger.py): the
    period's ids lie between these two."""
    return f"{period.start:%Y%m%d}-", f"{period.end + dt.timedelta(days=1):%Y%m%d}-"


def _folded(conn: sqlite3.Connection, period: Period,
            only: list[str] | None = None) -> list[_Ticket]:
    """Every ticket whose service day is in the period (or those of `only`), from its
    events. The events_ticket index finds the first and last event of the period's tickets,
    whatever the size of the ledger; the events between are read in the log's order (a
    plain scan: faster than one index lookup per event) and each ticket's folded in turn.
    The issue event's own service_day is checked too."""
    lo, hi = _id_range(period)
    columns = (
        "SELECT ticket_id, kind, officer, at_ms, "
        "CASE kind WHEN 'ticket.called' THEN json_extract(data, '$.counter') "
        "  WHEN 'ticket.issued' THEN json_extract(data, '$.service_day') "
        "  WHEN 'ticket.priority_checked' THEN json_extract(data, '$.valid') END, "
        "CASE WHEN kind IN ('ticket.issued', 'ticket.transferred') "
        "  THEN json_extract(data, '$.service') END, "
        "CASE WHEN kind IN ('ticket.issued', 'ticket.transferred') "
        "  THEN json_extract(data, '$.agency') END, "
        "CASE kind WHEN 'ticket.issued' THEN json_extract(data, '$.priority') END "
        "FROM events ")
    if only is not None:
        out: list[_Ticket] = []
        for i in range(0, len(only), 500):  # within SQLite's bound on parameters
            chunk = only[i:i + 500]
            out += _fold(conn.execute(
                columns + f"WHERE ticket_id IN ({','.join('?' * len(chunk))}) ORDER BY seq",
                chunk), period)
        return out
    first_seq, last_seq = conn.execute(
        "SELECT min(seq), max(seq) FROM events WHERE ticket_id >= ? AND ticket_id < ?",
        (lo, hi)).fetchone()
    if first_seq is None:
        return []
    return _fold(conn.execute(
        columns + "WHERE seq BETWEEN ? AND ? AND ticket_id >= ? AND ticket_id < ?",
        (first_seq, last_seq, lo, hi)), period)


def _fold(rows: Iterable[tuple[Any, ...]], period: Period) -> list[_Ticket]:
    """The tickets of the period folded from their events' rows, in the log's order."""
    out: list[_Ticket] = []
    tickets: dict[str, _Ticket] = {}
    get = tickets.get
    first, last = period.start.isoformat(), period.end.isoformat()
    called, started, issued = m.TICKET_CALLED, m.TICKET_STARTED, m.TICKET_ISSUED
    ended = _ENDED
    for tid, kind, officer, at, extra, service, agency, priority in rows:
        if kind == called:
            t = get(tid)
            if t is not None:
                t.status = m.CALLED
                t.counter, t.officer = int(extra), officer
                if t.called_at is None:
                    t.called_at = at
        elif kind == started:
            t = get(tid)
            if t is not None:
                t.status, t.started_at = m.SERVING, at
        elif kind in ended:
            t = get(tid)
            if t is not None:
                t.status, t.ended_at = ended[kind], at
        elif kind == issued:
            if extra is not None and first <= extra <= last:
                t = tickets[tid] = _Ticket(tid, extra, at, service, agency, priority)
                out.append(t)
        else:
            t = get(tid)
            if t is None:
                continue  # an event of a ticket outside the period or not a ticket event
            if kind == m.TICKET_REQUEUED:
                t.status, t.ended_at = m.WAITING, None
                t.returned += 1
            elif kind == m.TICKET_TRANSFERRED:
                t.left.append(t.service)
                t.status, t.started_at = m.WAITING, None
                t.service, t.agency = service, agency
            elif kind == m.TICKET_PRIORITY_CHECKED:
                t.priority_ok = 1 if extra else 0
    return out


@dataclass(frozen=True)
class _Refusal:
    """One new ticket refused (ticket.refused) in the period."""

    service: str
    agency: str
    priority: str | None
    reason: str


def _refusals(conn: sqlite3.Connection, period: Period) -> list[_Refusal]:
    """The period's refused tickets, by their service day. They carry no ticket id: read
    through the events_kind index, which holds only refusals for this kind (a few a day)."""
    first, last = period.start.isoformat(), period.end.isoformat()
    return [_Refusal(str(service), str(agency), priority, str(reason))
            for service, agency, priority, reason in conn.execute(
                "SELECT json_extract(data, '$.service'), json_extract(data, '$.agency'), "
                "json_extract(data, '$.priority'), json_extract(data, '$.reason') "
                "FROM events WHERE kind = ? "
                "AND json_extract(data, '$.service_day') BETWEEN ? AND ? ORDER BY seq",
                (m.TICKET_REFUSED, first, last))]


def _refused(row: Row, refusals: list[_Refusal]) -> Row:
    quota = sum(1 for r in refusals if r.reason == QUOTA_FULL)
    return replace(row, refused_quota=quota, refused_hours=len(refusals) - quota)


def _service_agency(config: HallConfig, code: str) -> str | None:
    svc = config.services.get(code)
    return svc.agency if svc else None


def _counter_agency(config: HallConfig, number: int) -> str | None:
    counter = config.counters.get(number)
    return counter.agency if counter else None


def _keep(t: _Ticket, priority: str | None) -> bool:
    return _keep_priority(t.priority, priority)


def _keep_priority(claimed: str | None, priority: str | None) -> bool:
    if priority is None:
        return True
    if priority == "any":
        return claimed is not None
    if priority == "none":
        return claimed is None
    return claimed == priority


def _key(t: _Ticket, by: str) -> str | None:
    if by == "agency":
        return t.agency
    if by == "service":
        return t.service
    if by == "counter":
        return None if t.counter is None else str(t.counter)
    return t.officer


def _sort_key(key: str) -> tuple[int, str]:
    return (int(key), "") if key.isdigit() else (10**9, key)


def _name(config: HallConfig, by: str, key: str,
          officer_names: Mapping[str, str] | None = None) -> str:
    if by == "agency":
        agency = config.agencies.get(key)
        return agency.name if agency else key
    if by == "service":
        svc = config.services.get(key)
        return svc.name if svc else key
    if by == "counter":
        counter = config.counters.get(int(key))
        return counter.name if counter else f"Loket {key}"
    return (officer_names or {}).get(key, key)


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _measure(tickets: list[_Ticket], config: HallConfig,
             standards_of: _Standards | None) -> None:
    """Each ticket's wait, service time and standard kept, once for every group it is in. A
    ticket's standard time is the one in force when it was issued (`standards_of`), not
    today's."""
    standard = {code: svc.standard_minutes for code, svc in config.services.items()}
    finished = m.FINISHED
    for t in tickets:
        called = t.called_at
        if called is None:
            continue
        t.wait_min = (called - t.issued_at) / 60000
        if t.status == finished:
            minutes = (t.ended_at - (t.started_at or called)) / 60000  # type: ignore[operator]
            t.service_min = minutes
            limit = (standard if standards_of is None
                     else standards_of(t.issued_at)).get(t.service)
            t.within = limit is not None and minutes <= limit


def _local_hours(config: HallConfig) -> Callable[[int], tuple[dt.date, int]]:
    """The local day and hour of an instant (ms), worked out once per quarter hour of UTC:
    every zone's offset and its changes fall on quarter hours, so an instant's local hour is
    its quarter's."""
    tz = config.tz
    seen: dict[int, tuple[dt.date, int]] = {}

    def local(ms: int) -> tuple[dt.date, int]:
        quarter = ms // 900_000
        found = seen.get(quarter)
        if found is None:
            at = dt.datetime.fromtimestamp(quarter * 900, tz)
            found = seen[quarter] = (at.date(), at.hour)
        return found

    return local


def _row(key: str, name: str, tickets: list[_Ticket], config: HallConfig,
         transferred: int, standards_of: _Standards | None = None) -> Row:
    """One group's figures, in one pass over its tickets (measured before, `_measure`)."""
    waits: list[float] = []
    services: list[float] = []
    within = returned = priority = confirmed = rejected = 0
    statuses: Counter[str] = Counter()
    codes: set[str] = set()
    for t in tickets:
        statuses[t.status] += 1
        codes.add(t.service)
        if t.wait_min is not None:
            waits.append(t.wait_min)
            if t.service_min is not None:
                services.append(t.service_min)
                within += t.within
        returned += t.returned
        if t.priority:
            priority += 1
        if t.priority_ok is not None:
            if t.priority_ok:
                confirmed += 1
            else:
                rejected += 1
    standard = {code: svc.standard_minutes for code, svc in config.services.items()}
    if standards_of is not None and tickets:
        standard = standards_of(max(t.issued_at for t in tickets))
    standards = [float(standard[c]) for c in sorted(codes) if c in standard]
    # Sorted here once: percentile's own sort of a sorted list is then a linear pass.
    waits.sort()
    services.sort()
    return Row(
        key=key, name=name, issued=len(tickets), served=statuses[m.FINISHED],
        no_show=statuses[m.NO_SHOW], returned=returned,
        transferred=transferred, cancelled=statuses[m.CANCELLED], expired=statuses[m.EXPIRED],
        waiting=sum(statuses[s] for s in (m.WAITING, m.CALLED, m.SERVING)),
        avg_wait_min=_mean(waits), median_wait_min=percentile(waits, 50),
        p90_wait_min=percentile(waits, 90), avg_service_min=_mean(services),
        median_service_min=percentile(services, 50), p90_service_min=percentile(services, 90),
        standard_min=_mean(standards),
        within_standard=within / len(services) if services else None,
        priority=priority, priority_confirmed=confirmed, priority_rejected=rejected,
        services=len(codes),
    )


def _counter_hours(conn: sqlite3.Connection, config: HallConfig, period: Period,
                   tickets: list[_Ticket]) -> list[CounterHours]:
    """Per counter: tickets it served in the period, the hours it was open (signed in or
    opened, until paused, closed or signed out; an interval still open at the end of its
    service day ends there) and their ratio."""
    tz = config.tz
    start = to_ms(dt.datetime.combine(period.start, dt.time(), tz))
    end = to_ms(dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(), tz))
    kinds = (*_OPENS, *_SHUTS)
    marks = ",".join("?" * len(kinds))
    open_since: dict[int, int] = {}
    open_ms: Counter[int] = Counter()

    def day_end(ms: int) -> int:
        local = dt.datetime.fromtimestamp(ms / 1000, tz).date() + dt.timedelta(days=1)
        return to_ms(dt.datetime.combine(local, dt.time(), tz))

    for kind, at, counter in conn.execute(
            f"SELECT kind, at_ms, json_extract(data, '$.counter') FROM events "
            f"WHERE kind IN ({marks}) AND at_ms >= ? AND at_ms < ? ORDER BY seq",
            (*kinds, start, end)):
        since = open_since.pop(counter, None)
        if since is not None:
            open_ms[counter] += min(at, day_end(since)) - since
        if kind in _OPENS:
            open_since[counter] = at
    for counter, since in open_since.items():
        open_ms[counter] += min(end, day_end(since)) - since
    served = Counter(t.counter for t in tickets if t.status == m.FINISHED)
    out = []
    for number in sorted(set(open_ms) | {c for c in served if c is not None}):
        hours = open_ms[number] / 3_600_000
        counter = config.counters.get(number)
        out.append(CounterHours(number, counter.name if counter else f"Loket {number}",
                                served[number], round(hours, 2),
                                served[number] / hours if hours > 0 else None))
    return out
