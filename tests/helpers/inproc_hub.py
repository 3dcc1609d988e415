"""A real Hub served on 127.0.0.1 from a background thread of the test process, for tests that
send thousands of frames (fuzzing) where a separate process adds nothing but start-up time."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from aiohttp import web

from shared.clock import Clock
from shared.config import HallConfig
from shared.hub.auth import AuthStore
from shared.hub.server import Hub
from tests.helpers.ports import free_port


class ThreadedHub:
    def __init__(self, config: HallConfig, workdir: Path, clock: Clock, **hub_args: float
                 ) -> None:
        self.auth = AuthStore(workdir / "hub-auth.db")
        self.hub = Hub(config, workdir / "ledger.db", self.auth, clock, **hub_args)
        self.port = free_port()
        self.url = f"ws://127.0.0.1:{self.port}/ws"
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        if not self._ready.wait(20):
            raise RuntimeError("in-process hub did not start")

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def start() -> None:
            self._runner = web.AppRunner(self.hub.app)
            await self._runner.setup()
            await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
            self._ready.set()

        self._loop.run_until_complete(start())
        self._loop.run_forever()

    def stop(self) -> None:
        async def stop() -> None:
            assert self._runner is not None
            await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(20)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(20)
        self._loop.close()
        self.auth.close()
