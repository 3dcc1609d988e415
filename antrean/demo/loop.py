"""An asyncio loop on a thread of its own, for the servers the demo runs beside its Qt windows
(the embedded hub, the embedded web station)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any

START_TIMEOUT_S = 20.0


class BackgroundLoop:
    """`begin(setup)` runs `setup()` on the thread's loop and returns once it is done: None,
    or what it raised (the caller says it in its own words). The loop then runs until
    `end(teardown)` runs `teardown()` there and stops it; `end` is safe to call twice."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._loop is not None

    def begin(self, setup: Callable[[], Coroutine[Any, Any, None]]) -> Exception | None:
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        error: list[Exception] = []

        def serve() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(setup())
            except Exception as e:  # reported to begin() on the caller's thread
                error.append(e)
                ready.set()
                return
            ready.set()
            loop.run_forever()

        thread = threading.Thread(target=serve, name=self.name, daemon=True)
        thread.start()
        if not ready.wait(START_TIMEOUT_S):
            return TimeoutError(f"not started within {START_TIMEOUT_S:g} s")
        if error:
            thread.join(START_TIMEOUT_S)
            loop.close()
            return error[0]
        self._loop, self._thread = loop, thread
        return None

    def end(self, teardown: Callable[[], Coroutine[Any, Any, None]]) -> None:
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(teardown(), loop).result(START_TIMEOUT_S)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(START_TIMEOUT_S)
        loop.close()
