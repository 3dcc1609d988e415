"""The kiosk's brain: the visitor's path from "Ambil nomor antrean" to a printed ticket.

`KioskCore` holds the flow state and answers everything the screens ask; it owns no widget, so
tests and the benchmark drive it directly, and `kiosk.app.KioskWindow` is only a thin shell that
turns taps into calls and `changed` into repaints.

Its services come in through the constructor: the `StationLink` (commands and the ledger reader),
a print queue (a `kiosk.print_worker.PrintWorker`, or anything with the same `submit` and signals),
a clock (the hall's time; a `ManualClock` in tests) and the hall config.

Promises it keeps:
- A closed, cut-off, holiday or full service is shown as such before the visitor taps, and a tap
  explains when to come back; nothing is a dead button.
- It issues nothing it cannot guarantee: offline it says so; a command whose reply is late is
  retried with the same command id (the ledger answers a retry with the first result), and a late
  reply shows that ticket instead of issuing a second one. A reply for a visitor who already
  walked away cancels that ticket, so nobody is called for a number nobody holds.
- Printing happens off the GUI thread; when it fails the visitor keeps the number on screen with
  its QR code, and staff get an alert through the ledger.

QR code on tickets and on screen (one value, `qr_payload`): the ticket's web address
``{public_url}/t/{ticket_id}-{secret}`` (shared/ticket_url.py), with the hall config's
``[mpp] public_url`` and the secret the ledger made at issue, so a visitor's phone opens the
ticket's live page. A hall without a ``public_url`` (or a ticket without a secret) gets the plain
``ANTREAN:<ticket_id>``: the counter's scanner reads both, but only the address opens a page, so
only then does the ticket say "Pindai untuk memantau antrean".
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import hmac
import logging
import secrets
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance, Slot

from kiosk import i18n
from kiosk.ticket import Paper, TicketContent, TicketLayout, layout_ticket
from shared.clock import Clock, from_ms
from shared.config import PRIORITY_GROUPS, Agency, HallConfig, Service
from shared.ledger.availability import ticket_window
from shared.ledger.model import ALERT_OPEN, ALERT_RESOLVED, Result
from shared.ledger.queries import alert_key
from shared.station.link import StationLink
from shared.ticket_url import LEGACY_PREFIX, ticket_url

log = logging.getLogger(__name__)

# Statuses a print queue reports (kiosk.printing.PrinterStatus values).
PAPER_LOW, PAPER_OUT, PRINTER_OK = "paper_low", "paper_out", "ok"
PRINTER_OFFLINE, PRINTER_UNREACHABLE = "offline", "unreachable"
# Statuses in which the next ticket will not come out of the printer.
PRINTER_DOWN = frozenset({PAPER_OUT, PRINTER_OFFLINE, PRINTER_UNREACHABLE})
ALERT_MESSAGE_MAX = 500  # the ledger refuses longer alert messages
ALERT_PRINTER = "printer"  # the alert kind: one open printer problem per kiosk
# Printer statuses that raise a staff alert, and how the alert says it.
_PRINTER_PROBLEMS = {PAPER_LOW: "kertas printer hampir habis", PAPER_OUT: "kertas printer habis"}
PIN_TRIES = 5
PIN_LOCK = dt.timedelta(seconds=60)


def qr_payload(ticket_id: str, secret: str | None, public_url: str | None) -> str:
    """What the ticket's QR code holds, on paper and on screen: its web address, or the
    legacy ``ANTREAN:<ticket_id>`` when the hall has no public address (or the ticket no
    secret)."""
    if public_url and secret:
        return ticket_url(public_url, ticket_id, secret)
    return f"{LEGACY_PREFIX}{ticket_id}"


class Step(StrEnum):
    WELCOME = "welcome"
    AGENCY = "agency"
    SERVICE = "service"
    PRIORITY = "priority"
    ISSUING = "issuing"  # command sent, reply awaited (a second or less, normally)
    SLOW = "slow"  # the reply is late: "please wait / try again"
    TICKET = "ticket"
    CLOSED = "closed"  # a plain "come back when" message: closed, cut-off, holiday, full
    OFFLINE = "offline"
    PIN = "pin"
    ADMIN = "admin"


class PrintQueue(Protocol):
    """What the core needs of printing: `kiosk.print_worker.PrintWorker` is one."""

    printed: SignalInstance  # (ticket_id)
    failed: SignalInstance  # (ticket_id, reason)
    status_changed: SignalInstance  # (status)

    def submit(self, ticket_id: str, layout: TicketLayout) -> None: ...


# --- availability: pure functions over the config ----------------------------------------------


@dataclass(frozen=True)
class Availability:
    """Whether a service takes new tickets now, and if not, why and when to come back (the
    ledger's TicketWindow, with the words a visitor reads)."""

    reason: str | None  # None: open; else holiday, closed_today, not_yet_open, cutoff, quota_full
    next_open: dt.date | None = None
    at: dt.datetime | None = None  # not_yet_open: first ticket time; cutoff: when it stopped
    holiday: str | None = None
    remaining: int | None = None  # quota left today (open services with a quota)

    @property
    def is_open(self) -> bool:
        return self.reason is None

    def badge(self, lang: str) -> str:
        return i18n.text(lang, f"badge_{self.reason}") if self.reason else ""

    def message(self, lang: str, service_name: str) -> str:
        """The sentence that tells the visitor when to come back."""
        when = i18n.when_text(lang, self.next_open)
        at = f"{self.at:%H:%M}" if self.at else ""
        if self.reason == "holiday":
            return i18n.text(lang, "msg_holiday", name=self.holiday or "", when=when)
        if self.reason == "closed_today":
            return i18n.text(lang, "msg_closed_today", service=service_name, when=when)
        if self.reason == "not_yet_open":
            return i18n.text(lang, "msg_not_yet_open", time=at)
        if self.reason == "cutoff":
            return i18n.text(lang, "msg_cutoff", time=at, when=when)
        if self.reason == "quota_full":
            return i18n.text(lang, "msg_quota_full", service=service_name, when=when)
        return ""


def service_availability(config: HallConfig, service: Service, now: dt.datetime,
                         issued_today: int) -> Availability:
    """The ledger's own ticket window, so what the screen says before a tap is exactly what
    the ledger would answer after it."""
    w = ticket_window(config, service, now, issued_today)
    return Availability(w.reason, w.next_open, w.at, w.holiday, w.remaining)


# --- what the screens show ---------------------------------------------------------------------


@dataclass(frozen=True)
class AgencyTile:
    code: str
    name: str
    short_name: str
    initials: str  # shown when there is no logo
    logo: Path | None
    services: int
    availability: Availability  # of its first open service, else why none is open


@dataclass(frozen=True)
class ServiceTile:
    code: str
    name: str
    standard_minutes: int
    requirements: tuple[str, ...]
    waiting: int
    availability: Availability


@dataclass(frozen=True)
class ShownTicket:
    ticket_id: str
    label: str
    agency_name: str
    service_name: str
    priority: str | None
    people_ahead: int
    wait_minutes: int | None
    issued_at: dt.datetime  # in the hall's zone
    counters_hint: str | None
    qr_payload: str
    layout: TicketLayout
    print_state: str = "printing"  # printing | printed | failed
    print_error: str = ""
    # Counters of this service are not serving yet (before opening) or on a break: until when.
    paused_until: dt.datetime | None = None
    pause_kind: str = ""  # "opening" | "break"


@dataclass(frozen=True)
class Message:
    """A plain message screen: a title and a body in both languages."""

    title_key: str
    body_id: str
    body_en: str

    def body(self, lang: str) -> str:
        return self.body_en if lang == "en" else self.body_id


@dataclass
class _PendingIssue:
    command_id: str
    service: str
    priority: str | None


# --- admin PIN ----------------------------------------------------------------------------------


def hash_pin(pin: str, salt: bytes | None = None, iterations: int = 60_000) -> str:
    """A storable PIN hash: ``pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>``. The station's
    ANTREAN_ADMIN_PIN_HASH holds this, never the PIN; 60k rounds keep a check under ~50 ms on
    a kiosk PC's GUI thread."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def pin_matches(pin: str, stored: str) -> bool:
    try:
        scheme, rounds, salt_hex, digest_hex = stored.split("$")
        if scheme != "pbkdf2_sha256":
            return False
        digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt_hex),
                                     int(rounds))
    except ValueError:
        log.error("admin PIN hash is malformed; the admin menu stays locked (make a new one "
                  "with antrean kiosk --hash-pin PIN)")
        return False
    return hmac.compare_digest(digest.hex(), digest_hex)


# --- the core ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KioskSettings:
    """Timings and choices of one kiosk station (the tests shorten the timers)."""

    paper: Paper = "80mm"
    agencies_per_page: int = 12
    services_per_page: int = 6
    ask_priority: bool = True
    # Nobody touches the screen for idle_timeout_ms: a countdown of countdown_s seconds warns
    # before the visitor's choices are dropped and the kiosk goes back to the welcome screen
    # (35 s + 10 s: the 45 s the kiosk always waited, now with a warning).
    idle_timeout_ms: int = 35_000
    countdown_s: int = 10
    countdown_tick_ms: int = 1_000  # one second of the countdown (the tests shorten it)
    ticket_timeout_ms: int = 20_000  # how long a printed ticket stays on screen
    failed_ticket_timeout_ms: int = 120_000  # long enough to photograph or copy the number
    reply_timeout_ms: int = 4_000  # then "please wait / try again"
    # A screen ignores taps for this long after it appears. A double tap's second touch comes
    # 50-250 ms after the first (the hall trial saw 100-120 ms), and so does a finger that
    # bounces on a touchscreen; nobody reads a new screen and aims at one of its buttons in
    # under about half a second. 400 ms eats the one and never the other.
    settle_ms: int = 400
    admin_pin_hash: str | None = None
    logo_dirs: tuple[Path, ...] = ()


class KioskCore(QObject):
    changed = Signal()  # anything on screen may have changed
    countdown_changed = Signal()  # the idle countdown started, ticked, or was cancelled
    quit_requested = Signal()  # an admin chose to leave kiosk mode

    def __init__(self, link: StationLink, printer: PrintQueue, clock: Clock,
                 config: HallConfig, settings: KioskSettings | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.link = link
        self.printer = printer
        self.clock = clock
        self.config = config
        self.settings = settings or KioskSettings()
        if not config.mpp.public_url:
            # Said once, at start: every ticket until the config changes is the same.
            log.warning("the hall config has no [mpp] public_url: ticket QR codes hold the "
                        "plain ticket id (%sID), which the counter's scanner reads but a phone "
                        "cannot open; set it to the web station's address", LEGACY_PREFIX)
        self.step = Step.WELCOME if link.is_online() else Step.OFFLINE
        self.language = "id"
        self.agency_page = 0
        self.service_page = 0
        self.agency: Agency | None = None
        self.service: Service | None = None
        self.message: Message | None = None
        self.ticket: ShownTicket | None = None
        self.printer_status = "unknown"
        self.pin_message = ""
        self.admin_message = ""
        self._pending: _PendingIssue | None = None
        self._abandoned: set[str] = set()
        # Replies already acted on: a retry and the late original both answer; print once.
        self._handled: collections.deque[str] = collections.deque(maxlen=64)
        self._pin_failures = 0
        self._pin_locked_until: dt.datetime | None = None
        self._test_prints = 0
        # Seconds left before an idle reset, while the countdown is on screen; else None.
        self.countdown: int | None = None

        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.timeout.connect(self._on_idle)
        self._countdown_timer = QTimer(self)
        self._countdown_timer.timeout.connect(self._on_countdown_tick)
        self._reply_timer = QTimer(self)
        self._reply_timer.setSingleShot(True)
        self._reply_timer.timeout.connect(self._on_reply_late)

        link.replied.connect(self._on_replied)
        link.online_changed.connect(self._on_online_changed)
        link.config_changed.connect(self._on_config_changed)
        # An uploaded logo fetched from the hub: its tile shows it instead of the initials.
        link.hall_files_changed.connect(self.changed)
        self._next_config: HallConfig | None = None
        printer.printed.connect(self._on_printed)
        printer.failed.connect(self._on_print_failed)
        printer.status_changed.connect(self._on_printer_status)

    def stop(self) -> None:
        """The kiosk's window has closed: no idle reset, countdown or late-reply timer fires
        any more (each would redraw a window that is gone, from a ledger that may be closed)."""
        for timer in (self._idle, self._countdown_timer, self._reply_timer):
            timer.stop()

    # --- language and idle --------------------------------------------------------------------

    def t(self, key: str, **values: object) -> str:
        return i18n.text(self.language, key, **values)

    def toggle_language(self) -> None:
        self.language = "en" if self.language == "id" else "id"
        self.touch()
        self.changed.emit()

    def touch(self) -> bool:
        """Any tap: the visitor is still there. True when the tap cancelled the countdown
        (so it is not also a tap on whatever lies under the finger)."""
        cancelled = self.countdown is not None
        self._restart_idle()
        return cancelled

    def _restart_idle(self) -> None:
        if self.countdown is not None:
            self.countdown = None
            self._countdown_timer.stop()
            self.countdown_changed.emit()
        if self.step in (Step.WELCOME, Step.OFFLINE):
            self._idle.stop()
            return
        if self.step is Step.TICKET and self.ticket is not None:
            ms = (self.settings.failed_ticket_timeout_ms if self.ticket.print_state == "failed"
                  else self.settings.ticket_timeout_ms)
        else:
            ms = self.settings.idle_timeout_ms
        self._idle.start(ms)

    def _loses_choices(self) -> bool:
        """Whether going back to the start now would take something from the visitor: every
        step but a printed ticket (its visitor holds the paper)."""
        return not (self.step is Step.TICKET and self.ticket is not None
                    and self.ticket.print_state == "printed")

    @Slot()
    def _on_idle(self) -> None:
        if (self.step is Step.TICKET and self.ticket is not None
                and self.ticket.print_state == "printing"):
            # Its paper is still coming (a slow printer, a busy PC): neither a countdown nor the
            # start yet. The print always ends, printed or failed within the printer's own
            # timeout, and that restarts the wait with the right length.
            self._idle.start(self.settings.ticket_timeout_ms)
            return
        if self._loses_choices() and self.settings.countdown_s > 0:
            log.info("idle on %s: counting down %d s", self.step, self.settings.countdown_s)
            self.countdown = self.settings.countdown_s
            self._countdown_timer.start(self.settings.countdown_tick_ms)
            self.countdown_changed.emit()
            return
        log.info("idle on %s: back to the start", self.step)
        self.reset()

    @Slot()
    def _on_countdown_tick(self) -> None:
        if self.countdown is None:
            return
        self.countdown -= 1
        if self.countdown > 0:
            self.countdown_changed.emit()
            return
        log.info("nobody touched %s during the countdown: back to the start", self.step)
        self.reset()  # stops the countdown

    def reset(self) -> None:
        """Back to the welcome screen in Indonesian, forgetting the visitor's choices."""
        if self._pending is not None:
            # Nobody is waiting for this reply any more; if it still issues a ticket, cancel it.
            self._abandoned.add(self._pending.command_id)
            self._pending = None
        self._reply_timer.stop()
        self.language = "id"
        self.agency = self.service = None
        self.ticket = None
        self.message = None
        self.agency_page = self.service_page = 0
        self.pin_message = self.admin_message = ""
        self._go(Step.WELCOME if self.link.is_online() else Step.OFFLINE)

    @Slot(object)
    def _on_config_changed(self, config: HallConfig) -> None:
        """A new hall config: at once on the welcome screen; a visitor mid-flow finishes
        with the services they were shown, and the kiosk switches when it is back at the
        start (a tile that vanished under a finger would lose their choice)."""
        self._next_config = config
        if self.step in (Step.WELCOME, Step.OFFLINE):
            self._switch_config()

    def _switch_config(self) -> None:
        if self._next_config is None:
            return
        self.config, self._next_config = self._next_config, None
        self.agency_page = self.service_page = 0
        log.info("kiosk shows the new hall config (%d services)", len(self.config.services))
        self.changed.emit()

    def _go(self, step: Step) -> None:
        self.step = step
        if step in (Step.WELCOME, Step.OFFLINE):
            self._switch_config()
        self._restart_idle()
        self.changed.emit()

    # --- what the screens read ----------------------------------------------------------------

    def now(self) -> dt.datetime:
        return self.clock.now().astimezone(self.config.tz)

    def availability(self, service: Service) -> Availability:
        now = self.now()
        issued = self.link.reader.issued_today(f"s:{service.code}", now.date())
        return service_availability(self.config, service, now, issued)

    def hall_notice(self) -> Message | None:
        """Why no service at all issues numbers now (holiday, before opening, after cut-off),
        or None when at least one does."""
        services = list(self.config.services.values())
        found = [self.availability(s) for s in services]
        if any(a.is_open for a in found):
            return None
        holiday = next((a for a in found if a.reason == "holiday"), None)
        if holiday is not None:
            return Message("closed_title", *_both(lambda lang: holiday.message(lang, "")))
        early = [a.at for a in found if a.reason == "not_yet_open" and a.at is not None]
        if early:
            first = min(early)
            return Message("closed_title", *_both(lambda lang: " ".join((
                i18n.text(lang, "hall_closed"),
                i18n.text(lang, "msg_not_yet_open", time=f"{first:%H:%M}")))))
        days = [a.next_open for a in found if a.next_open is not None]
        nxt = min(days) if days else None
        return Message("closed_title", *_both(lambda lang: " ".join((
            i18n.text(lang, "hall_closed"),
            i18n.text(lang, "msg_come_back", when=i18n.when_text(lang, nxt))))))

    def agency_pages(self) -> int:
        return max(1, -(-len(self.config.agencies) // self.settings.agencies_per_page))

    def agency_tiles(self) -> list[AgencyTile]:
        """The agencies of the current page, in the config's order (the MPP lists its busiest
        first, so most visitors find theirs on page 1)."""
        size = self.settings.agencies_per_page
        agencies = list(self.config.agencies.values())
        page = agencies[self.agency_page * size:(self.agency_page + 1) * size]
        return [self._agency_tile(a) for a in page]

    def _agency_tile(self, agency: Agency) -> AgencyTile:
        services = self.config.services_of(agency.code)
        found = [self.availability(s) for s in services]
        shown = next((a for a in found if a.is_open), found[0] if found else Availability(None))
        return AgencyTile(
            code=agency.code, name=agency.name, short_name=agency.short_name,
            initials=initials(agency), logo=self._logo(agency.logo), services=len(services),
            availability=shown,
        )

    def _logo(self, name: str | None) -> Path | None:
        if not name:
            return None
        path = Path(name)
        candidates = [path] if path.is_absolute() else [d / path for d in self._logo_dirs()]
        return next((p for p in candidates if p.is_file()), None)

    def _logo_dirs(self) -> Iterable[Path]:
        yield from self.settings.logo_dirs
        if self.link.hall_files is not None:  # the logos this station fetched from the hub
            yield self.link.hall_files
        if self.config.source and not self.config.source.startswith("<"):
            yield Path(self.config.source).parent
        # Example configs name logos from the project root ("assets/logos/bpn.png").
        root = Path(__file__).resolve().parent.parent
        yield root
        yield root / "assets" / "logos"

    def service_pages(self) -> int:
        if self.agency is None:
            return 1
        n = len(self.config.services_of(self.agency.code))
        return max(1, -(-n // self.settings.services_per_page))

    def service_tiles(self) -> list[ServiceTile]:
        if self.agency is None:
            return []
        size = self.settings.services_per_page
        services = self.config.services_of(self.agency.code)
        page = services[self.service_page * size:(self.service_page + 1) * size]
        day = self.now().date()
        return [ServiceTile(
            code=s.code, name=s.name, standard_minutes=s.standard_minutes,
            requirements=s.requirements,
            waiting=self.link.reader.waiting_count([s.queue], day),
            availability=self.availability(s),
        ) for s in page]

    def priority_groups(self) -> tuple[str, ...]:
        return PRIORITY_GROUPS

    def staff_notice(self) -> str:
        """A discreet line for staff about the printer ("" when all is well)."""
        key = {PAPER_LOW: "staff_paper_low", PAPER_OUT: "staff_paper_out",
               PRINTER_OFFLINE: "staff_printer_offline",
               PRINTER_UNREACHABLE: "staff_printer_unreachable"}.get(self.printer_status)
        return self.t(key) if key else ""

    def printer_notice(self) -> str:
        """What a visitor should know before taking a number when the ticket will not print:
        the number is shown on screen instead ("" while the printer prints)."""
        if self.printer_status not in PRINTER_DOWN:
            return ""
        cause = self.t("visitor_paper_out" if self.printer_status == PAPER_OUT
                       else "visitor_printer_down")
        return f"{cause} {self.t('visitor_number_on_screen')}"

    def printer_status_text(self) -> str:
        key = f"status_{self.printer_status}"
        return self.t(key) if key in i18n.TEXTS else self.printer_status

    # --- the visitor's taps -------------------------------------------------------------------

    def start(self) -> None:
        """ "Ambil nomor antrean"."""
        if not self.link.is_online():
            self._go(Step.OFFLINE)
            return
        notice = self.hall_notice()
        if notice is not None:
            self.message = notice
            self._go(Step.CLOSED)
            return
        self.agency_page = 0
        self._go(Step.AGENCY)

    def next_page(self) -> None:
        if self.step is Step.AGENCY:
            self.agency_page = min(self.agency_page + 1, self.agency_pages() - 1)
        elif self.step is Step.SERVICE:
            self.service_page = min(self.service_page + 1, self.service_pages() - 1)
        self._go(self.step)

    def previous_page(self) -> None:
        if self.step is Step.AGENCY:
            self.agency_page = max(0, self.agency_page - 1)
        elif self.step is Step.SERVICE:
            self.service_page = max(0, self.service_page - 1)
        self._go(self.step)

    def choose_agency(self, code: str) -> None:
        self.agency = self.config.agencies[code]
        self.service_page = 0
        self._go(Step.SERVICE)

    def choose_service(self, code: str) -> None:
        service = self.config.services[code]
        self.service = service
        found = self.availability(service)
        if not found.is_open:
            self.message = Message("closed_title", *_both(
                lambda lang: found.message(lang, service.name)))
            self._go(Step.CLOSED)
            return
        if self.settings.ask_priority:
            self._go(Step.PRIORITY)
        else:
            self.choose_priority(None)

    def choose_priority(self, group: str | None) -> None:
        """Send the issue command ("Tidak" passes None)."""
        if self.service is None:
            self.reset()
            return
        if not self.link.is_online():
            self._go(Step.OFFLINE)
            return
        args: dict[str, Any] = {"service": self.service.code}
        if group is not None:
            args["priority"] = group
        cid = self.link.send("issue_ticket", args)
        self._pending = _PendingIssue(cid, self.service.code, group)
        self._reply_timer.start(self.settings.reply_timeout_ms)
        self._go(Step.ISSUING)

    def retry(self) -> None:
        """ "Coba lagi" after a late reply: the same command id, so never a second ticket."""
        if self._pending is None:
            self.reset()
            return
        if not self.link.is_online():
            self._go(Step.OFFLINE)
            return
        args: dict[str, Any] = {"service": self._pending.service}
        if self._pending.priority is not None:
            args["priority"] = self._pending.priority
        self.link.send("issue_ticket", args, command_id=self._pending.command_id)
        self._reply_timer.start(self.settings.reply_timeout_ms)
        self._go(Step.ISSUING)

    def back(self) -> None:
        if self.step is Step.SERVICE:
            self.agency = None
            self._go(Step.AGENCY)
        elif self.step is Step.PRIORITY:
            self.service = None
            self._go(Step.SERVICE)
        elif self.step is Step.CLOSED and self.agency is not None:
            self.message = None
            self.service = None
            self._go(Step.SERVICE)
        else:
            self.reset()

    def finish(self) -> None:
        """ "Selesai" on the ticket screen."""
        self.reset()

    # --- the ledger's answers -----------------------------------------------------------------

    @Slot(object)
    def _on_replied(self, result: Result) -> None:
        cid = result.command_id
        if cid in self._handled:
            return
        if self._pending is not None and cid == self._pending.command_id:
            self._handled.append(cid)
            self._pending = None
            self._reply_timer.stop()
            if result.ok:
                self._show_ticket(result)
            else:
                self._show_refusal(result)
        elif cid in self._abandoned:
            self._abandoned.discard(cid)
            self._handled.append(cid)
            ticket = (result.value or {}).get("ticket") if result.ok else None
            if ticket:
                log.warning("ticket %s was issued after its visitor left; cancelling it",
                            ticket["label"])
                self.link.send("cancel", {"ticket": ticket["ticket_id"],
                                          "reason": "kiosk: visitor left before the reply"})

    def _show_ticket(self, result: Result) -> None:
        value = result.value
        t = value["ticket"]
        service = self.config.services[t["service"]]
        agency = self.config.agencies[t["agency"]]
        counters = self.config.counters_for_queue(t["queue"])
        hint = ("Loket " + ", ".join(str(c.number) for c in counters)) if counters else None
        issued = from_ms(int(t["issued_at"])).astimezone(self.config.tz)
        content = TicketContent(
            mpp_name=self.config.mpp.name, kabupaten=self.config.mpp.kabupaten,
            agency_name=agency.name, service_name=service.name, label=t["label"],
            people_ahead=int(value.get("people_ahead") or 0),
            estimated_wait_minutes=value.get("estimated_wait_minutes"),
            issued_at=issued,
            qr_payload=qr_payload(t["ticket_id"], value.get("secret"),
                                  self.config.mpp.public_url),
            priority_group=t.get("priority"), timezone=self.config.mpp.timezone,
            counters_hint=hint,
        )
        layout = layout_ticket(content, self.settings.paper)
        self.ticket = ShownTicket(
            ticket_id=t["ticket_id"], label=t["label"], agency_name=agency.name,
            service_name=service.name, priority=t.get("priority"),
            people_ahead=content.people_ahead, wait_minutes=content.estimated_wait_minutes,
            issued_at=issued, counters_hint=hint, qr_payload=content.qr_payload, layout=layout,
        )
        self.ticket = replace(self.ticket, **self._pause(service, issued))
        self.agency, self.service = agency, service
        self._go(Step.TICKET)
        self.printer.submit(t["ticket_id"], layout)

    def _pause(self, service: Service, moment: dt.datetime) -> dict[str, Any]:
        """Whether the visitor's counters are idle when the ticket is taken: before opening
        (the 07:55 crowd) or in a break (lunch, Friday prayer), so the screen can say until
        when — the wait on the ticket already includes it."""
        schedule = self.config.schedule_for(service)
        local = moment.astimezone(self.config.tz)
        hours = schedule.hours_on(local.date())
        if hours is not None and local.time() < hours.start:
            opens = dt.datetime.combine(local.date(), hours.start, self.config.tz)
            return {"paused_until": opens, "pause_kind": "opening"}
        brk = schedule.break_at(local)
        if brk is not None:
            ends = dt.datetime.combine(local.date(), brk.range.end, self.config.tz)
            return {"paused_until": ends, "pause_kind": "break"}
        return {}

    def _show_refusal(self, result: Result) -> None:
        refusal = result.refusal
        body_id = refusal.pesan if refusal else "Nomor antrean tidak dapat dibuat."
        body_en = "Please ask the staff at the information desk."
        if refusal is not None and self.service is not None:
            # The ledger speaks Indonesian only; rebuild its reason in English from our own
            # check, which follows the same rules.
            found = self.availability(self.service)
            if found.reason == refusal.code:
                body_en = found.message("en", self.service.name)
        self.message = Message("refused_title", body_id, body_en)
        self._go(Step.CLOSED)

    @Slot()
    def _on_reply_late(self) -> None:
        if self._pending is not None and self.step is Step.ISSUING:
            log.warning("no reply to %s within %d ms", self._pending.command_id,
                        self.settings.reply_timeout_ms)
            self._go(Step.SLOW)

    @Slot(bool)
    def _on_online_changed(self, online: bool) -> None:
        if not online:
            # A visitor holding a number keeps seeing it; everyone else is told plainly.
            if self.step not in (Step.TICKET, Step.PIN, Step.ADMIN):
                self._reply_timer.stop()
                self._go(Step.OFFLINE)
            return
        if self.step is Step.OFFLINE:
            if self._pending is not None:
                # The command may have been lost with the connection: resend, same id.
                self.retry()
            else:
                self.reset()

    # --- printing -----------------------------------------------------------------------------

    @Slot(str)
    def _on_printed(self, ticket_id: str) -> None:
        if ticket_id.startswith("test-"):
            self.admin_message = self.t("admin_test_printed")
        elif self.ticket is not None and self.ticket.ticket_id == ticket_id:
            self.ticket = replace(self.ticket, print_state="printed")
            self._restart_idle()
        if self.printer_status not in _PRINTER_PROBLEMS:
            self._printer_ok_again()  # a ticket came out: the printer works
        self.changed.emit()

    @Slot(str, str)
    def _on_print_failed(self, ticket_id: str, reason: str) -> None:
        if ticket_id.startswith("test-"):
            self.admin_message = self.t("admin_test_failed", why=reason)
            self.changed.emit()
            return
        label = ticket_id
        if self.ticket is not None and self.ticket.ticket_id == ticket_id:
            label = self.ticket.label
            self.ticket = replace(self.ticket, print_state="failed", print_error=reason)
            self._restart_idle()  # longer: time to photograph the screen
        log.error("ticket %s was not printed: %s", ticket_id, reason)
        self._printer_alert(ALERT_OPEN, f"tiket {label} gagal dicetak ({reason})")
        self.changed.emit()

    @Slot(str)
    def _on_printer_status(self, status: str) -> None:
        status = str(getattr(status, "value", status)).lower()
        if status != self.printer_status:
            self.printer_status = status
            if status in _PRINTER_PROBLEMS:
                self._printer_alert(ALERT_OPEN, _PRINTER_PROBLEMS[status])
            elif status == PRINTER_OK:
                self._printer_ok_again()
            self.changed.emit()

    def _printer_alert(self, state: str, what: str) -> None:
        # Staff read it on every counter and board until this kiosk says the printer is OK.
        message = f"Kiosk {self.link.device}: {what}."
        self.link.send("alert", {"kind": ALERT_PRINTER, "state": state,
                                 "message": message[:ALERT_MESSAGE_MAX]})

    def _printer_ok_again(self) -> None:
        """Resolve this kiosk's printer alert if the ledger shows one open (also one left from
        before a restart). Offline the resolution would be lost: the next "OK" (or the next
        ticket printed) tries again."""
        if not self.link.is_online():
            return
        mine = alert_key(self.link.device, ALERT_PRINTER)
        try:
            still_open = any(a.key == mine for a in self.link.reader.open_alerts())
        except sqlite3.Error as e:  # the ledger copy closed with the app: nothing to tell
            log.info("printer OK, but the ledger copy cannot be read: %s", e)
            return
        if still_open:
            self._printer_alert(ALERT_RESOLVED, "printer normal kembali")

    # --- admin --------------------------------------------------------------------------------

    def request_admin(self) -> None:
        """The hidden long-press: open the PIN pad."""
        self.pin_message = "" if self.settings.admin_pin_hash else self.t("pin_not_set")
        self._go(Step.PIN)

    def enter_pin(self, pin: str) -> bool:
        now = self.clock.now()
        if self._pin_locked_until is not None and now < self._pin_locked_until:
            left = int((self._pin_locked_until - now).total_seconds()) + 1
            self.pin_message = self.t("pin_locked", seconds=left)
            self._go(Step.PIN)
            return False
        stored = self.settings.admin_pin_hash
        if not stored:
            self.pin_message = self.t("pin_not_set")
            self._go(Step.PIN)
            return False
        if not pin_matches(pin, stored):
            self._pin_failures += 1
            log.warning("wrong admin PIN on kiosk %s (%d)", self.link.device, self._pin_failures)
            if self._pin_failures >= PIN_TRIES:
                self._pin_failures = 0
                self._pin_locked_until = now + PIN_LOCK
            self.pin_message = self.t("pin_wrong")
            self._go(Step.PIN)
            return False
        self._pin_failures = 0
        self.pin_message = ""
        self.admin_message = ""
        log.info("admin menu opened on kiosk %s", self.link.device)
        self._go(Step.ADMIN)
        return True

    def admin_test_print(self) -> None:
        self._test_prints += 1
        content = TicketContent(
            mpp_name=self.config.mpp.name, kabupaten=self.config.mpp.kabupaten,
            agency_name="TES PRINTER", service_name=f"Kiosk {self.link.device}",
            label="TES-000", people_ahead=0, estimated_wait_minutes=0,
            # The hall's web address itself: IT scans the test ticket with a phone to see
            # that the web station is reachable where visitors' phones are.
            issued_at=self.now(), qr_payload=self.config.mpp.public_url or f"{LEGACY_PREFIX}TES",
            timezone=self.config.mpp.timezone,
        )
        self.printer.submit(f"test-{self._test_prints}",
                            layout_ticket(content, self.settings.paper))
        self.admin_message = self.t("admin_test_sent")
        self._go(Step.ADMIN)

    def admin_exit(self) -> None:
        log.info("admin left kiosk mode on %s", self.link.device)
        self.quit_requested.emit()

    def admin_close(self) -> None:
        self.reset()


def initials(agency: Agency) -> str:
    """A tile's stand-in for a missing logo: "BPN", "BRI", or the first letters of its words."""
    short = agency.short_name.strip()
    if 0 < len(short) <= 5:
        return short.upper()
    words = [w for w in short.replace("-", " ").split() if w[:1].isalnum()]
    if len(words) >= 2:
        return "".join(w[0] for w in words[:3]).upper()
    return short[:3].upper()


def _both(build: Any) -> tuple[str, str]:
    return build("id"), build("en")
