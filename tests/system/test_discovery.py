"""Finding the hub on the LAN by mDNS: a real hub process advertising itself is found by
`discover()`, and the address it advertises is one another PC can reach.

Multicast does work in the machine these tests were written on (eth0 plus loopback); where it
does not (no multicast route, a container without interfaces), the network test is skipped
with the reason zeroconf gave, and the address test still runs.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import ifaddr
import pytest
from pytestqt.qtbot import QtBot
from zeroconf import Zeroconf

from shared.hub.discovery import SERVICE_TYPE, Advertiser, discover, lan_addresses
from shared.hub.protocol import PROTOCOL_VERSION
from shared.station.hub_link import HubLink
from shared.station.setup import add_station_arguments, open_link
from tests.system.conftest import DATA, HubProcess


def interface_addresses() -> set[str]:
    return {str(ip.ip) for a in ifaddr.get_adapters() for ip in a.ips
            if ip.is_IPv4 and not str(ip.ip).startswith("127.")}


def test_the_advertised_address_is_not_loopback_whatever_etc_hosts_says() -> None:
    """Debian/Ubuntu map the host name to 127.0.1.1 (this machine: 127.0.0.1). A hub that
    advertised the host name's address sent every station to itself."""
    lan = interface_addresses()
    if not lan:
        pytest.skip("this machine has no non-loopback IPv4 interface to advertise")
    addresses = lan_addresses()
    assert set(addresses) == lan
    assert not any(ipaddress.IPv4Address(a).is_loopback for a in addresses)

    info = Advertiser(8470, "Mal Pelayanan Publik Uji").service_info()
    assert info.type == SERVICE_TYPE
    assert info.port == 8470
    assert set(info.parsed_addresses()) == lan
    assert info.properties[b"protocol"] == str(PROTOCOL_VERSION).encode()
    assert info.properties[b"hall"] == b"Mal Pelayanan Publik Uji"


def test_a_hub_bound_to_one_address_advertises_that_address_only() -> None:
    assert lan_addresses("192.0.2.77") == ["192.0.2.77"]
    assert Advertiser(9000, "x", "127.0.0.1").service_info().parsed_addresses() == [
        "127.0.0.1"]
    # A host name or 0.0.0.0 is not an address a station can use: the interfaces are asked.
    assert lan_addresses("hub.local") == lan_addresses("0.0.0.0")


class AdvertisingHub(HubProcess):
    """A hub process as in a hall: on every interface, advertised on mDNS."""

    def start(self, *extra: str) -> None:
        self.log_path = self.workdir / "hub.log"
        log = open(self.log_path, "ab")  # noqa: SIM115 (kept open for the child's lifetime)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "antrean", "hub", "--ledger", str(self.ledger),
             "--config", str(self.config), "--host", "0.0.0.0", "--port", str(self.port),
             "--simulated-clock", self.clock, *extra],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        log.close()
        self.wait_healthy()


def multicast_unavailable() -> str | None:
    try:
        zc = Zeroconf()
    except OSError as e:
        return f"zeroconf cannot open its multicast sockets here: {e}"
    zc.close()
    if not interface_addresses():
        return "no non-loopback IPv4 interface: nothing another PC could be sent to"
    return None


def test_a_hub_process_is_found_by_discover_and_answers_at_that_address(
    tmp_path: Path
) -> None:
    reason = multicast_unavailable()
    if reason:
        pytest.skip(reason)
    hub = AdvertisingHub(tmp_path, DATA / "small_hall.toml")
    hub.start()
    try:
        ours: list[str] = []
        # Other hubs may be advertised on this LAN too; discover() returns at the first one.
        for _ in range(5):
            ours = [u for u in discover(timeout=3.0) if u.endswith(f":{hub.port}")]
            if ours:
                break
        assert ours, f"hub on port {hub.port} not found; log: {hub.log_path.read_text()}"
        url = ours[0]
        host = url.removeprefix("ws://").rsplit(":", 1)[0]
        assert not ipaddress.IPv4Address(host).is_loopback, url
        # The advertised address really is the hub: its health page names the hall.
        with urllib.request.urlopen(f"http://{host}:{hub.port}/health", timeout=5) as r:
            health = json.load(r)
        assert health["mpp"] == "Mal Pelayanan Publik Uji"
        assert health["protocol"] == PROTOCOL_VERSION
        # The hub logs once zeroconf's register call returns, which may be just after a
        # browser has already seen the announcement.
        deadline = time.monotonic() + 10
        while "advertising the hub on mDNS" not in hub.log_path.read_text():
            assert time.monotonic() < deadline, hub.log_path.read_text()
            time.sleep(0.05)  # polling the hub process's log, bounded by the deadline
    finally:
        hub.stop()
    # Stopped, it withdraws the announcement (zeroconf sends a goodbye on unregister).
    assert not [u for u in discover(timeout=1.0) if u.endswith(f":{hub.port}")]


def test_a_station_without_an_address_finds_the_hub_on_the_lan(
    qtbot: QtBot, tmp_path: Path
) -> None:
    reason = multicast_unavailable()
    if reason:
        pytest.skip(reason)
    hub = AdvertisingHub(tmp_path, DATA / "small_hall.toml")
    token = hub.enroll("papan-1", "display")
    hub.start()
    parser = argparse.ArgumentParser()
    add_station_arguments(parser, "papan-1")
    args = parser.parse_args([f"--token={token}", "--replica", str(tmp_path / "r.db")])
    args.hub = None  # as on a station whose environment names no hub
    link = None
    try:
        link, _owner = open_link(args, role="display")
        assert isinstance(link, HubLink)
        assert link.url.endswith(f":{hub.port}/ws")
        qtbot.waitUntil(link.is_online, timeout=10000)
    finally:
        if link is not None:
            link.close()
        hub.stop()
