"""The counter in a browser (/petugas, web/petugas.py) in Debian's chromium driven by Playwright,
against a real hub process and a real `antrean web` process on 127.0.0.1: enrolled with a real
one-time code, signed in with a PIN the hub checks, every press a real command at the hub.

Screenshots go to a temporary folder; with ANTREAN_WEB_SCREENSHOTS=docs/screenshots they are
written there (docs/screenshots/web-counter-1366x768.png and web-counter-panel.png)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.browser import CHROMIUM_MARKS, WAIT_MS, playwright_sync, shot
from tests.helpers.web_counter import PINS, Counter, Hall, browser_counter_hall

pytestmark = CHROMIUM_MARKS
@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hall]:
    with browser_counter_hall(tmp_path_factory.mktemp("web-counter")) as h:
        yield h


# --- the tests ----------------------------------------------------------------------------------


def test_enrol_sign_in_and_serve_a_visitor(hall: Hall, browser: Any, tmp_path: Path) -> None:
    with Counter(browser, hall) as c:
        c.enrol("loket-1-web", 1)
        c.sign_in("siti")
        c.text("#message", "Selamat bertugas, Siti")
        first = hall.issue("ktp-baru")
        second = hall.issue("ktp-ganti", priority="lansia")
        hall.issue("kk")
        c.text("#waiting", "^[1-9]")
        c.press("call_next")
        c.text("#ticket-label", f"^({first}|{second})$")
        called = c.page.locator("#ticket-label").inner_text()
        if called != second:  # the priority ticket first or second, as the queue's policy says
            c.press("finish")
            c.text("#message", "selesai dilayani")
            c.press("call_next")
            c.text("#ticket-label", f"^{second}$")
        c.press("recall")
        c.text("#message", f"Memanggil ulang {second}")
        # The priority check: the ticket claims lansia; the officer confirms it.
        c.page.click("button[data-action=check_priority][data-valid='1']")
        c.text("#message", f"Prioritas {second} dicatat sesuai")
        c.press("start")
        c.text("#timers", "^Dilayani")
        shot(c.page, tmp_path, "web-counter-1366x768")
        # Transfer, with the target's waiting count in the list.
        playwright_sync.expect(c.page.locator("#service option").first).to_contain_text(
            "menunggu", timeout=WAIT_MS)
        c.page.select_option("#service", "kk")
        c.press("transfer")
        c.text("#message", f"{second} dialihkan ke Dukcapil · ")
        c.text("#ticket-label", "^—$")
        c.text("#served", "^[0-9]+$")
        c.sign_out()


def test_the_running_timer_moves_without_redrawing_the_buttons(hall: Hall, browser: Any
                                                                ) -> None:
    """The live stream sends only the clock when only the clock moved: a button swapped
    under the officer's finger every second would swallow a click pressed across the swap."""
    with Counter(browser, hall) as c:
        c.enrol("loket-2-timer", 2)
        c.sign_in("ani")
        c.text("#message", "Selamat bertugas, Ani")
        hall.issue("ktp-baru")
        c.press("call_next")
        c.text("#ticket-label", "^[A-Z]+-[0-9]{3}$")  # this one, or one an earlier test left
        c.ready("start")
        c.page.evaluate("document.querySelector('button[data-action=start]').__same = 1")
        shown = c.page.locator("#timer").inner_text()
        c.expect("#timer").not_to_have_text(shown, timeout=WAIT_MS)
        c.expect("#timer").not_to_have_text(c.page.locator("#timer").inner_text(),
                                            timeout=WAIT_MS)
        assert c.page.evaluate(
            "document.querySelector('button[data-action=start]').__same") == 1
        # A real change still redraws the part: the start is pressed and shown.
        c.press("start")
        c.text("#timers", "^Dilayani")
        c.sign_out()


def test_the_side_panel(hall: Hall, browser: Any, tmp_path: Path) -> None:
    with Counter(browser, hall, 420, 768) as c:
        c.enrol("loket-2-web", 2)
        c.sign_in("budi")
        c.text("#message", "Selamat bertugas")
        hall.issue("ktp-baru")
        c.press("call_next")
        c.text("#ticket-label", "^KTP")
        shot(c.page, tmp_path, "web-counter-panel")
        c.sign_out()


def test_two_browsers_calling_at_the_same_instant_get_two_tickets(hall: Hall, browser: Any
                                                                   ) -> None:
    with Counter(browser, hall) as a, Counter(browser, hall) as b:
        a.enrol("loket-1-dua", 1)
        b.enrol("loket-2-dua", 2)
        a.sign_in("siti")
        b.sign_in("ani")
        for c in (a, b):
            c.text("#message", "Selamat bertugas")
            if c.page.locator("button[data-action=finish]").is_enabled():
                c.press("finish")
                c.text("#ticket-label", "^—$")
        hall.issue("ktp-ganti")
        hall.issue("ktp-ganti")
        a.ready("call_next")
        b.ready("call_next")
        # Both clicks go out before either page has its answer: the two presses are at the
        # hub together (Playwright's sync API drives one browser from one thread).
        for c in (a, b):
            c.page.evaluate("""() => { window.__go = () => document.querySelector(
                'button[data-action=call_next]').click(); }""")
        a.page.evaluate("window.__go()")
        b.page.evaluate("window.__go()")
        a.text("#ticket-label", "^KTP")
        b.text("#ticket-label", "^KTP")
        assert a.page.locator("#ticket-label").inner_text() != \
            b.page.locator("#ticket-label").inner_text()
        a.sign_out()
        b.sign_out()


def test_keys_call_once_per_press(hall: Hall, browser: Any) -> None:
    with Counter(browser, hall) as c:
        c.enrol("loket-3-web", 3)
        c.sign_in("budi")
        c.text("#message", "Selamat bertugas")
        labels = [hall.issue("bpjs-daftar") for _ in range(4)]
        before = hall.hub.health()["last_seq"]
        c.ready("call_next")
        c.page.keyboard.press("F1")
        c.text("#ticket-label", f"^{labels[0]}$")
        c.press("finish")
        c.text("#ticket-label", "^—$")
        c.ready("call_next")
        c.page.keyboard.press("NumpadEnter")
        c.text("#ticket-label", f"^{labels[1]}$")
        c.press("finish")
        c.text("#ticket-label", "^—$")
        c.ready("call_next")
        # A held Enter: one keydown, then the browser's repeats (event.repeat): one call.
        c.page.evaluate("""() => {
            for (let i = 0; i < 5; i++) {
                document.dispatchEvent(new KeyboardEvent('keydown',
                    {key: 'Enter', code: 'Enter', repeat: i > 0, bubbles: true}));
            }
        }""")
        c.text("#ticket-label", f"^{labels[2]}$")
        c.text("#message", f"Memanggil {labels[2]}")
        assert labels[3] in c.page.locator("#line").inner_text()  # still waiting
        assert int(str(hall.hub.health()["last_seq"])) > int(str(before))
        c.sign_out()


def test_a_wrong_pin_is_refused_and_throttled_by_the_hub(hall: Hall, browser: Any) -> None:
    with Counter(browser, hall) as c:
        c.enrol("loket-4-web", 4)
        for _ in range(5):
            c.sign_in("ani", "000000")
            c.text("#message", "PIN|percobaan")
        c.sign_in("ani")  # the right PIN, but the id is locked at this station now
        c.text("#message", "Terlalu banyak percobaan PIN")
        c.expect("#officer").to_be_visible()


def test_a_post_without_the_pages_token_is_refused(hall: Hall, browser: Any) -> None:
    with Counter(browser, hall) as c:
        c.enrol("loket-4-csrf", 4)
        status = c.page.evaluate("""async () => {
            const body = new FormData(); body.set('action', 'call_next'); body.set('cid', 'x1');
            body.set('csrf', 'forged');
            const r = await fetch('/petugas/aksi', {method: 'POST', body: body});
            return r.status; }""")
        assert status == 403
        # A cross-site form: another origin, and without the Strict cookies.
        other = c.page.request.post(hall.web.url + "/petugas/aksi",
                                    form={"action": "call_next", "csrf": "x"},
                                    headers={"Origin": "http://evil.example"})
        assert other.status == 403


def test_a_revoked_browser_is_refused_at_once(hall: Hall, browser: Any) -> None:
    with Counter(browser, hall) as c:
        c.enrol("loket-5-web", 4)
        c.expect("#officer").to_be_visible()
        subprocess.run([sys.executable, "-m", "antrean", "hub", "--ledger",
                        str(hall.hub.ledger), "stations", "revoke", "loket-5-web"],
                       check=True, capture_output=True, timeout=30)
        c.text("#revoked", "dicabut")  # live, without a reload
        c.page.reload()
        c.text("#revoked", "dicabut")


def test_a_resubmitted_press_calls_once_and_no_show_comes_back(hall: Hall, browser: Any
                                                                ) -> None:
    """The same form sent twice (a double click without the script, a resent POST) carries one
    command id: the hub answers the same ticket. Then no-show, return it, pause and open."""
    with Counter(browser, hall) as c:
        c.enrol("loket-3-again", 3)
        c.sign_in("budi")
        c.text("#message", "Selamat bertugas")
        first, second = hall.issue("bpjs-daftar"), hall.issue("bpjs-daftar")
        c.ready("call_next")
        answers = c.page.evaluate("""async () => {
            const form = document.querySelector('form[data-press]');
            const send = () => { const body = new FormData(form);
                body.set('action', 'call_next'); body.set('cid', 'same-press-1');
                return fetch('/petugas/aksi', {method: 'POST', body: body,
                    headers: {'Accept': 'application/json'}}).then(r => r.json()); };
            const a = await send(); const b = await send();
            return [a.message, b.message]; }""")
        assert answers[0] == answers[1] and answers[0].startswith("Memanggil "), answers
        called = answers[0].removeprefix("Memanggil ").rstrip(".")
        c.text("#ticket-label", f"^{called}$")
        other = second if called == first else first
        c.text("#line", other)  # the other one still waits: one call, not two
        c.press("no_show")
        c.text("#message", f"{called} dicatat tidak hadir")
        c.page.click("form.noshow button[data-action=return_no_show]")
        c.text("#message", "dikembalikan ke antrean")
        c.press("pause_counter")
        c.text("#status-chip", "^Istirahat$")
        c.press("open_counter")
        c.text("#status-chip", "^Buka$")
        c.sign_out()


def test_a_qt_counter_and_a_browser_counter_side_by_side(hall: Hall, browser: Any,
                                                          qtbot: Any, tmp_path: Path) -> None:
    """Counter 1 is a Qt counter (CounterCore over a real HubLink), counter 2 a browser: they
    share the KTP line, and each sees what the other did."""
    from counter_client.core import CounterCore
    from shared.clock import ManualClock
    from shared.config import load_config
    from shared.station.hub_link import HubLink
    from shared.station.replica import Replica

    config = load_config(hall.hub.config)
    clock = ManualClock(dt.datetime.fromisoformat(hall.hub.clock))
    token = hall.hub.enroll("loket-1-qt", "counter", 1)
    link = HubLink(config, hall.hub.url, token, Replica(tmp_path / "qt.db"), "loket-1-qt", clock)
    core = CounterCore(link, 1)
    c = Counter(browser, hall)
    try:
        qtbot.waitUntil(link.is_online, timeout=WAIT_MS)
        c.enrol("loket-2-side", 2)
        c.sign_in("budi")
        c.text("#message", "Selamat bertugas")
        core.sign_in("siti", PINS["siti"])
        qtbot.waitUntil(lambda: core.state.signed_in, timeout=WAIT_MS)
        first, second = hall.issue("ktp-ganti"), hall.issue("ktp-ganti")
        qtbot.waitUntil(lambda: c_calls(core), timeout=WAIT_MS)
        core.call_next()
        qtbot.waitUntil(lambda: core.state.current is not None, timeout=WAIT_MS)
        qt_label = core.state.current.ticket.label  # type: ignore[union-attr]
        c.press("call_next")
        c.text("#ticket-label", "^KTP")
        web_label = c.page.locator("#ticket-label").inner_text()
        # Two tickets, and each screen knows the other's is gone from the line.
        assert qt_label != web_label
        assert qt_label not in c.page.locator("#line").inner_text()
        qtbot.waitUntil(lambda: web_label not in [t.label for t in core.state.line],
                        timeout=WAIT_MS)
        del first, second
        c.press("finish")
        c.text("#ticket-label", "^—$")
        qtbot.waitUntil(lambda: "finish" in core.state.enabled, timeout=WAIT_MS)
        core.finish()
        qtbot.waitUntil(lambda: core.state.current is None, timeout=WAIT_MS)
        core.sign_out()
        qtbot.waitUntil(lambda: not core.state.signed_in, timeout=WAIT_MS)
        c.sign_out()
    finally:
        core.stop()
        link.close()
        c.close()


def c_calls(core: Any) -> bool:
    return "call_next" in core.state.enabled and core.state.waiting >= 2


def test_a_temporary_pin_is_replaced_on_the_sign_in_page(hall: Hall, browser: Any,
                                                          tmp_path: Path) -> None:
    """IT reset dewi's PIN: the page asks for her own twice, says a mismatch, then calls."""
    from shared.hub.auth import AuthStore

    store = AuthStore(hall.hub.ledger.with_name("hub-auth.db"))
    try:
        store.add_officer("dewi", "Dewi Lestari", "111111")
        store.reset_pin("dewi", "424242", change_required=True)
    finally:
        store.close()
    with Counter(browser, hall) as c:
        c.enrol("loket-2-pin", 2)
        c.sign_in("dewi", "424242")
        c.expect("#new_pin").to_be_visible(timeout=WAIT_MS)
        c.text("#message", "PIN sementara")
        c.expect("button[data-action=call_next]").to_have_count(0)
        c.page.fill("#new_pin", "135790")
        c.page.fill("#again_pin", "135791")
        c.page.click("button[data-action=change_pin]")
        c.text("#message", "tidak sama")
        c.page.fill("#new_pin", "12")
        c.page.fill("#again_pin", "12")
        c.page.click("button[data-action=change_pin]")
        c.text("#message", "4–12 angka")
        shot(c.page, tmp_path, "web-counter-pin-change")
        c.page.fill("#new_pin", "135790")
        c.page.fill("#again_pin", "135790")
        c.page.click("button[data-action=change_pin]")
        c.text("#message", "PIN baru disimpan. Selamat bertugas, Dewi Lestari")
        hall.issue("ktp-baru")  # at least one waits (earlier tests of the module left some)
        c.press("call_next")
        c.text("#ticket-label", r"^[A-Z]+-\d{3}$")
        c.press("finish")
        c.text("#ticket-label", "^—$")
        c.sign_out()
    store = AuthStore(hall.hub.ledger.with_name("hub-auth.db"))
    try:
        assert not store.pin_change_required("dewi")
        assert store.check_pin("dewi", "135790", "elsewhere") == "ok"
    finally:
        store.close()


def test_offline_and_back_by_itself(hall: Hall, browser: Any) -> None:
    """The hub stops, then the web station: the page says so each time and presses nothing;
    both come back and the page recovers without a reload. (Last: it restarts both.)"""
    with Counter(browser, hall) as c:
        c.enrol("loket-4-offline", 4)
        c.sign_in("ani")
        c.text("#message", "Selamat bertugas")
        c.ready("call_next")
        c.page.evaluate("window.__same_page = 1")
        hall.hub.stop()
        c.text("#offline", "Tidak terhubung ke server antrean")
        c.expect("button[data-action=call_next]").to_be_disabled()
        hall.hub.start()
        c.ready("call_next")
        c.expect("#offline").to_have_count(0)
        hall.web.stop()
        c.expect("#unreachable").to_be_visible(timeout=WAIT_MS)
        c.expect("button[data-action=call_next]").to_be_disabled()
        hall.web.start()
        c.expect("#unreachable").to_be_hidden(timeout=WAIT_MS)
        c.ready("call_next")  # a new hub connection for the browser; the hub kept ani seated
        assert c.page.evaluate("window.__same_page") == 1
        c.sign_out()
