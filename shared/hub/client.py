"""A plain-Python (asyncio) station client for the hub: used by `antrean simulate`, load tests
and any program that is not a Qt app. Qt apps use shared.station.hub_link.HubLink instead.

Commands keep their id across reconnects, so a command whose reply was lost is sent again and
the hub answers with the first result instead of acting twice.

Over wss:// the hub's certificate must be the pinned one (its SHA-256 fingerprint, see
shared.hub.tls): aiohttp checks it right after the TLS handshake, before the WebSocket upgrade
and long before the hello with the token is sent."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp

from shared import indonesian as ID
from shared.hub import protocol as p
from shared.hub import tls
from shared.ledger.model import Event, Refusal, Result
from shared.station.replica import Replica, ReplicaGap

log = logging.getLogger(__name__)
EventCallback = Callable[[list[Event]], None]


class HubRefused(Exception):
    pass


class HubClient:
    def __init__(self, url: str, token: str, replica: Replica | None = None,
                 on_events: EventCallback | None = None, fingerprint: str | None = None
                 ) -> None:
        self.url = url.rstrip("/") + ("" if url.rstrip("/").endswith("/ws") else "/ws")
        self.token = token
        # Raises tls.TlsError for wss:// without a fingerprint, or a fingerprint with ws://.
        self.pin = tls.station_pin(self.url, fingerprint)
        self._ssl: aiohttp.Fingerprint | bool = (
            aiohttp.Fingerprint(bytes.fromhex(self.pin)) if self.pin else True)
        self.last_error: str | None = None
        self.replica = replica
        self.on_events = on_events
        self.last_seq = replica.last_seq if replica else 0
        self.welcome: dict[str, Any] = {}
        self.connected = asyncio.Event()
        self._pending: dict[str, tuple[dict[str, Any], asyncio.Future[Result]]] = {}
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.refused: str | None = None

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
        msg = {"type": "command", "id": command_id or uuid.uuid4().hex, "kind": kind,
               "args": args or {}}
        return await self._request(msg, timeout)

    async def sign_in(self, officer: str, pin: str, counter: int, timeout: float = 30.0
                      ) -> Result:
        msg = {"type": "sign_in", "id": uuid.uuid4().hex, "officer": officer, "pin": pin,
               "counter": counter}
        return await self._request(msg, timeout)

    async def _request(self, msg: dict[str, Any], timeout: float) -> Result:
        fut: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._pending[msg["id"]] = (msg, fut)
        if self._ws is not None and self.connected.is_set():
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self._ws.send_str(p.dumps(msg))
        try:
            return await asyncio.wait_for(asyncio.shield(fut), timeout)
        finally:
            if fut.done():
                self._pending.pop(msg["id"], None)

    async def _run(self) -> None:
        assert self._session is not None
        delay = 0.1
        while not self._closing:
            try:
                async with self._session.ws_connect(self.url, heartbeat=20.0, max_msg_size=0,
                                                    ssl=self._ssl) as ws:
                    self._ws = ws
                    self.last_error = None
                    await ws.send_str(p.dumps({"type": "hello", "token": self.token,
                                               "after": self.last_seq,
                                               "protocol": p.PROTOCOL_VERSION}))
                    delay = 0.1
                    await self._read(ws)
            except aiohttp.ServerFingerprintMismatch as e:
                # A fake or replaced hub. Nothing was sent to it; keep looking for the real one.
                if self.last_error != tls.MISMATCH:
                    log.error("%s at %s (expected %s, got %s); not sending this station's "
                              "token", tls.MISMATCH, self.url, self.pin, e.got.hex())
                self.last_error = tls.MISMATCH
            except (TimeoutError, aiohttp.ClientError, OSError) as e:
                log.debug("hub connection failed: %s", e)
                self.last_error = str(e) or type(e).__name__
            except ReplicaGap as e:
                log.warning("%s; reconnecting to catch up", e)
            finally:
                self._ws = None
                self.connected.clear()
            if self.refused or self._closing:
                return
            await asyncio.sleep(delay)  # reconnect backoff, not a test wait
            delay = min(delay * 2, 2.0)

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            d = json.loads(msg.data)
            kind = d.get("type")
            if kind == "welcome":
                self.welcome = d
                self.connected.set()
                for m, fut in list(self._pending.values()):
                    if not fut.done():
                        await ws.send_str(p.dumps(m))
            elif kind == "events":
                events = [Event.from_dict(e) for e in d["events"]]
                if self.replica is not None:
                    events = self.replica.apply(events)
                else:
                    events = [e for e in events if e.seq > self.last_seq]
                if events:
                    self.last_seq = events[-1].seq
                    if self.on_events is not None:
                        self.on_events(events)
            elif kind == "result":
                entry = self._pending.get(d["id"])
                if entry is not None and not entry[1].done():
                    entry[1].set_result(Result.from_dict(d["result"]))
            elif kind == "error":
                entry = self._pending.get(d.get("id") or "")
                if entry is not None and not entry[1].done():
                    # The hub could not take this command (a bad frame): answer the caller
                    # now instead of leaving it to time out.
                    entry[1].set_result(Result(d["id"], False, refusal=Refusal(
                        str(d.get("code")), str(d.get("message")), ID.COMMAND_REFUSED)))
                if d.get("code") in ("unknown_token", "token_revoked", "protocol",
                                     "replica_ahead"):
                    why = d.get("message") or d.get("code")
                    self.refused = (f"the hub refused this station's token ({why})"
                                    if d.get("code") in ("unknown_token", "token_revoked")
                                    else why)
                    for _, fut in self._pending.values():
                        if not fut.done():
                            fut.set_exception(HubRefused(self.refused))
                    return
                log.debug("hub error: %s", d)
