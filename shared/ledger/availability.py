"""When a service takes new tickets: one pure rule shared by the ledger (which refuses) and
the kiosk (which shows a closed or full service before the visitor taps it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shared.config import HallConfig, Service

HOLIDAY = "holiday"
CLOSED_TODAY = "closed_today"
NOT_YET_OPEN = "not_yet_open"
CUTOFF = "cutoff"
QUOTA_FULL = "quota_full"


@dataclass(frozen=True)
class TicketWindow:
    reason: str | None  # None: tickets are issued now; else one of the codes above
    next_open: dt.date | None = None  # when to come back
    at: dt.datetime | None = None  # not_yet_open: first ticket time; cutoff: when it stopped
    holiday: str | None = None
    remaining: int | None = None  # quota left today, for open services with a quota

    @property
    def is_open(self) -> bool:
        return self.reason is None


def next_open_day(config: HallConfig, service: Service, after: dt.date) -> dt.date | None:
    schedule = config.schedule_for(service)
    for i in range(1, 60):
        day = after + dt.timedelta(days=i)
        if schedule.hours_on(day) is not None and day not in config.holidays:
            return day
    return None


def ticket_window(config: HallConfig, service: Service, now: dt.datetime, issued_today: int
                  ) -> TicketWindow:
    """Tickets are issued from `tickets_from_minutes` before opening (the crowd at 07:55)
    until the service's cut-off before closing, on open days that are not holidays, while the
    daily quota lasts."""
    local = now.astimezone(config.tz)
    day = local.date()
    holiday = config.holidays.get(day)
    if holiday is not None:
        return TicketWindow(HOLIDAY, next_open_day(config, service, day), holiday=holiday)
    hours = config.schedule_for(service).hours_on(day)
    if hours is None:
        return TicketWindow(CLOSED_TODAY, next_open_day(config, service, day))
    opens = dt.datetime.combine(day, hours.start, config.tz)
    first = opens - dt.timedelta(minutes=config.rules.tickets_from_minutes)
    last = dt.datetime.combine(day, hours.end, config.tz) - dt.timedelta(
        minutes=service.cutoff_minutes)
    if local < first:
        return TicketWindow(NOT_YET_OPEN, day, at=first)
    if local >= last:
        return TicketWindow(CUTOFF, next_open_day(config, service, day), at=last)
    if service.daily_quota is not None:
        left = service.daily_quota - issued_today
        if left <= 0:
            return TicketWindow(QUOTA_FULL, next_open_day(config, service, day))
        return TicketWindow(None, remaining=left)
    return TicketWindow(None)
