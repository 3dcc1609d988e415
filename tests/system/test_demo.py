"""`antrean demo`, the README's first command, as a real process.

Headless it runs the scripted session against its embedded hub and must leave behind a picture
of every station at its hall size, a printed-ticket preview per ticket, one announcement per
call that sounds like speech, a summary that agrees with the ledger, and a ledger that verifies.
With a screen it opens the four windows and runs until they are closed; that is checked on
the offscreen platform by a small driver that closes them once every station is online.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import textwrap
import wave
from array import array
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from shared.config import example_config_path, load_config
from shared.ledger.ledger import Ledger
from shared.ledger.store import connect

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CHIME = ROOT / "assets" / "sounds" / "chime.wav"
SIZES = {"kiosk": (1080, 1920), "loket-3": (1366, 768), "loket-4": (1366, 768),
         "board": (1920, 1080)}
SPEECH_RMS_FLOOR = 0.02  # espeak-ng's speech measures ~0.09 here; silence is 0


def headless_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_demo(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "antrean", "demo", *args], cwd=ROOT,
                          env=headless_env(), capture_output=True, text=True, timeout=timeout,
                          check=False)


def picture_stats(path: Path) -> tuple[tuple[int, int], int, float, float]:
    """Size, distinct colours, share of the commonest colour, share of dark pixels."""
    with Image.open(path) as img:
        rgb = img.convert("RGB")
        size = rgb.size
        colours = rgb.getcolors(maxcolors=size[0] * size[1]) or []
        grey = rgb.convert("L")
        dark = sum(n for level, n in enumerate(grey.histogram()) if level < 96)
    pixels = size[0] * size[1]
    commonest = max(n for n, _ in colours) / pixels
    return size, len(colours), commonest, dark / pixels


def wav_frames(path: Path) -> tuple[int, int, array[int]]:
    with wave.open(str(path), "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        rate, n = w.getframerate(), w.getnframes()
        samples = array("h")
        samples.frombytes(w.readframes(n))
    return rate, n, samples


def rms(samples: array[int]) -> float:
    return math.sqrt(math.fsum(s * s for s in samples) / max(1, len(samples))) / 32768


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("demo") / "out"
    result = run_demo("--headless", "--out", str(out), "--port", "0", "--web-port", "0")
    assert result.returncode == 0, result.stderr[-3000:]
    return {"out": out, "stdout": result.stdout, "stderr": result.stderr,
            "summary": json.loads((out / "summary.json").read_text(encoding="utf-8"))}


def test_every_station_is_pictured_at_its_hall_size_and_not_blank(demo: dict[str, Any]
                                                                  ) -> None:
    out, summary = demo["out"], demo["summary"]
    shots = summary["screenshots"]
    assert set(SIZES) <= set(shots)
    for station, size in SIZES.items():
        got, colours, commonest, dark = picture_stats(out / shots[station])
        assert got == size, station
        # Text, logos and antialiasing give hundreds of colours; an unpainted window has one.
        assert colours > 100, (station, colours)
        assert commonest < 0.9, (station, commonest)
        assert dark > 0.01, (station, dark)  # dark text or a dark board: something is drawn
    hall = out / shots["hall"]
    assert picture_stats(hall)[1] > 100
    # The console names the folder, so people find the files.
    assert str(out.resolve()) in demo["stdout"]
    assert demo["stderr"].strip() == ""


def test_summary_tickets_and_kiosk_match_the_ledger(demo: dict[str, Any]) -> None:
    out, summary = demo["out"], demo["summary"]
    config = load_config(example_config_path())
    ledger_path = Path(summary["ledger"])
    assert ledger_path == (out / "data" / "ledger.db").resolve()
    ledger = Ledger(ledger_path, config)
    try:
        assert ledger.verify()
        events = list(ledger.reader.events_after(0))
    finally:
        ledger.close()
    kinds = Counter(e.kind for e in events)
    issued = [e.data["label"] for e in events if e.kind == "ticket.issued"]
    assert kinds["ticket.issued"] == 8 and len(issued) == 8
    assert [t["label"] for t in summary["tickets"]] == issued
    assert summary["events"] == dict(kinds)
    assert sum(1 for t in summary["tickets"] if t["priority"] == "lansia") == 1
    # The kiosk was photographed on the last visitor's ticket, and showed that number.
    assert summary["kiosk"]["ticket"] == issued[-1]
    assert issued[-1] in summary["kiosk"]["text"]
    for t in summary["tickets"]:
        with Image.open(out / t["preview"]) as img:
            assert img.width == 576  # 80 mm paper: 576 printer dots
    assert f"{len(issued)} tickets issued: {', '.join(issued)}" in demo["stdout"]


def test_every_call_is_announced_with_audible_speech(demo: dict[str, Any]) -> None:
    out, summary = demo["out"], demo["summary"]
    kinds = summary["events"]
    calls = summary["calls"]
    assert len(calls) == kinds["ticket.called"] + kinds["ticket.recalled"]
    assert kinds["ticket.recalled"] >= 1 and kinds["ticket.called"] >= 5
    chime_rate, chime_frames, _ = wav_frames(CHIME)
    wavs = sorted((out / "announcements").glob("*.wav"))
    assert len(wavs) == len(calls)
    for call in calls:
        path = out / call["wav"]
        assert call["label"] in path.name and f"loket-{call['counter']}" in path.name
        rate, frames, samples = wav_frames(path)
        assert rate == chime_rate
        assert 1.5 <= frames / rate <= 15.0, (path.name, frames / rate)
        # After the chime comes the voice: it must be there and audible.
        voice = samples[chime_frames:]
        assert len(voice) / rate > 1.0, path.name
        assert rms(voice) > SPEECH_RMS_FLOOR, (path.name, rms(voice))
        # A recall says so first, so the hall does not take it for a new number.
        recall = call["kind"] == "ticket.recalled"
        assert call["text"].startswith("Panggilan ulang. Nomor antrean" if recall
                                       else "Nomor antrean")


def ledger_secret(ledger: Path, ticket_id: str) -> str:
    conn = connect(ledger, readonly=True)
    try:
        row = conn.execute("SELECT json_extract(data, '$.secret') FROM events WHERE "
                           "kind = 'ticket.issued' AND ticket_id = ?", (ticket_id,)).fetchone()
    finally:
        conn.close()
    assert row and row[0]
    return str(row[0])


def test_the_embedded_web_station_served_the_last_tickets_page(demo: dict[str, Any]) -> None:
    """The demo's web station answered over HTTP, at the address the tickets' QR codes hold:
    today's overview, and the last visitor's page at /t/{id}-{the secret in the ledger}."""
    out, summary = demo["out"], demo["summary"]
    web = summary["web"]
    url = web["url"]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
    assert f"Halaman tiket: {url}/t/" in demo["stdout"]
    last = summary["tickets"][-1]
    ticket_id = next(p for p in web["pages"] if p.startswith("/t/"))[3:-21]
    assert ticket_id.endswith(last["label"])
    secret = ledger_secret(Path(summary["ledger"]), ticket_id)
    page = web["pages"][f"/t/{ticket_id}-{secret}"]
    html = (out / page).read_text(encoding="utf-8")
    assert f'id="ticket-label">{last["label"]}<' in html
    assert 'id="ticket-status">Menunggu<' in html  # the last visitor is still waiting
    overview = (out / web["pages"]["/"]).read_text(encoding="utf-8")
    assert summary["hall"] in overview


WINDOWED_DRIVER = textwrap.dedent("""
    import sqlite3
    import sys
    import urllib.error
    import urllib.request
    from pathlib import Path
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication(["demo-test"])
    from shared.config import example_config_path, load_config
    from antrean.demo import runner
    from antrean.demo.plan import make_plan

    out = Path(sys.argv[1])
    config = load_config(example_config_path())
    plan = make_plan(config)
    options = runner.DemoOptions(config, out, out / "data", "127.0.0.1", 0, True,
                                 web_port=0, web_port_given=True)
    seen = []

    def get(url):
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.status, r.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            return e.code, ""

    def windows():
        return [w for w in QApplication.topLevelWidgets() if w.isVisible()
                and type(w).__name__ in ("KioskWindow", "CounterWindow", "BoardWindow")]

    def all_online():
        found = windows()
        kinds = sorted(type(w).__name__ for w in found)
        if kinds == ["BoardWindow", "CounterWindow", "CounterWindow", "KioskWindow"] \\
                and all(w.core.link.is_online() for w in found):
            seen.extend(kinds)
            kiosk = next(w.core for w in found if type(w).__name__ == "KioskWindow")
            url = kiosk.config.mpp.public_url
            print("WEB", url, get(url + "/")[0], flush=True)
            visitor = plan.visitors[0]
            kiosk.start()
            kiosk.choose_agency(visitor.agency)
            kiosk.choose_service(visitor.service)
            kiosk.choose_priority(None)
            ticket_page(kiosk, url)
        else:
            QTimer.singleShot(20, all_online)

    def ticket_page(kiosk, url):
        if kiosk.ticket is None:
            QTimer.singleShot(20, lambda: ticket_page(kiosk, url))
            return
        # The secret from the demo's ledger, not from the kiosk's memory.
        conn = sqlite3.connect(f"file:{out / 'data' / 'ledger.db'}?mode=ro", uri=True)
        (secret,) = conn.execute("SELECT json_extract(data, '$.secret') FROM events WHERE "
                                 "kind = 'ticket.issued' AND ticket_id = ?",
                                 (kiosk.ticket.ticket_id,)).fetchone()
        conn.close()
        status, html = get(f"{url}/t/{kiosk.ticket.ticket_id}-{secret}")
        if status == 404:  # the web station's replica has not caught up yet
            QTimer.singleShot(20, lambda: ticket_page(kiosk, url))
            return
        label = f'id="ticket-label">{kiosk.ticket.label}<' in html
        print("WEB TICKET", status, kiosk.ticket.label, label, flush=True)
        for w in windows():
            w.close()  # the last window closed ends the demo

    QTimer.singleShot(0, all_online)
    code = runner.run_windows(options)
    print("WINDOWS", ",".join(seen))
    sys.exit(code)
""")


def test_with_a_screen_four_windows_open_and_closing_them_ends_the_demo(tmp_path: Path
                                                                         ) -> None:
    """And the web station answers the test's HTTP requests while the windows are open: the
    overview, and the page of a number taken at the kiosk (its secret read from the ledger)."""
    result = subprocess.run([sys.executable, "-c", WINDOWED_DRIVER, str(tmp_path / "out")],
                            cwd=ROOT, env=headless_env(), capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "WINDOWS BoardWindow,CounterWindow,CounterWindow,KioskWindow" in result.stdout
    assert "PIN 2468" in result.stdout and "PIN 1357" in result.stdout
    assert "the hall is closed" in result.stdout
    web = re.search(r"^WEB (http://127\.0\.0\.1:\d+) (\d+)$", result.stdout, re.M)
    assert web is not None, result.stdout
    assert web.group(2) == "200"
    assert f"Halaman tiket: {web.group(1)}/t/" in result.stdout
    assert re.search(r"^WEB TICKET 200 KTP-001 True$", result.stdout, re.M), result.stdout
    # Only the driver's visitor took a number; nobody pressed a button: the ledger holds that
    # one ticket and nothing else.
    conn = connect(tmp_path / "out" / "data" / "ledger.db", readonly=True)
    try:
        kinds = [row[0] for row in conn.execute("SELECT kind FROM events")]
    finally:
        conn.close()
    assert kinds == ["ticket.issued"]


def test_without_the_web_station_the_qr_holds_the_number(tmp_path: Path) -> None:
    """--no-web: no web station, and so no address in the tickets' QR codes."""
    result = run_demo("--headless", "--out", str(tmp_path / "out"), "--port", "0",
                      "--no-web")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Web:  off (--no-web)" in result.stdout and "Halaman tiket" not in result.stdout
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert "web" not in summary and not (tmp_path / "out" / "web").exists()


def test_a_port_in_use_is_refused_with_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_demo("--headless", "--out", str(tmp_path / "out"), "--port", str(port))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [f"antrean demo: port {port} on 127.0.0.1 is already in use (another "
                     f"hub?); give another with --port, or --port 0 for any free port"]


def test_a_folder_with_a_real_ledger_is_never_touched(tmp_path: Path) -> None:
    data = tmp_path / "hall"
    data.mkdir()
    (data / "ledger.db").write_bytes(b"not the demo's")
    result = run_demo("--headless", "--out", str(tmp_path / "out"), "--data", str(data),
                      "--port", "0")
    assert result.returncode == 1
    assert result.stderr.strip() == (f"antrean demo: {data} holds a ledger the demo did not "
                                     f"make; give the demo its own folder with --data")
    assert (data / "ledger.db").read_bytes() == b"not the demo's"
