"""The ledger hub: the one process that owns a hall's ledger.

Stations connect over a WebSocket, say hello with their token, receive every event after the
sequence number they already hold, then live events as they are committed. Commands are
executed one at a time on a single writer thread; the reply goes out only after the commit is
durable. Plain HTTP serves health, the hall config and catch-up for other programs.
With a TLS context (`antrean hub --tls`) the same routes are served as wss:// and https://.

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
import sqlite3
import ssl
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

from aiohttp import WSMsgType, web

import shared
from shared import indonesian as ID
from shared.clock import Clock, SystemClock, to_ms
from shared.config import HallConfig
from shared.hub import protocol as p
from shared.hub.auth import AuthStore, Station, permitted, token_hash
from shared.ledger.head import HeadRecord
from shared.ledger.ledger import Ledger
from shared.ledger.lock import LedgerLock, hold_for_hub
from shared.ledger.model import OFFICER_SIGNED_OUT, Actor, Command, Event, Refusal, Result
from shared.ledger.projection import hash_at, iter_events, last_seq
from shared.ledger.queries import LedgerReader
from shared.ledger.store import LedgerError, connect

log = logging.getLogger("antrean.hub")

CATCH_UP_BATCH = 2000
SEND_QUEUE_LIMIT = 5000  # a station this far behind is dropped; it catches up on reconnect
RATE_PER_SECOND = 50.0
RATE_BURST = 200.0
HELLO_TIMEOUT = 10.0
AUTH_POLL_SECONDS = 0.5  # how soon a revocation reaches an idle open connection
DAY_POLL_SECONDS = 30.0  # how soon after the hall's midnight the service day is closed
EVENTS_MAX_LIMIT = 10000
REVOKED_MESSAGE = "this station's token was revoked or replaced on the hub"
HISTORY_ALERT = "history"  # the alert kind of a station refused for another history


@dataclass(frozen=True)
class _Close:
    """Queued after a last frame: the sender closes the connection with this code."""

    code: int
    reason: bytes


@dataclass(eq=False)  # sessions are compared by identity (kept in a set)
class _Session:
    ws: web.WebSocketResponse
    station: Station
    token_hash: str = ""
    queue: asyncio.Queue[str | _Close | None] = field(default_factory=lambda: asyncio.Queue())
    # Set by the sender when the hub ends the session (4004, 1001, too far behind): the
    # connection's handler then closes it with `closing`.
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    closing: _Close | None = None
    last_sent: int = 0
    officer: str | None = None
    officer_counter: int | None = None
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


class Hub:
    def __init__(self, config: HallConfig, ledger_path: str | Path, auth: AuthStore,
                 clock: Clock | None = None, rate_per_second: float = RATE_PER_SECOND,
                 rate_burst: float = RATE_BURST, hello_timeout: float = HELLO_TIMEOUT,
                 auth_poll_seconds: float = AUTH_POLL_SECONDS,
                 ledger_lock: LedgerLock | None = None, min_free_bytes: int = 0,
                 day_poll_seconds: float = DAY_POLL_SECONDS) -> None:
        self.config = config
        self.min_free_bytes = min_free_bytes  # new tickets refused below it (Ledger)
        self.rate_per_second = rate_per_second
        self.rate_burst = rate_burst
        self.hello_timeout = hello_timeout
        self.auth_poll_seconds = auth_poll_seconds
        self.day_poll_seconds = day_poll_seconds
        self.ledger_path = Path(ledger_path)
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
        self._loop: asyncio.AbstractEventLoop | None = None
        self._auth_watch: asyncio.Task[None] | None = None
        self._day_watch: asyncio.Task[None] | None = None
        self.app = web.Application(client_max_size=p.MAX_FRAME_BYTES)
        self.app.add_routes([
            web.get("/health", self._health),
            web.get("/config", self._config),
            web.get("/events", self._events),
            web.get("/station", self._whoami),
            web.get("/ws", self._ws),
        ])
        self.app.on_startup.append(self._start)
        self.app.on_shutdown.append(self._going_away)
        self.app.on_cleanup.append(self._stop)

    # --- lifecycle ---------------------------------------------------------------------------

    async def _start(self, app: web.Application) -> None:
        self._loop = asyncio.get_running_loop()
        if self._lock is None:
            self._lock = hold_for_hub(self.ledger_path)
        self._ledger = await self._loop.run_in_executor(self._writer, self._open_ledger)
        self._reader = connect(self.ledger_path, readonly=True)
        self._query = LedgerReader(self._reader, self.config)
        log.info("hub serving %s (%s) at seq %d", self.config.mpp.name, self.ledger_path,
                 last_seq(self._reader))
        # An officer disabled while the hub was down leaves their counter now.
        await self._enforce_auth()
        self._auth_watch = asyncio.create_task(self._watch_auth())
        # Tickets of days that ended while the hub was down expire now.
        await self._close_past_days()
        self._day_watch = asyncio.create_task(self._watch_day())

    def _open_ledger(self) -> Ledger:
        led = Ledger(self.ledger_path, self.config, self.clock, self.min_free_bytes,
                     head=HeadRecord(self.ledger_path))
        led.subscribe(self._committed)
        return led

    async def _going_away(self, app: web.Application) -> None:
        """Stopping (SIGTERM): close every connection with 1001 at once, so stations know to
        reconnect, instead of leaving them to the shutdown timeout and a 1006."""
        for s in list(self._connected):
            self._connected.discard(s)
            self._sessions.discard(s)
            s.queue.put_nowait(_Close(p.CLOSE_GOING_AWAY, b"hub shutting down"))

    async def _stop(self, app: web.Application) -> None:
        for task in (self._auth_watch, self._day_watch):
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
        s.queue.put_nowait(p.error(p.TOKEN_REVOKED, REVOKED_MESSAGE))
        s.queue.put_nowait(_Close(p.CLOSE_REVOKED, b"token revoked"))

    # --- events out ----------------------------------------------------------------------------

    def _committed(self, events: list[Event]) -> None:
        """Called on the writer thread after each durable commit."""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._broadcast, events)

    def _broadcast(self, events: list[Event]) -> None:
        self._sign_out_sessions(events)
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

    def _send_events(self, s: _Session, events: list[Event]) -> None:
        if events:
            self._queue_events(s, p.events_frame(events), events[-1].seq)

    def _queue_events(self, s: _Session, text: str, last: int) -> None:
        if s.queue.qsize() > SEND_QUEUE_LIMIT:
            log.warning("station %s is too far behind; dropping it", s.station.name)
            self._sessions.discard(s)
            s.queue.put_nowait(_Close(p.CLOSE_TOO_FAR_BEHIND, b"too far behind"))
            return
        s.last_sent = last
        s.queue.put_nowait(text)

    async def _catch_up(self, s: _Session, after: int) -> None:
        """Queue everything after `after`, then join the live stream.

        A batch at a time, giving the loop a turn in between: the station's sender starts on
        the first batch while the next is read (a new replica holds 20,000 events sooner), and
        other stations are served meanwhile instead of waiting for the whole history to be
        encoded. The last, partial batch and joining the live stream happen in one synchronous
        step, so no broadcast can slip between the two: a commit read here is skipped by its
        broadcast (seq <= last_sent), one made after is delivered by it."""
        assert self._reader is not None
        s.last_sent = after
        while not s.ws.closed:
            batch = list(iter_events(self._reader, s.last_sent, CATCH_UP_BATCH))
            self._send_events(s, batch)
            if len(batch) < CATCH_UP_BATCH:
                self._sessions.add(s)
                return
            await asyncio.sleep(0)

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

    # --- WebSocket -----------------------------------------------------------------------------

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=p.MAX_FRAME_BYTES)
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
        s = _Session(ws, station, token_hash(hello.token), rate=self.rate_per_second,
                     burst=self.rate_burst, allowance=self.rate_burst)
        s.officer, s.officer_counter = self._resume_officer(station)
        await ws.send_str(p.encode(p.Welcome(
            p.PROTOCOL_VERSION, shared.__version__, station.name, station.role, station.counter,
            last_seq(self._reader), self.config.digest, to_ms(self.clock.now()))))
        sender = asyncio.create_task(self._sender(s))
        self._connected.add(s)
        log.info("station %s (%s) connected from %s after seq %d", station.name, station.role,
                 peer, hello.after)
        try:
            await self._catch_up(s, hello.after)
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
            if s.closing is not None and not ws.closed:
                await ws.close(code=s.closing.code, message=s.closing.reason)
        finally:
            self._sessions.discard(s)
            self._connected.discard(s)
            s.queue.put_nowait(None)
            with contextlib.suppress(asyncio.CancelledError):
                await sender
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
        while True:
            item = await s.queue.get()
            if isinstance(item, _Close):
                s.closing = item
                s.stop.set()
                return
            if item is None or s.ws.closed:
                return
            try:
                await s.ws.send_str(item)
            except (ConnectionError, RuntimeError):
                return

    async def _reply(self, s: _Session, text: str) -> None:
        s.queue.put_nowait(text)

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
        if refusal is not None:
            s.refused_in_row += 1
            log.warning("refused %s from %s (%s): %s", msg.kind, s.station.name,
                        s.station.role, refusal.message)
            await self._result(s, Result(msg.id, False, refusal=refusal))
            return
        s.refused_in_row = 0
        result = await self.execute(Command(msg.kind, msg.args, self._actor(s), msg.id))
        if result.ok and msg.kind == "sign_out":
            s.officer = s.officer_counter = None
        await self._result(s, result)

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
        await self._result(s, result)

    async def _result(self, s: _Session, result: Result) -> None:
        await self._reply(s, p.result_frame(result))


# check_pin's verdict -> the refusal's code and what the officer reads.
_SIGN_IN_REFUSALS = {
    "bad": (p.BAD_PIN, ID.WRONG_PIN),
    "locked": (p.PIN_LOCKED, "Terlalu banyak percobaan PIN. Tunggu beberapa menit atau masuk "
                             "dari loket lain."),
    "disabled": (p.OFFICER_DISABLED, "Akun petugas ini dinonaktifkan. Hubungi petugas TI."),
}


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

