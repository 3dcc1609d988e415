"""The console's configuration page in a real browser (Debian's chromium via Playwright),
against a real hub and a real `antrean console` process: versions recorded by `antrean config
import` with who and when, the one in force and a scheduled one, the diff between two, and
the page refused to a supervisor.

Screenshot: with ANTREAN_WEB_SCREENSHOTS=docs/screenshots, console-config-history.png."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.console_station import ConsoleProcess
from tests.helpers.web_station import ActingStation
from tests.system.conftest import DATA, HubProcess
from tests.system.test_config_import import NEW_SERVICE

playwright_sync = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]
SHOTS = os.environ.get("ANTREAN_WEB_SCREENSHOTS")
PASSWORD = "kata-sandi-rahasia"


@pytest.fixture
def console(tmp_path: Path) -> Iterator[ConsoleProcess]:
    hub = HubProcess(tmp_path, DATA / "small_hall.toml")
    console_token = hub.enroll("console-1", "admin")
    admin = hub.enroll("it-pc", "admin")
    kiosk_token = hub.enroll("kiosk-1", "kiosk")
    hub.start()
    new = tmp_path / "hall-v2.toml"
    new.write_text((DATA / "small_hall.toml").read_text(encoding="utf-8") + NEW_SERVICE,
                   encoding="utf-8")
    for args in ((str(new),), (str(DATA / "small_hall.toml"), "--from", "2026-12-07")):
        done = subprocess.run([sys.executable, "-m", "antrean", "config", "import", *args,
                               "--hub", hub.url, "--token", admin], capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    c = ConsoleProcess(tmp_path, hub.url, console_token, hub.clock)
    c.add_user("tamu", "admin", PASSWORD, "Admin Tamu")
    c.add_user("kepala", "supervisor", PASSWORD, "Kepala DPMPTSP")
    kiosk = ActingStation(hub.url, kiosk_token)
    # Someone waits for the service version 2 added: going back to version 1 strands them.
    assert kiosk.command("issue_ticket", service="kia").ok
    c.start()
    c.wait_seq(int(hub.health()["last_seq"]))  # type: ignore[call-overload]
    yield c
    kiosk.close()
    c.stop()
    hub.stop()


def sign_in(page: object, console: ConsoleProcess, username: str) -> None:
    page.goto(console.url + "/")  # type: ignore[attr-defined]
    page.fill("input[name=username]", username)  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]


def test_versions_who_when_in_force_scheduled_and_a_diff(console: ConsoleProcess,
                                                          tmp_path: Path) -> None:
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        expect = playwright_sync.expect
        sign_in(page, console, "tamu")
        page.click("nav >> text=Konfigurasi")
        rows = page.locator("tr.version")
        expect(rows).to_have_count(3)
        expect(page.locator("tr[data-version='3']")).to_contain_text("mulai 2026-12-07")
        expect(page.locator("tr[data-version='3'] .badge")).to_have_text("terjadwal")
        expect(page.locator("tr[data-version='2'] .badge")).to_have_text("berlaku sekarang")
        expect(page.locator("tr[data-version='2']")).to_contain_text("it-pc")
        expect(page.locator("tr[data-version='1']")).to_contain_text("sejak awal")
        page.select_option("select[name=a]", "1")
        page.select_option("select[name=b]", "2")
        page.click("form.compare button")
        expect(page.locator("h2")).to_have_text("Perbedaan versi 1 dan 2")
        expect(page.locator("pre.diff .add").first).to_be_visible()
        assert '+code = "kia"' in page.locator("pre.diff").inner_text()
        out = Path(SHOTS) if SHOTS else tmp_path
        out.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out / "console-config-history.png"), full_page=True)
        page.goto(console.url + "/konfigurasi?lang=en")
        expect(page.locator("tr[data-version='2'] .badge")).to_have_text("in force now")

        # Revert to version 1: a new version 4 with version 1's content, in force now.
        page.goto(console.url + "/konfigurasi")
        page.click("tr[data-version='1'] form.revert button")
        expect(page.locator("p.error")).to_contain_text("1 nomor antrean masih menunggu")
        expect(page.locator("tr.version")).to_have_count(3)  # nothing recorded
        page.click("form.confirm button")
        expect(page.locator("p.done")).to_have_text("Dicatat sebagai versi 4.")
        expect(page.locator("tr[data-version='4'] .badge")).to_have_text("berlaku sekarang")
        expect(page.locator("tr[data-version='4']")).to_contain_text("console-1")
        page.select_option("select[name=a]", "1")
        page.select_option("select[name=b]", "4")
        page.click("form.compare button")
        expect(page.locator("p.note")).to_have_text("Kedua versi sama.")

        other = browser.new_page()
        sign_in(other, console, "kepala")
        expect(other.locator("nav")).not_to_contain_text("Konfigurasi")
        reply = other.goto(console.url + "/konfigurasi")
        assert reply is not None and reply.status == 403
        expect(other.locator("body")).to_contain_text("hanya untuk admin")
        browser.close()
        assert errors == []
