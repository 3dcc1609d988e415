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
    result = run_demo("--headless", "--out", str(out), "--port", "0")
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


WINDOWED_DRIVER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication(["demo-test"])
    from shared.config import example_config_path, load_config
    from antrean.demo import runner

    out = Path(sys.argv[1])
    options = runner.DemoOptions(load_config(example_config_path()), out, out / "data",
                                 "127.0.0.1", 0, True)
    seen = []

    def all_online():
        windows = [w for w in QApplication.topLevelWidgets() if w.isVisible()
                   and type(w).__name__ in ("KioskWindow", "CounterWindow", "BoardWindow")]
        kinds = sorted(type(w).__name__ for w in windows)
        online = [w.core.link.is_online() for w in windows]
        if kinds == ["BoardWindow", "CounterWindow", "CounterWindow", "KioskWindow"] \\
                and all(online):
            seen.extend(kinds)
            for w in windows:
                w.close()  # the last window closed ends the demo
        else:
            QTimer.singleShot(20, all_online)

    QTimer.singleShot(0, all_online)
    code = runner.run_windows(options)
    print("WINDOWS", ",".join(seen))
    sys.exit(code)
""")


def test_with_a_screen_four_windows_open_and_closing_them_ends_the_demo(tmp_path: Path
                                                                         ) -> None:
    result = subprocess.run([sys.executable, "-c", WINDOWED_DRIVER, str(tmp_path / "out")],
                            cwd=ROOT, env=headless_env(), capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "WINDOWS BoardWindow,CounterWindow,CounterWindow,KioskWindow" in result.stdout
    assert "PIN 2468" in result.stdout and "PIN 1357" in result.stdout
    assert "the hall is closed" in result.stdout
    # Nobody took a number or pressed a button: the hub wrote nothing to the ledger.
    conn = connect(tmp_path / "out" / "data" / "ledger.db", readonly=True)
    try:
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 0
    finally:
        conn.close()


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
