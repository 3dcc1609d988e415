"""What a Qt app sees of the ledger: a `StationLink`.

An app sends commands and gets `replied(Result)`; it learns of every new event through
`events_applied(list[Event])`, emitted after the local copy (the ledger itself when embedded,
the station's replica when on the LAN) holds them, so `link.reader` queries are up to date in
the slot. Whether the ledger is in this process (`EmbeddedLink`) or behind the hub
(`shared.station.hub_link.HubLink`) the app cannot tell: both are a `StationLink`, both apply
the hub's role policy (shared.hub.auth.permitted), and both own the station's session: which
officer is signed in (`officer`) is the link's to set, from the replies and events.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from shared import indonesian as ID
from shared.clock import Clock, SystemClock
from shared.config import HallConfig
from shared.hub import protocol as p
from shared.hub.auth import Station, permitted
from shared.ledger import config_log
from shared.ledger.ledger import Ledger
from shared.ledger.model import Actor, Command, Event, Refusal, Result
from shared.ledger.queries import LedgerReader
from shared.ledger.store import LedgerError, connect
from shared.station.protocol import OfficerSession

log = logging.getLogger(__name__)

PinCheck = Callable[[str, str], bool]
OfficerNames = Callable[[str], str | None]


class StationLink(QObject):
    """The interface every app is handed. Subclasses implement `_submit` and sign-in."""

    events_applied = Signal(list)  # list[Event], in sequence order
    replied = Signal(object)  # Result
    # Emitted when the link goes on- or offline, and again (False) when the offline_reason()
    # of an offline link changes, so the app can say why.
    online_changed = Signal(bool)
    # The hall config in force changed (a config.changed event, or a scheduled version whose
    # date came): the new HallConfig. Apps apply it at a safe moment, without a restart.
    config_changed = Signal(object)
    # A hall file (an uploaded logo) the config names arrived in `hall_files`: screens that
    # showed initials for it look again.
    hall_files_changed = Signal()
    # The folder holding the hall's uploaded files this station fetched from the hub, as
    # `<folder>/assets/logos/<name>` (shared.station.hall_files); None where there is no hub
    # (one PC: the files are where the console stored them).
    hall_files: Path | None = None

    def __init__(self, config: HallConfig, device: str, clock: Clock | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.config = config
        self.device = device
        self.clock: Clock = clock or SystemClock()
        self._session = OfficerSession()
        self._online = False
        self._config_versions: list[config_log.ConfigVersion] | None = None
        # Set when the station's local copy closed: a window that outlives its link (a test's,
        # or one closing) must not be told of a new config it would read from a closed copy.
        self.closed = False
        self.events_applied.connect(self._config_events)
        # Once started: a station that starts offline runs from its replica's version.
        QTimer.singleShot(0, self.check_config)

    def check_config(self) -> None:
        """Take the config in force now from the local copy's versions; say so if it changed
        (by digest: the same version parsed again is no change). Called for every
        config.changed event, and by the apps' once-a-second ticks: a version "from Monday"
        comes into force at midnight with no event. (Not a timer of the link's own: a link
        may be collected on another thread, where Qt cannot stop it.)"""
        if self.closed:
            return
        if self._config_versions is None:
            try:
                self._config_versions = config_log.config_versions(self.reader.conn)
            except (NotImplementedError, sqlite3.Error):
                return  # no local copy (yet), or it closed with the station
        now = self.hub_clock() or self.clock
        new = config_log.config_in_force(self._config_versions, now.now())
        if new is None or new.digest == self.config.digest:
            return
        log.info("hall config changed: %s", new.source)
        self.config = new
        self.reader.config = new
        self.config_changed.emit(new)

    @Slot(list)
    def _config_events(self, events: list[Event]) -> None:
        changed = config_log.versions_from_events(events)
        if not changed:
            return
        if self._config_versions is not None:
            known = self._config_versions[-1].seq if self._config_versions else 0
            self._config_versions.extend(v for v in changed if v.seq > known)
        self.check_config()

    # --- for apps ----------------------------------------------------------------------------

    @property
    def reader(self) -> LedgerReader:
        raise NotImplementedError

    @property
    def officer(self) -> str | None:
        """The officer signed in on this station: set by the link when its sign-in is
        answered OK, cleared on sign-out, when the hub signs the officer out (IT disabled
        them) and when the station's token is refused. Apps read it, never write it."""
        return self._session.officer

    def is_online(self) -> bool:
        return self._online

    def hub_clock(self) -> Clock | None:
        """The hub's time as this station knows it: its own `clock` corrected by the
        difference measured at the last welcome. None before any welcome, and where the
        ledger is in this process (one PC is its own hub): use your own clock then."""
        return None

    def offline_reason(self) -> str | None:
        """Why the link is offline when retrying will not help, in Indonesian for staff (the
        station was refused, or the hub's certificate does not match); None otherwise."""
        return None

    def send(self, kind: str, args: dict[str, Any] | None = None,
             command_id: str | None = None) -> str:
        """Send a command; its Result arrives through `replied`. Returns the command id, which
        the app keeps to match the reply (and to retry safely with the same id)."""
        cmd = Command(kind, dict(args or {}), Actor(self.device, self.officer),
                      command_id or uuid.uuid4().hex)
        self._submit(cmd)
        return cmd.id

    def sign_in(self, officer: str, pin: str, counter: int,
                command_id: str | None = None) -> str:
        """Check the officer's PIN and sign them in at a counter; the reply comes through
        `replied` like any command's, and like any command it may be sent again with the
        same id (its reply was lost): the ledger answers with the first result."""
        raise NotImplementedError

    def sign_out(self, counter: int) -> str:
        cid = self.send("sign_out", {"counter": counter})
        return cid

    def close(self) -> None:
        pass

    # --- for subclasses ------------------------------------------------------------------------

    def _submit(self, cmd: Command) -> None:
        raise NotImplementedError

    def _reason_changed(self) -> None:
        self.online_changed.emit(self._online)

    def _reply_later(self, result: Result) -> None:
        # On the next turn of the event loop, as the hub's reply would come: the app has not
        # even stored the command id yet.
        QTimer.singleShot(0, lambda: self.replied.emit(result))

    def _set_online(self, online: bool) -> None:
        if online != self._online:
            self._online = online
            self.online_changed.emit(online)


class _Writer(QObject):
    """Owns the Ledger on its own thread, so fsync never blocks a GUI."""

    done = Signal(object, object)  # (Result, list[Event])

    def __init__(self, path: Path, config: HallConfig, clock: Clock) -> None:
        super().__init__()
        self.path, self.config, self.clock = path, config, clock
        self.ledger: Ledger | None = None
        self._day_closed_before: dt.date | None = None  # the day past days were closed for

    @Slot(object)
    def execute(self, cmd: Command) -> None:
        if self.ledger is None:
            self.ledger = Ledger(self.path, self.config, self.clock)
        try:
            self._close_past_days(self.ledger)
            result = self.ledger.execute(cmd)
        except LedgerError as e:
            log.error("ledger write failed for %s: %s", cmd.kind, e)
            result = Result(cmd.id, False, refusal=Refusal(
                "ledger_error", str(e), ID.SYSTEM_FAULT))
        self.done.emit(result, [] if result.duplicate else list(result.events))

    def _close_past_days(self, ledger: Ledger) -> None:
        """One PC is its own hub: before the first command of each service day, the days
        that ended expire their tickets still waiting, as the hub does (Hub._close_past_days)."""
        today = self.config.service_day(self.clock.now())
        if today == self._day_closed_before:
            return
        self._day_closed_before = today
        for day in ledger.past_days_waiting():
            result = ledger.execute(Command("close_day", {"day": day.isoformat()},
                                            Actor("hub"), uuid.uuid4().hex))
            if result.events:
                log.info("closed service day %s: %d tickets still waiting expired", day,
                         len(result.events))
                self.done.emit(result, list(result.events))

    @Slot()
    def shutdown(self) -> None:
        if self.ledger is not None:
            self.ledger.close()
            self.ledger = None


class LocalLedger(QObject):
    """One in-process ledger shared by every `EmbeddedLink` of this process (the hall on one
    PC, and tests): a single writer thread, events fanned out to all links."""

    _request = Signal(object)
    _stop = Signal()

    def __init__(self, path: str | Path, config: HallConfig, clock: Clock | None = None,
                 pin_check: PinCheck | None = None, officer_names: OfficerNames | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = Path(path)
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self.pin_check = pin_check
        # The officers' names, as the hub's sign-in reply carries them (one-PC mode).
        self.officer_names = officer_names
        connect(self.path).close()  # create and migrate before any reader opens it
        self._thread = QThread()
        self._thread.setObjectName("ledger-writer")
        self._writer = _Writer(self.path, config, self.clock)
        self._writer.moveToThread(self._thread)
        self._request.connect(self._writer.execute)
        self._stop.connect(self._writer.shutdown)
        self._writer.done.connect(self._on_done)
        self._links: list[EmbeddedLink] = []
        self._pending: dict[str, EmbeddedLink] = {}
        self._thread.start()

    def link(self, device: str, role: str = "admin", counter: int | None = None
             ) -> EmbeddedLink:
        """A station of this hall, with the role (and counter binding) a hub would give its
        token. Apps get theirs from `open_link` with the app's role; the default, admin, is
        for tools and tests that act for the whole hall."""
        link = EmbeddedLink(self, device, role, counter)
        self._links.append(link)
        return link

    def submit(self, link: EmbeddedLink, cmd: Command) -> None:
        self._pending[cmd.id] = link
        self._request.emit(cmd)

    @Slot(object, object)
    def _on_done(self, result: Result, events: list[Event]) -> None:
        if events:
            for link in self._links:
                link.deliver_events(events)
        sender = self._pending.pop(result.command_id, None)
        if sender is not None:
            sender.deliver(result)

    def close(self) -> None:
        if self._thread.isRunning():
            self._stop.emit()
            self._thread.quit()
            self._thread.wait(5000)
        for link in self._links:
            link.close_reader()


class EmbeddedLink(StationLink):
    """A station whose ledger lives in this process. It checks each command against the hub's
    role policy before the ledger sees it, so one PC refuses exactly what a hub would."""

    def __init__(self, local: LocalLedger, device: str, role: str = "admin",
                 counter: int | None = None) -> None:
        super().__init__(local.config, device, local.clock)
        self.station = Station(device, role, counter)
        self._local = local
        self._conn: sqlite3.Connection | None = connect(local.path, readonly=True)
        self._reader = LedgerReader(self._conn, local.config)
        self._sign_ins: dict[str, tuple[str, int]] = {}  # command id -> (officer, counter)
        self._set_online(True)

    @property
    def reader(self) -> LedgerReader:
        return self._reader

    def _submit(self, cmd: Command) -> None:
        issuer = self._reader.ticket_issuer(cmd.args.get("ticket")) if (
            cmd.kind == "cancel") else None
        refusal = permitted(self.station, self.officer, cmd.kind, cmd.args,
                            ticket_issuer=issuer, officer_counter=self._session.counter)
        if refusal is not None:
            log.warning("refused %s from %s (%s): %s", cmd.kind, self.device,
                        self.station.role, refusal.message)
            self._reply_later(Result(cmd.id, False, refusal=refusal))
            return
        self._local.submit(self, cmd)

    def sign_in(self, officer: str, pin: str, counter: int,
                command_id: str | None = None) -> str:
        cid = command_id or uuid.uuid4().hex
        refusal = permitted(self.station, self.officer, "sign_in", {"counter": counter},
                            sign_in=True)
        check = self._local.pin_check
        if refusal is None and check is not None and not check(officer, pin):
            refusal = Refusal(p.BAD_PIN, f"wrong officer id or PIN for {officer!r}",
                              ID.WRONG_PIN)
        if refusal is not None:
            self._reply_later(Result(cid, False, refusal=refusal))
            return cid
        self._sign_ins[cid] = (officer, counter)
        # The officer on the command is the one who proved the PIN, not the session's.
        self._local.submit(self, Command("sign_in", {"counter": counter},
                                         Actor(self.device, officer), cid))
        return cid

    def deliver_events(self, events: list[Event]) -> None:
        self._session.saw(events)  # signed out here or elsewhere
        self.events_applied.emit(events)

    def deliver(self, result: Result) -> None:
        """The ledger's answer to a command of this link; a sign-in's signs the officer in
        on this link and carries their name, as a hub's does."""
        signing_in = self._sign_ins.pop(result.command_id, None)
        if signing_in is not None and result.ok:
            self._session.signed_in(*signing_in)
            names = self._local.officer_names
            name = names(signing_in[0]) if names is not None else None
            if name:
                result = replace(result, value={**result.value, "officer_name": name})
        self.replied.emit(result)

    def close_reader(self) -> None:
        self.closed = True
        if self._conn is not None:
            self._conn.close()
            self._conn = None
