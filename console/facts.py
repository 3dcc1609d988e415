"""What the live hall shows, read from the console's replica with the ledger's own queries:
plain data for the templates. The coordinator's filter is applied here, on the server: rows of
another agency are never built, so no page or stream can carry them. No aiohttp here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from console.accounts import User
from console.i18n import Words
from shared.clock import from_ms, to_ms
from shared.ledger import model as m
from shared.ledger.queries import LedgerReader


@dataclass
class CounterRow:
    number: int
    name: str
    agency: str
    state: str  # "open", "paused", "closed"
    state_text: str
    officer: str
    ticket: str  # the label being called or served, "" when none
    service: str
    minutes: int | None  # for how long, when a ticket is at the counter
    over: bool  # past the service's standard minutes
    standard: int | None
    calls_hour: int


@dataclass
class ServiceRow:
    code: str
    agency: str
    name: str
    waiting: int
    longest: int | None  # minutes the longest-waiting ticket has waited
    estimate: str  # for a ticket taken now
    quota: int | None
    used: int
    # New tickets refused today (ticket.refused), per reason: quota_full, cutoff, …
    refused: dict[str, int] = field(default_factory=dict)

    @property
    def refused_total(self) -> int:
        return sum(self.refused.values())

    @property
    def left(self) -> int | None:
        return None if self.quota is None else max(0, self.quota - self.used)


@dataclass
class AlertRow:
    device: str
    kind: str
    message: str
    since: str  # HH:MM
    key: str = ""  # what a resolve from the console names


@dataclass
class ResolvedRow:
    device: str  # the station whose problem it was
    kind: str
    message: str
    by: str  # the person who resolved it from the console, or the station itself
    at: str  # HH:MM


@dataclass
class HallFacts:
    date: str
    time: str
    counters: list[CounterRow]
    services: list[ServiceRow]
    alerts: list[AlertRow] = field(default_factory=list)
    show_alerts: bool = True
    resolved: list[ResolvedRow] = field(default_factory=list)


def hall_facts(reader: LedgerReader, now: dt.datetime, user: User, t: Words,
               names: Mapping[str, str] | None = None) -> HallFacts:
    """`names`: officers' full names by id (from the hub, console.directory); an officer
    without one shows their id."""
    names = names or {}
    config = reader.config
    day = config.service_day(now)
    local = now.astimezone(config.tz)
    now_ms = to_ms(now)
    hour_start = to_ms(local.replace(minute=0, second=0, microsecond=0))
    calls = _calls_since(reader, hour_start)
    counters = []
    for number, cfg in sorted(config.counters.items()):
        if not user.sees(cfg.agency):
            continue
        view = reader.counter(number)
        ticket = reader.ticket(view.ticket_id) if view.ticket_id else None
        state = {m.COUNTER_OPEN: "open", m.COUNTER_PAUSED: "paused"}.get(view.status, "closed")
        service = config.services.get(ticket.service) if ticket else None
        minutes: int | None = None
        if ticket is not None:
            since = ticket.started_at or ticket.last_called_at or ticket.called_at
            minutes = max(0, (now_ms - since) // 60000) if since else None
        standard = service.standard_minutes if service else None
        counters.append(CounterRow(
            number, cfg.name, _agency(reader, cfg.agency), state, t(f"counter_{state}"),
            names.get(view.officer or "", view.officer or ""), ticket.label if ticket else "",
            service.name if service else "", minutes,
            bool(minutes is not None and standard is not None and minutes > standard),
            standard, calls.get(number, 0)))
    services = []
    for code, service in config.services.items():
        if not user.sees(service.agency):
            continue
        waiting, oldest = reader.conn.execute(
            "SELECT count(*), min(issued_at) FROM tickets WHERE service=? AND service_day=? "
            "AND status=?", (code, day.isoformat(), m.WAITING)).fetchone()
        in_queue = reader.waiting_count([service.queue], day)
        estimate = reader.estimated_wait_minutes(service.queue, in_queue, day, now)
        services.append(ServiceRow(
            code, _agency(reader, service.agency), service.name, int(waiting),
            max(0, (now_ms - int(oldest)) // 60000) if oldest is not None else None,
            t.wait(estimate), service.daily_quota, reader.issued_today(f"s:{code}", day),
            reader.refused_today(code, day)))
    # Alerts are about the hall's stations (kiosks, printers), which belong to no agency:
    # the hall's people see them, a coordinator does not.
    show = user.role != "coordinator"
    alerts = [AlertRow(a.device, a.kind, a.message,
                       f"{from_ms(a.since_ms).astimezone(config.tz):%H:%M}", a.key)
              for a in reader.open_alerts(day)] if show else []
    resolved = resolved_alerts(reader, day) if show else []
    return HallFacts(t.date(day), f"{local:%H:%M}", counters, services, alerts, show,
                     resolved)


RESOLVED_SHOWN = 8


def resolved_alerts(reader: LedgerReader, day: dt.date, limit: int = RESOLVED_SHOWN
                    ) -> list[ResolvedRow]:
    """The day's latest resolutions, newest first: who resolved each (`by`, the person at the
    console; else the station that said its problem was over, e.g. a kiosk's printer OK)."""
    start = to_ms(dt.datetime.combine(day, dt.time(), reader.config.tz))
    rows = reader.conn.execute(
        "SELECT device, at_ms, json_extract(data, '$.key'), json_extract(data, '$.kind'), "
        "json_extract(data, '$.message'), json_extract(data, '$.by') FROM events "
        "WHERE kind=? AND json_extract(data, '$.state')=? AND at_ms >= ? "
        "ORDER BY seq DESC LIMIT ?", (m.STATION_ALERT, m.ALERT_RESOLVED, start, limit))
    out = []
    for device, at_ms, key, kind, message, by in rows:
        key, kind = str(key or ""), str(kind or "")
        # The key is "<station>:<kind>" (queries.alert_key): the station is what precedes it.
        owner = key[:-len(kind) - 1] if kind and key.endswith(":" + kind) else device
        out.append(ResolvedRow(owner, kind, str(message or ""), str(by or device),
                               f"{from_ms(int(at_ms)).astimezone(reader.config.tz):%H:%M}"))
    return out


def _agency(reader: LedgerReader, code: str) -> str:
    a = reader.config.agencies.get(code)
    return a.short_name if a else code


def _calls_since(reader: LedgerReader, since_ms: int) -> dict[int, int]:
    """Calls (recalls included) per counter since a moment."""
    rows = reader.conn.execute(
        "SELECT json_extract(data, '$.counter'), count(*) FROM events WHERE kind IN (?, ?) "
        "AND at_ms >= ? GROUP BY 1", (*m.CALL_KINDS, since_ms)).fetchall()
    return {int(r[0]): int(r[1]) for r in rows if r[0] is not None}
