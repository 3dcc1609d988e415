"""The console's configuration page in a real browser (Debian's chromium via Playwright),
against a real hub and a real `antrean console` process: versions recorded by `antrean config
import` with who and when, the one in force and a scheduled one, the diff between two, and
the page refused to a supervisor.

Screenshot: with ANTREAN_WEB_SCREENSHOTS=docs/screenshots, console-config-history.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.browser import CHROMIUM_MARKS, chromium, playwright_sync, shot
from tests.helpers.console_hall import SMALL, add_accounts, config_hall, sign_in
from tests.helpers.console_station import ConsoleProcess
from tests.helpers.web_station import ActingStation
from tests.system.test_config_import import NEW_SERVICE

pytestmark = CHROMIUM_MARKS


@pytest.fixture
def console(tmp_path: Path) -> Iterator[ConsoleProcess]:
    hall = config_hall(tmp_path)
    new = tmp_path / "hall-v2.toml"
    new.write_text(SMALL.read_text(encoding="utf-8") + NEW_SERVICE, encoding="utf-8")
    hall.import_config(new)
    hall.import_config(SMALL, "--from", "2026-12-07")
    add_accounts(hall.console, "tamu", "kepala")
    kiosk = ActingStation(hall.hub.url, hall.kiosk_token)
    # Someone waits for the service version 2 added: going back to version 1 strands them.
    assert kiosk.command("issue_ticket", service="kia").ok
    hall.start_console()
    yield hall.console
    kiosk.close()
    hall.stop()


def compare(page: object, a: str, b: str) -> None:
    """Versions `a` and `b` compared on the history page."""
    page.select_option("select[name=a]", a)  # type: ignore[attr-defined]
    page.select_option("select[name=b]", b)  # type: ignore[attr-defined]
    page.click("form.compare button")  # type: ignore[attr-defined]


def test_versions_who_when_in_force_scheduled_and_a_diff(console: ConsoleProcess,
                                                          tmp_path: Path) -> None:
    with chromium() as browser:
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
        compare(page, "1", "2")
        expect(page.locator("h2")).to_have_text("Perbedaan versi 1 dan 2")
        expect(page.locator("pre.diff .add").first).to_be_visible()
        assert '+code = "kia"' in page.locator("pre.diff").inner_text()
        shot(page, tmp_path, "console-config-history", full_page=True)
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
        compare(page, "1", "4")
        expect(page.locator("p.note")).to_have_text("Kedua versi sama.")

        other = browser.new_page()
        sign_in(other, console, "kepala")
        expect(other.locator("nav")).not_to_contain_text("Konfigurasi")
        reply = other.goto(console.url + "/konfigurasi")
        assert reply is not None and reply.status == 403
        expect(other.locator("body")).to_contain_text("hanya untuk admin")
        browser.close()
        assert errors == []
