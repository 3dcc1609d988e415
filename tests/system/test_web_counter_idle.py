"""The counter in a browser (/petugas) signs an idle officer out by itself, after the time
`antrean web --idle-minutes` sets (here 0.05 minutes, 3 s), never while a visitor's ticket is at
the counter, and shows the hall's open alerts
live: real hub and `antrean web` processes, Debian's chromium, a kiosk acting on the hub."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers.browser import CHROMIUM_MARKS, WAIT_MS, playwright_sync
from tests.helpers.web_counter import Counter, Hall, browser_counter_hall

pytestmark = CHROMIUM_MARKS
IDLE_MINUTES = "0.05"  # 3 s: long enough to sign in and look, short enough for the suite


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hall]:
    with browser_counter_hall(tmp_path_factory.mktemp("web-counter-idle"),
                              "--idle-minutes", IDLE_MINUTES) as h:
        yield h


def test_an_idle_officer_is_signed_out_by_itself(hall: Hall, browser: Any) -> None:
    c = Counter(browser, hall)
    try:
        c.enrol("loket-1-web", 1)
        c.sign_in("siti")
        c.text("#message", "Selamat bertugas, Siti")
        # Nothing pressed: the sign-in form comes back without a reload, saying why.
        c.expect("#officer").to_be_visible(timeout=WAIT_MS)
        c.text("#message", re.escape("Anda keluar otomatis: tidak ada aktivitas selama 3 detik."))
        # The sign-out was the hub's (the seat is free): the officer simply signs in again.
        c.sign_in("siti")
        c.text("#message", "Selamat bertugas, Siti")
    finally:
        c.close()


def test_an_officer_serving_a_visitor_is_not_signed_out(hall: Hall, browser: Any) -> None:
    # As the Qt counter (shared/counter_rules.idle_sign_out_due): a visitor at the counter
    # keeps the officer signed in however long the case takes; the idle time starts when the
    # visitor has left. (The hub refuses a sign-out with a ticket at the counter anyway.)
    serving, quiet = Counter(browser, hall), Counter(browser, hall)
    try:
        serving.enrol("loket-3-web", 3)
        serving.sign_in("budi")
        serving.text("#message", "Selamat bertugas, Budi")
        label = hall.issue("bpjs-daftar")
        serving.press("call_next")
        serving.text("#ticket-label", f"^{re.escape(label)}$")
        # Signed in after budi's last press: once ani is signed out, budi's idle time has
        # passed too, in the same look at the devices.
        quiet.enrol("loket-4-web", 4)
        quiet.sign_in("ani")
        quiet.text("#message", "Selamat bertugas, Ani")
        quiet.text("#message", "Anda keluar otomatis")
        log = hall.web.log_path.read_text()
        assert "signing loket-4-web out" in log and "signing loket-3-web out" not in log, log
        serving.text("#message", f"^Memanggil {re.escape(label)}")
        serving.press("start")
        serving.text("#message", f"Mulai melayani {re.escape(label)}")
        serving.press("finish")
        serving.expect("#officer").to_be_visible(timeout=WAIT_MS)
        serving.text("#message", re.escape("Anda keluar otomatis: tidak ada aktivitas selama "
                                           "3 detik."))
    finally:
        serving.close()
        quiet.close()


def test_an_open_alert_appears_live(hall: Hall, browser: Any) -> None:
    c = Counter(browser, hall)
    try:
        c.enrol("loket-2-web", 2)
        c.expect("#officer").to_be_visible(timeout=WAIT_MS)
        c.expect(".alert").to_have_count(0)
        alert = hall.kiosk.run(hall.kiosk.client.command(
            "alert", {"kind": "printer", "message": "Kertas printer habis"}))
        assert alert.ok, alert.refusal
        playwright_sync.expect(c.page.locator(".alert")).to_contain_text(
            "Kertas printer habis", timeout=WAIT_MS)
    finally:
        c.close()
