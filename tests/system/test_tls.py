"""The hall LAN link over TLS: a real `antrean hub --tls` process on 127.0.0.1, stations that
pin its certificate, and a fake hub that must learn nothing from them."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import socket
import ssl
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from antrean.doctor import Status, check_hub
from shared.config import load_config
from shared.hub import tls
from shared.station.client import HubClient
from shared.station.hub_link import HubLink
from shared.station.replica import Replica
from shared.station.setup import StationSetupError, open_link
from tests.system.conftest import DATA, HubProcess

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


class TlsHub(HubProcess):
    """The conftest hub process, started with --tls and probed over pinned https."""

    @property
    def url(self) -> str:
        return f"wss://127.0.0.1:{self.port}/ws"

    @property
    def http(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def cert(self) -> Path:
        return self.workdir / tls.CERT_FILE

    @property
    def key(self) -> Path:
        return self.workdir / tls.KEY_FILE

    served_cert: Path | None = None  # a pair given with --tls-cert, else the hub's own

    @property
    def fingerprint(self) -> str:
        return tls.certificate_fingerprint(self.served_cert or self.cert)

    def start(self, *extra: str) -> None:
        super().start("--tls", *extra)

    def health(self) -> dict[str, object]:
        if not (self.served_cert or self.cert).exists():  # the hub makes it as it starts
            raise ConnectionRefusedError("no certificate yet")
        reply = tls.pinned_get(f"{self.http}/health", self.fingerprint, timeout=2)
        assert reply.status == 200
        return {"status": reply.status}

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "antrean", "hub", "--ledger", str(self.ledger), *args],
            capture_output=True, text=True, timeout=60, check=False, cwd=REPO)


@pytest.fixture
def tls_hub(tmp_path: Path) -> Iterator[TlsHub]:
    h = TlsHub(tmp_path, DATA / "small_hall.toml")
    yield h
    h.stop()


class RecordingTlsServer:
    """A fake hub on loopback: it completes TLS handshakes with its own certificate and records
    every byte a client sends after that. A station pinned to the real hub must send none."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir()
        cert, key = folder / tls.CERT_FILE, folder / tls.KEY_FILE
        tls.ensure_certificate(cert, key, "Not the hub")
        self.fingerprint = tls.certificate_fingerprint(cert)
        self._context = tls.server_context(cert, key)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port = int(self._listener.getsockname()[1])
        self.received = bytearray()
        self.connections_ended = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                raw, _ = self._listener.accept()
            except TimeoutError:
                continue
            raw.settimeout(5)
            try:
                with self._context.wrap_socket(raw, server_side=True) as conn:
                    while data := conn.recv(4096):
                        self.received += data
            except (ssl.SSLError, OSError):
                pass  # the client hung up, during or after the handshake
            finally:
                raw.close()
                self.connections_ended += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()


@pytest.fixture
def fake_hub(tmp_path: Path) -> Iterator[RecordingTlsServer]:
    server = RecordingTlsServer(tmp_path / "fake")
    yield server
    server.close()


def mismatch_logged(caplog: pytest.LogCaptureFixture) -> bool:
    return any(tls.MISMATCH in r.getMessage() for r in caplog.records
               if r.levelno >= logging.ERROR)


# --- the hub's certificate ----------------------------------------------------------------------


def test_enroll_prints_the_fingerprint_of_a_certificate_made_once_and_served(
    tls_hub: TlsHub
) -> None:
    done = tls_hub.cli("enroll", "--role", "kiosk", "--name", "kiosk-1")
    assert done.returncode == 0, done.stderr
    lines = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line
                 and line.startswith("ANTREAN_"))
    assert len(lines["ANTREAN_TOKEN"]) >= 20
    # Enroll made the certificate beside the ledger; its key is the hub user's alone.
    assert lines["ANTREAN_HUB_FINGERPRINT"] == tls_hub.fingerprint
    assert stat.S_IMODE(os.stat(tls_hub.key).st_mode) == 0o600
    cert_bytes, key_bytes = tls_hub.cert.read_bytes(), tls_hub.key.read_bytes()

    # The hub serves exactly that certificate, and keeps it across restarts.
    for _ in range(2):
        tls_hub.start()
        seen = tls.pinned_get(f"{tls_hub.http}/health", None).peer_fingerprint
        assert seen == lines["ANTREAN_HUB_FINGERPRINT"]
        tls_hub.stop()
    assert (tls_hub.cert.read_bytes(), tls_hub.key.read_bytes()) == (cert_bytes, key_bytes)

    again = tls_hub.cli("enroll", "--role", "display", "--name", "papan-1")
    assert f"ANTREAN_HUB_FINGERPRINT={tls_hub.fingerprint}" in again.stdout
    assert tls_hub.cli("fingerprint").stdout.strip() == tls_hub.fingerprint
    assert tls_hub.cert.read_bytes() == cert_bytes

    # A lone certificate is never silently replaced by a new pair.
    tls_hub.key.unlink()
    lone = tls_hub.cli("fingerprint")
    assert lone.returncode == 2 and "restore" in lone.stderr and "hub-tls.key" in lone.stderr
    assert tls_hub.cert.read_bytes() == cert_bytes


def test_hub_uses_a_pair_given_on_the_command_line(tls_hub: TlsHub, tmp_path: Path) -> None:
    own = tmp_path / "own"
    own.mkdir()
    tls.ensure_certificate(own / "c.pem", own / "k.pem", "Own pair")
    pair = ("--tls-cert", str(own / "c.pem"), "--tls-key", str(own / "k.pem"))
    done = tls_hub.cli(*pair, "enroll", "--role", "kiosk", "--name", "kiosk-1")
    assert f"ANTREAN_HUB_FINGERPRINT={tls.certificate_fingerprint(own / 'c.pem')}" in done.stdout
    tls_hub.served_cert = own / "c.pem"
    tls_hub.start(*pair)
    try:
        assert tls.pinned_get(f"{tls_hub.http}/health", None).peer_fingerprint == (
            tls.certificate_fingerprint(own / "c.pem"))
    finally:
        tls_hub.stop()
    assert not tls_hub.cert.exists()  # nothing made beside the ledger
    missing = tls_hub.cli("--tls-cert", str(own / "nope.pem"), "--tls-key", str(own / "k.pem"),
                          "fingerprint")
    assert missing.returncode == 2 and "nope.pem does not exist" in missing.stderr


# --- stations with the right fingerprint ----------------------------------------------------------


def test_hub_link_over_tls_signs_in_and_runs_commands(qtbot: QtBot, tls_hub: TlsHub) -> None:
    tls_hub.add_officer("siti", "2468")
    kiosk_token = tls_hub.enroll("kiosk-1", "kiosk")
    counter_token = tls_hub.enroll("loket-1", "counter", 1)
    tls_hub.start()
    # from_args fetches the hall config over pinned https, as a station app starts.
    args = argparse.Namespace(hub=f"wss://127.0.0.1:{tls_hub.port}", token=kiosk_token,
                              hub_fingerprint=tls_hub.fingerprint.upper(),
                              replica=str(tls_hub.workdir / "replica-kiosk.db"),
                              device="kiosk-1")
    kiosk = HubLink.from_args(args)
    counter = HubLink(load_config(tls_hub.config), tls_hub.url, counter_token,
                      Replica(tls_hub.workdir / "replica-loket.db"), "loket-1",
                      fingerprint=":".join(tls_hub.fingerprint[i:i + 2] for i in range(0, 64, 2)))
    try:
        qtbot.waitUntil(lambda: kiosk.is_online() and counter.is_online(), timeout=10000)
        assert kiosk.config.digest == load_config(tls_hub.config).digest
        with qtbot.waitSignal(kiosk.replied, timeout=10000) as got:
            kiosk.send("issue_ticket", {"service": "ktp-baru"})
        assert got.args[0].value["ticket"]["label"] == "KTP-001"
        with qtbot.waitSignal(counter.replied, timeout=10000) as got:
            counter.sign_in("siti", "2468", 1)
        assert got.args[0].ok and counter.officer == "siti"
        with qtbot.waitSignal(counter.replied, timeout=10000) as got:
            counter.send("call_next", {"counter": 1})
        assert got.args[0].value["ticket"]["label"] == "KTP-001"
        qtbot.waitUntil(lambda: kiosk.reader.last_seq() == counter.reader.last_seq() == 3)
    finally:
        kiosk.close()
        counter.close()


def test_hub_client_over_tls_runs_a_command(tls_hub: TlsHub) -> None:
    token = tls_hub.enroll("kiosk-1", "kiosk")
    tls_hub.start()

    async def go() -> None:
        client = HubClient(tls_hub.url, token, fingerprint=tls_hub.fingerprint)
        try:
            await client.start(timeout=10)
            result = await client.command("issue_ticket", {"service": "ktp-baru"})
            assert result.ok and result.value["ticket"]["label"] == "KTP-001"
            assert client.welcome is not None and client.welcome.station == "kiosk-1"
        finally:
            await client.close()

    asyncio.run(go())


def test_doctor_checks_the_pinned_certificate(tls_hub: TlsHub, fake_hub: RecordingTlsServer
                                              ) -> None:
    tls_hub.start()
    good, health = check_hub(f"wss://127.0.0.1:{tls_hub.port}", fingerprint=tls_hub.fingerprint)
    assert good.status is Status.OK and "pinned" in good.detail, good
    assert health is not None and health.pinned
    # The hub PC asking its own hub (doctor --role hub) with the plain address: loopback, so
    # the certificate is shown rather than checked.
    local, _ = check_hub(f"ws://127.0.0.1:{tls_hub.port}", for_station=False)
    assert local.status is Status.OK and tls_hub.fingerprint in local.detail, local
    # A station given that address would not connect, so doctor fails it, loopback or not;
    # and wss:// without a fingerprint is refused by the apps, so by doctor too.
    plain, _ = check_hub(f"ws://127.0.0.1:{tls_hub.port}")
    assert plain.status is Status.FAIL and "speaks TLS only" in plain.detail, plain
    unpinned, _ = check_hub(f"wss://127.0.0.1:{tls_hub.port}")
    assert unpinned.status is Status.FAIL and "no certificate fingerprint" in unpinned.detail
    assert "ANTREAN_HUB_FINGERPRINT" in unpinned.fix
    unpinned_hub_pc, _ = check_hub(f"wss://127.0.0.1:{tls_hub.port}", for_station=False)
    assert unpinned_hub_pc.status is Status.OK, unpinned_hub_pc
    fake, _ = check_hub(f"wss://127.0.0.1:{fake_hub.port}", fingerprint=tls_hub.fingerprint)
    assert fake.status is Status.FAIL and tls.MISMATCH in fake.detail
    assert "every station.env" in fake.fix
    assert fake_hub.received == b""  # not even the GET /health


# --- a fake hub, a wrong fingerprint ------------------------------------------------------------


def test_hub_link_refuses_a_fake_hub_and_sends_it_nothing(
    qtbot: QtBot, fake_hub: RecordingTlsServer, tls_hub: TlsHub, tmp_path: Path,
    caplog: pytest.LogCaptureFixture
) -> None:
    token = tls_hub.enroll("kiosk-1", "kiosk")
    tls.ensure_certificate(tls_hub.cert, tls_hub.key)  # the real hub's, never started here
    pinned = tls_hub.fingerprint
    url = f"wss://127.0.0.1:{fake_hub.port}"

    # Starting with no cached config: the config fetch meets the fake and gives up, one line.
    args = argparse.Namespace(ledger=None, hub=url, token=token, hub_fingerprint=pinned,
                              replica=str(tmp_path / "replica.db"), device="kiosk-1")
    with pytest.raises(StationSetupError, match=tls.MISMATCH):
        open_link(args, role="kiosk")
    assert fake_hub.connections_ended == 1 and fake_hub.received == b""

    link = HubLink(load_config(tls_hub.config), url, token, Replica(tmp_path / "replica.db"),
                   "kiosk-1", fingerprint=pinned)
    try:
        # It keeps trying (the real hub may come back), and every try ends at the certificate.
        qtbot.waitUntil(lambda: fake_hub.connections_ended >= 3, timeout=10000)
        assert not link.is_online() and link.tls_problem == tls.MISMATCH
        assert mismatch_logged(caplog)
        with qtbot.waitSignal(link.replied, timeout=5000) as got:
            link.sign_in("siti", "2468", 1)
        assert got.args[0].refusal.code == "offline"
    finally:
        link.close()
    assert fake_hub.received == b"", bytes(fake_hub.received[:200])
    # Only one line about it, not one per retry.
    assert sum("not sending this station's token" in r.getMessage()
               for r in caplog.records) == 1


def test_the_recorder_sees_what_a_station_pinned_to_it_sends(
    qtbot: QtBot, fake_hub: RecordingTlsServer, tmp_path: Path
) -> None:
    """The test above has teeth: pinned to the fake itself, a station does talk to it."""
    link = HubLink(load_config(DATA / "small_hall.toml"), f"wss://127.0.0.1:{fake_hub.port}",
                   "a-token-the-fake-should-not-get", Replica(tmp_path / "r.db"), "kiosk-1",
                   fingerprint=fake_hub.fingerprint)
    try:
        qtbot.waitUntil(lambda: b"GET /ws" in fake_hub.received, timeout=10000)
    finally:
        link.close()


def test_hub_client_with_a_wrong_fingerprint_never_says_hello(
    tls_hub: TlsHub, fake_hub: RecordingTlsServer, caplog: pytest.LogCaptureFixture
) -> None:
    token = tls_hub.enroll("kiosk-1", "kiosk")
    tls_hub.start()

    async def attempt(url: str, fingerprint: str) -> str:
        client = HubClient(url, token, fingerprint=fingerprint)
        try:
            await client.start(timeout=1.5)
        except TimeoutError as e:
            return str(e)
        finally:
            await client.close()
        return "connected"

    # Against the real hub with someone else's fingerprint: refused before the hello, so the
    # hub saw no token at all (not even a wrong one).
    outcome = asyncio.run(attempt(tls_hub.url, fake_hub.fingerprint))
    assert tls.MISMATCH in outcome and mismatch_logged(caplog)
    assert tls_hub.log_path is not None
    log_text = tls_hub.log_path.read_text()
    assert "connected from" not in log_text and "unknown token" not in log_text
    # Against the fake, with the real hub's fingerprint: not a byte.
    outcome = asyncio.run(attempt(f"wss://127.0.0.1:{fake_hub.port}", tls_hub.fingerprint))
    assert tls.MISMATCH in outcome
    assert fake_hub.connections_ended >= 1 and fake_hub.received == b""
    # The right pin gets through, and the hub's log says so: the checks above could fail.
    assert asyncio.run(attempt(tls_hub.url, tls_hub.fingerprint)) == "connected"
    # The hub logs the connection just after it welcomes the station, so the line may land a
    # moment after the client saw the welcome.
    log_path = tls_hub.log_path
    deadline = time.monotonic() + 10
    while "station kiosk-1 (kiosk) connected from" not in log_path.read_text():
        assert time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.02)  # polling another process's log file, bounded by the deadline


# --- mistakes in the station's settings -----------------------------------------------------------


def test_wss_without_a_fingerprint_refuses_to_start(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_DATA_HOME": str(tmp_path)}
    env.pop("ANTREAN_HUB_FINGERPRINT", None)
    done = subprocess.run(
        [sys.executable, "-m", "antrean", "display", "--hub", "wss://127.0.0.1:9",
         "--token", "t0ken"], capture_output=True, text=True, timeout=60, env=env, cwd=REPO,
        check=False)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0, done.stderr  # one line, no traceback
    assert "no certificate fingerprint" in done.stderr and "--hub-fingerprint" in done.stderr
    assert not list(tmp_path.rglob("*.db"))  # refused before making a replica

    with pytest.raises(tls.TlsError, match="no certificate fingerprint"):
        HubClient("wss://127.0.0.1:9", "t0ken")
    with pytest.raises(tls.TlsError, match="not wss://"):
        HubClient("ws://127.0.0.1:9", "t0ken", fingerprint="ab" * 32)
    with pytest.raises(tls.TlsError, match="64 hex digits"):
        HubClient("wss://127.0.0.1:9", "t0ken", fingerprint="abc")


def test_a_plain_ws_client_to_a_tls_hub_fails_cleanly(qtbot: QtBot, tls_hub: TlsHub,
                                                      tmp_path: Path) -> None:
    token = tls_hub.enroll("kiosk-1", "kiosk")
    tls_hub.start()
    plain = f"ws://127.0.0.1:{tls_hub.port}/ws"

    async def attempt() -> str:
        client = HubClient(plain, token)
        try:
            await client.start(timeout=1.5)
        except TimeoutError as e:
            return str(e)
        finally:
            await client.close()
        return "connected"

    outcome = asyncio.run(attempt())
    assert "no welcome" in outcome and "last error" in outcome
    link = HubLink(load_config(tls_hub.config), plain, token, Replica(tmp_path / "r.db"),
                   "kiosk-1")
    try:
        with qtbot.waitSignal(link._ws.errorOccurred, timeout=10000):
            pass
        assert not link.is_online()
    finally:
        link.close()
    # The hub shrugged it off: still serving, nothing in its log but its own lines.
    tls_hub.health()
    assert tls_hub.log_path is not None
    log_text = tls_hub.log_path.read_text()
    assert "Traceback" not in log_text and "connected from" not in log_text


def test_doctor_reads_the_pin_from_station_env(tls_hub: TlsHub, tmp_path: Path) -> None:
    """`antrean doctor --station-env FILE` checks the hub with the fingerprint in that file."""
    tls_hub.start()
    env = tmp_path / "station.env"

    def doctor(fingerprint: str) -> subprocess.CompletedProcess[str]:
        env.write_text(f"ANTREAN_HUB=wss://127.0.0.1:{tls_hub.port}\n"
                       f"ANTREAN_HUB_FINGERPRINT={fingerprint}\n")
        clean = {k: v for k, v in os.environ.items() if not k.startswith("ANTREAN_")}
        return subprocess.run(
            [sys.executable, "-m", "antrean", "doctor", "--role", "display",
             "--station-env", str(env), "--json"],
            capture_output=True, text=True, timeout=60, check=False, cwd=REPO, env=clean)

    def hub_check(run: subprocess.CompletedProcess[str]) -> dict[str, str]:
        checks = json.loads(run.stdout)["checks"]
        return next(c for c in checks if c["name"].lower().startswith("hub"))

    good = hub_check(doctor(tls_hub.fingerprint))
    assert good["status"] == "OK" and "pinned" in good["detail"], good
    wrong = hub_check(doctor("0" * 64))
    assert wrong["status"] == "FAIL" and tls.MISMATCH in wrong["detail"], wrong
