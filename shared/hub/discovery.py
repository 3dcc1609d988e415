"""Finding the hub on the LAN without typing an address: mDNS/DNS-SD (zeroconf).

A static address in the station config always works too; discovery is a convenience, and a
network that drops multicast simply makes it find nothing."""

from __future__ import annotations

import logging
import socket
import threading

from zeroconf import ServiceBrowser, ServiceInfo, ServiceListener, Zeroconf

import shared
from shared.hub.protocol import PROTOCOL_VERSION

SERVICE_TYPE = "_antrean._tcp.local."
log = logging.getLogger(__name__)


def _addresses() -> list[bytes]:
    found: set[str] = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(str(info[4][0]))
    except OSError:
        pass
    return [socket.inet_aton(a) for a in sorted(found)] or [socket.inet_aton("127.0.0.1")]


class Advertiser:
    def __init__(self, port: int, hall_name: str) -> None:
        self.port = port
        self.hall_name = hall_name
        self._zc: Zeroconf | None = None
        self._info: ServiceInfo | None = None

    def start(self) -> None:
        name = f"Antrean {socket.gethostname()}"[:60]
        self._info = ServiceInfo(
            SERVICE_TYPE, f"{name}.{SERVICE_TYPE}", port=self.port, addresses=_addresses(),
            properties={"version": shared.__version__, "protocol": str(PROTOCOL_VERSION),
                        "hall": self.hall_name[:200]},
        )
        try:
            self._zc = Zeroconf()
            self._zc.register_service(self._info, allow_name_change=True)
            log.info("advertising the hub on mDNS as %s", self._info.name)
        except OSError as e:  # no multicast here: stations use the static address
            log.warning("cannot advertise on mDNS (%s); stations need the hub's address", e)
            self._zc = None

    def stop(self) -> None:
        if self._zc is not None and self._info is not None:
            self._zc.unregister_service(self._info)
            self._zc.close()
            self._zc = None


class _Collector(ServiceListener):
    def __init__(self) -> None:
        self.found: list[str] = []
        self.event = threading.Event()

    def add_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        info = zc.get_service_info(type_, name, timeout=1500)
        if info is None:
            return
        for addr in info.parsed_addresses():
            self.found.append(f"ws://{addr}:{info.port}")
        if self.found:
            self.event.set()

    def update_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        pass

    def remove_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        pass


def discover(timeout: float = 3.0) -> list[str]:
    """Hub addresses announced on the LAN within `timeout` seconds (maybe none)."""
    collector = _Collector()
    try:
        zc = Zeroconf()
    except OSError as e:
        log.warning("mDNS unavailable: %s", e)
        return []
    try:
        ServiceBrowser(zc, SERVICE_TYPE, collector)
        collector.event.wait(timeout)
    finally:
        zc.close()
    return collector.found
