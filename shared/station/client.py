"""A plain-Python (asyncio) station client for the hub: used by `antrean simulate`, load tests
and any program that is not a Qt app. Qt apps use shared.station.hub_link.HubLink instead; both
carry out the actions of the same `StationProtocol` (shared.station.protocol), which decides
everything about the conversation: the hello, backoff with jitter, resending in-flight commands
with their ids after a reconnect (the hub answers a repeated id with the first result instead
of acting twice), catch-up, close codes, the signed-in officer.

Unlike HubLink, a command asked for while offline is kept and sent after the next welcome
(these programs simply wait, with a timeout).

Over wss:// the hub's certificate must be the pinned one (its SHA-256 fingerprint, see
shared.hub.tls): aiohttp checks it right after the TLS handshake, before the WebSocket upgrade
and long before the hello with the token is sent."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import aiohttp

from shared.clock import Clock
from shared.hub import protocol as p
from shared.hub import tls
from shared.ledger.model import Event, Result
from shared.ledger.store import LedgerError
from shared.station import protocol as sp
from shared.station.replica import Replica, ReplicaDamaged, ReplicaForked, ReplicaGap

log = logging.getLogger(__name__)
EventCallback = Callable[[list[Event]], None]
StateCallback = Callable[[], None]

# Reconnect delays (seconds): quicker than a Qt station's, as these programs run on the hub's
# own PC or in tests; jittered all the same.
BACKOFF_FIRST = 0.1
BACKOFF_CAP = 2.0


class HubRefused(Exception):
    pass


class HubClient:
    def __init__(self, url: str, token: str, replica: Replica | None = None,
                 on_events: EventCallback | None = None, fingerprint: str | None = None,
                 on_state: StateCallback | None = None, clock: Clock | None = None,
                 start_seq: int = 0) -> None:
        self.url = url.rstrip("/") + ("" if url.rstrip("/").endswith("/ws") else "/ws")
        self.token = token
        # Raises tls.TlsError for wss:// without a fingerprint, or a fingerprint with ws://.
        self.pin = tls.station_pin(self.url, fingerprint)
        self._ssl: aiohttp.Fingerprint | bool = (
            aiohttp.Fingerprint(bytes.fromhex(self.pin)) if self.pin else True)
        self.last_error: str | None = None
        self.replica = replica
        self.on_events = on_events
        # Called after `connected` or `caught_up` changed (the web station's "not updated
        # since" line follows them).
        self.on_state = on_state
        self._proto = sp.StationProtocol(
            # Without a replica, `start_seq`: a station that reads elsewhere (the web station's
            # browser counters) need not be sent the whole ledger.
            token, replica.last_seq if replica else start_seq, queue_offline=True,
            backoff=sp.Backoff(BACKOFF_FIRST, BACKOFF_CAP),
            last_hash=replica.last_hash if replica else None, clock=clock)
        self.connected = asyncio.Event()  # welcomed, on the current connection
        self.caught_up = asyncio.Event()  # ... and holding what the hub had at the welcome
        self._futures: dict[str, asyncio.Future[Result]] = {}
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.refused: str | None = None

    @property
    def last_seq(self) -> int:
        return self._proto.last_seq

    @property
    def welcome(self) -> p.Welcome | None:
        return self._proto.welcome

    @property
    def hub_offset_ms(self) -> int:
        """The hub's clock minus this station's, measured at the last welcome (0 before)."""
        return self._proto.hub_offset_ms

    @property
    def officer(self) -> str | None:
        """The officer signed in on this station (set by an OK sign-in reply)."""
        return self._proto.session.officer

    async def start(self, timeout: float = 10.0) -> None:
        # A connection refused for its certificate is closed by aiohttp with a TLS goodbye that
        # may never be answered; on Pythons that need it, the connector aborts such leftovers
        # when it closes instead of leaving them to the garbage collector.
        cleanup = bool(self.pin) and getattr(aiohttp.connector, "NEEDS_CLEANUP_CLOSED", False)
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(enable_cleanup_closed=cleanup))
        self._task = asyncio.create_task(self._run())
        connected = asyncio.create_task(self.connected.wait())
        # Either the hub welcomes us, or it refuses us for good (the run task ends): the
        # latter must not look like a slow network.
        done, _ = await asyncio.wait({connected, self._task}, timeout=timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        if connected not in done:
            connected.cancel()
            if self.refused:
                raise HubRefused(self.refused)
            why = f" (last error: {self.last_error})" if self.last_error else ""
            raise TimeoutError(f"no welcome from the hub at {self.url} within {timeout:g} s"
                               f"{why}")

    async def close(self) -> None:
        self._closing = True
        self._proto.close()
        if self._ws is not None:
            await self._ws.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._session is not None:
            await self._session.close()

    async def command(self, kind: str, args: dict[str, Any] | None = None,
                      command_id: str | None = None, timeout: float = 30.0) -> Result:
        msg = p.CommandMsg(command_id or uuid.uuid4().hex, kind,
                           {} if args is None else args)
        return await self._request(msg, timeout)

    async def sign_in(self, officer: str, pin: str, counter: int, timeout: float = 30.0,
                      command_id: str | None = None) -> Result:
        msg = p.SignIn(command_id or uuid.uuid4().hex, officer, pin, counter)
        return await self._request(msg, timeout)

    async def _request(self, msg: p.Request, timeout: float) -> Result:
        fut = self._futures.get(msg.id)
        if fut is None or fut.done():
            fut = self._futures[msg.id] = asyncio.get_running_loop().create_future()
        await self._do(self._proto.request(msg))
        try:
            return await asyncio.wait_for(asyncio.shield(fut), timeout)
        except TimeoutError:
            self._proto.forget(msg.id)  # nobody waits for it any more: do not resend it
            raise
        finally:
            if fut.done() and self._futures.get(msg.id) is fut:
                del self._futures[msg.id]

    # --- carrying out the protocol's actions -----------------------------------------------------

    async def _run(self) -> None:
        todo = list(self._proto.start())
        while todo and not self._closing:
            action = todo.pop(0)
            if isinstance(action, sp.Connect):
                todo += await self._connection()
            elif isinstance(action, sp.RetryIn):
                await asyncio.sleep(action.seconds)  # reconnect backoff, not a test wait
                todo += self._proto.timer_fired()
            else:
                await self._do([action])

    async def _connection(self) -> list[sp.Action]:
        """One connection, from opening it to its close; returns what the close asks for."""
        assert self._session is not None
        try:
            async with self._session.ws_connect(self.url, heartbeat=20.0, max_msg_size=0,
                                                ssl=self._ssl) as ws:
                self._ws = ws
                self.last_error = None
                await self._do(self._proto.connected(
                    self.replica.last_seq if self.replica else None,
                    self.replica.last_hash if self.replica else None))
                async for msg in ws:
                    if msg.type != aiohttp.WSMsgType.TEXT:
                        break
                    await self._do(self._proto.frame_received(msg.data))
                code = ws.close_code
        except aiohttp.ServerFingerprintMismatch as e:
            # A fake or replaced hub. Nothing was sent to it; keep looking for the real one.
            if self.last_error != tls.MISMATCH:
                log.error("%s at %s (expected %s, got %s); not sending this station's "
                          "token", tls.MISMATCH, self.url, self.pin, e.got.hex())
            self.last_error = tls.MISMATCH
            code = None
        except (TimeoutError, aiohttp.ClientError, OSError) as e:
            log.debug("hub connection failed: %s", e)
            self.last_error = str(e) or type(e).__name__
            code = None
        finally:
            self._ws = None
        return self._proto.closed(code)

    async def _do(self, actions: Iterable[sp.Action]) -> None:
        for action in actions:
            match action:
                case sp.Send(text):
                    if self._ws is not None:
                        with contextlib.suppress(ConnectionError, RuntimeError):
                            await self._ws.send_str(text)
                case sp.Apply(events):
                    batch = list(events)
                    if self.replica is not None:
                        try:
                            batch = self.replica.apply(batch)
                        except ReplicaForked as e:
                            await self._do(self._proto.history_differs(str(e)))
                            return
                        except ReplicaDamaged as e:
                            self.replica.start_over(str(e))
                            await self._do(self._proto.events_not_applied(str(e)))
                            return
                        except (ReplicaGap, LedgerError) as e:
                            await self._do(self._proto.events_not_applied(str(e)))
                            return
                    if batch and self.on_events is not None:
                        self.on_events(batch)
                case sp.Reply(result):
                    fut = self._futures.get(result.command_id)
                    if fut is not None and not fut.done():
                        fut.set_result(result)
                case sp.WentOnline(welcome):
                    if self.replica is not None:
                        self.replica.remember_station(welcome.station)
                    self.connected.set()
                    self._state_changed()
                case sp.WentOffline():
                    self.connected.clear()
                    self.caught_up.clear()
                    self._state_changed()
                case sp.CaughtUp():
                    self.caught_up.set()
                    self._state_changed()
                case sp.Disconnect():
                    if self._ws is not None:
                        await self._ws.close()
                case sp.GiveUp(code, message):
                    self.refused = (f"the hub refused this station's token ({message})"
                                    if code in (p.UNKNOWN_TOKEN, p.TOKEN_REVOKED) else message)
                case sp.Connect() | sp.RetryIn():
                    raise AssertionError(f"{action} comes only from start, timer or close")

    def _state_changed(self) -> None:
        if self.on_state is not None:
            self.on_state()
