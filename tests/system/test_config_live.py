"""A running kiosk, connected to a real hub, shows a service added by `antrean config import`
without a restart; a visitor mid-flow finishes with the tiles they were shown first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pytestqt.qtbot import QtBot

from kiosk.core import Step
from shared.clock import ManualClock
from shared.config import load_config
from shared.station.hub_link import HubLink
from shared.station.replica import Replica
from tests.helpers.hub_process import HALL_MORNING
from tests.helpers.kiosk_hall import button, close_kiosk, make_kiosk, tap
from tests.system.conftest import HubProcess
from tests.system.test_config_import import NEW_SERVICE

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / \
    "console-config-kiosk.png"


def test_a_kiosk_shows_an_imported_service_after_the_visitor_in_front_of_it(
        qtbot: QtBot, hub: HubProcess, tmp_path: Path) -> None:
    import datetime as dt

    assert hub.config is not None
    token = hub.enroll("kiosk-1", "kiosk")
    admin = hub.enroll("it-pc", "admin")
    hub.start()
    config = load_config(hub.config)
    link = HubLink(config, hub.url, token, Replica(tmp_path / "replica-kiosk.db"), "kiosk-1")
    k = make_kiosk(qtbot, tmp_path, config, ManualClock(dt.datetime.fromisoformat(
        HALL_MORNING)), link=link)
    try:
        qtbot.waitUntil(link.is_online, timeout=10000)
        tap(qtbot, k, "take_number")
        tap(qtbot, k, "agency:DUKCAPIL")
        assert k.step is Step.SERVICE

        new = tmp_path / "hall-v2.toml"
        new.write_text(hub.config.read_text(encoding="utf-8") + NEW_SERVICE, encoding="utf-8")
        with qtbot.waitSignal(link.config_changed, timeout=15000):
            done = subprocess.run(
                [sys.executable, "-m", "antrean", "config", "import", str(new), "--hub",
                 hub.url, "--token", admin], capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
        assert "kia" in link.config.services
        # Mid-flow: the visitor keeps the screen they chose from.
        assert "kia" not in k.core.config.services
        names = [b.objectName() for b in k.window.current_screen().findChildren(
            type(button(k, "service:ktp-baru")))]
        assert "service:kia" not in names

        tap(qtbot, k, "service:ktp-baru")
        tap(qtbot, k, "priority:none")
        qtbot.waitUntil(lambda: k.step is Step.TICKET, timeout=10000)
        k.core.reset()  # the ticket screen's timeout: back to the start
        assert "kia" in k.core.config.services

        tap(qtbot, k, "take_number")
        tap(qtbot, k, "agency:DUKCAPIL")
        tile = button(k, "service:kia")
        assert "Kartu Identitas Anak" in tile.text_content()  # type: ignore[attr-defined]
        k.window.grab().save(str(SCREENSHOT))
        tap(qtbot, k, "service:kia")
        tap(qtbot, k, "priority:none")
        qtbot.waitUntil(lambda: k.step is Step.TICKET, timeout=10000)
        assert k.core.ticket is not None and k.core.ticket.label.startswith("KK-")
    finally:
        close_kiosk(k)
        link.close()
