"""A station's token against a real hub: `antrean doctor` checks it (and its role against the
PC's job), the apps say "the hub refused this station's token" instead of "cannot reach the hub
(HTTP 401)", and the hub logs the refusal with the peer's address, never the token."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from shared.station.hub_link import HubLink
from tests.system.conftest import HubProcess, no_x_display

ROOT = Path(__file__).resolve().parents[2]
WRONG = "not-the-token-of-anything"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTREAN_")}
    env.update({"QT_QPA_PLATFORM": "offscreen", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def doctor(*args: str, env: dict[str, str] | None = None
           ) -> tuple[int, dict[str, dict[str, Any]]]:
    done = subprocess.run([sys.executable, "-m", "antrean", "doctor", *args, "--json"],
                          cwd=ROOT, env=env or clean_env(), capture_output=True, text=True,
                          timeout=120, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout)
    return done.returncode, {c["name"]: c for c in report["checks"]}


def test_doctor_checks_the_token_and_its_role(hub: HubProcess, tmp_path: Path) -> None:
    tokens = {"kiosk": hub.enroll("kiosk-1", "kiosk"),
              "display": hub.enroll("papan-1", "display"),
              "counter": hub.enroll("loket-3", "counter", 3),
              "admin": hub.enroll("supervisor", "admin")}
    hub.start()

    def token_check(role: str, token: str, *extra: str) -> tuple[int, dict[str, Any]]:
        code, checks = doctor("--role", role, "--hub", hub.url, "--token", token,
                              "--replica", str(tmp_path / "r.db"), *extra)
        return code, checks["token"]

    code, good = token_check("kiosk", tokens["kiosk"])
    assert good["status"] == "OK" and "station kiosk-1 (kiosk)" in good["detail"], good
    assert code == 0

    code, bad = token_check("kiosk", WRONG)
    assert code == 1 and bad["status"] == "FAIL"
    assert bad["detail"] == "the hub refused this station's token (it is not enrolled there)"
    assert "enroll --role kiosk" in bad["fix"] and "ANTREAN_TOKEN" in bad["fix"]

    _, wrong_job = token_check("kiosk", tokens["display"])
    assert wrong_job["status"] == "FAIL" and "but this PC is a kiosk" in wrong_job["detail"]
    _, board_with_kiosk = token_check("display", tokens["kiosk"])
    assert board_with_kiosk["status"] == "WARN"  # it would work, but it is the wrong one
    _, admin = token_check("counter", tokens["admin"])
    assert admin["status"] == "WARN" and "admin token may do anything" in admin["detail"]

    env_file = tmp_path / "station.env"
    env_file.write_text(f"ANTREAN_HUB={hub.url}\nANTREAN_TOKEN={tokens['counter']}\n"
                        f"ANTREAN_ARGS=--device loket-3 --counter 4 --replica "
                        f"{tmp_path / 'r.db'}\n")
    code, checks = doctor("--role", "counter", "--station-env", str(env_file))
    assert checks["token"]["status"] == "FAIL", checks["token"]
    assert "bound to counter 3" in checks["token"]["detail"]
    assert "--counter 3" in checks["token"]["fix"]

    assert hub.log_path is not None
    log = hub.log_path.read_text()
    assert "refused /station from 127.0.0.1: unknown token" in log
    assert WRONG not in log and all(t not in log for t in tokens.values())


def test_doctor_says_when_the_token_was_revoked(hub: HubProcess, tmp_path: Path) -> None:
    from shared.hub.auth import AuthStore

    token = hub.enroll("kiosk-1", "kiosk")
    hub.start()
    store = AuthStore(hub.workdir / "hub-auth.db")
    store.revoke("kiosk-1")
    store.close()
    code, checks = doctor("--role", "kiosk", "--hub", hub.url, "--token", token,
                          "--replica", str(tmp_path / "r.db"))
    assert code == 1
    assert checks["token"]["detail"] == ("the hub refused this station's token (it was "
                                         "revoked or replaced)")


def test_doctor_without_a_token_on_a_station_fails(hub: HubProcess, tmp_path: Path) -> None:
    hub.start()
    code, checks = doctor("--role", "display", "--hub", hub.url,
                          "--replica", str(tmp_path / "r.db"))
    assert code == 1 and checks["token"]["status"] == "FAIL"
    _, on_hub = doctor("--role", "hub", "--hub", hub.url, "--ledger", str(hub.ledger))
    assert on_hub["token"]["status"] == "SKIP" and on_hub["screen"]["status"] == "SKIP"


@pytest.mark.parametrize("app", ["kiosk", "counter", "display"])
def test_an_app_with_a_refused_token_says_so_in_one_line(app: str, hub: HubProcess,
                                                         tmp_path: Path) -> None:
    hub.start()
    done = subprocess.run(
        [sys.executable, "-m", "antrean", app, "--hub", hub.url, "--token", WRONG,
         "--replica", str(tmp_path / "fresh.db")], cwd=ROOT, env=clean_env(),
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    lines = [ln for ln in done.stderr.splitlines() if ln.strip() and "WARNING" not in ln]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"antrean {app}: the hub refused this station's token"), lines
    assert "enroll this station again" in lines[0] and "ANTREAN_TOKEN" in lines[0]
    assert "401" not in done.stderr and "cannot reach" not in done.stderr
    assert hub.log_path is not None
    assert "refused /config from 127.0.0.1: unknown token" in hub.log_path.read_text()


def test_a_station_with_its_config_cached_shows_the_refusal(qtbot: QtBot, hub: HubProcess,
                                                            tmp_path: Path) -> None:
    """A kiosk PC that worked yesterday starts (its hall config is in its replica) and says
    on screen why it is offline, instead of restarting in a loop nobody sees."""
    good = hub.enroll("kiosk-1", "kiosk")
    hub.start()

    def args(token: str) -> argparse.Namespace:
        return argparse.Namespace(hub=hub.url, token=token, hub_fingerprint=None,
                                  replica=str(tmp_path / "r.db"), device="kiosk-1")

    yesterday = HubLink.from_args(args(good))  # the hall config is kept in the replica
    qtbot.waitUntil(yesterday.is_online, timeout=10000)
    yesterday.close()
    link = HubLink.from_args(args(WRONG))  # today, with a token the hub no longer knows
    try:
        qtbot.waitUntil(lambda: link.refused_code == "unknown_token", timeout=10000)
        assert link.offline_reason() == ("Token perangkat ini ditolak server antrean. Hubungi "
                                         "petugas TI.")
        assert not link._retry.isActive()
    finally:
        link.close()


def test_doctor_checks_that_qt_can_show_windows(tmp_path: Path,
                                                broken_xcb_plugin: dict[str, str]) -> None:
    code, checks = doctor("--role", "counter", "--replica", str(tmp_path / "r.db"))
    assert checks["screen"]["status"] == "OK", checks["screen"]
    assert "offscreen" in checks["screen"]["detail"]
    # A desktop PC without one of the xcb plugin's libraries: what the app would hit.
    env = clean_env(DISPLAY=no_x_display(), **broken_xcb_plugin)
    code, checks = doctor("--role", "counter", "--replica", str(tmp_path / "r.db"), env=env)
    assert code == 1 and checks["screen"]["status"] == "FAIL"
    assert "libxcb-antrn.so.4 is not installed" in checks["screen"]["detail"]
    assert checks["screen"]["fix"].startswith("apt-get install libxcb-antrn4")
    # Over ssh (no display, no QT_QPA_PLATFORM): the libraries are checked all the same.
    ssh = {k: v for k, v in env.items() if k != "DISPLAY"}
    ssh.pop("QT_QPA_PLATFORM")
    _, checks = doctor("--role", "kiosk", "--replica", str(tmp_path / "r.db"), env=ssh)
    assert checks["screen"]["status"] == "FAIL", checks["screen"]
    assert "libxcb-antrn.so.4" in checks["screen"]["detail"]
    healthy = {k: v for k, v in clean_env().items() if k not in ("DISPLAY", "WAYLAND_DISPLAY",
                                                                  "QT_QPA_PLATFORM")}
    _, checks = doctor("--role", "kiosk", "--replica", str(tmp_path / "r.db"), env=healthy)
    assert checks["screen"]["status"] == "OK", checks["screen"]
    assert "no display in this session" in checks["screen"]["detail"]
