"""`antrean export postgres`: a read-only station (role `export`) that follows one hub's event
stream into the region's PostgreSQL.

One *session* is: the hall's config from the hub (its id), a PostgreSQL connection, the head of
the hall's chain the region holds (seq N, hash), and one WebSocket connection to the hub asking
for everything after N - 1. Event N comes back first and must hash to what the region holds
(and, when the hub sends hashes, carry the same hash): a hub with another history, or with
fewer events than the region, is refused, reported in `region.refusals` and never merged.
Everything after N is checked against the chain (recomputed here with shared/ledger/chain.py,
and compared with the frame's `hash` when there is one) and written in batches, one
transaction each (region/store.py). Any failure of either side ends the session; the next one
starts again from what PostgreSQL holds, so nothing is written twice or skipped. The hub never
waits for the region: while PostgreSQL is away this station is simply not connected.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
import psycopg

from region import schema, store
from shared.config import ConfigError, HallConfig, loads_config
from shared.hub import protocol as p
from shared.hub import tls
from shared.ledger.chain import event_hash
from shared.ledger.model import Event
from shared.station import protocol as sp

log = logging.getLogger(__name__)

BACKOFF_FIRST = 0.2
BACKOFF_CAP = 5.0
BATCH_MAX = 20_000  # events per transaction while catching up
QUEUE_FRAMES = 64  # frames read ahead of PostgreSQL; beyond that the hub's socket waits


class Refused(Exception):
    """The hall cannot be exported: its chain disagrees with the region's, or the hub refused
    this station's token. One English line."""


class ChainDisagrees(Refused):
    """The hub's history of the hall is not the one the region holds (reported in
    region.refusals)."""


class HubDown(Exception):
    pass


@dataclass(frozen=True)
class Settings:
    dsn: str
    hub: str  # ws://HOST:PORT or wss://HOST:PORT
    token: str
    fingerprint: str | None = None
    hall_id: str | None = None
    province: str | None = None
    batch_max: int = BATCH_MAX


@dataclass
class Batch:
    events: list[Event]
    hub_hashes: list[str | None]


class Exporter:
    def __init__(self, settings: Settings,
                 on_written: Callable[[int, int], None] | None = None) -> None:
        self.s = settings
        base = settings.hub.rstrip("/")
        base = base.removesuffix("/ws")
        self.ws_url = base + "/ws"
        self.http_url = "http" + base.removeprefix("ws")
        self.pin = tls.station_pin(self.ws_url, settings.fingerprint)
        self._ssl: aiohttp.Fingerprint | bool = (
            aiohttp.Fingerprint(bytes.fromhex(self.pin)) if self.pin else True)
        self.on_written = on_written  # (last seq, events in the batch), after each commit
        self.hall: str | None = None
        self._trouble: str | None = None  # what the last failed session said (logged once)
        self._wrote = False  # the current session committed something
        # Where the histories part: (seq, the region's hash, the hub's), for region.refusals.
        self.refusal: tuple[int, str, str] | None = None

    async def run(self) -> None:
        """Export until cancelled; raises Refused for a hall that must not be merged."""
        delay = BACKOFF_FIRST
        async with aiohttp.ClientSession() as http:
            while True:
                self._wrote = False
                try:
                    await self._session(http)
                except Refused:
                    raise
                except (psycopg.Error, HubDown, aiohttp.ClientError, OSError, TimeoutError,
                        store.OutOfStep) as e:
                    self._report(f"{type(e).__name__}: {e}".strip())
                else:
                    self._report("the hub closed the connection")
                if self._wrote:  # the session did work: a fresh failure, retry soon
                    delay = BACKOFF_FIRST
                # Reconnect backoff (jittered: after a region outage every hall's exporter
                # comes back at once), not a test wait.
                await asyncio.sleep(random.uniform(delay / 2, delay))
                delay = min(delay * 2, BACKOFF_CAP)

    def _report(self, trouble: str) -> None:
        trouble = " ".join(trouble.split())  # psycopg's messages span lines; logs take one
        if trouble != self._trouble:
            log.warning("export of %s paused (%s); retrying", self.hall or self.s.hub, trouble)
        self._trouble = trouble

    async def _config(self, http: aiohttp.ClientSession) -> HallConfig:
        try:
            async with http.get(f"{self.http_url}/config", ssl=self._ssl,
                                headers={"Authorization": f"Bearer {self.s.token}"},
                                timeout=aiohttp.ClientTimeout(total=10)) as r:
                if r.status == 401:
                    raise Refused(f"the hub refused this station's token "
                                  f"({(await r.json()).get('error', 'unknown token')})")
                if r.status != 200:
                    raise HubDown(f"GET /config answered {r.status}")
                raw = await r.read()
        except aiohttp.ServerFingerprintMismatch as e:
            raise HubDown(tls.MISMATCH) from e
        try:
            return loads_config(raw, f"{self.http_url}/config")
        except ConfigError as e:
            raise HubDown(f"the hub's config is unreadable: {e}") from e

    async def _session(self, http: aiohttp.ClientSession) -> None:
        config = await self._config(http)
        try:
            self.hall = hall = self.s.hall_id or store.hall_id(config)
        except ValueError as e:
            raise Refused(str(e)) from None
        conn = await asyncio.to_thread(connect, self.s.dsn)
        try:
            await asyncio.to_thread(schema.migrate, conn)
            head = await asyncio.to_thread(store.register, conn, hall, config, self.s.province)
            await self._follow(http, conn, hall, head)
        finally:
            await asyncio.to_thread(conn.close)

    async def _follow(self, http: aiohttp.ClientSession, conn: psycopg.Connection, hall: str,
                      head: store.Head) -> None:
        after = max(head.seq - 1, 0)  # ask again for the region's last event, to compare it
        # No hash in the hello: the region compares event N itself, and since the hub sends
        # each event's chain hash, equal hashes at N prove the whole history before it equal.
        proto = sp.StationProtocol(self.s.token, after)
        proto.start()
        queue: asyncio.Queue[Batch | None] = asyncio.Queue(QUEUE_FRAMES)
        async with http.ws_connect(self.ws_url, heartbeat=20.0, max_msg_size=0,
                                   ssl=self._ssl) as ws:
            reader = asyncio.create_task(self._read(ws, proto, queue, head))
            writer = asyncio.create_task(self._write(conn, hall, queue, head))
            try:
                done, _ = await asyncio.wait({reader, writer},
                                             return_when=asyncio.FIRST_EXCEPTION)
                for task in done:
                    task.result()  # raises what ended it
                await writer
            finally:
                for task in (reader, writer):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
                await ws.close()

    async def _read(self, ws: aiohttp.ClientWebSocketResponse, proto: sp.StationProtocol,
                    queue: asyncio.Queue[Batch | None], head: store.Head) -> None:
        actions = proto.connected()
        hashes: dict[int, str] = {}
        try:
            while True:
                for action in actions:
                    await self._act(ws, action, queue, head, hashes)
                msg = await ws.receive()
                if msg.type != aiohttp.WSMsgType.TEXT:
                    for action in proto.closed(ws.close_code):
                        await self._act(ws, action, queue, head, {})
                    return
                actions = proto.frame_received(msg.data)
                hashes = (_frame_hashes(msg.data)
                          if any(isinstance(a, sp.Apply) for a in actions) else {})
        finally:
            await queue.put(None)

    async def _act(self, ws: aiohttp.ClientWebSocketResponse, action: sp.Action,
                   queue: asyncio.Queue[Batch | None], head: store.Head,
                   hashes: dict[int, str]) -> None:
        match action:
            case sp.Send(text):
                await ws.send_str(text)
            case sp.WentOnline(welcome):
                if welcome.last_seq < head.seq:
                    raise ChainDisagrees(
                        f"the hub holds {welcome.last_seq} events, the region {head.seq}: "
                        f"restored from an older copy or another hall's")
            case sp.Apply(events):
                await queue.put(Batch(list(events), [hashes.get(e.seq) for e in events]))
            case sp.GiveUp(code, message):
                if code == p.REPLICA_AHEAD:
                    raise ChainDisagrees(
                        f"the hub holds fewer events than the region ({head.seq}): restored "
                        f"from an older copy or another hall's ({message})")
                if code == p.HISTORY_DIFFERS:
                    raise ChainDisagrees(
                        f"the hub's history before event {head.seq} is not the one the region "
                        f"holds: another history of this hall ({message})")
                raise Refused(f"the hub refused this station ({message})")
            case sp.Disconnect(reason):
                raise HubDown(reason)

    async def _write(self, conn: psycopg.Connection, hall: str,
                     queue: asyncio.Queue[Batch | None], head: store.Head) -> None:
        last_seq, last_hash = head.seq, head.hash
        while True:
            item = await queue.get()
            if item is None:
                return
            events, hub_hashes, ended = list(item.events), list(item.hub_hashes), False
            # Take whatever else is already here, up to a batch: one transaction for a frame
            # while live, for many while catching up.
            while len(events) < self.s.batch_max and not queue.empty():
                more = queue.get_nowait()
                if more is None:
                    ended = True
                    break
                events += more.events
                hub_hashes += more.hub_hashes
            fresh: list[Event] = []
            hashes: list[str] = []
            previous = last_hash
            for e, hub_hash in zip(events, hub_hashes, strict=True):
                if e.seq <= last_seq:
                    if e.seq == head.seq:
                        self._check_overlap(e, hub_hash, head)
                    continue
                h = event_hash(previous, e)
                if hub_hash is not None and hub_hash != h:
                    self.refusal = (e.seq, h, hub_hash)
                    raise ChainDisagrees(
                        f"the hub's hash of event {e.seq} is not the chain the region holds: "
                        f"another history of this hall")
                fresh.append(e)
                hashes.append(h)
                previous = h
            if fresh:
                await asyncio.to_thread(store.write, conn, hall, fresh, hashes, last_hash)
                last_seq, last_hash = fresh[-1].seq, hashes[-1]
                self._wrote = True
                if self._trouble is not None:
                    log.info("export of %s resumed at seq %d", hall, fresh[0].seq)
                    self._trouble = None
                if self.on_written is not None:
                    self.on_written(last_seq, len(fresh))
            if ended:
                return

    def _check_overlap(self, e: Event, hub_hash: str | None, head: store.Head) -> None:
        """Event N, the region's last, as the hub has it now: the same event, the same chain."""
        h = event_hash(head.previous, e)
        if h != head.hash or (hub_hash is not None and hub_hash != head.hash):
            self.refusal = (e.seq, head.hash, hub_hash or h)
            raise ChainDisagrees(f"the hub's event {e.seq} is not the one the region holds: "
                                 f"another history of this hall")


def connect(dsn: str) -> psycopg.Connection:
    return psycopg.connect(dsn, autocommit=True, connect_timeout=5)


def _frame_hashes(text: str) -> dict[int, str]:
    """The `hash` of each event of an events frame, when the hub sends them."""
    if '"hash"' not in text:
        return {}
    try:
        frame = json.loads(text)
        return {int(e["seq"]): str(e["hash"]) for e in frame.get("events", ())
                if isinstance(e, dict) and isinstance(e.get("hash"), str)}
    except (ValueError, TypeError, KeyError):
        return {}


def record_refusal(dsn: str, hall: str, reason: str,
                   detail: tuple[int, str, str] | None) -> bool:
    """Put the refusal in region.refusals (best effort: PostgreSQL may be the problem)."""
    seq, ours, theirs = detail if detail else (None, None, None)
    try:
        with connect(dsn) as conn:
            schema.migrate(conn)
            store.refuse(conn, hall, seq, reason, ours, theirs)
        return True
    except psycopg.Error as e:
        log.error("could not record the refusal in PostgreSQL: %s", e)
        return False
