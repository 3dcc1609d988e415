"""The demo's web station: the real `antrean web` station (web.station + web.app), served from a
background thread of the demo process with its own web-role token and its own replica.

Its socket is bound before the hub starts, so the hall config's `[mpp] public_url` can name
its port: the QR on every demo ticket (printed and on screen) then opens that ticket's live
page. It reaches the embedded hub over the real WebSocket, like a web station on another PC.
No Qt here: the station runs its own asyncio loop on its own thread.
"""

from __future__ import annotations

import errno
import socket
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from antrean.demo.loop import BackgroundLoop
from shared.clock import Clock
from shared.config import HallConfig

if TYPE_CHECKING:
    from aiohttp import web

    from web.station import WebStation

DEFAULT_WEB_PORT = 8080  # antrean web's own default
# The demo's pages are opened by one person, not by a hall of phones.
RATE_PER_MINUTE = 600


class WebStartError(Exception):
    """The web station could not start (the port is taken, the hub refused it...)."""


def bind(host: str, port: int, port_given: bool) -> socket.socket:
    """A listening socket on host:port; the default port falls back to any free one when it
    is taken (a port the user chose never does)."""
    for attempt in (port, 0):
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, attempt))
        except OSError as e:
            sock.close()
            if e.errno == errno.EADDRINUSE and not port_given and attempt != 0:
                continue
            if e.errno == errno.EADDRINUSE:
                raise WebStartError(f"port {port} on {host} is already in use; give another "
                                    f"with --web-port, or --no-web") from None
            raise WebStartError(f"the web station cannot listen on {host}:{port}: "
                                f"{e.strerror or e}") from None
        sock.listen(128)
        sock.setblocking(False)
        return sock
    raise AssertionError("unreachable: port 0 is always bindable or an error")


def public_address(host: str, port: int) -> str:
    """The address phones open: this PC's LAN address when the demo listens on every
    address, else the address it listens on."""
    if host in ("0.0.0.0", "", "::"):
        from shared.hub.discovery import lan_addresses

        found = lan_addresses(host)
        host = found[0] if found else "127.0.0.1"
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def with_public_url(config: HallConfig, url: str) -> HallConfig:
    return replace(config, mpp=replace(config.mpp, public_url=url))


class EmbeddedWeb:
    """The web station on `sock`, following the hub at `hub_url` with `token`; its replica is
    `replica`. `start()` returns once it serves pages; `stop()` closes it (safe twice)."""

    def __init__(self, sock: socket.socket, hub_url: str, token: str, replica: Path,
                 clock: Clock) -> None:
        self.sock = sock
        self.port = int(sock.getsockname()[1])
        self.hub_url = hub_url
        self.token = token
        self.replica = replica
        self.clock = clock
        self._thread = BackgroundLoop("antrean-demo-web")
        self._runner: web.AppRunner | None = None
        self._station: WebStation | None = None

    def start(self) -> None:
        error = self._thread.begin(self._start)
        if error is not None:
            self.sock.close()
            raise WebStartError(f"the web station could not start: {error}")

    async def _start(self) -> None:
        from web.app import serve
        from web.station import WebStation

        station = await WebStation.open(self.hub_url, self.token, self.replica, None,
                                        self.clock)
        try:
            self._runner = await serve(station, "", self.port, RATE_PER_MINUTE, self.sock)
        except BaseException:
            await station.close()
            raise
        self._station = station

    def stop(self) -> None:
        """Close the pages' streams, the station's link and its replica; safe twice."""
        if self._thread.running:
            self._thread.end(self._stop)
            self.sock.close()

    async def _stop(self) -> None:
        runner, station = self._runner, self._station
        self._runner = self._station = None
        if runner is not None:
            await runner.cleanup()
        if station is not None:
            await station.close()
