"""Finding the hub on the LAN without typing an address: mDNS/DNS-SD (zeroconf).

A static address in the station config always works too; discovery is a convenience, and a
network that drops multicast simply makes it find nothing."""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading

import ifaddr  # zeroconf's own dependency for the same question
from zeroconf import IPVersion, ServiceBrowser, ServiceInfo, ServiceListener, Zeroconf

import shared
from shared.hub.protocol import PROTOCOL_VERSION

SERVICE_TYPE = "_antrean._tcp.local."
log = logging.getLogger(__name__)


def lan_addresses(host: str = "0.0.0.0") -> list[str]:
    """The IPv4 addresses other PCs can reach the hub at.

    Not the host name's addresses: Debian and Ubuntu map the host name to 127.0.1.1 in
    /etc/hosts (and many images to 127.0.0.1), so a hub advertising those sends every station
    to itself. The interfaces' own addresses are asked instead, loopback last resort. A hub
    bound to one address advertises that one only."""
    try:
        bound = ipaddress.IPv4Address(host)
    except ValueError:  # a name or an IPv6 address: say where this PC is instead
        bound = None
    if bound is not None and not bound.is_unspecified:
        return [str(bound)]
    found: set[str] = set()
    try:
        for adapter in ifaddr.get_adapters():
            for ip in adapter.ips:
                if ip.is_IPv4 and isinstance(ip.ip, str) and not ip.ip.startswith("127."):
                    found.add(ip.ip)
    except OSError as e:
        log.warning("cannot list network interfaces: %s", e)
    return sorted(found) or ["127.0.0.1"]


class Advertiser:
    def __init__(self, port: int, hall_name: str, host: str = "0.0.0.0",
                 tls: bool = False) -> None:
        self.port = port
        self.tls = tls
        self.hall_name = hall_name
        self.host = host
        self._zc: Zeroconf | None = None
        self._info: ServiceInfo | None = None

    def service_info(self) -> ServiceInfo:
        """What is announced: the hub's reachable addresses, its port, hall and protocol."""
        name = f"Antrean {socket.gethostname()}"[:60]
        return ServiceInfo(
            SERVICE_TYPE, f"{name}.{SERVICE_TYPE}", port=self.port,
            addresses=[socket.inet_aton(a) for a in lan_addresses(self.host)],
            properties={"version": shared.__version__, "protocol": str(PROTOCOL_VERSION),
                        "hall": self.hall_name[:200], "tls": "1" if self.tls else "0"},
        )

    def start(self) -> None:
        self._info = self.service_info()
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
        # A TLS hub is still checked against the station's pinned fingerprint: mDNS only says
        # where to look, never whom to trust.
        scheme = "wss" if info.properties.get(b"tls") == b"1" else "ws"
        for addr in info.parsed_addresses(IPVersion.V4Only):  # a ws:// URL without brackets
            self.found.append(f"{scheme}://{addr}:{info.port}")
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
