"""The demo's hub: the real LAN `Hub`, served from a background thread of the demo process.

The stations of the demo reach it through `HubLink`s over a real WebSocket on this PC, exactly
as stations on other PCs would (and, served on 0.0.0.0, other PCs of the LAN can join it with
the printed tokens). No Qt here: the hub runs its own asyncio loop on its own thread.
"""

from __future__ import annotations

import errno
import socket
from pathlib import Path

from aiohttp import web

from antrean.demo.loop import START_TIMEOUT_S, BackgroundLoop
from shared.clock import Clock
from shared.config import HallConfig
from shared.hub.auth import AuthStore
from shared.hub.server import Hub


class HubStartError(Exception):
    """The hub could not start (the port is taken, the data folder is not writable...)."""


class EmbeddedHub:
    """A `Hub` over `data_dir/ledger.db` and `data_dir/hub-auth.db`, listening on host:port.

    `start()` returns once the hub accepts connections; `port` is then the real port (port 0
    asks the system for a free one). `stop()` closes every station connection and the ledger.
    """

    def __init__(self, config: HallConfig, data_dir: Path, clock: Clock, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.config = config
        self.data_dir = data_dir
        self.ledger_path = data_dir / "ledger.db"
        self.host = host
        self.port = port
        self.auth = AuthStore(data_dir / "hub-auth.db")
        self.hub = Hub(config, self.ledger_path, self.auth, clock)
        self._thread = BackgroundLoop("antrean-demo-hub")
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """The address stations of this PC use."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"ws://{host}:{self.port}/ws"

    def start(self) -> None:
        error = self._thread.begin(self._start)
        if isinstance(error, TimeoutError):
            raise HubStartError(f"the hub did not start within {START_TIMEOUT_S:g} s")
        if error is not None:
            raise HubStartError(_start_error_text(error, self.host, self.port))

    async def _start(self) -> None:
        self._runner = web.AppRunner(self.hub.app, access_log=None)
        await self._runner.setup()
        try:
            site = web.TCPSite(self._runner, self.host, self.port)
            await site.start()
        except BaseException:
            await self._runner.cleanup()
            self._runner = None
            raise
        # Port 0 asks the system for a free port: the runner knows which one it got.
        self.port = next((int(a[1]) for a in self._runner.addresses), self.port)

    def stop(self) -> None:
        """Close the stations' connections and the ledger; safe to call twice."""
        self._thread.end(self._stop)
        self.auth.close()

    async def _stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()


def port_is_free(host: str, port: int) -> bool:
    """Whether host:port can be listened on now (a hint only: it may be taken a moment later)."""
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _start_error_text(error: BaseException, host: str, port: int) -> str:
    if isinstance(error, OSError) and error.errno == errno.EADDRINUSE:
        return (f"port {port} on {host} is already in use (another hub?); "
                f"give another with --port, or --port 0 for any free port")
    if isinstance(error, OSError) and error.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this PC; use --host 127.0.0.1 or 0.0.0.0"
    return f"the hub could not start on {host}:{port}: {error}"
