"""The simulated service day, as pure models: when visitors arrive and what they ask for, and
how each visitor behaves at the counter (shows up or not, how long the service takes, whether
they were at the wrong agency). No I/O, no clock: the runner and the station workers turn these
plans into commands on the hub's simulated clock.

Every random choice comes from a seeded `random.Random`, and a ticket's fate from a generator
seeded with the ticket's id, so the same seed gives the same day whichever process (or order of
arrival at the hub) asks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.config import PRIORITY_GROUPS, HallConfig, Schedule, Service

# How visitors and officers behave. Numbers are minutes of simulated time unless named.
PRIORITY_SHARE = 0.10  # visitors in a priority group (UU 25/2009 Pasal 29)
PRIORITY_MIX = {"lansia": 0.6, "ibu_hamil": 0.15, "anak": 0.1, "disabilitas": 0.1,
                "korban_bencana": 0.05}
WRONG_CHOICE_SHARE = 0.03  # visitors who ask for a service without checking its hours
KIOSK_TOUCH_SECONDS = (10.0, 25.0)  # a visitor at the touchscreen, from tap to ticket
# The published standard is a promise (an upper bound); most visits take a third to a half of it.
SERVICE_MEDIAN_OF_STANDARD = 0.35
SERVICE_SIGMA = 0.5
WALK_TO_COUNTER = (0.3, 1.5)
# No-shows grow with the wait: people give up and go home.
NO_SHOW_BASE = 0.10
NO_SHOW_PER_WAIT = 0.25  # added at NO_SHOW_FULL_WAIT minutes of waiting
NO_SHOW_FULL_WAIT = 120.0
NO_SHOW_WAIT_BEFORE_RECALL = 1.5
NO_SHOW_WAIT_AFTER_RECALL = 1.5
RETURNING_NO_SHOW_SHARE = 0.25  # come back later and ask an officer to put them back in line
RETURN_AFTER = (10.0, 60.0)
TRANSFER_SHARE = 0.03  # at the wrong agency: sent to another agency's service
TRANSFER_AFTER = (1.0, 4.0)  # the officer listens, then transfers
SIGN_IN_BEFORE_OPENING = (5.0, 25.0)
OVERTIME_LIMIT = 60.0  # officers serve the line past closing at most this long
LAST_MOVES_BEFORE_CLOSING = 15.0  # no transfers or returns this close to closing
# No new call this close to a break: the officer would not start with a visitor at 11:58, and
# a no-show's recall (NO_SHOW_WAIT_BEFORE_RECALL later) still falls before the break. It also
# keeps a call sent just before the break from being stamped in it when the run is fast.
WIND_DOWN_BEFORE_BREAK = 3.0
MOST_COUNTERS_BOOST = 1.25  # the agency with the most counters (Dukcapil) draws the most people


@dataclass(frozen=True)
class Visitor:
    number: int  # 1-based, in order of arrival
    arrives: dt.datetime  # aware, hall time zone
    service: str
    priority: str | None
    kiosk: int  # index into the kiosks, 0-based

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "arrives": self.arrives.isoformat(),
                "service": self.service, "priority": self.priority, "kiosk": self.kiosk}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Visitor:
        return cls(int(d["number"]), dt.datetime.fromisoformat(d["arrives"]), str(d["service"]),
                   d.get("priority"), int(d["kiosk"]))


@dataclass(frozen=True)
class CounterDay:
    """One counter's working day: when the officer signs in, opens, breaks and closes."""

    number: int
    agency: str
    queues: tuple[str, ...]
    opens: dt.datetime
    closes: dt.datetime
    breaks: tuple[tuple[dt.datetime, dt.datetime], ...]

    def break_at(self, moment: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
        for b in self.breaks:
            if b[0] <= moment < b[1]:
                return b
        return None

    def next_break(self, moment: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
        later = [b for b in self.breaks if b[1] > moment]
        return min(later) if later else None


@dataclass(frozen=True)
class DayPlan:
    """Which part of the hall works on a day, and when."""

    config: HallConfig
    day: dt.date
    counters: tuple[CounterDay, ...]  # counters in use whose agency opens today
    idle_counters: tuple[int, ...]  # counters in use whose agency is closed today
    services: tuple[str, ...]  # services open today that an open counter serves
    tickets_from: dt.datetime  # first moment any ticket can be issued
    hall_opens: dt.datetime
    last_cutoff: dt.datetime  # last moment any open service still issues tickets
    hall_closes: dt.datetime
    hall_breaks: tuple[tuple[dt.datetime, dt.datetime], ...] = field(default=())

    def cutoff_of(self, code: str) -> dt.datetime:
        svc = self.config.services[code]
        hours = self.config.schedule_for(svc).hours_on(self.day)
        assert hours is not None
        return self._at(hours.end) - dt.timedelta(minutes=svc.cutoff_minutes)

    def _at(self, t: dt.time) -> dt.datetime:
        return dt.datetime.combine(self.day, t, self.config.tz)

    def agency_of_counter(self, number: int) -> str:
        return self.config.counters[number].agency

    def transfer_targets(self, from_agency: str) -> list[str]:
        return [s for s in self.services if self.config.services[s].agency != from_agency]


class PlanError(ValueError):
    """The requested day cannot be simulated (hall closed, no counter works)."""


def _day_breaks(schedule: Schedule, day: dt.date, tz: dt.tzinfo
                ) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    return tuple(
        (dt.datetime.combine(day, b.range.start, tz), dt.datetime.combine(day, b.range.end, tz))
        for b in schedule.breaks.get(day.weekday(), ())
    )


def plan_day(config: HallConfig, day: dt.date, counters: int | None = None) -> DayPlan:
    """The counters in use are the first `counters` of the config (all when None)."""
    if day in config.holidays:
        raise PlanError(f"{day} is a holiday in this hall ({config.holidays[day]})")
    numbers = sorted(config.counters)
    if counters is not None:
        if counters < 1:
            raise PlanError("at least one counter is needed")
        if counters > len(numbers):
            raise PlanError(f"the hall config has {len(numbers)} counters; "
                            f"cannot simulate {counters}")
        numbers = numbers[:counters]
    tz = config.tz
    working: list[CounterDay] = []
    idle: list[int] = []
    for n in numbers:
        c = config.counters[n]
        agency = config.agencies[c.agency]
        schedule = agency.schedule if agency.schedule is not None else config.schedule
        hours = schedule.hours_on(day)
        if hours is None:
            idle.append(n)
            continue
        working.append(CounterDay(
            n, c.agency, c.queues, dt.datetime.combine(day, hours.start, tz),
            dt.datetime.combine(day, hours.end, tz), _day_breaks(schedule, day, tz)))
    if not working:
        raise PlanError(f"no counter in use works on {day:%A} {day}")
    served_queues = {q for c in working for q in c.queues}
    services = []
    for code, svc in config.services.items():
        hours = config.schedule_for(svc).hours_on(day)
        if hours is not None and svc.queue in served_queues:
            services.append(code)
    if not services:
        raise PlanError(f"no service is open on {day} at the counters in use")
    hall_hours = config.schedule.hours_on(day)
    opens = min(c.opens for c in working)
    closes = max(c.closes for c in working)
    if hall_hours is not None:
        opens = min(opens, dt.datetime.combine(day, hall_hours.start, tz))
    plan = DayPlan(
        config=config, day=day, counters=tuple(working), idle_counters=tuple(idle),
        services=tuple(services),
        tickets_from=opens - dt.timedelta(minutes=config.rules.tickets_from_minutes),
        hall_opens=opens, last_cutoff=opens, hall_closes=closes,
        hall_breaks=_day_breaks(config.schedule, day, tz),
    )
    last_cutoff = max(plan.cutoff_of(s) for s in services)
    return dataclasses.replace(plan, last_cutoff=last_cutoff)


# --- who comes, when, for what -------------------------------------------------------------


def arrival_density(plan: DayPlan, moment: dt.datetime) -> float:
    """Relative arrival rate at a moment: a crowd from before opening that peaks just after it,
    a smaller wave when the break ends, and a background that tails off towards the cutoff.
    Halved during the break (the counters are visibly shut)."""
    if moment < plan.tickets_from - dt.timedelta(minutes=30) or moment >= plan.hall_closes:
        return 0.0
    opens = plan.hall_opens
    minutes = (moment - opens).total_seconds() / 60
    span = max(1.0, (plan.last_cutoff - opens).total_seconds() / 60)
    morning = 2.2 * math.exp(-0.5 * ((minutes - 10) / 40) ** 2)
    background = max(0.0, 1.0 - 0.7 * minutes / span) if minutes > -45 else 0.0
    after_break = 0.0
    for _start, end in plan.hall_breaks:
        since = (moment - end).total_seconds() / 60
        after_break += 1.2 * math.exp(-0.5 * ((since - 10) / 25) ** 2)
    rate = morning + background + after_break
    if any(s <= moment < e for s, e in plan.hall_breaks):
        rate *= 0.5
    if moment >= plan.last_cutoff:
        rate *= 0.08  # a few latecomers who find the kiosk closed
    return rate


def sample_arrivals(plan: DayPlan, n: int, rng: random.Random) -> list[dt.datetime]:
    """n arrival moments drawn from `arrival_density` (rejection sampling on a 1-minute grid);
    anyone at the door before tickets start is at the kiosk the moment it starts issuing."""
    start = plan.tickets_from - dt.timedelta(minutes=30)
    minutes = int((plan.hall_closes - start).total_seconds() // 60)
    grid = [arrival_density(plan, start + dt.timedelta(minutes=i)) for i in range(minutes)]
    top = max(grid)
    out: list[dt.datetime] = []
    while len(out) < n:
        i = rng.randrange(minutes)
        if rng.random() * top < grid[i]:
            moment = start + dt.timedelta(minutes=i + rng.random())
            if moment < plan.tickets_from:
                moment = plan.tickets_from + dt.timedelta(seconds=rng.uniform(0, 120))
            out.append(moment)
    return sorted(out)


def service_weights(plan: DayPlan) -> dict[str, float]:
    """How likely a visitor asks for each service: an agency draws people in proportion to what
    its counters can serve today (counters × open hours ÷ typical standard time), the agency with
    the most counters (Dukcapil in the example hall) more so; within an agency, quick services
    are asked for more often than long ones."""
    config = plan.config
    by_agency: dict[str, list[Service]] = {}
    for code in plan.services:
        svc = config.services[code]
        by_agency.setdefault(svc.agency, []).append(svc)
    counters_of: dict[str, list[CounterDay]] = {}
    for c in plan.counters:
        counters_of.setdefault(c.agency, []).append(c)
    most = max(len(v) for v in counters_of.values())
    weights: dict[str, float] = {}
    for agency, svcs in by_agency.items():
        cds = counters_of.get(agency, [])
        hours = sum(
            ((c.closes - c.opens) - sum((e - s for s, e in c.breaks), dt.timedelta()))
            .total_seconds() / 3600 for c in cds)
        typical = sum(s.standard_minutes for s in svcs) / len(svcs)
        capacity = hours * 60 / max(1.0, typical)
        if len(cds) == most:
            capacity *= MOST_COUNTERS_BOOST
        inverse = [1 / math.sqrt(max(1, s.standard_minutes)) for s in svcs]
        for s, w in zip(svcs, inverse, strict=True):
            weights[s.code] = capacity * w / sum(inverse)
    return weights


def plan_visitors(plan: DayPlan, n: int, kiosks: int, seed: int) -> list[Visitor]:
    """The day's visitors in order of arrival, each at a kiosk (they take the next free one)."""
    rng = random.Random(f"visitors/{seed}")
    weights = service_weights(plan)
    codes = list(weights)
    cum = list(_accumulate([weights[c] for c in codes]))
    groups = list(PRIORITY_MIX)
    group_cum = list(_accumulate([PRIORITY_MIX[g] for g in groups]))
    visitors: list[Visitor] = []
    for i, moment in enumerate(sample_arrivals(plan, n, rng)):
        service = _pick(codes, cum, rng)
        if rng.random() >= WRONG_CHOICE_SHARE:
            # Most people know when a service stops issuing tickets and ask for an open one.
            for _ in range(20):
                if moment < plan.cutoff_of(service):
                    break
                service = _pick(codes, cum, rng)
        priority = _pick(groups, group_cum, rng) if rng.random() < PRIORITY_SHARE else None
        assert priority is None or priority in PRIORITY_GROUPS
        visitors.append(Visitor(i + 1, moment, service, priority, i % kiosks))
    return visitors


def _accumulate(xs: Sequence[float]) -> list[float]:
    out, total = [], 0.0
    for x in xs:
        total += x
        out.append(total)
    return out


def _pick(items: Sequence[str], cum: Sequence[float], rng: random.Random) -> str:
    r = rng.random() * cum[-1]
    for item, c in zip(items, cum, strict=True):
        if r < c:
            return item
    return items[-1]


# --- at the counter ------------------------------------------------------------------------


@dataclass(frozen=True)
class Fate:
    """What happens when a counter calls a ticket."""

    present: bool
    walk_minutes: float
    service_minutes: float
    transfer_to: str | None  # a service of another agency, or None
    returns_after: float | None  # a no-show who comes back after this many minutes


def ticket_fate(plan: DayPlan, seed: int, ticket: dict[str, Any],
                transfer_allowed: bool = True) -> Fate:
    """Decide a called ticket's visitor from the ticket alone (its id, its service, how long it
    waited, how often it was called), so it does not matter which counter or process calls it.

    A ticket called for the first time may be a no-show, more likely the longer it waited; a
    ticket called again (after returning or after a transfer) is always there. A visitor is sent
    to another agency at most once."""
    rng = random.Random(f"fate/{seed}/{ticket['ticket_id']}/{ticket['transfers']}")
    waited = max(0.0, (int(ticket["called_at"]) - int(ticket["issued_at"])) / 60000)
    p_no_show = NO_SHOW_BASE + NO_SHOW_PER_WAIT * min(1.0, waited / NO_SHOW_FULL_WAIT)
    present = int(ticket["call_count"]) > 1 or rng.random() >= p_no_show
    standard = plan.config.services[ticket["service"]].standard_minutes
    service = rng.lognormvariate(math.log(SERVICE_MEDIAN_OF_STANDARD * standard), SERVICE_SIGMA)
    service = min(max(service, 1.0), 3.0 * standard)
    walk = rng.uniform(*WALK_TO_COUNTER)
    transfer_to = None
    if present and int(ticket["transfers"]) == 0 and rng.random() < TRANSFER_SHARE:
        targets = plan.transfer_targets(ticket["agency"]) if transfer_allowed else []
        if targets:
            transfer_to = rng.choice(sorted(targets))
            service = rng.uniform(*TRANSFER_AFTER)
    returns_after = None
    if not present and rng.random() < RETURNING_NO_SHOW_SHARE:
        returns_after = rng.uniform(*RETURN_AFTER)
    return Fate(present, walk, service, transfer_to, returns_after)


def sign_in_moment(counter: CounterDay, seed: int) -> dt.datetime:
    rng = random.Random(f"sign-in/{seed}/{counter.number}")
    return counter.opens - dt.timedelta(minutes=rng.uniform(*SIGN_IN_BEFORE_OPENING))


def kiosk_touch_seconds(seed: int, visitor: int) -> float:
    return random.Random(f"touch/{seed}/{visitor}").uniform(*KIOSK_TOUCH_SECONDS)


def hall_open_on(config: HallConfig, day: dt.date) -> bool:
    """The hall works that day: its schedule has hours for the weekday and it is no holiday."""
    return day not in config.holidays and config.schedule.hours_on(day) is not None


def working_days(config: HallConfig, start: dt.date, n: int) -> list[dt.date]:
    """The first `n` days on or after `start` that the hall works (weekends and the config's
    holidays skipped), for a run of several days."""
    if n < 1:
        raise PlanError("--days must be at least 1")
    days: list[dt.date] = []
    day = start
    while len(days) < n:
        if hall_open_on(config, day):
            days.append(day)
        day += dt.timedelta(days=1)
        if (day - start).days > 3 * n + 60:
            raise PlanError(f"the hall config opens on fewer than {n} days after {start}")
    return days
