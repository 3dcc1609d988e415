"""Enrolling an agency's browser counter from the console, in real browsers (Debian's chromium
driven by Playwright), against a real hub, a real `antrean console` and a real `antrean web`:
the admin makes a one-time code on /perangkat (shown once, big, with a QR code of the web
station's /petugas with the code filled in, the hall's `[mpp] public_url` being that web
station), and a second browser context — the officer's laptop — opens that address, enrols
with the code and signs in. The code never reaches the console's audit log.

Screenshot: console-browser-code.png at 1366×768 into a temporary folder; with
ANTREAN_WEB_SCREENSHOTS=docs/screenshots it is written there."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.browser import CHROMIUM_MARKS, WAIT_MS, expect, playwright_sync, shot
from tests.helpers.console_hall import add_accounts, open_signed_in
from tests.helpers.console_station import ConsoleProcess
from tests.helpers.hub_process import HubProcess
from tests.helpers.web_hall import hall_config
from tests.helpers.web_station import WebProcess, free_port

pytestmark = CHROMIUM_MARKS


@dataclass
class Hall:
    hub: HubProcess
    console: ConsoleProcess
    web: WebProcess


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hall]:
    workdir = tmp_path_factory.mktemp("console-browser-enrol")
    web_port = free_port()
    hub = HubProcess(workdir, hall_config(workdir, f"http://127.0.0.1:{web_port}"))
    console_token = hub.enroll("console-1", "admin")
    web_token = hub.enroll("web-1", "web")
    hub.enroll("kiosk-1", "kiosk")
    hub.add_officer("siti", "246813")
    hub.start()
    console = ConsoleProcess(workdir, hub.url, console_token, hub.clock)
    add_accounts(console, "tamu", "kepala")
    console.start()
    web = WebProcess(workdir, hub.url, web_token, hub.clock, port=web_port)
    web.start()
    yield Hall(hub, console, web)
    web.stop()
    console.stop()
    hub.stop()


def test_a_code_made_in_the_console_enrols_a_browser_that_signs_in(
        hall: Hall, browser: object, tmp_path: Path) -> None:
    admin = browser.new_context(viewport={"width": 1366, "height": 768})  # type: ignore[attr-defined]
    laptop = browser.new_context(viewport={"width": 1366, "height": 768})  # type: ignore[attr-defined]
    try:
        page = admin.new_page()
        open_signed_in(page, hall.console, "tamu", "/perangkat")
        page.fill("#browser-enrol input[name=browser_name]", "loket-2-web")
        page.select_option("#browser-enrol select[name=browser_counter]", "2")
        page.click("#browser-enrol button[type=submit]")
        code = page.locator("#browser-code").inner_text().strip()
        assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code), code
        url = page.locator(".browser-code code.url").inner_text().strip()
        assert url == f"{hall.web.url}/petugas?kode={code}"
        expect(page, ".browser-code img.qr").to_be_visible()
        assert page.evaluate(
            "(() => { const i = document.querySelector('.browser-code img.qr');"
            " return i.complete && i.naturalWidth > 0; })()")
        shot(page, tmp_path, "console-browser-code")
        # Audited, without the code; and shown once: the page again has none.
        assert ("station_code", "tamu", 1, "loket-2-web counter 2") in hall.console.audit_log()
        assert all(code not in str(row) for row in hall.console.audit_log())
        page.goto(hall.console.url + "/perangkat")
        assert code not in page.content()

        # The officer's laptop opens the QR's address: the code is filled in.
        tab = laptop.new_page()
        errors: list[str] = []
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.goto(url)
        playwright_sync.expect(tab.locator("#code")).to_have_value(code)
        tab.click("#enrol")
        playwright_sync.expect(tab.locator("#officer")).to_be_visible(timeout=WAIT_MS)
        tab.fill("#officer", "siti")
        tab.fill("#pin", "246813")
        tab.click("button[data-action=sign_in]")
        playwright_sync.expect(tab.locator("#message")).to_have_text(
            re.compile("Selamat bertugas"), timeout=WAIT_MS)
        assert errors == [], errors
        # The hub enrolled it as a counter station bound to counter 2; the console lists it.
        page.goto(hall.console.url + "/perangkat")
        expect(page, 'tr[data-station="loket-2-web"]').to_be_visible()
    finally:
        admin.close()
        laptop.close()


def test_bad_input_and_other_roles_are_refused(hall: Hall, browser: object) -> None:
    context = browser.new_context()  # type: ignore[attr-defined]
    try:
        page = context.new_page()
        open_signed_in(page, hall.console, "tamu", "/perangkat")
        # The name of a station of another role: refused, nothing made.
        page.fill("#browser-enrol input[name=browser_name]", "kiosk-1")
        page.click("#browser-enrol button[type=submit]")
        expect(page, "p.error").to_contain_text("bukan loket")
        assert page.locator("#browser-code").count() == 0
        assert ("station_code", "tamu", 0) in [r[:3] for r in hall.console.audit_log()]
        # Without the session's CSRF token: refused.
        reply = page.request.post(hall.console.url + "/perangkat/kode-browser",
                                  form={"browser_name": "loket-1-web", "browser_counter": "1"})
        assert reply.status == 403
    finally:
        context.close()
    # Another role, with its session's CSRF token: refused.
    context = browser.new_context()  # type: ignore[attr-defined]
    try:
        page = context.new_page()
        open_signed_in(page, hall.console, "kepala", "/aula")
        csrf = page.locator("form.out input[name=csrf]").get_attribute("value")
        reply = page.request.post(hall.console.url + "/perangkat/kode-browser",
                                  form={"csrf": csrf, "browser_name": "loket-1-web",
                                        "browser_counter": "1"})
        assert reply.status == 403
        assert not any(r[0] == "station_code" and "loket-1-web" in str(r[3])
                       for r in hall.console.audit_log())
    finally:
        context.close()
