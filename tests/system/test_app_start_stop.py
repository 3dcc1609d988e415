"""Every Qt app of the hall, started as the real `antrean` process: it refuses a PC where Qt
cannot show windows with one line and the fix (not Qt's abort, rc 134), and Ctrl+C or
`systemctl stop` ends it cleanly (exit 0, no traceback, its replica closed).

Signals go to the app's whole process group, as a terminal's Ctrl+C and systemd's stop do, so
helper processes (the board's speech worker) get them too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.system.conftest import MISSING_LIBRARY, HubProcess, no_x_display

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


def app_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ANTREAN_", "QT_QPA_")) and k not in ("DISPLAY",
                                                                    "WAYLAND_DISPLAY")}
    env.update({"QT_QPA_PLATFORM": "offscreen", "PYTHONUNBUFFERED": "1",
                "QT_LOGGING_RULES": "qt.multimedia*=false"})
    env.update(extra)
    return env


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)  # polling another process; bounded by the deadline


@dataclass
class App:
    name: str
    proc: subprocess.Popen[bytes]
    stderr: Path
    replica: Path

    def errors(self) -> str:
        return self.stderr.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def apps(hub: HubProcess, tmp_path: Path) -> Iterator[Callable[[], list[App]]]:
    started: list[App] = []

    def start() -> list[App]:
        hub.add_officer("siti", "2468")
        plans = {
            "kiosk": (hub.enroll("kiosk-1", "kiosk"), ["--windowed", "--device", "kiosk-1"]),
            "counter": (hub.enroll("loket-1", "counter", 1), ["--counter", "1"]),
            "display": (hub.enroll("papan-1", "display"),
                        ["--windowed", "--size", "960x540", "--device", "papan-1"]),
        }
        hub.start()
        for name, (token, extra) in plans.items():
            replica = tmp_path / f"replica-{name}.db"
            err = tmp_path / f"{name}.err"
            with open(err, "wb") as sink:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "antrean", name, "--hub", hub.url, "--token",
                     token, "--replica", str(replica), *extra],
                    cwd=ROOT, env=app_env(), stdout=subprocess.DEVNULL, stderr=sink,
                    start_new_session=True)
            started.append(App(name, proc, err, replica))
        # Up: every station said hello and joined the hub's live stream.
        wait_for(lambda: hub.health()["stations"] == len(plans), "the three stations")
        return started

    yield start
    for app in started:
        if app.proc.poll() is None:
            os.killpg(app.proc.pid, signal.SIGKILL)
            app.proc.wait(10)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_kiosk_counter_and_board_stop_cleanly_on_a_signal(
        apps: Callable[[], list[App]], hub: HubProcess, sig: signal.Signals) -> None:
    running = apps()
    for app in running:
        os.killpg(app.proc.pid, sig)
    for app in running:
        code = app.proc.wait(30)
        errors = app.errors()
        assert code == 0, (app.name, code, errors[-2000:])
        assert "Traceback" not in errors and "KeyboardInterrupt" not in errors, errors
        assert f"stopping ({sig.name})" in errors, errors
        # The replica was closed: SQLite folds the WAL back in and removes it on close.
        assert app.replica.exists()
        assert not Path(f"{app.replica}-wal").exists(), app.name
    wait_for(lambda: hub.health()["stations"] == 0, "the hub to see them go")
    assert hub.log_path is not None
    log = hub.log_path.read_text()
    for station in ("kiosk-1", "loket-1", "papan-1"):
        assert f"station {station} disconnected" in log


WINDOWED_DEMO = textwrap.dedent("""
    import sys
    from antrean.demo import runner
    runner.has_screen = lambda: True  # windows, drawn by the offscreen platform
    from antrean.cli import main
    sys.exit(main(["demo", "--port", "0", "--data", sys.argv[1], "--out", sys.argv[2]]))
""")


def test_the_windowed_demo_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    out, err = tmp_path / "demo.out", tmp_path / "demo.err"
    with open(out, "wb") as o, open(err, "wb") as e:
        proc = subprocess.Popen(
            [sys.executable, "-c", WINDOWED_DEMO, str(tmp_path / "data"), str(tmp_path / "o")],
            cwd=ROOT, env=app_env(), stdout=o, stderr=e, start_new_session=True)
    try:
        wait_for(lambda: "The hall is open" in out.read_text() or proc.poll() is not None,
                 "the demo's windows")
        assert proc.poll() is None, err.read_text()
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(30) == 0, err.read_text()[-2000:]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    assert "the hall is closed" in out.read_text()
    assert "Traceback" not in err.read_text(), err.read_text()


# --- a PC where Qt cannot show windows ---------------------------------------------------------

COMMANDS = {
    "kiosk": ["kiosk", "--ledger", "LEDGER", "--windowed"],
    "counter": ["counter", "--ledger", "LEDGER", "--counter", "1"],
    "display": ["display", "--ledger", "LEDGER", "--windowed"],
    "demo": ["demo", "--port", "0", "--data", "DATA", "--out", "OUT"],
}


def run_app(name: str, tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    argv = [a.replace("LEDGER", str(tmp_path / "ledger.db")).replace("DATA", str(
        tmp_path / "data")).replace("OUT", str(tmp_path / "out")) for a in COMMANDS[name]]
    return subprocess.run([sys.executable, "-m", "antrean", *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def one_line(result: subprocess.CompletedProcess[str], name: str) -> str:
    assert result.returncode in (1, 2), (result.returncode, result.stderr[-2000:])
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"antrean {name}: cannot show windows: "), lines[0]
    assert "Could not load the Qt platform plugin" not in result.stderr
    return lines[0]


@pytest.mark.parametrize("name", COMMANDS)
def test_a_missing_xcb_library_is_one_line_naming_the_package(
        name: str, tmp_path: Path, broken_xcb_plugin: dict[str, str]) -> None:
    env = app_env(DISPLAY=no_x_display(), **broken_xcb_plugin)
    line = one_line(run_app(name, tmp_path, env), name)
    assert f"{MISSING_LIBRARY.decode()} is not installed" in line
    assert "fix: apt-get install libxcb-antrn4" in line and "scripts/bootstrap.sh" in line
    assert not (tmp_path / "ledger.db").exists()  # stopped before it touched anything


@pytest.mark.parametrize("name", COMMANDS)
def test_no_x_display_is_one_line_saying_so(name: str, tmp_path: Path) -> None:
    display = no_x_display()
    line = one_line(run_app(name, tmp_path, app_env(QT_QPA_PLATFORM="xcb", DISPLAY=display)),
                    name)
    assert f"Qt cannot open the X display '{display}'" in line
    assert "desktop session" in line


SPEECH_WORKER = textwrap.dedent("""
    import os, signal, sys
    from display.voice.tts import Pyttsx3Synthesizer

    def main() -> None:
        synth = Pyttsx3Synthesizer(sys.argv[1])
        synth.start()  # the board starts it at its first announcement
        stopped = []
        signal.signal(signal.SIGINT, lambda *_: stopped.append(True))  # the board's handler
        os.killpg(os.getpgrp(), signal.SIGINT)  # Ctrl+C in the board's terminal
        assert synth.render("Nomor antrean A satu").stat().st_size > 0  # still answers
        synth.close()
        print("closed", bool(stopped))

    if __name__ == "__main__":
        main()
""")


def test_the_boards_speech_worker_leaves_ctrl_c_to_the_board(tmp_path: Path) -> None:
    script = tmp_path / "worker.py"
    script.write_text(SPEECH_WORKER)
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "cache")], cwd=ROOT,
                          env={**app_env(), "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=120, check=False, start_new_session=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "closed True"
    assert "Traceback" not in done.stderr and "KeyboardInterrupt" not in done.stderr
