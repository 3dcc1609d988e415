"""What the demo hall is made of, decided from the hall config alone (no Qt, no I/O).

Two counters of the agency with the most counters that call from the same queue (Dukcapil's
Loket 3 and 4 in the example hall), an officer for each, the services visitors ask for there,
and the moment the demo's day starts: the real time when the hall is open, else a simulated
clock at the next opening.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shared.config import Counter, HallConfig, Service

KIOSK = "kiosk-1"
BOARD = "display-1"
VISITORS = 8
PRIORITY_VISITOR = 2  # the third visitor is elderly (lansia) and says so at the kiosk
MONDAY = 0


class PlanError(ValueError):
    """The hall config cannot stage the demo (no two counters share a queue...)."""


@dataclass(frozen=True)
class DemoOfficer:
    officer: str  # what is typed into "ID petugas"
    name: str
    pin: str
    counter: int

    @property
    def station(self) -> str:
        return f"loket-{self.counter}"


@dataclass(frozen=True)
class DemoVisitor:
    agency: str
    service: str
    priority: str | None  # None: "Tidak" on the priority question


@dataclass(frozen=True)
class DemoPlan:
    agency: str
    queue: str
    officers: tuple[DemoOfficer, DemoOfficer]
    services: tuple[Service, ...]  # what visitors ask for, in the queue both counters call
    visitors: tuple[DemoVisitor, ...]

    @property
    def counters(self) -> tuple[int, int]:
        return self.officers[0].counter, self.officers[1].counter


def demo_counters(config: HallConfig) -> tuple[Counter, Counter, str]:
    """Two counters of one agency that call from one queue, and that queue: the agency with the
    most counters first (the hall's busiest), its lowest-numbered such pair."""
    by_agency: dict[str, list[Counter]] = {}
    for number in sorted(config.counters):
        c = config.counters[number]
        by_agency.setdefault(c.agency, []).append(c)
    for agency in sorted(by_agency, key=lambda a: -len(by_agency[a])):
        counters = by_agency[agency]
        for i, first in enumerate(counters):
            for second in counters[i + 1:]:
                shared_queues = [q for q in first.queues if q in second.queues]
                if shared_queues:
                    return first, second, shared_queues[0]
    raise PlanError("the demo needs two counters of one agency that call from the same queue")


def make_plan(config: HallConfig) -> DemoPlan:
    first, second, queue = demo_counters(config)
    services = tuple(s for s in config.services_of(first.agency) if s.queue == queue)
    if not services:  # config validation makes every queue someone's; be explicit anyway
        raise PlanError(f"no service of {first.agency} issues tickets for queue {queue}")
    officers = (DemoOfficer("siti", "Siti Rahayu", "2468", first.number),
                DemoOfficer("budi", "Budi Santoso", "1357", second.number))
    visitors = tuple(
        DemoVisitor(first.agency, services[i % len(services)].code,
                    "lansia" if i == PRIORITY_VISITOR else None)
        for i in range(VISITORS))
    return DemoPlan(first.agency, queue, officers, services, visitors)


def opening(config: HallConfig, services: tuple[Service, ...], day: dt.date) -> dt.datetime | None:
    """When all of the services are open on `day` (the latest opening), or None if one is
    closed that day or the day is a holiday."""
    if day in config.holidays:
        return None
    starts = []
    for s in services:
        hours = config.schedule_for(s).hours_on(day)
        if hours is None:
            return None
        starts.append(hours.start)
    return dt.datetime.combine(day, max(starts), config.tz)


def monday_morning(config: HallConfig, services: tuple[Service, ...],
                   now: dt.datetime) -> dt.datetime:
    """Opening time of the first Monday from today (hall time) on which the services are open:
    the scripted session's day, whatever the real day and time."""
    day = now.astimezone(config.tz).date()
    for i in range(7 * 60):
        d = day + dt.timedelta(days=i)
        if d.weekday() == MONDAY:
            start = opening(config, services, d)
            if start is not None:
                return start
    raise PlanError("the demo services are not open on any Monday of the next year")


def open_now(config: HallConfig, services: tuple[Service, ...], now: dt.datetime) -> bool:
    """Whether visitors get a ticket for every demo service now and the counters are open."""
    local = now.astimezone(config.tz)
    day = local.date()
    start = opening(config, services, day)
    if start is None or local < start:
        return False
    for s in services:
        hours = config.schedule_for(s).hours_on(day)
        assert hours is not None  # opening() found every service open today
        last = dt.datetime.combine(day, hours.end, config.tz) - dt.timedelta(
            minutes=s.cutoff_minutes)
        if local >= last:  # the ledger issues no more tickets for it today
            return False
    return True


def next_opening(config: HallConfig, services: tuple[Service, ...],
                 now: dt.datetime) -> dt.datetime:
    """The next moment the demo services open (later today, or a later day)."""
    local = now.astimezone(config.tz)
    for i in range(400):
        d = local.date() + dt.timedelta(days=i)
        start = opening(config, services, d)
        if start is not None and start > local:
            return start
    raise PlanError("the demo services are not open on any day of the next year")
