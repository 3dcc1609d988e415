"""The web station's link to the hub: shared.station.follower's replica and moments, and the
one lookup every open ticket page asks after each event (the number now called in a queue),
answered once per change.

The pages read only this replica, never the hub's ledger: a flood of phones costs the hub one
connection, the same as a board."""

from __future__ import annotations

import datetime as dt

from shared.clock import Clock
from shared.config import HallConfig
from shared.station.client import HubClient
from shared.station.follower import (
    CONFIG_META_KEY,
    Changes,
    Follower,
    fetch_config,
    http_url,
)
from shared.station.follower import FollowerError as WebStationError
from shared.station.replica import Replica
from web.facts import now_serving

__all__ = ["CONFIG_META_KEY", "Changes", "WebStation", "WebStationError", "fetch_config",
           "http_url"]


class WebStation(Follower):
    def __init__(self, config: HallConfig, replica: Replica, client: HubClient | None,
                 clock: Clock | None = None) -> None:
        super().__init__(config, replica, client, clock)
        self._memo: dict[tuple[str, dt.date], str | None] = {}
        self._memo_version = -1

    def now_serving(self, queue: str, day: dt.date) -> str | None:
        """The number now called in a queue, asked of the replica once per change however
        many pages show it (a thousand open ticket pages re-render after every event)."""
        if self._memo_version != self.changes.version:
            self._memo, self._memo_version = {}, self.changes.version
        key = (queue, day)
        if key not in self._memo:
            self._memo[key] = now_serving(self.replica.conn, queue, day)
        return self._memo[key]
