"""A read-only station without Qt that follows the hub: the hall config, a replica kept by the
asyncio station client, and the moments its pages need (when the data last held, when
something changed). The web station (`web/`) and the console (`console/`) are built on it.

Their pages read only this replica, never the hub's ledger: a flood of phones costs the hub one
connection, the same as a board."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import logging
import re
from pathlib import Path
from typing import Self

import aiohttp

from shared.clock import Clock, SystemClock, from_ms
from shared.config import ConfigError, HallConfig, SettingsError, loads_config
from shared.hub import tls
from shared.ledger.config_log import config_in_force, config_versions
from shared.ledger.model import CONFIG_CHANGED, Event
from shared.ledger.queries import LedgerReader
from shared.station.address import HubAddressError, check_hub_address
from shared.station.client import HubClient, HubRefused
from shared.station.replica import Replica

log = logging.getLogger(__name__)

# The same key a Qt station keeps its copy under (shared.station.hub_link), so a replica file
# reads the same whichever station wrote it.
CONFIG_META_KEY = "hall_config_toml"


def parse_listen(text: str) -> tuple[str, int]:
    """`--listen HOST:PORT` of a station that serves pages."""
    m = re.fullmatch(r"\s*(\[[0-9a-fA-F:]+\]|[\w.-]+):(\d{1,5})\s*", text)
    if not m or not 0 < int(m.group(2)) < 65536:
        raise argparse.ArgumentTypeError(
            f"--listen must look like 127.0.0.1:8080 or 0.0.0.0:8080, not {text!r}")
    return m.group(1).strip("[]"), int(m.group(2))


def check_settings(hub: str | None, token: str | None, fingerprint: str | None,
                   simulated_clock: str | None, station: str, role: str) -> None:
    """A follower's hub settings, before anything is opened: raises SettingsError."""
    if not hub:
        raise SettingsError("give the hub's address (--hub or ANTREAN_HUB)")
    try:
        check_hub_address(hub, token, fingerprint,
                          f"{station} needs its token (--token or ANTREAN_TOKEN), "
                          f"enrolled with 'antrean hub ... enroll --role {role}'")
    except HubAddressError as e:
        raise SettingsError(str(e)) from None
    if simulated_clock:
        from shared.clock import parse_simulated_clock

        try:
            parse_simulated_clock(simulated_clock)
        except ValueError as e:
            raise SettingsError(str(e)) from None


class FollowerError(Exception):
    """The station cannot start: no hall config to serve, or the hub refused the token."""


def http_url(ws_url: str) -> str:
    base = ws_url.rstrip("/")
    base = base[:-3] if base.endswith("/ws") else base
    return base.replace("wss://", "https://", 1).replace("ws://", "http://", 1)


async def fetch_config(ws_url: str, token: str, pin: str | None, timeout: float = 5.0,
                       role: str = "web") -> bytes:
    """The hall config from the hub (`GET /config`), over a pinned certificate for wss://.
    Raises FollowerError for a refused token, OSError/aiohttp.ClientError when unreachable."""
    ssl: aiohttp.Fingerprint | bool = aiohttp.Fingerprint(bytes.fromhex(pin)) if pin else True
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session,
        session.get(f"{http_url(ws_url)}/config", ssl=ssl,
                    headers={"Authorization": f"Bearer {token}"}) as reply,
    ):
        if reply.status == 401:
            raise FollowerError(
                f"the hub at {ws_url} refused this station's token; enroll it again "
                f"('antrean hub ... enroll --role {role} --name NAME')")
        if reply.status != 200:
            raise OSError(f"{ws_url}: /config answered HTTP {reply.status}")
        return await reply.read()


class Changes:
    """A counter that goes up at every change the pages may show, and a way to wait for it:
    each live page waits here instead of polling the replica."""

    def __init__(self) -> None:
        self.version = 0
        self._event = asyncio.Event()

    def bump(self) -> None:
        self.version += 1
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait(self, seen: int, timeout: float) -> int:
        """The version, once it is past `seen` or `timeout` seconds passed."""
        if self.version == seen:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event.wait(), timeout)
        return self.version


class Follower:
    def __init__(self, config: HallConfig, replica: Replica, client: HubClient | None,
                 clock: Clock | None = None) -> None:
        self.config = config
        self.replica = replica
        self.reader = LedgerReader(replica.conn, config)
        self.clock: Clock = clock or SystemClock()
        self.client = client
        self.changes = Changes()
        # Until the hub welcomes us and we hold what it had, the data held since the last
        # event this replica has (or since now, for an empty one).
        self.stale_since: dt.datetime | None = self._last_event_time()
        if client is not None:
            client.on_events = self._on_events
            client.on_state = self._on_state

    @classmethod
    async def open(cls, hub: str, token: str, replica_path: Path, fingerprint: str | None,
                   clock: Clock | None = None, role: str = "web") -> Self:
        """Fetch the hall config (or fall back to the copy kept in the replica, so the pages
        come back while the hub is down) and start following the hub."""
        pin = tls.station_pin(hub, fingerprint)
        replica_path.parent.mkdir(parents=True, exist_ok=True)
        replica = Replica(replica_path)
        try:
            raw = await fetch_config(hub, token, pin, role=role)
            replica.set_meta(CONFIG_META_KEY, raw.decode("utf-8"))
        except (OSError, aiohttp.ClientError, TimeoutError) as e:
            cached = replica.get_meta(CONFIG_META_KEY)
            if cached is None:
                replica.close()
                raise FollowerError(f"cannot reach the hub at {hub} ({e or type(e).__name__})"
                                      f" and no hall config is kept yet") from None
            log.warning("hub unreachable (%s); serving with the kept hall config", e)
            raw = cached.encode("utf-8")
        except FollowerError:
            replica.close()
            raise
        try:
            config = loads_config(raw, f"{hub}/config")
        except ConfigError as e:
            replica.close()
            raise FollowerError(str(e)) from None
        # The station's clock, so a simulated hall (tests, `antrean demo`) is not taken for
        # a skewed one.
        client = HubClient(hub, token, replica, fingerprint=pin, clock=clock)
        station = cls(config, replica, client, clock)
        station.follow_config()  # offline, the replica's version in force beats the kept file
        try:
            await client.start(timeout=5.0)
        except TimeoutError as e:
            # The client keeps trying in the background; the pages say since when.
            log.warning("%s; serving the kept data until the hub answers", e)
        except HubRefused as e:
            await client.close()
            replica.close()
            raise FollowerError(str(e)) from None
        return station

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()
        self.replica.close()

    def hub_now(self) -> dt.datetime:
        """The hub's time as this station knows it (its clock plus the offset measured at the
        welcome): which config version is in force is the hub's call."""
        offset = self.client.hub_offset_ms if self.client is not None else 0
        return self.now() + dt.timedelta(milliseconds=offset)

    def now(self) -> dt.datetime:
        return self.clock.now()

    def today(self) -> dt.date:
        return self.config.service_day(self.now())

    # --- the client's news ----------------------------------------------------------------------

    def _on_events(self, events: list[Event]) -> None:
        if any(e.kind == CONFIG_CHANGED for e in events):
            self.follow_config()
        self.changes.bump()

    def follow_config(self) -> None:
        """The pages use the config in force now, from the replica's versions."""
        new = config_in_force(config_versions(self.replica.conn), self.hub_now())
        if new is not None and new.digest != self.config.digest:
            log.info("hall config changed: %s", new.source)
            self.config = self.reader.config = new

    def _on_state(self) -> None:
        assert self.client is not None
        current = self.client.connected.is_set() and self.client.caught_up.is_set()
        if current and self.stale_since is not None:
            self.stale_since = None
            self.changes.bump()
        elif not self.client.connected.is_set() and self.stale_since is None:
            self.stale_since = self.now()
            log.warning("lost the hub; pages say the data is from %s", self.stale_since)
            self.changes.bump()

    def _last_event_time(self) -> dt.datetime:
        row = self.replica.conn.execute(
            "SELECT at_ms FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        return from_ms(int(row[0])) if row else self.now()
