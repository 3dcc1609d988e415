"""What each page shows, read from the web station's replica: plain data for the templates,
in the visitor's language. No I/O beyond the replica's SQLite; no aiohttp here."""

from __future__ import annotations

import datetime as dt
import hmac
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

from shared import indonesian as ID
from shared.clock import from_ms
from shared.config import HallConfig
from shared.ledger import availability as av
from shared.ledger import model as m
from shared.ledger.queries import Call, LedgerReader, TicketView
from shared.ticket_url import parse_ticket_ref
from web.i18n import Words


def find_ticket(reader: LedgerReader, ref_text: str) -> TicketView | None:
    """The ticket `/t/{ticket_id}-{secret}` names, or None when the ticket is unknown, has no
    secret or the secret is wrong — one answer for all three, so a guess learns nothing."""
    ref = parse_ticket_ref(ref_text)
    if ref is None or ref.secret is None:
        return None
    # The ledger puts the secret in the ticket.issued event (issue 13's QR work, merged into
    # this branch from i13-qr); a ticket issued before that has none, and so no page.
    secret = reader.ticket_secret(ref.ticket_id)
    if secret is None or not hmac.compare_digest(secret, ref.secret):
        return None
    return reader.ticket(ref.ticket_id)


def counter_name(config: HallConfig, number: int | None) -> str:
    if number is None:
        return ""
    c = config.counters.get(number)
    return c.name if c else f"Loket {number}"


def agency_name(config: HallConfig, code: str) -> str:
    a = config.agencies.get(code)
    return a.short_name if a else code


@dataclass
class TicketFacts:
    label: str
    agency: str
    service: str
    status: str  # one of the model's statuses, or "expired"
    status_text: str
    counter: str  # the counter it is called to or served at ("" otherwise)
    ahead: int | None  # while waiting
    wait: str  # while waiting
    now_serving: str  # the latest number called in this ticket's queue today
    called: bool

    def state(self) -> dict[str, object]:
        """What the page's script acts on (the call screen, the reminder)."""
        return {"status": self.status, "called": self.called, "counter": self.counter,
                "ahead": self.ahead, "label": self.label}


EXPIRED = "expired"


ServingLookup = Callable[[str, dt.date], "str | None"]


def ticket_facts(reader: LedgerReader, ticket: TicketView, now: dt.datetime, t: Words,
                 serving: ServingLookup | None = None) -> TicketFacts:
    """`serving(queue, day)` is the number now called in a queue: by default asked of the
    replica; the web station hands in one that asks once per change for all open pages."""
    config = reader.config
    today = config.service_day(now)
    day = dt.date.fromisoformat(ticket.service_day)
    status = ticket.status
    if status in (m.WAITING, m.CALLED) and day < today:
        status = EXPIRED  # numbers restart every day: yesterday's waiting ticket is void
    counter = counter_name(config, ticket.counter) if status in (m.CALLED, m.SERVING) else ""
    ahead: int | None = None
    wait = ""
    if status == m.WAITING:
        ahead = reader.people_ahead(ticket)
        wait = t.wait(reader.estimated_wait_minutes(ticket.queue, ahead, day, now))
    service = config.services.get(ticket.service)
    service_name = service.name if service else ticket.service
    if status == m.WAITING and ticket.transfers:
        text = t("st_transferred", service=f"{agency_name(config, ticket.agency)} — "
                                           f"{service_name}")
    else:
        text = {
            m.WAITING: t("st_waiting"), m.CALLED: t("st_called", counter=counter),
            m.SERVING: t("st_serving", counter=counter), m.FINISHED: t("st_finished"),
            m.NO_SHOW: t("st_no_show"), m.CANCELLED: t("st_cancelled"),
            EXPIRED: t("st_expired"),
        }.get(status, status)
    return TicketFacts(
        label=ticket.label, agency=agency_name(config, ticket.agency), service=service_name,
        status=status, status_text=text, counter=counter, ahead=ahead, wait=wait,
        now_serving=(serving or (lambda q, d: now_serving(reader.conn, q, d)))(
            ticket.queue, day) or t("none_yet"),
        called=status == m.CALLED)


def now_serving(conn: sqlite3.Connection, queue: str, day: dt.date) -> str | None:
    """The number most recently called in a queue on a day."""
    row = conn.execute(
        "SELECT label FROM tickets WHERE queue=? AND service_day=? AND last_called_at IS NOT "
        "NULL ORDER BY last_called_at DESC, rank DESC LIMIT 1",
        (queue, day.isoformat())).fetchone()
    return str(row[0]) if row else None


# --- the board ----------------------------------------------------------------------------------


@dataclass
class CallRow:
    label: str
    counter: str
    agency: str
    seq: int


@dataclass
class AgencyRow:
    code: str
    name: str
    waiting: int
    serving: str  # the latest number called at its counters today, or ""


@dataclass
class BoardFacts:
    current: CallRow | None
    history: list[CallRow]
    agencies: list[AgencyRow]


def agency_queues(config: HallConfig, code: str) -> list[str]:
    return sorted({s.queue for s in config.services_of(code)})


def board_facts(reader: LedgerReader, agencies: list[str], day: dt.date, history: int = 6
                ) -> BoardFacts:
    """The Qt board's facts: the current call, the last calls (one line per ticket), the
    waiting per agency, for the chosen agencies (a call belongs to its counter's agency)."""
    config = reader.config
    chosen = set(agencies)
    rows: list[CallRow] = []
    seen: set[str] = set()
    latest: dict[str, str] = {}
    for call in reader.recent_calls(limit=200, day=day):
        agency = _call_agency(config, call)
        if agency not in chosen:
            continue
        latest.setdefault(agency, call.label)
        if call.ticket_id in seen:
            continue
        seen.add(call.ticket_id)
        if len(rows) <= history:
            rows.append(CallRow(call.label, counter_name(config, call.counter),
                                agency_name(config, agency), call.seq))
    return BoardFacts(
        current=rows[0] if rows else None, history=rows[1:],
        agencies=[AgencyRow(code, agency_name(config, code),
                            reader.waiting_count(agency_queues(config, code), day),
                            latest.get(code, "")) for code in agencies])


def _call_agency(config: HallConfig, call: Call) -> str:
    c = config.counters.get(call.counter)
    return c.agency if c else call.agency


# --- the screen above a loket ---------------------------------------------------------------------


@dataclass
class LoketFacts:
    number: int
    name: str
    agency: str
    state: str  # "serving", "ready", "paused", "closed"
    label: str  # the number called here ("" when none)
    state_text: str


def loket_facts(reader: LedgerReader, number: int, t: Words) -> LoketFacts | None:
    config = reader.config
    cfg = config.counters.get(number)
    if cfg is None:
        return None
    view = reader.counter(number)
    ticket = reader.ticket(view.ticket_id) if view.ticket_id else None
    if view.status == m.COUNTER_PAUSED:
        state, text = "paused", t("counter_paused")
    elif view.status != m.COUNTER_OPEN and ticket is None:
        state, text = "closed", t("counter_closed")
    elif ticket is not None:
        state, text = "serving", ""
    else:
        state, text = "ready", t("counter_ready")
    return LoketFacts(number, cfg.name, agency_name(config, cfg.agency), state,
                      ticket.label if ticket and state == "serving" else "", text)


# --- the overview -------------------------------------------------------------------------------


@dataclass
class ServiceNotice:
    agency: str
    service: str
    message: str


@dataclass
class OverviewFacts:
    date: str
    hours: str  # the hall's hours today, e.g. "08:00–15:00 WIB", or the closed words
    breaks: list[str]
    agencies: list[AgencyRow]
    hours_of: dict[str, str] = field(default_factory=dict)  # agency code -> its own hours
    notices: list[ServiceNotice] = field(default_factory=list)


def overview_facts(reader: LedgerReader, now: dt.datetime, t: Words) -> OverviewFacts:
    config = reader.config
    day = config.service_day(now)
    zone = ID.zone_name(config.mpp.timezone, now.astimezone(config.tz))
    hall = config.schedule.hours_on(day)
    hours = f"{hall} {zone}" if hall and day not in config.holidays else t("closed_today_hall")
    breaks = [f"{b.label} {b.range} {zone}" for b in config.schedule.breaks.get(day.weekday(), ())]
    board = board_facts(reader, list(config.agencies), day, history=0)
    hours_of: dict[str, str] = {}
    for code, agency in config.agencies.items():
        if agency.schedule is not None:
            own = agency.schedule.hours_on(day)
            hours_of[code] = f"{own} {zone}" if own else t("closed_today_hall")
    notices = []
    for service in config.services.values():
        issued = reader.issued_today(f"s:{service.code}", day)
        window = av.ticket_window(config, service, now, issued)
        if not window.is_open:
            notices.append(ServiceNotice(agency_name(config, service.agency), service.name,
                                         closed_message(window, service.name, t)))
    return OverviewFacts(t.date(day), hours, breaks, board.agencies, hours_of, notices)


def closed_message(w: av.TicketWindow, service: str, t: Words) -> str:
    """Why a service takes no number now and when to come back: the kiosk's words."""
    when = t.when(w.next_open)
    if w.reason == av.HOLIDAY:
        return t("msg_holiday", name=w.holiday, when=when)
    if w.reason == av.CLOSED_TODAY:
        return t("msg_closed_today", service=service, when=when)
    if w.reason == av.NOT_YET_OPEN:
        return t("msg_not_yet_open", time=f"{w.at:%H:%M}")
    if w.reason == av.CUTOFF:
        return t("msg_cutoff", time=f"{w.at:%H:%M}", when=when)
    return t("msg_quota_full", service=service, when=when)


def stale_text(config: HallConfig, since: dt.datetime | None, t: Words) -> str:
    """"Data belum diperbarui sejak 09:41" while the station has lost the hub; "" otherwise."""
    if since is None:
        return ""
    return t("stale", time=f"{since.astimezone(config.tz):%H:%M}")


def ms_to_local(config: HallConfig, ms: int) -> dt.datetime:
    return from_ms(ms).astimezone(config.tz)
