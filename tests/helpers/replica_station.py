"""A station's part in a test's own event loop: a HubClient with its replica, and a way to
wait until the replica holds a given sequence number (no polling)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from shared.ledger.model import Event, Result
from shared.station.client import HubClient
from shared.station.replica import Replica


class Station:
    """A station process's part, in this test's event loop: a HubClient with its replica, and
    a way to wait until the replica holds a given sequence number (no polling)."""

    def __init__(self, url: str, token: str, replica: Path) -> None:
        self.replica = Replica(replica)
        self.client = HubClient(url, token, self.replica, self._applied)
        self._moved = asyncio.Event()

    def _applied(self, events: list[Event]) -> None:
        self._moved.set()

    async def start(self) -> None:
        await self.client.start(timeout=20)

    async def holds(self, seq: int, timeout: float = 20) -> None:
        async def wait() -> None:
            while self.replica.last_seq < seq:
                self._moved.clear()
                await self._moved.wait()

        await asyncio.wait_for(wait(), timeout)

    async def run(self, kind: str, command_id: str | None = None, **args: Any) -> Result:
        result = await self.client.command(kind, args, command_id, timeout=20)
        assert result.ok, result.refusal
        return result

    async def close(self) -> None:
        await self.client.close()
        self.replica.close()
