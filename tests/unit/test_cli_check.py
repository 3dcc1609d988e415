"""`antrean` checks each subcommand's settings (antrean.cli.check) before it starts anything:
a refused setting is one English line and exit status 2, with no window, no hub, no ledger
and no Qt loaded. tests/unit/test_documented_commands.py runs the docs through the same
check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from antrean.cli import main

ROOT = Path(__file__).resolve().parents[2]
FINGERPRINT = "ab" * 32

REFUSED = [
    (["kiosk", "--ledger", "hall.db", "--printer", "bluetooth:1"], "usb:V"),  # the forms
    (["kiosk", "--ledger", "hall.db", "--printer", "network:10.0.0.9:ninety"],
     "is not a port number"),
    (["kiosk", "--ledger", "hall.db", "--admin-pin-hash", "2468"], "--hash-pin PIN"),
    (["counter", "--ledger", "hall.db", "--key", "call=F1"], "use ACTION=KEYS"),
    (["display", "--hub", "http://10.0.0.2:8470", "--token", "t"], "is not a hub address"),
    (["display", "--hub", "wss://10.0.0.2:8470", "--token", "t"], "no certificate fingerprint"),
    (["counter", "--hub", "ws://10.0.0.2:8470", "--token", "t", "--hub-fingerprint",
      FINGERPRINT], "is not wss://"),
    (["kiosk", "--hub", "wss://10.0.0.2:8470", "--token", "t", "--hub-fingerprint", "abc"],
     "64 hex digits"),
    (["kiosk", "--hub", "ws://10.0.0.2:8470"], "needs its token"),
    (["display"], "give --ledger FILE (one PC) or --hub ADDRESS with --token"),
    (["hub", "--tls-cert", "hub.crt"], "give --tls-cert and --tls-key together"),
    (["hub", "--port", "70000"], "is not a port number"),
    (["hub", "--simulated-clock", "monday"], "use ISO-TIME[,SPEED]"),
    (["backup", "run", "--to", "copies", "--keep", "0"], "--keep must be at least 1"),
    (["backup", "run", "--to", "copies", "--every", "0"], "--every must be more than 0"),
    (["demo", "--no-web", "--web-port", "8081"], "--web-port and --no-web contradict"),
    (["demo", "--web-port", "70000"], "--web-port 70000 is not a port number"),
    (["demo", "--port", "8080", "--web-port", "8080"], "the hub and the web station need"),
]


@pytest.fixture(autouse=True)
def no_station_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [n for n in os.environ if n.startswith("ANTREAN_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(("argv", "said"), REFUSED, ids=lambda v: " ".join(v)
                         if isinstance(v, list) else None)
def test_a_refused_setting_is_one_line_before_anything_starts(
        argv: list[str], said: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"antrean {argv[0]}: ") and said in err, err
    assert "\n" not in err
    assert list(tmp_path.iterdir()) == []  # no ledger, replica or backup folder was made


def test_the_refusal_comes_before_qt_is_loaded(tmp_path: Path) -> None:
    code = ("import sys; from antrean.cli import main; "
            "rc = main(['kiosk', '--ledger', 'hall.db', '--printer', 'lp0']); "
            "print(rc, 'PySide6.QtWidgets' in sys.modules, 'PySide6.QtGui' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, check=False,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.stdout.split() == ["2", "False", "False"], done.stderr
    assert done.stderr.startswith("antrean kiosk: ")


def test_python_m_shared_cli_reports_a_refusal_the_same_way(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "antrean", "counter", "--hub",
                           "http://x:8470", "--token", "t"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "antrean counter: --hub 'http://x:8470' is not a hub address such as "
        "wss://192.168.10.2:8470"]
