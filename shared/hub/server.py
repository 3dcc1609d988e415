"""The ledger hub: the one process that owns a hall's ledger.

Stations connect over a WebSocket, say hello with their token, receive every event after the
sequence number they already hold, then live events as they are committed. Commands are
executed one at a time on a single writer thread; the reply goes out only after the commit is
durable. Plain HTTP serves health, the hall config and catch-up for other programs.
With a TLS context (`antrean hub --tls`) the same routes are served as wss:// and https://.

Sending never outruns a station: each connection has one sender task that writes a frame and
waits until the socket drained it (aiohttp's send_str waits for the transport to drain) before
taking the next. Catch-up is read from the ledger by that sender as the station takes it, a
frame at a time (small first, growing while the station keeps up), and each catch-up frame is
encoded once for every station that asks for the same range (_FrameCache). A station that does
not take a frame within the send timeout is cut (1000); one whose live frames pile up goes
back to catching up from the ledger, holding nothing meanwhile. So what one slow or hostile
reader costs the hub is one small frame, not the hall's history; and no token may hold more
than a few connections (4006).

The auth store is watched while the hub runs (`antrean hub stations revoke`, `officer disable`
write it from another process): a revoked or replaced token is refused at its next command and
its open connection closed with 4004 within AUTH_POLL_SECONDS; a disabled officer is signed out
of the ledger and of every connection.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import logging
import os
import socket
import sqlite3
import ssl
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from aiohttp import WSMsgType, web

import shared
from shared import indonesian as ID
from shared.clock import Clock, SystemClock, to_ms
from shared.config import HallConfig
from shared.hub import assets
from shared.hub import protocol as p
from shared.hub.admin import HubAdmin
from shared.hub.auth import (
    HUB_ADMIN_COMMANDS,
    PIN_MAX_DIGITS,
    PIN_MIN_DIGITS,
    AuthError,
    AuthStore,
    Station,
    check_pin_format,
    permitted,
    token_hash,
)
from shared.hub.enrolment import Enrolment, redeem_reply
from shared.ledger.config_log import (
    ConfigVersion,
    config_in_force,
    version_dict,
    version_in_force,
    versions_from_events,
)
from shared.ledger.head import HeadRecord
from shared.ledger.ledger import Ledger
from shared.ledger.lock import LedgerLock, hold_for_hub
from shared.ledger.model import OFFICER_SIGNED_OUT, Actor, Command, Event, Refusal, Result
from shared.ledger.projection import hash_at, iter_events, last_seq
from shared.ledger.queries import LedgerReader
from shared.ledger.store import LedgerError, connect

log = logging.getLogger("antrean.hub")

CATCH_UP_BATCH = 2000  # the most events in one frame (docs/protocol.md section 7)
# A station's first catch-up frame; each next one doubles while the station takes them
# quickly. A reader that never reads holds this much of the hub's memory (~25 KB), no more.
CATCH_UP_FIRST = 100
CATCH_UP_GROW_SECONDS = 1.0  # a frame taken faster than this doubles the next one
SEND_TIMEOUT = 30.0  # a frame the station has not taken by then: cut it (1000)
LIVE_QUEUE_LIMIT = 500  # live frames waiting for one station: it goes back to catching up
REPLY_QUEUE_LIMIT = 2000  # replies waiting for one station: it is cut (1000)
FRAME_CACHE_BYTES = 8 * 1024 * 1024  # encoded catch-up frames kept for the next station
CLOSE_SECONDS = 2.0  # how long a closing handshake may take before the socket is dropped
# The kernel's send buffer per connection (Linux doubles it for its bookkeeping). Left to
# autotuning, loopback and LAN sockets grow to 4 MB each, and 150 connections that never read
# held 1.6 MB of catch-up apiece in the kernel: backpressure must start before that. A LAN's
# bandwidth-delay product (1 Gbit/s x 1 ms = 125 KB) fits, so honest stations lose nothing.
SEND_BUFFER_BYTES = 32 * 1024
# ... until the station has shown that it reads: once its catch-up frames reached full size,
# a deep kernel buffer lets the hub write the next frame while the station parses the last.
PROVEN_SEND_BUFFER_BYTES = 1024 * 1024
# Above this much waiting in the hub's own buffer for a connection, the sender waits for the
# socket to drain (to LOW) before its next frame: with aiohttp's default (64 KiB, checked only
# every 64 KiB written) a frame that did not fit waited there whole, for every slow reader.
WRITE_BUFFER_HIGH, WRITE_BUFFER_LOW = 16 * 1024, 4 * 1024
RATE_PER_SECOND = 50.0
RATE_BURST = 200.0
HELLO_TIMEOUT = 10.0
AUTH_POLL_SECONDS = 0.5  # how soon a revocation reaches an idle open connection
DAY_POLL_SECONDS = 30.0  # how soon after the hall's midnight the service day is closed
EVENTS_MAX_LIMIT = 10000
REVOKED_MESSAGE = "this station's token was revoked or replaced on the hub"
HISTORY_ALERT = "history"  # the alert kind of a station refused for another history
LEDGER_ALERT = "ledger"  # the alert kind of damage the full check after start-up found


def _lower_priority() -> None:
    os.nice(10)


@dataclass(frozen=True)
class _Close:
    """How the hub ends a session: the frames to send last, then the close code."""

    code: int
    reason: bytes
    last_frames: tuple[str, ...] = ()


@dataclass(eq=False)  # sessions are compared by identity (kept in a set)
class _Session:
    ws: web.WebSocketResponse
    station: Station
    token_hash: str = ""
    # What waits to be sent while the station is live: (frame, its last event's seq or 0 for a
    # reply), in order. Catch-up frames are not queued: the sender reads them when it can send.
    queue: deque[tuple[str, int]] = field(default_factory=deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)  # something was queued
    live: bool = False  # in the live stream; False: catching up from the ledger
    last_sent: int = 0  # the newest event queued or sent to it
    handed: int = 0  # the newest event written to its socket
    batch: int = CATCH_UP_FIRST  # its next catch-up frame's size
    # Set when the hub ends the session (4004, 1001, too slow): the connection's handler then
    # sends `closing.last_frames` and closes with its code.
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    closing: _Close | None = None
    transport: asyncio.BaseTransport | None = None  # to drop a connection that never drains
    officer: str | None = None
    officer_counter: int | None = None
    # The officer signed in with a temporary PIN (a reset): only change_pin and sign_out
    # (and the station's own alerts) until they chose their own.
    pin_change: bool = False
    rate: float = RATE_PER_SECOND
    burst: float = RATE_BURST
    allowance: float = RATE_BURST
    checked: float = field(default_factory=time.monotonic)
    refused_in_row: int = 0
    # A command (or sign-in) is being executed: a revocation meanwhile closes the connection
    # right after its result (`revoked`), so that what the ledger wrote is answered.
    in_flight: bool = False
    revoked: bool = False

    def take_token(self) -> bool:
        """A token bucket per connection: one station cannot flood the hub for the others."""
        now = time.monotonic()
        self.allowance = min(self.burst, self.allowance + (now - self.checked) * self.rate)
        self.checked = now
        if self.allowance < 1:
            return False
        self.allowance -= 1
        return True


class _FrameCache:
    """Encoded catch-up frames by (after, last seq): events never change once written, so the
    40 displays of a hall that restarts ask for the same ranges and the hub reads and encodes
    each one once. Bounded in bytes; least recently used first out."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._frames: OrderedDict[tuple[int, int], str] = OrderedDict()
        self._bytes = 0
        self.hits = self.misses = 0

    def get(self, key: tuple[int, int]) -> str | None:
        text = self._frames.get(key)
        if text is None:
            self.misses += 1
            return None
        self.hits += 1
        self._frames.move_to_end(key)
        return text

    def put(self, key: tuple[int, int], text: str) -> None:
        if len(text) > self.max_bytes or key in self._frames:
            return
        self._frames[key] = text
        self._bytes += len(text)
        while self._bytes > self.max_bytes:
            _, old = self._frames.popitem(last=False)
            self._bytes -= len(old)


class Hub:
    def __init__(self, config: HallConfig, ledger_path: str | Path, auth: AuthStore,
                 clock: Clock | None = None, rate_per_second: float = RATE_PER_SECOND,
                 rate_burst: float = RATE_BURST, hello_timeout: float = HELLO_TIMEOUT,
                 auth_poll_seconds: float = AUTH_POLL_SECONDS,
                 ledger_lock: LedgerLock | None = None, min_free_bytes: int = 0,
                 day_poll_seconds: float = DAY_POLL_SECONDS,
                 max_connections_per_token: int = p.MAX_CONNECTIONS_PER_TOKEN,
                 send_timeout: float = SEND_TIMEOUT,
                 full_check: Sequence[str] | None = None) -> None:
        # The --config file: recorded as version 1 on a ledger with none; after that the
        # ledger's versions are the truth (config_log), and `config` is the one in force.
        self.file_config = config
        self.config_versions: list[ConfigVersion] = []
        # The command that checks the whole ledger in a child process after a quick start-up
        # check (`antrean ledger verify ...`, shared.hub.cli); None when start-up checked all.
        self.full_check = list(full_check) if full_check else None
        self._checking: asyncio.Task[None] | None = None
        self.min_free_bytes = min_free_bytes  # new tickets refused below it (Ledger)
        self.max_connections_per_token = max_connections_per_token
        self.send_timeout = send_timeout
        self.rate_per_second = rate_per_second
        self.rate_burst = rate_burst
        self.hello_timeout = hello_timeout
        self.auth_poll_seconds = auth_poll_seconds
        self.day_poll_seconds = day_poll_seconds
        self.ledger_path = Path(ledger_path)
        self.logo_dir = assets.logo_dir(self.ledger_path)  # uploaded logos (shared.hub.assets)
        self.auth = auth
        self.clock = clock or SystemClock()
        # The ledger's lock for the hub's lifetime (shared.ledger.lock): given by `antrean hub`,
        # which holds it from before a restore, or taken at start.
        self._lock = ledger_lock
        self._writer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="ledger")
        self._ledger: Ledger | None = None
        self._reader: sqlite3.Connection | None = None
        self._query: LedgerReader | None = None  # over _reader
        self._sessions: set[_Session] = set()  # in the live stream
        self._connected: set[_Session] = set()  # welcomed, catching up or live
        self._per_token: dict[str, int] = {}  # open connections by token hash
        self._head = 0  # the newest event handed to _broadcast
        self._frames = _FrameCache(FRAME_CACHE_BYTES)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._auth_watch: asyncio.Task[None] | None = None
        self._day_watch: asyncio.Task[None] | None = None
        self._enrolment: Enrolment | None = None  # opened at the first code redeemed
        # The TLS certificate's fingerprint when serving wss:// (`antrean hub --tls`), for an
        # enrolment from the console to hand out with the token.
        self.tls_fingerprint: str | None = None
        # change_pin's results by id, for the hub's lifetime: one sent again after a lost reply
        # gets the first result, not a wrong-old-PIN refusal (and a throttle count).
        self._pin_changes: dict[str, Result] = {}
        self.admin = HubAdmin(auth, self.clock, lambda: self._connected, self._enforce_auth,
                              lambda: self.tls_fingerprint, lambda: self.config.agencies,
                              lambda: self.config.counters, enrolment=self.enrolment)
        self.app = web.Application(client_max_size=p.MAX_FRAME_BYTES)
        self.app.add_routes([
            web.get("/health", self._health),
            web.get("/config", self._config),
            web.get("/config/versions", self._config_versions),
            web.post("/config", self._change_config),
            web.get("/events", self._events),
            web.get("/station", self._whoami),
            web.get("/ws", self._ws),
            web.post("/enrol", self._enrol),
            web.put("/assets/logos/{name}", self._put_logo),
            web.post("/assets/logos/{name}", self._put_logo),
            web.get("/assets/logos/{name}", self._get_logo),
        ])
        self.app.on_startup.append(self._start)
        self.app.on_shutdown.append(self._going_away)
        self.app.on_cleanup.append(self._stop)

    @property
    def config(self) -> HallConfig:
        """The hall config in force now (by the hub's clock)."""
        return config_in_force(self.config_versions, self.clock.now()) or self.file_config

    # --- lifecycle ---------------------------------------------------------------------------

    async def _start(self, app: web.Application) -> None:
        self._loop = asyncio.get_running_loop()
        if self._lock is None:
            self._lock = hold_for_hub(self.ledger_path)
        self._ledger = await self._loop.run_in_executor(self._writer, self._open_ledger)
        self._reader = connect(self.ledger_path, readonly=True)
        self._query = LedgerReader(self._reader, self.config)
        self._head = last_seq(self._reader)
        log.info("hub serving %s (%s) at seq %d", self.config.mpp.name, self.ledger_path,
                 last_seq(self._reader))
        # An officer disabled while the hub was down leaves their counter now.
        await self._enforce_auth()
        self._auth_watch = asyncio.create_task(self._watch_auth())
        # Tickets of days that ended while the hub was down expire now.
        await self._close_past_days()
        self._day_watch = asyncio.create_task(self._watch_day())
        if self.full_check:
            self._checking = asyncio.create_task(self._check_whole_ledger(self.full_check))

    async def _check_whole_ledger(self, argv: list[str]) -> None:
        """The full check of the ledger (every event's hash, the ledger's promises, projection
        = replay) that start-up left out to serve within seconds: in a child process at low
        priority, so the hub's own thread and the GIL stay with the stations. Damage it finds
        cannot stop a hub that is already serving; it is said loudly instead, in the log and
        as a hall alert officers see, for IT to act on (docs/install-id.md, section 10)."""
        proc = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            preexec_fn=_lower_priority if os.name == "posix" else None)
        try:
            out, _ = await proc.communicate()
        except asyncio.CancelledError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            raise
        lines = [ln.strip() for ln in out.decode(errors="replace").splitlines() if ln.strip()]
        if proc.returncode == 0:
            log.info("full check of %s after start-up: OK", self.ledger_path)
            return
        log.error("full check of %s after start-up FAILED: %s. The hub keeps serving; copy "
                  "the ledger aside and compare it with the newest station replica "
                  "(docs/install-id.md, section 10)", self.ledger_path,
                  "; ".join(lines[:6]) or f"exit status {proc.returncode}")
        await self.execute(Command("alert", {
            "kind": LEDGER_ALERT,
            "message": "Pemeriksaan buku antrean di server menemukan kerusakan. Layanan tetap "
                       "berjalan; hubungi petugas TI."}, Actor("hub"), uuid.uuid4().hex))

    def _open_ledger(self) -> Ledger:
        led = Ledger(self.ledger_path, self.config, self.clock, self.min_free_bytes,
                     head=HeadRecord(self.ledger_path))
        led.subscribe(self._committed)
        self.config_versions = list(led.config_versions)
        return led

    async def _going_away(self, app: web.Application) -> None:
        """Stopping (SIGTERM): close every connection with 1001 at once, so stations know to
        reconnect, instead of leaving them to the shutdown timeout and a 1006."""
        for s in list(self._connected):
            self._end(s, _Close(p.CLOSE_GOING_AWAY, b"hub shutting down"))

    async def _stop(self, app: web.Application) -> None:
        for task in (self._auth_watch, self._day_watch, self._checking):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for s in list(self._connected):
            await s.ws.close()
        if self._ledger is not None:
            await asyncio.get_running_loop().run_in_executor(self._writer, self._ledger.close)
        self._writer.shutdown(wait=True)
        if self._reader is not None:
            self._reader.close()
        if self._lock is not None:
            self._lock.release()

    # --- the auth store, changed by `antrean hub stations revoke`, `officer disable` ----------

    async def _watch_auth(self) -> None:
        """Poll the store's data_version (one cheap PRAGMA; it changes only when another
        process committed) and apply what changed. Polling beats a signal: the CLI need not
        find the hub's process, may run as another user, and a change made while the hub was
        down is applied at start the same way."""
        seen = self.auth.data_version()
        while True:
            await asyncio.sleep(self.auth_poll_seconds)  # the poll interval, not a wait
            now = self.auth.data_version()
            if now != seen:
                seen = now
                try:
                    await self._enforce_auth()
                except (sqlite3.Error, LedgerError) as e:
                    log.error("could not apply a change of the auth store: %s", e)

    async def _enforce_auth(self) -> None:
        for s in list(self._connected):
            if self.auth.station_by_hash(s.token_hash) is None:
                self._close_revoked(s)
        disabled = self.auth.disabled_officers()
        if not disabled:
            return
        for s in self._connected:
            if s.officer in disabled:
                log.warning("officer %s was disabled: signed out on station %s", s.officer,
                            s.station.name)
                s.officer = s.officer_counter = None
        assert self._query is not None
        for counter, officer in self._query.seated_officers():
            if officer in disabled:
                result = await self.execute(Command("force_sign_out", {"counter": counter},
                                                    Actor("hub"), uuid.uuid4().hex))
                log.warning("officer %s was disabled: signed out of counter %d (%s)", officer,
                            counter, "done" if result.ok else result.refusal)

    # --- closing the service day -----------------------------------------------------------

    async def _watch_day(self) -> None:
        """At the hall's midnight (by the hub's clock, within day_poll_seconds), the day that
        ended is closed: its tickets still waiting expire."""
        day = self.config.service_day(self.clock.now())
        while True:
            await asyncio.sleep(self.day_poll_seconds)  # the poll interval, not a wait
            today = self.config.service_day(self.clock.now())
            if today != day:
                day = today
                try:
                    await self._close_past_days()
                except (sqlite3.Error, LedgerError) as e:
                    log.error("could not close the service day: %s", e)

    async def _close_past_days(self) -> None:
        """close_day for every past service day that still has waiting tickets (idempotent:
        a closed day has none)."""
        assert self._ledger is not None
        loop = asyncio.get_running_loop()
        days = await loop.run_in_executor(self._writer, self._ledger.past_days_waiting)
        for day in days:
            result = await self.execute(Command("close_day", {"day": day.isoformat()},
                                                Actor("hub"), uuid.uuid4().hex))
            if result.ok:
                log.info("closed service day %s: %d tickets still waiting expired", day,
                         len(result.events))
            else:
                log.error("could not close service day %s: %s", day, result.refusal)

    def _close_revoked(self, s: _Session) -> None:
        """Tell the station why, then close: 4004 means "do not reconnect with this token".
        A command in flight is answered first (the ledger may have written it); nothing
        after it is executed."""
        if s not in self._connected:
            return
        log.warning("station %s: its token was revoked or replaced; closing its connection",
                    s.station.name)
        self._connected.discard(s)
        self._sessions.discard(s)
        if s.in_flight:
            s.revoked = True
            return
        self._queue_revoked(s)

    def _queue_revoked(self, s: _Session) -> None:
        self._end(s, _Close(p.CLOSE_REVOKED, b"token revoked",
                            (p.error(p.TOKEN_REVOKED, REVOKED_MESSAGE),)))

    def _end(self, s: _Session, close: _Close) -> None:
        """End a session from the hub's side: its handler sends what is queued for it (the
        result of a command in flight among it), the last frames, then closes."""
        self._connected.discard(s)
        self._sessions.discard(s)
        if s.closing is None:
            s.closing = close
        s.stop.set()

    # --- events out ----------------------------------------------------------------------------

    def _committed(self, events: list[Event]) -> None:
        """Called on the writer thread after each durable commit."""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._broadcast, events)

    def _broadcast(self, events: list[Event]) -> None:
        if not events:  # a commit that wrote nothing (call_next on an empty line)
            return
        self._head = max(self._head, events[-1].seq)
        self._sign_out_sessions(events)
        known = self.config_versions[-1].seq if self.config_versions else 0
        changed = [v for v in versions_from_events(events) if v.seq > known]
        if changed:
            self.config_versions = [*self.config_versions, *changed]
            if self._query is not None:
                self._query.config = self.config
        # Every station that is up to date gets the very same frame: one serialisation per
        # commit, not one per station (with 40 stations that was an eighth of the hub's time).
        frames: dict[int, str] = {}
        for s in list(self._sessions):
            start = next((i for i, e in enumerate(events) if e.seq > s.last_sent), None)
            if start is None:
                continue
            text = frames.get(start)
            if text is None:
                text = frames[start] = p.events_frame(events[start:])
            self._queue_events(s, text, events[-1].seq)

    def _sign_out_sessions(self, events: list[Event]) -> None:
        """An officer signed out of the ledger (at their station, by an admin, or by the hub
        for IT) is no longer signed in on any connection: the station's session says so from
        the same event (shared.station.protocol.OfficerSession), and the policy then refuses
        as one PC would. Runs before the event reaches any station, so before any command
        that could follow it."""
        gone = {e.data.get("officer") for e in events if e.kind == OFFICER_SIGNED_OUT}
        if not gone:
            return
        for s in self._connected:
            if s.officer in gone:
                s.officer = s.officer_counter = None

    def _queue_events(self, s: _Session, text: str, last: int) -> None:
        if len(s.queue) >= LIVE_QUEUE_LIMIT:
            # Behind by this much, the station is better served from the ledger than by
            # frames kept for it: it goes back to catching up (replies stay queued, in order,
            # and follow once it is live again).
            log.warning("station %s is %d frames behind; it catches up from the ledger",
                        s.station.name, len(s.queue))
            self._sessions.discard(s)
            s.live = False
            s.queue = deque(item for item in s.queue if item[1] == 0)
            s.last_sent = s.handed
            s.wake.set()
            return
        s.last_sent = last
        s.queue.append((text, last))
        s.wake.set()

    def _catch_up_frame(self, s: _Session) -> tuple[str, int] | None:
        """The station's next catch-up frame and its last seq; or None after joining the live
        stream, when it holds everything up to the newest event handed to _broadcast.

        Frames end on multiples of their size (100, 200, 400 …), so stations that catch up
        from the same place, or from nearby places once past their first frame, ask for the
        same ranges: the cache then serves them. Reading up to `_head` only, and joining the
        live stream in the same synchronous step once there, leaves no gap and no repeat: a
        broadcast before covered seq <= _head, one after covers the rest."""
        assert self._reader is not None
        after, head = s.last_sent, self._head
        if after >= head:
            s.live = True
            self._sessions.add(s)
            return None
        last = min((after // s.batch + 1) * s.batch, head)
        text = self._frames.get((after, last))
        if text is None:
            events = list(iter_events(self._reader, after, last - after))
            if not events or events[-1].seq != last:
                raise LedgerError(f"the ledger has no events {after + 1}-{last}")
            text = p.events_frame(events)
            self._frames.put((after, last), text)
        s.last_sent = last
        return text, last

    # --- commands ------------------------------------------------------------------------------

    async def execute(self, cmd: Command) -> Result:
        assert self._ledger is not None
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._writer, self._ledger.execute, cmd)
        except LedgerError as e:
            log.error("ledger write failed for %s from %s: %s", cmd.kind, cmd.actor.device, e)
            return Result(cmd.id, False, refusal=Refusal(
                p.LEDGER_ERROR, str(e), ID.SYSTEM_FAULT))

    # --- HTTP ----------------------------------------------------------------------------------

    async def _health(self, request: web.Request) -> web.Response:
        assert self._reader is not None
        return web.json_response({
            "ok": True, "version": shared.__version__, "protocol": p.PROTOCOL_VERSION,
            "last_seq": last_seq(self._reader), "mpp": self.config.mpp.name,
            "config_digest": self.config.digest,
            "time": self.clock.now().astimezone(dt.UTC).isoformat(),
            "stations": len(self._sessions),
        })

    def _station(self, request: web.Request) -> Station | web.Response:
        """The station whose token the request carries, or the 401 to answer (logged with
        the peer's address, never the token)."""
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        station = self.auth.station_for(token)
        if station is not None:
            return station
        revoked = self.auth.revoked_station(token)
        why = f"revoked token of {revoked}" if revoked else (
            "unknown token" if token else "no token")
        log.warning("refused %s from %s: %s", request.path, request.remote or "?", why)
        return web.json_response({"error": "token revoked" if revoked else "unknown token"},
                                 status=401)

    async def _whoami(self, request: web.Request) -> web.Response:
        """What the token was enrolled as: lets a station (antrean doctor) check its token."""
        station = self._station(request)
        if isinstance(station, web.Response):
            return station
        return web.json_response({"station": station.name, "role": station.role,
                                  "counter": station.counter})

    async def _config(self, request: web.Request) -> web.Response:
        station = self._station(request)
        if isinstance(station, web.Response):
            return station
        return web.Response(body=self.config.raw_toml, content_type="application/toml",
                            headers={"X-Config-Digest": self.config.digest})

    async def _put_logo(self, request: web.Request) -> web.Response:
        """An agency logo uploaded from the console (admin role only), checked, and kept under
        its content-addressed name; a refused one leaves nothing behind."""
        station = self._station(request)
        if isinstance(station, web.Response):
            return station
        name = request.match_info["name"]
        if station.role != "admin":
            log.warning("refused logo %r from %s: role %s, not admin", name[:80], station.name,
                        station.role)
            return web.json_response({"error": "only an admin station may upload"},
                                     status=403)
        body = b""
        while len(body) <= assets.LOGO_MAX_BYTES:  # stop reading a file past the limit
            chunk = await request.content.read(assets.LOGO_MAX_BYTES + 1 - len(body))
            if not chunk:
                break
            body += chunk
        try:
            assets.check_logo_upload(name, body)
        except assets.AssetError as e:
            log.warning("refused logo %r from %s: %s", name[:80], station.name, e)
            status = 413 if len(body) > assets.LOGO_MAX_BYTES else 400
            return web.json_response({"error": str(e)}, status=status)
        loop = asyncio.get_running_loop()
        try:
            written = await loop.run_in_executor(None, assets.store, self.logo_dir, name, body)
        except OSError as e:
            log.error("cannot keep logo %s in %s: %s", name, self.logo_dir, e)
            return web.json_response({"error": f"the hub cannot store it: {e}"}, status=507)
        if written:
            log.info("logo %s uploaded by %s (%d bytes)", name, station.name, len(body))
        return web.json_response({"ok": True, "name": name, "new": written},
                                 status=201 if written else 200)

    async def _get_logo(self, request: web.Request) -> web.StreamResponse:
        """An uploaded logo, for any enrolled station (its kiosk tiles, its board)."""
        station = self._station(request)
        if isinstance(station, web.Response):
            return station
        name = request.match_info["name"]
        path = self.logo_dir / name
        if not assets.LOGO_NAME.fullmatch(name) or not path.is_file():
            return web.json_response({"error": "no such logo"}, status=404)
        return web.FileResponse(path, headers={"Cache-Control": "max-age=31536000, immutable"})

    async def _config_versions(self, request: web.Request) -> web.Response:
        """Every version of the hall config (for `antrean config history/export`), with the
        one in force now."""
        station = self._station(request)
        if isinstance(station, web.Response):
            return station
        now = version_in_force(self.config_versions, self.clock.now())
        return web.json_response({
            "in_force": now.version if now else None,
            "versions": [version_dict(v) for v in self.config_versions]})

    async def _change_config(self, request: web.Request) -> web.Response:
        """A new config version from an admin station (`antrean config import`): the
        change_config command, judged by the role policy and the ledger like any other."""
        station = self._station(request)
        if isinstance(station, web.Response):
            return station
        body = await _json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("args"), dict):
            return web.json_response({"error": "send {\"id\": ..., \"args\": {...}}"},
                                     status=400)
        args = {k: v for k, v in body["args"].items() if v is not None}
        refusal = permitted(station, None, "change_config", args)
        if refusal is not None:
            result = Result(str(body.get("id") or ""), False, refusal=refusal)
        else:
            result = await self.execute(Command("change_config", args, Actor(station.name),
                                                str(body.get("id") or uuid.uuid4().hex)))
        # The event's content is what was sent; the reply need not carry it back.
        reply = result.to_dict()
        for e in reply["events"]:
            e["data"] = {k: v for k, v in e["data"].items() if k != "content"}
        return web.json_response(reply)

    async def _events(self, request: web.Request) -> web.Response:
        station = self._station(request)
        if isinstance(station, web.Response):
            return station
        after = _whole(request.query.get("after", "0"))
        limit = _whole(request.query.get("limit", "5000"))
        if after is None or limit is None or after < 0 or not 1 <= limit <= EVENTS_MAX_LIMIT:
            return web.json_response(
                {"error": f"after is a whole number >= 0 and limit one from 1 to "
                          f"{EVENTS_MAX_LIMIT}"}, status=400)
        assert self._reader is not None
        events = [e.to_dict() for e in iter_events(self._reader, after, limit)]
        return web.json_response({"events": events, "last_seq": last_seq(self._reader)})

    def enrolment(self) -> Enrolment:
        """The one-time codes (shared.hub.enrolment), opened at first use: redeemed at POST
        /enrol, made by the console's `station_code`."""
        if self._enrolment is None:
            self._enrolment = Enrolment(self.auth)
        return self._enrolment

    async def _enrol(self, request: web.Request) -> web.Response:
        """A web station redeems a browser's one-time code (shared.hub.enrolment)."""
        station = self._station(request)
        if isinstance(station, web.Response):
            return station
        body = await _json_body(request)
        assert self._loop is not None
        status, reply = await self._loop.run_in_executor(
            None, redeem_reply, self.enrolment(), station, body)
        log.info("enrolment code from %s: %s", station.name, reply.get("error") or "ok")
        return web.json_response(reply, status=status)

    # --- WebSocket -----------------------------------------------------------------------------

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        # No permessage-deflate: a catch-up frame is encoded once for every station, and
        # compressing it again for each one would cost more than the LAN saves.
        ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=p.MAX_FRAME_BYTES,
                                   compress=False, writer_limit=1)
        _bound_send_buffers(request.transport)
        await ws.prepare(request)
        peer = request.remote or "?"
        try:
            first = await asyncio.wait_for(ws.receive(), self.hello_timeout)
        except TimeoutError:
            await ws.close(code=p.CLOSE_BAD_HELLO, message=b"no hello")
            return ws
        if first.type != WSMsgType.TEXT:
            if first.type == WSMsgType.BINARY:
                await ws.send_str(p.error(p.BAD_MESSAGE, "frames must be JSON text"))
            await ws.close(code=p.CLOSE_BAD_HELLO, message=b"expected hello")
            return ws
        try:
            hello = p.parse(first.data)
        except p.ProtocolError as e:
            await ws.send_str(p.error(e.code, e.message))
            await ws.close(code=p.CLOSE_BAD_HELLO, message=b"expected hello")
            return ws
        if not isinstance(hello, p.Hello):
            # Readable, but not a hello: a client bug, not a token problem (4001 would tell
            # it never to reconnect).
            await ws.send_str(p.error(p.BAD_MESSAGE, "the first frame must be a hello"))
            await ws.close(code=p.CLOSE_BAD_HELLO, message=b"expected hello")
            return ws
        station = self.auth.station_for(hello.token)
        if station is None:
            revoked = self.auth.revoked_station(hello.token)
            if revoked is not None:
                log.warning("refused connection from %s: the revoked token of station %s",
                            peer, revoked)
                await ws.send_str(p.error(p.TOKEN_REVOKED, REVOKED_MESSAGE))
                await ws.close(code=p.CLOSE_REVOKED, message=b"token revoked")
                return ws
            log.warning("refused connection from %s: unknown token", peer)
            await ws.send_str(p.error(p.UNKNOWN_TOKEN, "this station is not enrolled"))
            await ws.close(code=p.CLOSE_UNKNOWN_TOKEN, message=b"unknown token")
            return ws
        if hello.protocol != p.PROTOCOL_VERSION:
            await ws.send_str(p.error(p.PROTOCOL, f"hub speaks protocol {p.PROTOCOL_VERSION}"))
            await ws.close(code=p.CLOSE_PROTOCOL, message=b"protocol version")
            return ws
        assert self._reader is not None
        hub_seq = last_seq(self._reader)
        if hello.after > hub_seq:
            # This station holds history the hub has not: the hub was restored from an older
            # replica. Serving it would let its copy silently diverge; refuse it loudly so IT
            # staff restore from the most complete replica instead.
            log.error("station %s holds events up to seq %d but the hub only %d: restore the "
                      "hub from the most complete replica", station.name, hello.after, hub_seq)
            await ws.send_str(p.error(
                p.REPLICA_AHEAD, f"this station holds events up to {hello.after}, the hub only "
                f"up to {hub_seq}; the hub was restored from an older replica"))
            await ws.close(code=p.CLOSE_REPLICA_AHEAD, message=b"replica ahead of hub")
            return ws
        if hello.after > 0 and hello.hash is not None and (
                hash_at(self._reader, hello.after) != hello.hash):
            await self._history_differs(ws, station, hello, peer)
            return ws
        th = token_hash(hello.token)
        open_now = self._per_token.get(th, 0)
        if open_now >= self.max_connections_per_token:
            log.warning("refused connection from %s: station %s already has %d connections "
                        "(the most one token may hold)", peer, station.name, open_now)
            await ws.send_str(p.error(
                p.TOO_MANY_CONNECTIONS, f"this station already has {open_now} connections to "
                f"the hub, the most one token may hold"))
            await ws.close(code=p.CLOSE_TOO_MANY_CONNECTIONS, message=b"too many connections")
            return ws
        # Counted before the first await: a burst of hellos cannot all pass the check.
        self._per_token[th] = open_now + 1
        try:
            return await self._serve_station(request, ws, station, th, hello)
        finally:
            left = self._per_token.pop(th) - 1
            if left:
                self._per_token[th] = left

    async def _serve_station(self, request: web.Request, ws: web.WebSocketResponse,
                             station: Station, th: str, hello: p.Hello
                             ) -> web.WebSocketResponse:
        assert self._reader is not None
        peer = request.remote or "?"
        s = _Session(ws, station, th, last_sent=hello.after, handed=hello.after,
                     transport=request.transport, rate=self.rate_per_second,
                     burst=self.rate_burst, allowance=self.rate_burst)
        s.officer, s.officer_counter = self._resume_officer(station)
        # A reconnect does not get round the change asked (nor does any seated officer whose
        # PIN IT reset since: the reset PIN is theirs now, and so is the change).
        s.pin_change = s.officer is not None and self.auth.pin_change_required(s.officer)
        await ws.send_str(p.encode(p.Welcome(
            p.PROTOCOL_VERSION, shared.__version__, station.name, station.role, station.counter,
            last_seq(self._reader), self.config.digest, to_ms(self.clock.now()))))
        self._connected.add(s)
        self.admin.connected(s, hello, peer)
        sender = asyncio.create_task(self._sender(s))
        log.info("station %s (%s) connected from %s after seq %d", station.name, station.role,
                 peer, hello.after)
        try:
            # The hub ending a session closes it from here, the one task that reads the
            # socket: closed from another task, aiohttp drops the connection without waiting
            # for the station's close reply, and the station sees 1006 instead of the code.
            reading = asyncio.create_task(self._read(s))
            stopping = asyncio.create_task(s.stop.wait())
            try:
                await asyncio.wait({reading, stopping}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopping.cancel()
                reading.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reading
            # The sender may be waiting for a socket that never drains: stop it, then say the
            # last frames and close, within CLOSE_SECONDS, or drop the connection.
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
            if s.closing is not None and not ws.closed:
                await self._close(s, s.closing)
        finally:
            self._sessions.discard(s)
            self._connected.discard(s)
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
            self.admin.disconnected(s)
            log.info("station %s disconnected", station.name)
        return ws

    async def _history_differs(self, ws: web.WebSocketResponse, station: Station,
                               hello: p.Hello, peer: str) -> None:
        """The station's event `after` is not the hub's: two histories of one hall (the hub
        was restored from a stale or other copy). Serving it would join them silently, and
        the tickets only the station holds would be lost and their numbers given again. Refuse
        it for good, say so in the log and in the hall (an alert staff see), and leave the
        station's replica as it is: it is the evidence, and `antrean ledger diff` reads the
        lost tickets from it."""
        log.error("station %s (%s) holds another history than this hub: its event %d has "
                  "hash %s…, the hub's differs; refused (4005). Its replica is kept unchanged: "
                  "compare it with 'antrean ledger diff %s REPLICA' to recover the tickets "
                  "only it holds", station.name, peer, hello.after, (hello.hash or "")[:16],
                  self.ledger_path)
        assert self._query is not None
        key = f"{station.name}:{HISTORY_ALERT}"
        if key not in {a.key for a in self._query.open_alerts()}:
            await self.execute(Command("alert", {
                "kind": HISTORY_ALERT,
                "message": f"Riwayat antrean di {station.name} berbeda dengan server (sejak "
                           f"sebelum nomor urut {hello.after}). Perangkat ditolak; datanya "
                           f"disimpan. Hubungi petugas TI."}, Actor(station.name),
                uuid.uuid4().hex))
        await ws.send_str(p.error(
            p.HISTORY_DIFFERS, f"this station's event {hello.after} differs from the hub's: "
            f"the hub holds another history of this hall (it was restored from another "
            f"copy); keep this station's replica and compare it with 'antrean ledger diff "
            f"HUB-LEDGER REPLICA'"))
        await ws.close(code=p.CLOSE_HISTORY_DIFFERS, message=b"history differs")

    async def _close(self, s: _Session, close: _Close) -> None:
        try:
            async with asyncio.timeout(CLOSE_SECONDS):
                while s.queue:
                    await s.ws.send_str(s.queue.popleft()[0])
                for text in close.last_frames:
                    await s.ws.send_str(text)
                await s.ws.close(code=close.code, message=close.reason)
        except (TimeoutError, ConnectionError, RuntimeError):
            # A station that does not read gets no closing handshake: the socket is dropped.
            if isinstance(s.transport, asyncio.WriteTransport):
                s.transport.abort()

    async def _read(self, s: _Session) -> None:
        async for msg in s.ws:
            if msg.type == WSMsgType.TEXT:
                await self._handle(s, msg.data)
            elif msg.type == WSMsgType.BINARY:
                await self._reply(s, p.error(p.BAD_MESSAGE, "frames must be JSON text"))
            elif msg.type == WSMsgType.ERROR:
                return
            if s.refused_in_row > 1000:
                log.warning("closing %s: flooding", s.station.name)
                await s.ws.close(code=p.CLOSE_FLOOD, message=b"flood")
                return

    def _resume_officer(self, station: Station) -> tuple[str | None, int | None]:
        """A counter station that reconnects keeps the officer the ledger still seats for it
        (LedgerReader.resumable_officer), unless IT disabled that officer since."""
        assert self._query is not None
        seated = self._query.resumable_officer(station.name)
        if seated is None or not self.auth.officer_active(seated[0]):
            return None, None
        return seated

    async def _sender(self, s: _Session) -> None:
        """Writes the station's frames one at a time, each after the socket drained the one
        before: catch-up frames read from the ledger while it catches up, then what was
        queued for it. A frame not taken within the send timeout ends the session (1000)."""
        try:
            while not s.ws.closed:
                if not s.live:
                    frame = self._catch_up_frame(s)
                    if frame is None:
                        continue  # joined the live stream: now the queue
                    text, last = frame
                    started = time.monotonic()
                    await self._send(s, text, last)
                    if (time.monotonic() - started < CATCH_UP_GROW_SECONDS
                            and s.batch < CATCH_UP_BATCH):
                        s.batch = min(s.batch * 2, CATCH_UP_BATCH)
                        if s.batch == CATCH_UP_BATCH:
                            _send_buffer(s.transport, PROVEN_SEND_BUFFER_BYTES)
                    continue
                if not s.queue:
                    s.wake.clear()
                    await s.wake.wait()
                    continue
                text, last = s.queue.popleft()
                await self._send(s, text, last)
        except TimeoutError:
            log.warning("station %s took no frame for %.0f s; cutting it off", s.station.name,
                        self.send_timeout)
            self._end(s, _Close(p.CLOSE_TOO_FAR_BEHIND, b"too slow"))
        except (ConnectionError, RuntimeError):
            return  # the connection is gone; its handler sees that too
        except (sqlite3.Error, LedgerError) as e:
            log.error("catch-up for station %s failed: %s", s.station.name, e)
            self._end(s, _Close(p.CLOSE_GOING_AWAY, b"hub cannot read its ledger"))

    async def _send(self, s: _Session, text: str, last: int) -> None:
        # send_str writes the frame at once and then waits for the socket to drain.
        if last:
            s.handed = last
        async with asyncio.timeout(self.send_timeout):
            await s.ws.send_str(text)

    async def _reply(self, s: _Session, text: str) -> None:
        if len(s.queue) >= REPLY_QUEUE_LIMIT:
            log.warning("station %s does not read its replies; cutting it off", s.station.name)
            self._end(s, _Close(p.CLOSE_TOO_FAR_BEHIND, b"too far behind"))
            return
        s.queue.append((text, 0))
        s.wake.set()

    async def _handle(self, s: _Session, data: str) -> None:
        if not s.take_token():
            s.refused_in_row += 1
            await self._rate_limited(s, data)
            return
        try:
            msg = p.parse(data)
        except p.ProtocolError as e:
            s.refused_in_row += 1
            log.info("bad message from %s: %s", s.station.name, e.message)
            await self._reply(s, p.error(e.code, e.message, e.msg_id))
            return
        if isinstance(msg, p.Ping):
            s.refused_in_row = 0
            await self._reply(s, p.encode(p.Pong()))
            return
        if isinstance(msg, p.Hello):
            await self._reply(s, p.error(p.BAD_MESSAGE, "already said hello"))
            return
        if self.auth.station_by_hash(s.token_hash) is None:
            # Revoked a moment ago: not one more command, before the watcher notices.
            self._close_revoked(s)
            return
        s.in_flight = True
        try:
            await self._obey(s, msg)
        finally:
            s.in_flight = False
            if s.revoked:
                s.revoked = False
                self._queue_revoked(s)

    async def _obey(self, s: _Session, msg: p.CommandMsg | p.SignIn) -> None:
        """A command or sign-in of a station whose token was valid when it arrived."""
        if s.officer is not None and not self.auth.officer_active(s.officer):
            s.officer = s.officer_counter = None
        if isinstance(msg, p.SignIn):
            await self._sign_in(s, msg)
            return
        assert isinstance(msg, p.CommandMsg)
        refusal = self._permitted(s, msg)
        if (refusal is None and s.pin_change and s.officer is not None
                and msg.kind not in PIN_CHANGE_ALLOWS):
            refusal = Refusal(p.PIN_CHANGE_REQUIRED,
                              f"{s.officer} signed in with a temporary PIN: change_pin first",
                              "Ganti PIN sementara Anda dulu dengan PIN baru.")
        if refusal is not None:
            s.refused_in_row += 1
            log.warning("refused %s from %s (%s): %s", msg.kind, s.station.name,
                        s.station.role, refusal.message)
            await self._result(s, Result(msg.id, False, refusal=refusal))
            return
        s.refused_in_row = 0
        if msg.kind == "change_pin":  # the auth store's, not the ledger's
            key = f"{s.station.name}\x1f{msg.id}"  # another station's id is not this one's
            first = self._pin_changes.get(key)
            result = (replace(first, duplicate=True) if first is not None
                      else await self._change_pin(s, msg))
            if result.ok and first is None:
                self._pin_changes[key] = result
                while len(self._pin_changes) > 500:
                    del self._pin_changes[next(iter(self._pin_changes))]
            await self._result(s, result)
            return
        if msg.kind in HUB_ADMIN_COMMANDS:  # answered by the hub, not the ledger
            await self._result(s, await self.admin.execute(s.station, msg.id, msg.kind,
                                                           msg.args))
            return
        result = await self.execute(Command(msg.kind, msg.args, self._actor(s), msg.id))
        if result.ok and msg.kind == "sign_out":
            s.officer = s.officer_counter = None
            s.pin_change = False
        await self._result(s, result)

    async def _change_pin(self, s: _Session, msg: p.CommandMsg) -> Result:
        """The signed-in officer's own new PIN: the old one proved (and throttled) exactly as
        at sign-in, the new one of the PIN rules and not the old one. Nothing changes when
        either is wrong. Never logs a PIN."""
        if s.officer is None:  # an admin station with nobody signed in on it
            return Result(msg.id, False, refusal=Refusal(
                p.NOT_SIGNED_IN, "sign in first: change_pin changes the signed-in officer's PIN",
                "Petugas belum masuk. Silakan masuk dengan ID dan PIN."))
        officer, old, new = s.officer, msg.args.get("old_pin"), msg.args.get("new_pin")
        if set(msg.args) != {"old_pin", "new_pin"} or not isinstance(old, str) \
                or not isinstance(new, str):
            return Result(msg.id, False, refusal=Refusal(
                p.BAD_ARGS, "change_pin takes old_pin and new_pin (text)",
                "Perintah tidak lengkap."))
        try:
            check_pin_format(new)
        except AuthError as e:
            return Result(msg.id, False, refusal=Refusal(
                p.BAD_ARGS, f"new PIN refused: {e}",
                f"PIN baru harus {PIN_MIN_DIGITS}–{PIN_MAX_DIGITS} angka."))
        loop = asyncio.get_running_loop()
        verdict = await loop.run_in_executor(None, self.auth.check_pin, officer, old,
                                             s.station.name)
        if verdict == "ok" and not self.auth.officer_active(officer):
            verdict = "disabled"
        if verdict != "ok":
            log.warning("PIN change refused for officer %r at %s: %s", officer,
                        s.station.name, verdict)
            code, pesan = _SIGN_IN_REFUSALS.get(verdict, _SIGN_IN_REFUSALS["bad"])
            if verdict == "bad":
                pesan = "PIN lama salah."
            return Result(msg.id, False, refusal=Refusal(
                code, f"PIN change refused for {officer!r}: {verdict}", pesan))
        if new == old:
            return Result(msg.id, False, refusal=Refusal(
                p.BAD_ARGS, "the new PIN is the old one", "PIN baru harus berbeda dari PIN lama."))
        await loop.run_in_executor(None, self.auth.change_pin, officer, new)
        s.pin_change = False
        for other in self._connected:  # the officer's other sessions were waiting on it too
            if other.officer == officer:
                other.pin_change = False
        log.info("officer %s changed their PIN at %s", officer, s.station.name)
        return Result(msg.id, True, {"officer": officer, "pin_change_required": False})

    async def _rate_limited(self, s: _Session, data: str) -> None:
        """A command over the station's rate is refused as a result with its id (nothing was
        executed; the same id may be sent again later). Without the id a station could not
        tell which command was dropped and waited for its reply forever."""
        try:
            msg = p.parse(data)
        except p.ProtocolError as e:
            msg_id = e.msg_id
        else:
            msg_id = msg.id if isinstance(msg, (p.CommandMsg, p.SignIn)) else None
        if msg_id is None:
            await self._reply(s, p.error(p.RATE_LIMITED, "too many messages; slow down"))
            return
        await self._result(s, Result(msg_id, False, refusal=Refusal(
            p.RATE_LIMITED, "too many messages from this station; send again later",
            "Terlalu banyak permintaan dari perangkat ini. Coba lagi sebentar.")))

    def _actor(self, s: _Session) -> Actor:
        # The officer is who signed in on this connection, never what a station claims.
        return Actor(s.station.name, s.officer)

    def _permitted(self, s: _Session, msg: p.CommandMsg) -> Refusal | None:
        assert self._query is not None
        issuer = self._query.ticket_issuer(msg.args.get("ticket")) if msg.kind == "cancel" else None
        return permitted(s.station, s.officer, msg.kind, msg.args, ticket_issuer=issuer,
                         officer_counter=s.officer_counter)

    async def _sign_in(self, s: _Session, msg: p.SignIn) -> None:
        refusal = permitted(s.station, s.officer, "sign_in", {"counter": msg.counter},
                            sign_in=True)
        if refusal is not None:
            await self._result(s, Result(msg.id, False, refusal=refusal))
            return
        loop = asyncio.get_running_loop()
        verdict = await loop.run_in_executor(None, self.auth.check_pin, msg.officer, msg.pin,
                                             s.station.name)
        if self.auth.station_by_hash(s.token_hash) is None:
            # Revoked while the PIN was being checked: nothing written, not signed in.
            self._close_revoked(s)
            return
        if verdict == "ok" and not self.auth.officer_active(msg.officer):
            verdict = "disabled"  # disabled while the PIN was being checked
        if verdict != "ok":
            log.warning("sign-in refused for officer %r at %s: %s", msg.officer,
                        s.station.name, verdict)
            code, pesan = _SIGN_IN_REFUSALS.get(verdict, _SIGN_IN_REFUSALS["bad"])
            await self._result(s, Result(msg.id, False, refusal=Refusal(
                code, f"sign-in refused for {msg.officer!r}: {verdict}", pesan)))
            return
        result = await self.execute(Command(
            "sign_in", {"counter": msg.counter}, Actor(s.station.name, msg.officer), msg.id))
        if result.ok:
            s.officer, s.officer_counter = msg.officer, msg.counter
            # The counter greets the officer by the name they were added with, not their ID.
            name = self.auth.officer_name(msg.officer)
            if name:
                result = replace(result, value={**result.value, "officer_name": name})
            s.pin_change = self.auth.pin_change_required(msg.officer)
            if s.pin_change:  # IT's temporary PIN: the counter asks for the officer's own
                result = replace(result, value={**result.value, "pin_change_required": True})
        await self._result(s, result)

    async def _result(self, s: _Session, result: Result) -> None:
        await self._reply(s, p.result_frame(result))


# What a session whose officer signed in with a temporary PIN may still send (docs/protocol.md
# 5.4): the change itself, leaving, and the station's own alerts (they need no officer).
PIN_CHANGE_ALLOWS = frozenset({"change_pin", "sign_out", "alert"})

# check_pin's verdict -> the refusal's code and what the officer reads.
_SIGN_IN_REFUSALS = {
    "bad": (p.BAD_PIN, ID.WRONG_PIN),
    "locked": (p.PIN_LOCKED, "Terlalu banyak percobaan PIN. Tunggu beberapa menit atau masuk "
                             "dari loket lain."),
    "disabled": (p.OFFICER_DISABLED, "Akun petugas ini dinonaktifkan. Hubungi petugas TI."),
}


async def _json_body(request: web.Request) -> object:
    """An admin or web station's JSON body; None when it is not JSON (the caller's check of
    its shape then refuses it)."""
    try:
        return await request.json()
    except ValueError:
        return None


def _bound_send_buffers(transport: asyncio.BaseTransport | None) -> None:
    """Small send buffers, the kernel's and the hub's own, so that a station that does not
    read stops its sender early (send_str waits for the drain) instead of parking megabytes."""
    if isinstance(transport, asyncio.WriteTransport):
        _send_buffer(transport, SEND_BUFFER_BYTES)
        transport.set_write_buffer_limits(high=WRITE_BUFFER_HIGH, low=WRITE_BUFFER_LOW)


def _send_buffer(transport: asyncio.BaseTransport | None, size: int) -> None:
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)


def _whole(text: str) -> int | None:
    """A query parameter as a whole number ("5", "-1"), or None ("x", "1.5", "")."""
    try:
        return int(text)
    except ValueError:
        return None


def run_hub(hub: Hub, host: str, port: int, advertise: bool = True,
            ssl_context: ssl.SSLContext | None = None) -> None:
    """Serve until interrupted (SIGINT/SIGTERM); over TLS when given an ssl_context."""
    from shared.hub.discovery import Advertiser

    advertiser = (Advertiser(port, hub.config.mpp.name, host, tls=ssl_context is not None)
                  if advertise else None)

    async def on_start(app: web.Application) -> None:
        if advertiser is not None:
            await asyncio.get_running_loop().run_in_executor(None, advertiser.start)

    async def on_stop(app: web.Application) -> None:
        if advertiser is not None:
            await asyncio.get_running_loop().run_in_executor(None, advertiser.stop)

    hub.app.on_startup.append(on_start)
    hub.app.on_cleanup.append(on_stop)
    web.run_app(hub.app, host=host, port=port, print=None, access_log=None,
                handle_signals=True, shutdown_timeout=2.0, ssl_context=ssl_context)

