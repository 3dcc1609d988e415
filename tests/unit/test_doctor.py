"""`antrean doctor` checks against real local servers: an HTTP hub health endpoint and a TCP
receipt printer on 127.0.0.1, real espeak-ng, a real Qt Multimedia probe, real files."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import shared
from antrean import cli_doctor
from antrean.doctor import (
    PAPER_STATUS_QUERY,
    Status,
    alsa_cards,
    check_audio,
    check_clock,
    check_config,
    check_disk,
    check_hub,
    check_printer,
    check_voice,
    health_url,
    indonesian_espeak_voices,
    option_value,
    printer_from_address,
    read_station_env,
)

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


# --- a hub's /health on loopback -------------------------------------------------------------


class FakeHealth:
    """What the hub's /health answers (and /station, for the token "secret": a kiosk);
    tests change it between requests. The real hub's answers are checked in
    tests/system/test_doctor_hub.py."""

    def __init__(self) -> None:
        self.version = shared.__version__
        self.skew = dt.timedelta(0)
        self.ok = True
        self.requests: list[str] = []


@pytest.fixture
def hub() -> Iterator[tuple[str, FakeHealth]]:
    state = FakeHealth()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            if self.path == "/station":
                good = self.headers.get("Authorization") == "Bearer secret"
                self.send_response(200 if good else 401)
                self.end_headers()
                self.wfile.write(json.dumps({"station": "kiosk-1", "role": "kiosk",
                                             "counter": None} if good else
                                            {"error": "unknown token"}).encode())
                return
            if self.path != "/health":
                self.send_error(404)
                return
            body = json.dumps({
                "ok": state.ok, "last_seq": 42, "version": state.version,
                "time": (dt.datetime.now(dt.UTC) + state.skew).isoformat(),
            }).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"ws://127.0.0.1:{server.server_address[1]}/ws", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_hub_with_the_same_version_and_clock_is_ok(hub: tuple[str, FakeHealth]) -> None:
    url, state = hub
    result, health = check_hub(url)
    assert result.status is Status.OK, result
    assert "42 events" in result.detail
    assert state.requests == ["/health"]
    assert health is not None and health.last_seq == 42
    clock = check_clock(health)
    assert clock.status is Status.OK and "s " in clock.detail


def test_hub_version_mismatch(hub: tuple[str, FakeHealth]) -> None:
    url, state = hub
    state.version = "9.0.0"
    result, _ = check_hub(url, expected_version="0.1.0")
    assert result.status is Status.FAIL
    assert "9.0.0" in result.detail and "same Antrean version" in result.fix
    # A patch release apart still talks, but should be brought in line.
    state.version = "0.1.7"
    result, _ = check_hub(url, expected_version="0.1.0")
    assert result.status is Status.WARN


def test_unhealthy_hub_fails(hub: tuple[str, FakeHealth]) -> None:
    url, state = hub
    state.ok = False
    result, _ = check_hub(url)
    assert result.status is Status.FAIL and "not healthy" in result.detail


def test_clock_far_from_the_hub_warns(hub: tuple[str, FakeHealth]) -> None:
    url, state = hub
    state.skew = dt.timedelta(seconds=-95)  # the hub is behind: this PC is ahead
    _, health = check_hub(url)
    clock = check_clock(health)
    assert clock.status is Status.WARN
    assert "ahead of the hub" in clock.detail and "timedatectl set-ntp true" in clock.fix
    assert 90 < float(clock.detail.split()[3]) < 100


def test_a_display_clock_minutes_off_fails(hub: tuple[str, FakeHealth]) -> None:
    """A board an hour ahead never spoke a call before it judged freshness on the hub's time;
    doctor calls it a fault on a display, a warning elsewhere."""
    url, state = hub
    state.skew = dt.timedelta(hours=-1)  # this PC is an hour ahead
    _, health = check_hub(url)
    board = check_clock(health, role="display")
    assert board.status is Status.FAIL, board
    assert "ahead of the hub" in board.detail and "120 s at most" in board.detail
    assert "timedatectl set-ntp true" in board.fix
    assert check_clock(health, role="kiosk").status is Status.WARN
    state.skew = dt.timedelta(seconds=-95)  # a minute and a half: still only a warning
    _, health = check_hub(url)
    assert check_clock(health, role="display").status is Status.WARN


def test_unreachable_hub_fails_fast() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Nobody listens on the port now: the connection is refused at once.
    started = time.monotonic()
    result, health = check_hub(f"ws://127.0.0.1:{port}")
    assert time.monotonic() - started < 1.0
    assert result.status is Status.FAIL and health is None
    assert "cannot reach" in result.detail and "systemctl status antrean-hub" in result.fix
    assert check_clock(health).status is Status.SKIP


def test_silent_hub_times_out() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()  # accepts connections (the kernel does) but never answers
        port = listener.getsockname()[1]
        started = time.monotonic()
        result, _ = check_hub(f"127.0.0.1:{port}", timeout=0.3)
        assert time.monotonic() - started < 2.0
    assert result.status is Status.FAIL and "did not answer within 0.3 s" in result.detail


def test_hub_addresses() -> None:
    assert health_url("ws://10.0.0.5:8470/ws") == "http://10.0.0.5:8470/health"
    assert health_url("wss://hub.local:9000") == "https://hub.local:9000/health"
    assert health_url("10.0.0.5") == "http://10.0.0.5:8470/health"
    assert check_hub(None)[0].status is Status.SKIP
    assert check_hub("ftp://x")[0].status is Status.FAIL


# --- a receipt printer on TCP port 9100 (loopback) --------------------------------------------


@pytest.fixture
def printer() -> Iterator[Callable[[bytes | None], str]]:
    """Start a TCP 'printer' that answers the paper-status query with the given byte, or never
    answers (None). Returns its net: spec."""
    listeners: list[socket.socket] = []
    threads: list[threading.Thread] = []
    stop = threading.Event()
    queries: list[bytes] = []

    def start(reply: bytes | None) -> str:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)

        def serve() -> None:
            conn, _ = listener.accept()
            with conn:
                queries.append(conn.recv(3))
                if reply is not None:
                    conn.sendall(reply)
                stop.wait(5)  # keep the connection open, silent, until the test ends

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        threads.append(t)
        return f"net:127.0.0.1:{listener.getsockname()[1]}"

    yield start
    stop.set()
    for t in threads:
        t.join(timeout=5)
    for listener in listeners:
        listener.close()
    assert all(q == PAPER_STATUS_QUERY for q in queries), queries


def test_network_printer_paper_states(printer: Callable[[bytes | None], str]) -> None:
    loaded = check_printer(printer(b"\x12"))
    assert loaded.status is Status.OK and "paper loaded" in loaded.detail

    out = check_printer(printer(b"\x72"))  # bits 5-6: paper end
    assert out.status is Status.FAIL and "out of paper" in out.detail
    assert "paper roll" in out.fix

    low = check_printer(printer(b"\x1e"))  # bits 2-3: near end
    assert low.status is Status.WARN and "nearly finished" in low.detail

    noise = check_printer(printer(b"\xff"))
    assert noise.status is Status.WARN and "unknown" in noise.detail


def test_silent_printer_is_unknown_not_ok(printer: Callable[[bytes | None], str]) -> None:
    started = time.monotonic()
    result = check_printer(printer(None), timeout=0.3)
    assert time.monotonic() - started < 2.0
    assert result.status is Status.WARN
    assert "unknown" in result.detail


def test_switched_off_network_printer_fails() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = check_printer(f"net:127.0.0.1:{port}")
    assert result.status is Status.FAIL and "cannot connect" in result.detail


def make_usb_device(sysfs: Path, dev_root: Path, name: str, vid: str, pid: str,
                    bus: int, num: int) -> Path:
    """A test double of /sys/bus/usb/devices/<name> and its /dev/bus/usb node: this machine has
    no USB printer. It checks the lookup by id and the node path; not the kernel's permissions
    (tests run as root, who may open any node)."""
    d = sysfs / name
    d.mkdir(parents=True)
    for key, value in (("idVendor", vid), ("idProduct", pid), ("busnum", str(bus)),
                       ("devnum", str(num))):
        (d / key).write_text(f"{value}\n")
    node = dev_root / f"{bus:03d}" / f"{num:03d}"
    node.parent.mkdir(parents=True, exist_ok=True)
    node.write_bytes(b"")
    return node


def test_usb_printer_lookup(tmp_path: Path) -> None:
    sysfs, dev = tmp_path / "sys", tmp_path / "dev"
    make_usb_device(sysfs, dev, "1-1", "1d6b", "0002", 1, 1)  # a root hub, not a printer
    (sysfs / "1-1:1.0").mkdir()  # an interface: no ids
    node = make_usb_device(sysfs, dev, "1-2", "04b8", "0e15", 1, 7)
    found = check_printer("usb:04b8:0e15", sysfs=sysfs, dev_root=dev)
    assert found.status is Status.OK and str(node) in found.detail
    missing = check_printer("usb:0416:5011", sysfs=sysfs, dev_root=dev)
    assert missing.status is Status.FAIL and "not on the USB bus" in missing.detail
    node.unlink()  # the kernel has not made the node (or udev removed it)
    assert check_printer("usb:04b8:0e15", sysfs=sysfs, dev_root=dev).status is Status.FAIL


def test_device_printers_and_specs(tmp_path: Path) -> None:
    assert check_printer("file:/dev/null").status is Status.OK
    gone = check_printer(f"file:{tmp_path / 'lp0'}")
    assert gone.status is Status.FAIL and "does not exist" in gone.detail
    serial = check_printer(f"serial:{tmp_path / 'ttyUSB0'},19200")
    assert serial.status is Status.FAIL and "does not exist" in serial.detail
    assert check_printer("serial:COM3").status is Status.SKIP
    dummy = check_printer("dummy")
    assert dummy.status is Status.WARN and "prints no tickets" in dummy.detail
    assert check_printer(None).status is Status.SKIP
    for bad in ("bluetooth:x", "/dev/usb/lp0", "usb:epson"):
        result = check_printer(bad)
        # The kiosk's own refusal, naming every accepted form.
        assert result.status is Status.FAIL and "net:HOST[:PORT]" in result.detail, bad
        assert "serial:DEVICE[,BAUD]" in result.detail and "file:DEVICE" in result.detail
    spec = printer_from_address("usb:0x04B8:0E15")
    assert (spec.vendor_id, spec.product_id) == (0x04B8, 0x0E15)
    spec = printer_from_address("net:192.168.10.21")
    assert (spec.host, spec.port) == ("192.168.10.21", 9100)
    with pytest.raises(ValueError, match="usb:VENDOR:PRODUCT"):
        printer_from_address("usb:epson")


# --- voice, sound, disk, config ---------------------------------------------------------------


ESPEAK_LISTING = """\
Pty Language       Age/Gender VoiceName          File                 Other Languages
 5  id              --/M      Indonesian         poz/id
 7  id              --/M      indonesian-mbrola-1 mb/mb-id1
 5  it              --/M      Italian            roa/it
"""


def test_espeak_listing() -> None:
    assert indonesian_espeak_voices(ESPEAK_LISTING) == ["Indonesian", "indonesian-mbrola-1"]
    assert indonesian_espeak_voices(ESPEAK_LISTING.splitlines()[0]) == []


def test_voice_check_with_and_without_espeak(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    import shutil

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (scripts/bootstrap.sh installs it)")
    present = check_voice()
    assert present.status is Status.OK and "Indonesian" in present.detail
    monkeypatch.setenv("PATH", str(tmp_path))  # a PC where espeak-ng was never installed
    absent = check_voice(required=True)
    assert absent.status is Status.FAIL and absent.fix == "apt-get install espeak-ng"
    assert check_voice(required=False).status is Status.WARN


def test_audio_check_reads_qt_and_the_kernel(tmp_path: Path) -> None:
    result = check_audio(required=True, asound=tmp_path / "none")
    # This machine has no sound card: Qt Multimedia sees nothing, and the fix says what to plug.
    # On a PC with speakers the same probe answers OK with the outputs' names.
    if result.status is Status.OK:
        assert "audio output" in result.detail
        return
    assert result.status is Status.FAIL and "no sound card" in result.detail
    cards = tmp_path / "cards"
    cards.write_text(" 0 [PCH            ]: HDA-Intel - HDA Intel PCH\n"
                     "                      HDA Intel PCH at 0xf7f10000 irq 32\n")
    with_card = check_audio(required=False, asound=cards)
    assert with_card.status is Status.WARN and "HDA-Intel - HDA Intel PCH" in with_card.detail
    assert "pipewire-pulse" in with_card.fix
    assert alsa_cards("--- no soundcards ---\n") == []


def test_disk_check(tmp_path: Path) -> None:
    ok = check_disk(tmp_path / "antrean" / "replica.db")
    assert ok.status is Status.OK and "MB free" in ok.detail
    assert check_disk(tmp_path, warn_mb=10**9).status is Status.WARN
    assert check_disk(tmp_path, warn_mb=10**9, fail_mb=10**9).status is Status.FAIL
    mounts = tmp_path / "mounts"
    mounts.write_text(f"/dev/sda1 / ext4 rw 0 0\n//nas/share {tmp_path} cifs rw 0 0\n")
    share = check_disk(tmp_path / "ledger.db", mounts=mounts)
    assert share.status is Status.FAIL and "network filesystem (cifs)" in share.detail


def test_config_check(tmp_path: Path) -> None:
    data = Path(__file__).resolve().parents[1] / "data" / "small_hall.toml"
    ok = check_config(data)
    assert ok.status is Status.OK and "4 counters" in ok.detail
    broken = tmp_path / "hall.toml"
    broken.write_text(data.read_text().replace('prefix = "KTP"', 'prefix = 5'))
    bad = check_config(broken)
    assert bad.status is Status.FAIL and "antrean config check" in bad.fix
    assert check_config(tmp_path / "nope.toml").status is Status.FAIL
    assert check_config(None).status is Status.SKIP


# --- station.env and the command --------------------------------------------------------------


def test_station_env_templates_parse() -> None:
    kiosk = read_station_env(DEPLOY / "stations" / "kiosk.env")
    assert kiosk["ANTREAN_HUB"].startswith("wss://") and kiosk["ANTREAN_HUB_FINGERPRINT"]
    assert option_value(kiosk["ANTREAN_ARGS"], "--printer") == "usb:04b8:0e15"
    assert printer_from_address(option_value(kiosk["ANTREAN_ARGS"], "--printer") or "").kind \
        == "usb"
    counter = read_station_env(DEPLOY / "stations" / "counter.env")
    assert option_value(counter["ANTREAN_ARGS"], "--counter") == "3"
    display = read_station_env(DEPLOY / "stations" / "display.env")
    assert option_value(display["ANTREAN_ARGS"], "--printer") is None


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="antrean doctor")
    cli_doctor.add_arguments(p)
    return p.parse_args(argv)


def test_doctor_command(hub: tuple[str, FakeHealth], printer: Callable[[bytes | None], str],
                        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url, state = hub
    env = tmp_path / "station.env"
    spec = printer(b"\x12")
    env.write_text(f"# a kiosk\nANTREAN_HUB={url}\nANTREAN_TOKEN=secret\n"
                   f"ANTREAN_ARGS=--device kiosk-1 --printer {spec} "
                   f"--replica {tmp_path / 'replica.db'}\n")
    args = ["--role", "kiosk", "--station-env", str(env), "--json"]
    assert cli_doctor.run(parse(args)) == 0
    report = json.loads(capsys.readouterr().out)
    by_name = {c["name"]: c["status"] for c in report["checks"]}
    assert by_name == {"config": "SKIP", "hub": "OK", "token": "OK", "clock": "OK",
                       "screen": "OK", "printer": "OK", "disk": "OK"}
    assert report["status"] == "OK"

    state.version = "7.0.0"
    assert cli_doctor.run(parse(["--role", "counter", "--station-env", str(env)])) == 1
    out = capsys.readouterr().out
    assert "SKIP  printer  not needed on a counter PC" in out
    assert "FAIL  hub" in out and "Fix: install the same Antrean version" in out
    assert out.rstrip().endswith("fix the FAIL lines above, then run antrean doctor again")
