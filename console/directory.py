"""What the console knows of the hub's own records — the enrolled stations (connected or not,
seq, version, clock offset) and the officers (names, agency, where signed in) — asked of the
hub over the console's admin connection (the hub's requests, docs/protocol.md section 5.5),
kept here and refreshed every few seconds and at once after a change made from the console.

Officers' names are read from here, never from the ledger: the hub keeps them out of the
events on purpose (shared/hub/admin.py says why). A change of either list bumps the
follower's `changes`, so the live pages re-render as after an event.

Plain data for the templates (StationRow, OfficerRow) is made here too, with the
coordinator's filter applied on the server. No aiohttp here."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from console.accounts import User
from console.i18n import Words
from shared.clock import from_ms
from shared.config import HallConfig
from shared.ledger.model import Refusal, Result
from shared.station.follower import Follower

log = logging.getLogger(__name__)

POLL_SECONDS = 3.0
REQUEST_TIMEOUT = 5.0
CLOCK_WARN_MS = 30_000  # an offset beyond this is marked (shared.station.protocol logs it too)


class HubDirectory:
    def __init__(self, station: Follower, poll_seconds: float = POLL_SECONDS) -> None:
        self.station = station
        self.poll_seconds = poll_seconds
        self.stations: list[dict[str, Any]] = []
        self.officers: list[dict[str, Any]] = []
        self.hub_time_ms: int | None = None
        self.fetched: bool = False  # at least one answer from the hub
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def start(self) -> None:
        if self.station.client is not None and self._task is None:
            self._task = asyncio.create_task(self._follow())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _follow(self) -> None:
        while True:
            try:
                await self.refresh()
            except (TimeoutError, ConnectionError) as e:
                log.debug("the hub did not answer the console's lists: %s", e)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)  # the poll period
            self._wake.clear()

    async def refresh(self) -> None:
        stations = await self.request("station_list")
        officers = await self.request("officer_list")
        if not (stations.ok and officers.ok):
            log.warning("the hub refused the console's lists: %s",
                        (stations.refusal or officers.refusal))
            return
        new = (stations.value["stations"], officers.value["officers"])
        # A connected station's "last seen" is the hub's clock, which moves on its own: only
        # what a page shows differently counts as a change.
        changed = (_shown(new[0]) != _shown(self.stations) or new[1] != self.officers
                   or not self.fetched)
        self.stations, self.officers = new
        self.hub_time_ms = stations.value.get("hub_time_ms")
        self.fetched = True
        if changed:
            self.station.changes.bump()

    async def request(self, kind: str, args: dict[str, Any] | None = None) -> Result:
        """A request to the hub from the console's admin station; a refusal when offline."""
        client = self.station.client
        if client is None or not client.connected.is_set():
            return Result("", False, refusal=Refusal(
                "offline", "the console has no connection to the hub",
                "Konsol tidak terhubung ke server antrean. Coba lagi sebentar."))
        try:
            return await client.command(kind, args or {}, timeout=REQUEST_TIMEOUT)
        except TimeoutError:
            return Result("", False, refusal=Refusal(
                "offline", "the hub did not answer in time",
                "Server antrean tidak menjawab. Coba lagi sebentar."))

    async def changed(self) -> None:
        """After a change made from the console: the lists now, not at the next poll."""
        with contextlib.suppress(TimeoutError, ConnectionError):
            await self.refresh()
        self._wake.set()

    def officer_names(self) -> dict[str, str]:
        return {o["officer"]: o["name"] for o in self.officers if o.get("name")}


def _shown(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "last_seen_ms": None} if r.get("connected") else r for r in rows]


# --- rows for the templates ---------------------------------------------------------------------


@dataclass
class StationRow:
    name: str
    role: str
    counter: int | None
    connected: bool
    last_seen: str  # "now" word, HH:MM today, or a date; "—" never
    version: str
    seq: str
    offset: str
    offset_warn: bool
    officer: str
    peer: str


def visible_stations(rows: list[dict[str, Any]], config: HallConfig, user: User
                     ) -> list[dict[str, Any]]:
    """The stations a person may see: everyone's for the hall's people; for an agency's
    coordinator only the stations bound to their agency's counters (whether their lokets are
    up is theirs to know; kiosks, boards and the console belong to the hall)."""
    if user.role != "coordinator":
        return rows
    return [r for r in rows if r.get("counter") in config.counters
            and config.counters[r["counter"]].agency == user.agency]


def station_rows(directory: HubDirectory, config: HallConfig, user: User, t: Words,
                 now: dt.datetime) -> list[StationRow]:
    names = directory.officer_names()
    today = now.astimezone(config.tz).date()
    out = []
    for r in visible_stations(directory.stations, config, user):
        seen = r.get("last_seen_ms")
        if r["connected"]:
            last = t("connected_now")
        elif seen is None:
            last = "—"
        else:
            local = from_ms(int(seen)).astimezone(config.tz)
            last = f"{local:%H:%M}" if local.date() == today else t.date(local.date())
        offset = r.get("offset_ms")
        officer = r.get("officer") or ""
        out.append(StationRow(
            r["name"], r["role"], r.get("counter"), bool(r["connected"]), last,
            r.get("version") or "—", "—" if r.get("seq") is None else str(r["seq"]),
            clock_offset(offset, t), offset is not None and abs(offset) > CLOCK_WARN_MS,
            names.get(officer, officer), r.get("peer") or ""))
    return out


def clock_offset(ms: int | None, t: Words) -> str:
    """A station's clock against the hub's: "+0,4 s", "−2 mnt"; "—" from an older station."""
    if ms is None:
        return "—"
    sign = "+" if ms >= 0 else "−"
    seconds = abs(ms) / 1000
    if seconds < 100:
        number = f"{seconds:.1f}"
        return f"{sign}{number.replace('.', ',') if t.lang == 'id' else number} s"
    return f"{sign}{t('min', n=round(seconds / 60))}"


@dataclass
class OfficerRow:
    officer: str
    name: str
    agency: str  # code, "" for none
    agency_name: str
    disabled: bool
    where: str  # "Loket 1 (loket-1)", "" when not signed in


def officer_rows(directory: HubDirectory, config: HallConfig) -> list[OfficerRow]:
    out = []
    for o in directory.officers:
        places = []
        for w in o.get("signed_in", []):
            counter = config.counters.get(w.get("counter"))
            places.append(f"{counter.name if counter else w.get('counter')} ({w['station']})")
        agency = o.get("agency") or ""
        a = config.agencies.get(agency)
        out.append(OfficerRow(o["officer"], o["name"], agency, a.short_name if a else agency,
                              bool(o["disabled"]), ", ".join(places)))
    return out
