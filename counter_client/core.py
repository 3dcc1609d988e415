"""The counter's logic, without widgets.

`CounterCore` is handed a `StationLink`, the counter number (or none yet: the officer picks it at
sign-in) and a clock, and keeps what an officer's screen needs: who is signed in, the counter's
status, the ticket at the counter with its timers, the waiting line of the counter's queues, the
officer's figures for today, and which actions make sense right now.

Two guarantees live here, on top of the ledger's own:
- one command at a time: while a command is in flight every action is refused locally, so a
  double click or an impatient key repeat cannot call two tickets;
- a command whose reply is lost is sent again with the same command id, which the ledger
  answers with its first result instead of executing it twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from shared.clock import Clock, to_ms
from shared.config import Counter, HallConfig
from shared.counter_rules import (  # noqa: F401 (names the widgets read from here)
    ACTIONS,
    CALL_NEXT,
    CHANGE_PIN,
    CHECK_PRIORITY,
    CLOSE,
    DONE,
    ERROR,
    FINISH,
    IDLE_SIGN_OUT_S,
    INFO,
    NO_SHOW,
    OPEN,
    PAUSE,
    PIN_CHANGE_ASKED,
    RECALL,
    RETURN_NO_SHOW,
    SIGN_IN,
    SIGN_OUT,
    START,
    STATUS_WORDS,
    TRANSFER,
    clock_text,
    done_text,
    enabled_actions,
    idle_sign_out_due,
    idle_signed_out_text,
    idle_text,
    minutes_text,
    new_pin_problem,
)
from shared.indonesian import tanggal
from shared.ledger import model as m
from shared.ledger.model import Event, Result
from shared.ledger.queries import Alert, TicketView
from shared.station.link import StationLink
from shared.ticket_url import parse_ticket_ref

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CurrentTicket:
    """The ticket at the counter and its timers (seconds, read from the link's clock)."""

    ticket: TicketView
    service_name: str
    agency_name: str
    standard_minutes: int
    waited_s: int  # from taking the number to the first call
    since_call_s: int
    serving_s: int | None  # since "Mulai layani"; None while only called

    @property
    def service_s(self) -> int:
        """Service time as the day's figures count it: from the start, or from the call."""
        return self.serving_s if self.serving_s is not None else self.since_call_s

    @property
    def over_standard(self) -> bool:
        return self.service_s > self.standard_minutes * 60


@dataclass(frozen=True)
class QueueSummary:
    prefix: str
    name: str
    waiting: int
    longest_wait_s: int | None


@dataclass(frozen=True)
class OfficerFigures:
    served: int
    no_show: int
    transferred_or_other: int
    avg_service_min: float | None


@dataclass(frozen=True)
class TransferTarget:
    service: str
    service_name: str
    agency: str
    agency_name: str
    queue: str
    waiting: int
    open_today: bool


@dataclass(frozen=True)
class CounterState:
    """Everything the screen shows, as one snapshot."""

    counter: Counter | None
    agency_name: str
    queue_names: tuple[tuple[str, str], ...]  # (prefix, name)
    officer: str | None
    online: bool
    status: str
    busy: str | None  # the action whose command is in flight
    current: CurrentTicket | None
    line: tuple[TicketView, ...]
    summaries: tuple[QueueSummary, ...]
    figures: OfficerFigures | None
    no_shows: tuple[TicketView, ...]
    enabled: frozenset[str]
    now_ms: int
    offline_reason: str | None = None  # why retrying will not help (refused, certificate)
    officer_name: str | None = None  # the officer's name from the hub, when it has one
    alerts: tuple[Alert, ...] = ()  # stations' open problems today (a kiosk out of paper)
    # Signed in with a temporary PIN: the sign-in page asks for the officer's own first.
    pin_change: bool = False

    @property
    def officer_shown(self) -> str | None:
        """How the screen names the officer: by name, else by ID."""
        return self.officer_name or self.officer

    @property
    def signed_in(self) -> bool:
        return self.officer is not None

    @property
    def waiting(self) -> int:
        return len(self.line)

    @property
    def longest_wait_s(self) -> int | None:
        waits = [s.longest_wait_s for s in self.summaries if s.longest_wait_s is not None]
        return max(waits) if waits else None


@dataclass(frozen=True)
class Scanned:
    """What a scanned ticket is, as the message line says it. `can_return`: a no-show of this
    counter's queues today, which the officer may put back in the line."""

    text: str
    kind: str  # INFO or ERROR
    ticket: TicketView | None = None
    can_return: bool = False


@dataclass(frozen=True)
class _PinChange:
    officer: str
    officer_name: str | None
    old_pin: str
    counter: int


@dataclass
class _Pending:
    kind: str
    args: dict[str, Any]
    command_id: str
    attempts: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


class CounterCore(QObject):
    """State and actions of one counter. Emits `changed` whenever `state` is new, and `message`
    (Indonesian text, kind) for the message area."""

    changed = Signal()
    message = Signal(str, str)
    signed_in_changed = Signal(bool)

    def __init__(self, link: StationLink, counter: int | None = None, clock: Clock | None = None,
                 *, tick_ms: int = 1000, reply_timeout_ms: int = 3000,
                 repeat_guard_s: float = 1.0, sign_in_timeout_ms: int = 15000,
                 monotonic: Callable[[], float] = time.monotonic,
                 idle_sign_out_s: float | None = IDLE_SIGN_OUT_S,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.link = link
        self.config: HallConfig = link.config
        # The timers read the link's clock by default, so they agree with the ledger's times.
        self.clock: Clock = clock or link.clock
        if counter is not None and counter not in self.config.counters:
            raise ValueError(f"counter {counter} is not in the hall config")
        self.counter: int | None = counter
        self.officer: str | None = None
        # What the screen calls the officer: the name the hub knows them by, else their ID.
        self.officer_name: str | None = None
        self._pending: _Pending | None = None
        # Who signed in with a temporary PIN, until they chose their own (the PIN typed is
        # kept in memory only, for change_pin's old_pin; never written anywhere).
        self._pin_change: _PinChange | None = None
        self._online = link.is_online()
        # "Tersambung kembali" only after a real loss: a HubLink starts offline and its first
        # connection is no news.
        self._was_online = self._online
        self._repeat_guard_s = repeat_guard_s
        self._monotonic = monotonic
        self._last_call_at: float | None = None
        # The idle sign-out (counter_rules.idle_sign_out_due): None or 0 never signs out.
        self._idle_limit_s = idle_sign_out_s
        self._last_activity = monotonic()
        self._dirty = False
        self._stopped = False
        self._alerts: tuple[Alert, ...] = ()
        self._alerts_day: dt.date | None = None  # the day _alerts were read for; None: stale
        self._state = self._compute()

        link.replied.connect(self._on_replied)
        link.events_applied.connect(self._on_events)
        link.online_changed.connect(self._on_online)
        link.config_changed.connect(self._on_config)

        self._reply_timer = QTimer(self)
        self._reply_timer.setSingleShot(True)
        self._reply_timeout_ms = reply_timeout_ms
        # Checking a PIN is slow on purpose (the hub hashes it), so sign-in waits longer.
        self._sign_in_timeout_ms = sign_in_timeout_ms
        self._reply_timer.timeout.connect(self._on_reply_timeout)
        self._ticker = QTimer(self)
        self._ticker.setInterval(tick_ms)
        self._ticker.timeout.connect(self._on_tick)
        self._ticker.start()

    def stop(self) -> None:
        """Stop ticking and listening (the window is closing, or the link is being replaced)."""
        self._stopped = True
        self._ticker.stop()
        self._reply_timer.stop()
        self.link.replied.disconnect(self._on_replied)
        self.link.events_applied.disconnect(self._on_events)
        self.link.online_changed.disconnect(self._on_online)

    @Slot()
    def _on_tick(self) -> None:
        # The idle check first, then the redraw: a state drawn after a tick has had its check.
        self._check_idle()
        self.refresh()

    # --- the idle sign-out -----------------------------------------------------------------------

    @Slot()
    def activity(self) -> None:
        """The officer did something (a key, a click, a touch in the window): the idle time
        starts again."""
        self._last_activity = self._monotonic()

    def _check_idle(self) -> None:
        now = self._monotonic()
        if self._state.current is not None:
            # A visitor at the counter: the idle time starts when they have left.
            self._last_activity = now
        if not idle_sign_out_due(self._idle_limit_s, now - self._last_activity,
                                 signed_in=self.officer is not None or self._pin_change is not None,
                                 online=self._online, busy=self._pending is not None,
                                 ticket_at_counter=self._state.current is not None):
            return
        log.info("signing %s out of counter %s after %s idle", self.officer
                 or (self._pin_change.officer if self._pin_change else "?"), self.counter,
                 idle_text(self._idle_limit_s or 0))
        # The Keluar button's path (or Batal dan keluar's, before a new PIN was chosen); the
        # reply's message says why.
        if self._pin_change is not None:
            self.cancel_pin_change(idle=True)
        else:
            self._run(SIGN_OUT, {}, idle=True)
        # Refused or unanswered, it is not tried again before another idle time.
        self._last_activity = now

    # --- reading -------------------------------------------------------------------------------

    @property
    def state(self) -> CounterState:
        return self._state

    def today(self) -> dt.date:
        return self.config.service_day(self.clock.now())

    def counter_choices(self) -> list[Counter]:
        return [self.config.counters[n] for n in sorted(self.config.counters)]

    def transfer_targets(self) -> list[TransferTarget]:
        """Every other service of the hall with the number of people waiting in its queue, so
        the officer can tell the visitor how long the other line is."""
        current = self._state.current
        day = self.today()
        counts: dict[str, int] = {}
        out = []
        for svc in self.config.services.values():
            if current is not None and svc.code == current.ticket.service:
                continue
            if svc.queue not in counts:
                counts[svc.queue] = self.link.reader.waiting_count([svc.queue], day)
            agency = self.config.agencies[svc.agency]
            open_today = (self.config.schedule_for(svc).hours_on(day) is not None
                          and day not in self.config.holidays)
            out.append(TransferTarget(svc.code, svc.name, agency.code, agency.short_name,
                                      svc.queue, counts[svc.queue], open_today))
        own = self.config.counters[self.counter].agency if self.counter else None
        # The officer's own agency first (most transfers are to a sibling service), then by name.
        out.sort(key=lambda t: (t.agency != own, t.agency_name.lower(), t.service_name.lower()))
        return out

    # --- actions ---------------------------------------------------------------------------------

    def sign_in(self, officer: str, pin: str, counter: int | None = None) -> str | None:
        officer = officer.strip()
        number = counter if counter is not None else self.counter
        if self._pending is not None:
            return None
        if not officer or not pin:
            self.message.emit("Isi ID petugas dan PIN.", ERROR)
            return None
        if number is None or number not in self.config.counters:
            self.message.emit("Pilih loket terlebih dahulu.", ERROR)
            return None
        if not self._online:
            self.message.emit("Tidak terhubung ke server antrean. Coba lagi nanti.", ERROR)
            return None
        self.counter = number
        self.activity()
        cid = self.link.sign_in(officer, pin, number)
        self._pending = _Pending(SIGN_IN, {"counter": number}, cid,
                                 extra={"officer": officer, "pin": pin})
        self._reply_timer.start(self._sign_in_timeout_ms)
        self.refresh()
        return cid

    def change_pin(self, new: str, again: str) -> str | None:
        """The officer's own PIN, typed twice, for the temporary one they signed in with."""
        change = self._pin_change
        if self._pending is not None or change is None:
            return None
        problem = new_pin_problem(new, again)
        if problem is not None:
            self.message.emit(problem, ERROR)
            return None
        if not self._online:
            self.message.emit("Tidak terhubung ke server antrean. Coba lagi nanti.", ERROR)
            return None
        args = {"old_pin": change.old_pin, "new_pin": new}
        cid = self.link.send(CHANGE_PIN, args)
        self._pending = _Pending(CHANGE_PIN, args, cid)
        self._reply_timer.start(self._sign_in_timeout_ms)
        self.refresh()
        return cid

    def cancel_pin_change(self, *, idle: bool = False) -> str | None:
        """Leave without choosing a PIN: the hub signs the officer out again."""
        change = self._pin_change
        if self._pending is not None or change is None:
            return None
        args = {"counter": change.counter}
        cid = self.link.send(SIGN_OUT, args)
        self._pending = _Pending(SIGN_OUT, args, cid, extra={"idle": idle})
        self._reply_timer.start(self._reply_timeout_ms)
        self.refresh()
        return cid

    def call_next(self) -> str | None:
        if self._last_call_at is not None and (
            self._monotonic() - self._last_call_at < self._repeat_guard_s
        ):
            # A second press right after a call is an impatient repeat, not a new visitor.
            return None
        return self._run(CALL_NEXT, {})

    def recall(self) -> str | None:
        return self._run(RECALL, {})

    def start(self) -> str | None:
        return self._run(START, {})

    def finish(self) -> str | None:
        return self._run(FINISH, {})

    def no_show(self) -> str | None:
        return self._run(NO_SHOW, {})

    def transfer(self, service: str, to_front: bool | None = None) -> str | None:
        args: dict[str, Any] = {"service": service}
        if to_front is not None:
            args["to_front"] = to_front
        return self._run(TRANSFER, args)

    def check_priority(self, valid: bool) -> str | None:
        """Record whether the visitor in front of the officer belongs to the priority group
        the ticket claims (UU 25/2009): audited, and counted in the day's figures."""
        return self._run(CHECK_PRIORITY, {"valid": valid})

    def return_no_show(self, ticket_id: str) -> str | None:
        return self._run(RETURN_NO_SHOW, {"ticket": ticket_id})

    def scan(self, text: str) -> Scanned:
        """A ticket's QR code, read by the counter's scanner: its web address or the legacy
        ``ANTREAN:<ticket id>``. Says on the message line what the ticket is to this counter
        (the one it called, waiting, a no-show it may take back, …); sends nothing."""
        out = self._scanned(text)
        self.message.emit(out.text, out.kind)
        return out

    def _scanned(self, text: str) -> Scanned:
        ref = parse_ticket_ref(text)
        if ref is None:
            return Scanned("Kode yang dipindai bukan tiket antrean.", ERROR)
        reader = self.link.reader
        t = reader.ticket(ref.ticket_id)
        # An address whose secret is not this ticket's was not printed by this hall (another
        # hall's ticket, a made-up code). The legacy payload has no secret to compare.
        wrong = ref.secret is not None and t is not None and (
            ref.secret != reader.ticket_secret(t.ticket_id))
        if t is None or wrong:
            return Scanned("Tiket tidak dikenal: tidak ada di catatan antrean aula ini.", ERROR)
        # Short: the message line is sized for the longest transfer message (sizing.py).
        what = f"Nomor {t.label}"
        if t.service_day != self.today().isoformat():
            day = tanggal(dt.date.fromisoformat(t.service_day))
            return Scanned(f"{what} untuk {day}: tiket hanya berlaku hari itu.", ERROR, t)
        mine = self.counter is not None and t.queue in self.config.counters[self.counter].queues
        if t.status in (m.CALLED, m.SERVING) and t.counter == self.counter:
            doing = "sedang dilayani" if t.status == m.SERVING else "sedang dipanggil"
            return Scanned(f"{what} {doing} di loket ini.", INFO, t)
        if t.status in (m.CALLED, m.SERVING):
            where = self.config.counters.get(t.counter) if t.counter is not None else None
            return Scanned(f"{what} dipanggil ke {where.name if where else 'loket lain'}.",
                           INFO, t)
        if t.status == m.WAITING:
            if not mine:
                return Scanned(f"{what} menunggu di antrean lain, bukan loket ini.", INFO, t)
            ahead = reader.people_ahead(t)
            return Scanned(f"{what} masih menunggu: {ahead} antrean sebelumnya.", INFO, t)
        if t.status == m.NO_SHOW:
            if mine:
                return Scanned(f"{what} tadi tidak hadir: dapat dikembalikan ke antrean.",
                               INFO, t, can_return=True)
            return Scanned(f"{what} tadi tidak hadir di antrean lain.", INFO, t)
        if t.status == m.FINISHED:
            return Scanned(f"{what} sudah selesai dilayani.", INFO, t)
        return Scanned(f"{what} sudah dibatalkan.", INFO, t)

    def pause(self) -> str | None:
        return self._run(PAUSE, {})

    def open(self) -> str | None:
        return self._run(OPEN, {})

    def close_counter(self) -> str | None:
        return self._run(CLOSE, {})

    def sign_out(self) -> str | None:
        return self._run(SIGN_OUT, {})

    def _run(self, kind: str, args: dict[str, Any], *, idle: bool = False) -> str | None:
        """Send one command, unless another is in flight or the action makes no sense now.
        `idle`: the counter's own sign-out of an idle officer, not a press."""
        if not idle:
            self.activity()
        if self._pending is not None or self.counter is None:
            return None
        if kind not in self._state.enabled:
            return None
        args = {**args, "counter": self.counter}
        cid = self.link.send(kind, args)
        self._pending = _Pending(kind, args, cid, extra={"idle": idle})
        self._reply_timer.start(self._reply_timeout_ms)
        self.refresh()
        return cid

    # --- replies and events --------------------------------------------------------------------

    @Slot(object)
    def _on_replied(self, result: Result) -> None:
        pending = self._pending
        if pending is None or result.command_id != pending.command_id:
            return
        self._pending = None
        self._reply_timer.stop()
        was_signed_in = self.officer is not None
        if result.ok:
            self._done(pending, result)
        else:
            refusal = result.refusal
            text = refusal.pesan if refusal else "Perintah ditolak."
            self.message.emit(text, ERROR)
        self.refresh()
        if was_signed_in != (self.officer is not None):
            self.signed_in_changed.emit(self.officer is not None)

    def _done(self, pending: _Pending, result: Result) -> None:
        kind = pending.kind
        ticket = result.value.get("ticket") if result.value else None
        label = ticket["label"] if ticket else None
        if kind == SIGN_IN and result.value.get("pin_change_required"):
            shown = str(result.value.get("officer_name") or "").strip()
            self._pin_change = _PinChange(pending.extra["officer"], shown or None,
                                          pending.extra["pin"], pending.args["counter"])
            self.message.emit(PIN_CHANGE_ASKED, INFO)
        elif kind == CHANGE_PIN:
            change = self._pin_change
            self._pin_change = None
            if change is not None:
                self.officer, self.officer_name = change.officer, change.officer_name
                name = self.config.counters[change.counter].name
                self.message.emit(f"PIN baru disimpan. Selamat bertugas, "
                                  f"{self.officer_name or self.officer}. Anda di {name}.", DONE)
        elif kind == SIGN_IN:
            self.officer = pending.extra["officer"]
            shown = str(result.value.get("officer_name") or "").strip()
            self.officer_name = shown or None
            name = self.config.counters[pending.args["counter"]].name
            self.message.emit(f"Selamat bertugas, {self.officer_name or self.officer}. "
                              f"Anda di {name}.", DONE)
        elif kind == SIGN_OUT:
            self.officer = self.officer_name = None
            self._pin_change = None
            if pending.extra.get("idle"):
                self.message.emit(idle_signed_out_text(self._idle_limit_s or 0), INFO)
            else:
                self.message.emit("Anda sudah keluar.", DONE)
        elif kind == CALL_NEXT:
            self._last_call_at = self._monotonic()
            if label:
                self.message.emit(f"Memanggil {label}.", DONE)
            else:
                self.message.emit("Tidak ada yang menunggu.", INFO)
        else:
            self.message.emit(done_text(kind, label, pending.args, self.config), DONE)

    @Slot(list)
    def _on_events(self, events: list[Event]) -> None:
        if any(e.kind == m.STATION_ALERT for e in events):
            self._alerts_day = None
        pending = self._pending
        if pending is not None and pending.kind not in (SIGN_IN, CHANGE_PIN) and any(
            e.command_id == pending.command_id for e in events
        ):
            # The command went through even if its reply never comes (a lost reply): the
            # events say so. The reply, if it still arrives, is then simply ignored.
            self._on_replied(Result(pending.command_id, True, {"ticket": self._subject(
                pending, events)}, tuple(events)))
            return
        if self.officer is not None and any(
                e.kind == m.OFFICER_SIGNED_OUT and e.data.get("reason") == "officer_disabled"
                and e.data.get("officer") == self.officer for e in events):
            # IT disabled this officer (antrean hub officer disable): the hub signed them out
            # (and the link's session with it).
            self.officer = None
            self.message.emit("Akun petugas Anda dinonaktifkan petugas TI. Anda sudah keluar.",
                              ERROR)
            self.signed_in_changed.emit(False)
        # Events come in bursts from the whole hall; redraw once per burst.
        if not self._dirty:
            self._dirty = True
            QTimer.singleShot(0, self._refresh_if_dirty)

    def _subject(self, pending: _Pending, events: list[Event]) -> dict[str, Any] | None:
        mine = [e for e in events if e.command_id == pending.command_id and e.ticket_id]
        if pending.kind == CALL_NEXT:
            mine = [e for e in mine if e.kind == m.TICKET_CALLED]
        t = self.link.reader.ticket(mine[-1].ticket_id) if mine and mine[-1].ticket_id else None
        return t.to_dict() if t else None

    @Slot(bool)
    def _on_online(self, online: bool) -> None:
        self._online = online
        self._alerts_day = None
        if online:
            if self._was_online:
                self.message.emit("Tersambung kembali ke server antrean.", DONE)
            self._was_online = True
            self._resend()
        self.refresh()

    @Slot()
    def _on_reply_timeout(self) -> None:
        pending = self._pending
        if pending is None:
            return
        self.message.emit("Menunggu jawaban server antrean…", INFO)
        if self._online:
            self._resend()
        # Offline: keep waiting; `_on_online` sends it again when the link is back.

    def _resend(self) -> None:
        pending = self._pending
        if pending is None:
            return
        pending.attempts += 1
        log.info("resending %s (attempt %d, same id %s)", pending.kind, pending.attempts,
                 pending.command_id)
        if pending.kind == SIGN_IN:
            self.link.sign_in(pending.extra["officer"], pending.extra["pin"],
                              pending.args["counter"], command_id=pending.command_id)
            self._reply_timer.start(self._sign_in_timeout_ms)
            return
        self.link.send(pending.kind, pending.args, command_id=pending.command_id)
        self._reply_timer.start(self._reply_timeout_ms)

    # --- derived state ---------------------------------------------------------------------------

    @Slot()
    def _refresh_if_dirty(self) -> None:
        if self._dirty:
            self.refresh()

    @Slot()
    @Slot(object)
    def _on_config(self, config: HallConfig) -> None:
        """A new hall config, live: the counter's queues, the services it may transfer to
        and their names come from it from the next refresh on. A counter the new config no
        longer has keeps the old one's entry until its officer signs out (the ledger refuses
        its commands meanwhile)."""
        if self.counter is not None and self.counter not in config.counters:
            log.warning("the new hall config has no counter %d; it stays as it was here",
                        self.counter)
            return
        self.config = config
        self.refresh()

    def refresh(self) -> None:
        """Recompute the state from the ledger copy and the clock; `changed` only if it did."""
        self._dirty = False
        if self._stopped:
            return
        self.link.check_config()  # a version from today's date comes into force
        state = self._compute()
        if state != self._state:
            self._state = state
            self.changed.emit()

    def _compute(self) -> CounterState:
        now = self.clock.now()
        now_ms = to_ms(now)
        cfg = self.config
        counter = cfg.counters.get(self.counter) if self.counter is not None else None
        busy = self._pending.kind if self._pending else None
        day = cfg.service_day(now)
        alerts = self._open_alerts(day)
        if counter is None:
            return CounterState(None, "", (), None, self._online, m.COUNTER_CLOSED, busy, None,
                                (), (), None, (), frozenset(), now_ms, self._offline_reason(),
                                alerts=alerts)
        reader = self.link.reader
        view = reader.counter(counter.number)
        active = reader.active_ticket(counter.number)
        current = self._current(active, now_ms) if active is not None else None
        line = tuple(reader.waiting_line(counter.queues, day))
        summaries = []
        for prefix in counter.queues:
            mine = [t for t in line if t.queue == prefix]
            oldest = min((t.issued_at for t in mine), default=None)
            summaries.append(QueueSummary(
                prefix, cfg.queues[prefix].name, len(mine),
                None if oldest is None else max(0, (now_ms - oldest) // 1000)))
        figures = self._figures(day) if self.officer else None
        no_shows = tuple(self._no_shows(counter.queues, day)) if self.officer else ()
        return CounterState(
            counter=counter,
            agency_name=cfg.agencies[counter.agency].short_name,
            queue_names=tuple((p, cfg.queues[p].name) for p in counter.queues),
            officer=self.officer,
            online=self._online,
            status=view.status,
            busy=busy,
            current=current,
            line=line,
            summaries=tuple(summaries),
            figures=figures,
            no_shows=no_shows,
            enabled=self._enabled(view.status, active, no_shows, busy),
            now_ms=now_ms,
            offline_reason=self._offline_reason(),
            officer_name=self.officer_name,
            alerts=alerts,
            pin_change=self._pin_change is not None,
        )

    def _open_alerts(self, day: dt.date) -> tuple[Alert, ...]:
        # Read again only when an alert arrived, the link came back or the day changed: the
        # state is recomputed every second.
        if self._alerts_day != day:
            self._alerts = tuple(self.link.reader.open_alerts(day))
            self._alerts_day = day
        return self._alerts

    def _offline_reason(self) -> str | None:
        return None if self._online else self.link.offline_reason()

    def _enabled(self, status: str, active: TicketView | None, no_shows: tuple[TicketView, ...],
                 busy: str | None) -> frozenset[str]:
        return enabled_actions(status, active, bool(no_shows), busy, self._online,
                               self.officer is not None)

    def _current(self, t: TicketView, now_ms: int) -> CurrentTicket:
        svc = self.config.services.get(t.service)
        agency = self.config.agencies.get(t.agency)
        called = t.called_at if t.called_at is not None else now_ms
        return CurrentTicket(
            ticket=t,
            service_name=svc.name if svc else t.service,
            agency_name=agency.short_name if agency else t.agency,
            standard_minutes=svc.standard_minutes if svc else 0,
            waited_s=max(0, (called - t.issued_at) // 1000),
            since_call_s=max(0, (now_ms - called) // 1000),
            serving_s=None if t.started_at is None else max(0, (now_ms - t.started_at) // 1000),
        )

    def _figures(self, day: dt.date) -> OfficerFigures:
        rows = self.link.reader.figures(day, officer=self.officer)
        served = sum(f.served for f in rows)
        weighted = [(f.avg_service_min, f.served) for f in rows
                    if f.avg_service_min is not None and f.served]
        avg = (sum(a * n for a, n in weighted) / sum(n for _, n in weighted)) if weighted else None
        no_show = sum(f.no_show for f in rows)
        return OfficerFigures(served, no_show, 0, avg)

    def _no_shows(self, queues: tuple[str, ...], day: dt.date) -> list[TicketView]:
        return self.link.reader.no_shows(queues, day)
