"""The console's pages for the hub's own records in a real browser (Debian's chromium driven by
Playwright), against a real hub process and a real `antrean console` process: the live hall's
station list (seq, version, clock offset) and resolved alerts with who resolved them, the
stations' page (enrol with the token shown once, rename, revoke with the live connection
closed), the officers' page (add, then sign in at a counter; disable; reset PIN), the
coordinator refused, a form without its CSRF token refused.

Screenshots: console-stations.png and console-officers.png at 1920×1080 into a temporary
folder; with ANTREAN_WEB_SCREENSHOTS=docs/screenshots they are written there."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shared.hub.auth import AuthStore
from tests.helpers.browser import CHROMIUM_MARKS, WAIT_MS, expect, playwright_sync, shot
from tests.helpers.console_hall import ConsoleHall as Hall
from tests.helpers.console_hall import open_signed_in, start_console_hall
from tests.helpers.hub_process import HubProcess
from tests.helpers.web_station import ActingStation

pytestmark = CHROMIUM_MARKS


def enrol_a_board_and_name_siti(hub: HubProcess) -> None:
    hub.enroll("board-1", "display")  # enrolled, never connected
    store = AuthStore(hub.workdir / "hub-auth.db")
    try:
        store.edit_officer("siti", "Siti Rahmawati", None)  # a full name, not the id's
    finally:
        store.close()


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hall]:
    h = start_console_hall(tmp_path_factory.mktemp("console-records"), {1: ("siti", "2468")},
                           prepare=enrol_a_board_and_name_siti)
    yield h
    h.stop()


def until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)  # polling another process's state; bounded by the deadline


def auth_stations(hall: Hall) -> set[str]:
    return {s.name for s in hall.hub.stations()}


# --- the live hall ------------------------------------------------------------------------------


def test_the_live_hall_lists_stations_with_their_seq(hall: Hall, page: object) -> None:
    for _ in range(2):
        hall.kiosk.command("issue_ticket", service="ktp-baru")
    hall.synced()
    last = int(hall.hub.health()["last_seq"])  # type: ignore[call-overload]
    open_signed_in(page, hall.console, "kepala")
    kiosk = 'tr[data-station="kiosk-1"]'
    expect(page, f"{kiosk} td.seen").to_have_text("terhubung", timeout=WAIT_MS)  # type: ignore[attr-defined]
    expect(page, f"{kiosk} td.seq").to_have_text(str(last), timeout=WAIT_MS)  # type: ignore[attr-defined]
    # Its clock is this machine's, the hub's a simulated morning: an offset in minutes, marked.
    expect(page, f"{kiosk} td.offset").to_have_text(re.compile(r"^[+−]\d+ mnt$"))  # type: ignore[attr-defined]
    expect(page, 'tr[data-station="board-1"] td.seen').to_have_text("—")  # type: ignore[attr-defined]
    expect(page, 'tr[data-station="loket-1"]').to_contain_text("Siti")  # type: ignore[attr-defined]
    # Live: a new ticket moves the kiosk's seq without a reload.
    page.evaluate("window.__same_page = 1")  # type: ignore[attr-defined]
    hall.kiosk.command("issue_ticket", service="kk")
    expect(page, f"{kiosk} td.seq").to_have_text(str(last + 1), timeout=WAIT_MS)  # type: ignore[attr-defined]
    assert page.evaluate("window.__same_page") == 1  # type: ignore[attr-defined]


def test_a_coordinator_sees_only_their_agencys_counter_stations(hall: Hall, page: object
                                                               ) -> None:
    open_signed_in(page, hall.console, "ani")
    expect(page, 'tr[data-station="loket-1"]').to_be_visible(timeout=WAIT_MS)  # type: ignore[attr-defined]
    html = page.content()  # type: ignore[attr-defined]
    for other in ('data-station="kiosk-1"', 'data-station="board-1"',
                  'data-station="console-1"'):
        assert other not in html, other
    assert "/perangkat" not in html and "/petugas" not in html  # no management links


def test_resolving_an_alert_shows_who(hall: Hall, page: object) -> None:
    alert(hall, kind="printer", message="Kertas printer habis")
    open_signed_in(page, hall.console, "kepala")
    item = 'li[data-alert="kiosk-1:printer"]'
    expect(page, item).to_contain_text("Kertas printer habis", timeout=WAIT_MS)  # type: ignore[attr-defined]
    page.click(f"{item} form.resolve button")  # type: ignore[attr-defined]
    expect(page, item).to_have_count(0, timeout=WAIT_MS)  # type: ignore[attr-defined]
    resolved = 'ul.resolved li[data-resolved="kiosk-1:printer"]'
    expect(page, resolved).to_contain_text("oleh Kepala DPMPTSP")  # type: ignore[attr-defined]
    # The kiosk's own "printer OK" shows the station as who resolved it.
    alert(hall, kind="paper", message="Kertas hampir habis")
    expect(page, 'li[data-alert="kiosk-1:paper"]').to_be_visible(timeout=WAIT_MS)  # type: ignore[attr-defined]
    alert(hall, kind="paper", message="Kertas diisi", state="resolved")
    expect(page, 'ul.resolved li[data-resolved="kiosk-1:paper"]').to_contain_text(  # type: ignore[attr-defined]
        "oleh kiosk-1", timeout=WAIT_MS)
    log = "\n".join(str(r) for r in hall.console.audit_log())
    assert "alert_resolve" in log and "kiosk-1:printer" in log


def alert(hall: Hall, **args: str) -> None:
    # `kind` is an argument of the alert, not the command's kind: no keyword helper here.
    result = hall.kiosk.run(hall.kiosk.client.command("alert", args))
    assert result.ok, result.refusal


# --- stations -----------------------------------------------------------------------------------


def test_enrol_shows_the_token_once_and_a_station_connects_with_it(
        hall: Hall, page: object, tmp_path: Path) -> None:
    open_signed_in(page, hall.console, "tamu", "/perangkat")
    page.fill(".enrol input[name=name]", "kiosk-2")  # type: ignore[attr-defined]
    page.select_option(".enrol select[name=role]", "kiosk")  # type: ignore[attr-defined]
    page.click(".enrol button[type=submit]")  # type: ignore[attr-defined]
    env = page.locator(".enrolled pre.env").inner_text()  # type: ignore[attr-defined]
    token = re.search(r"ANTREAN_TOKEN=(\S+)", env)
    assert token, env
    assert f"ANTREAN_HUB={hall.hub.url.removesuffix('/ws')}" in env
    expect(page, ".enrolled img.qr").to_be_visible()  # type: ignore[attr-defined]
    assert page.evaluate(  # type: ignore[attr-defined]
        "(() => { const i = document.querySelector('.enrolled img.qr');"
        " return i.complete && i.naturalWidth > 0; })()")
    expect(page, 'tr[data-station="kiosk-2"]').to_be_visible()  # type: ignore[attr-defined]
    station = ActingStation(hall.hub.url, token.group(1))  # it connects with that token
    try:
        assert station.client.welcome is not None
        assert station.client.welcome.station == "kiosk-2"
        assert station.command("issue_ticket", service="ktp-baru").ok
        # Shown once: the page again has no token, and the audit log never had it.
        page.goto(hall.console.url + "/perangkat")  # type: ignore[attr-defined]
        expect(page, 'tr[data-station="kiosk-2"] td.seen').to_have_text(  # type: ignore[attr-defined]
            "terhubung", timeout=WAIT_MS)
        assert token.group(1) not in page.content()  # type: ignore[attr-defined]
        assert all(token.group(1) not in str(r) for r in hall.console.audit_log())
        shot(page, tmp_path, "console-stations")
    finally:
        station.close()


def test_revoke_closes_the_stations_live_connection(hall: Hall, page: object) -> None:
    token = hall.hub.enroll("kiosk-3", "kiosk")
    station = ActingStation(hall.hub.url, token)
    try:
        assert station.client.connected.is_set()
        open_signed_in(page, hall.console, "tamu", "/perangkat")
        row = 'tr[data-station="kiosk-3"]'
        expect(page, f"{row} td.seen").to_have_text("terhubung", timeout=WAIT_MS)  # type: ignore[attr-defined]
        page.click(f"{row} form.revoke button")  # type: ignore[attr-defined]
        expect(page, ".done").to_contain_text("kiosk-3 dicabut")  # type: ignore[attr-defined]
        expect(page, row).to_have_count(0)  # type: ignore[attr-defined]
        until(lambda: station.client.refused is not None, "the station is told it was revoked")
        assert "revoked" in (station.client.refused or "")
        assert not station.client.connected.is_set()
        assert "kiosk-3" not in auth_stations(hall)
    finally:
        station.close()


def test_rename_a_station(hall: Hall, page: object) -> None:
    hall.hub.enroll("board-9", "display")
    open_signed_in(page, hall.console, "tamu", "/perangkat?lang=en")
    row = 'tr[data-station="board-9"]'
    expect(page, row).to_be_visible(timeout=WAIT_MS)  # type: ignore[attr-defined]
    page.fill(f"{row} input[name=new_name]", "board-lobby")  # type: ignore[attr-defined]
    page.click(f"{row} form.rename button")  # type: ignore[attr-defined]
    expect(page, ".done").to_have_text("Station renamed to board-lobby.")  # type: ignore[attr-defined]
    assert {"board-lobby"} <= auth_stations(hall) and "board-9" not in auth_stations(hall)


# --- officers -----------------------------------------------------------------------------------


def test_an_officer_added_in_the_console_signs_in_at_a_counter(
        hall: Hall, page: object, tmp_path: Path) -> None:
    open_signed_in(page, hall.console, "tamu", "/petugas")
    form = ".add-officer"
    page.fill(f"{form} input[name=officer]", "rina")  # type: ignore[attr-defined]
    page.fill(f"{form} input[name=name]", "Rina Wulandari")  # type: ignore[attr-defined]
    page.select_option(f"{form} select[name=agency]", "DUKCAPIL")  # type: ignore[attr-defined]
    page.fill(f"{form} input[name=pin]", "12")  # type: ignore[attr-defined]  # too short
    page.click(f"{form} button[type=submit]")  # type: ignore[attr-defined]
    expect(page, ".error").to_contain_text("PIN terdiri dari 4–12 angka")  # type: ignore[attr-defined]
    page.fill(f"{form} input[name=pin]", "864209")  # type: ignore[attr-defined]
    page.click(f"{form} button[type=submit]")  # type: ignore[attr-defined]
    expect(page, ".done").to_contain_text("Petugas rina ditambahkan")  # type: ignore[attr-defined]
    row = 'tr[data-officer="rina"]'
    expect(page, f"{row} input[name=name]").to_have_value("Rina Wulandari")  # type: ignore[attr-defined]

    token = hall.hub.enroll("loket-4", "counter", 4)
    counter = ActingStation(hall.hub.url, token)
    try:
        counter.sign_in("rina", "864209", 4)
        page.goto(hall.console.url + "/petugas")  # type: ignore[attr-defined]
        expect(page, f"{row} td.where").to_contain_text("(loket-4)", timeout=WAIT_MS)  # type: ignore[attr-defined]
        shot(page, tmp_path, "console-officers")
        # The live hall greets her by her full name, from the hub.
        page.goto(hall.console.url + "/aula")  # type: ignore[attr-defined]
        expect(page, 'tr[data-counter="4"]').to_contain_text(  # type: ignore[attr-defined]
            "Rina Wulandari", timeout=WAIT_MS)
        # Disabled: signed out at once.
        page.goto(hall.console.url + "/petugas")  # type: ignore[attr-defined]
        page.click(f"{row} form.toggle button")  # type: ignore[attr-defined]
        expect(page, ".done").to_contain_text("dinonaktifkan")  # type: ignore[attr-defined]
        until(lambda: counter.client.officer is None, "the counter's officer is signed out")
        # A new PIN from the console: the old one no longer signs in.
        page.click(f"{row} form.toggle button")  # type: ignore[attr-defined]
        expect(page, ".done").to_contain_text("diaktifkan kembali")  # type: ignore[attr-defined]
        page.fill(f"{row} form.pin input[name=pin]", "975310")  # type: ignore[attr-defined]
        page.click(f"{row} form.pin button")  # type: ignore[attr-defined]
        expect(page, ".done").to_contain_text("PIN sementara")  # type: ignore[attr-defined]
        old = counter.run(counter.client.sign_in("rina", "864209", 4))
        assert not old.ok and old.refusal and old.refusal.code == "bad_pin"
        counter.sign_in("rina", "975310", 4)
        # No PIN typed: the hub makes a temporary one, shown once, which asks for a change.
        page.click(f"{row} form.pin button")  # type: ignore[attr-defined]
        expect(page, ".temporary-pin strong").to_have_text(  # type: ignore[attr-defined]
            re.compile(r"^[0-9]{6}$"))
        temporary = page.locator(".temporary-pin strong").inner_text()  # type: ignore[attr-defined]
        counter.run(counter.client.command("sign_out", {"counter": 4}))
        signed = counter.run(counter.client.sign_in("rina", temporary, 4))
        assert signed.ok and signed.value["pin_change_required"] is True
        page.goto(hall.console.url + "/petugas")  # type: ignore[attr-defined]
        expect(page, ".temporary-pin").to_have_count(0)  # type: ignore[attr-defined]
    finally:
        counter.close()
    actions = [r[0] for r in hall.console.audit_log()]
    assert {"officer_add", "officer_disable", "officer_enable", "officer_reset_pin"} <= set(
        actions)
    assert all("864209" not in str(r) and "975310" not in str(r) for r in hall.console.audit_log())
    assert all(temporary not in str(r) for r in hall.console.audit_log())


# --- who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["ani", "kepala"])
def test_only_admins_reach_the_management_pages(hall: Hall, page: object, who: str) -> None:
    open_signed_in(page, hall.console, who)
    for path in ("/perangkat", "/petugas"):
        reply = page.goto(hall.console.url + path)  # type: ignore[attr-defined]
        assert reply is not None and reply.status == 403
        expect(page, "h1").to_have_text("Permintaan ditolak")  # type: ignore[attr-defined]
    # A forged form post is refused the same way (with the right CSRF token of the session).
    page.goto(hall.console.url + "/aula")  # type: ignore[attr-defined]
    csrf = page.locator("form.out input[name=csrf]").get_attribute("value")  # type: ignore[attr-defined]
    reply = page.request.post(hall.console.url + "/perangkat/daftar",  # type: ignore[attr-defined]
                              form={"csrf": csrf, "name": "evil", "role": "admin"})
    assert reply.status == 403
    assert "evil" not in auth_stations(hall)


def test_a_management_form_without_its_csrf_token_is_refused(hall: Hall, page: object) -> None:
    open_signed_in(page, hall.console, "tamu", "/perangkat")
    page.fill(".enrol input[name=name]", "kiosk-csrf")  # type: ignore[attr-defined]
    page.evaluate("document.querySelector('.enrol input[name=csrf]').remove()")  # type: ignore[attr-defined]
    page.click(".enrol button[type=submit]")  # type: ignore[attr-defined]
    expect(page, "h1").to_have_text("Permintaan ditolak")  # type: ignore[attr-defined]
    assert "kiosk-csrf" not in auth_stations(hall)


# --- reports by officer -------------------------------------------------------------------------


def test_a_report_by_officer_shows_the_officers_full_name(hall: Hall, page: object) -> None:
    assert hall.kiosk.command("issue_ticket", service="ktp-ganti").ok
    assert hall.counters[1].command("call_next", counter=1).ok
    assert hall.counters[1].command("finish", counter=1).ok
    hall.synced()
    open_signed_in(page, hall.console, "kepala", "/laporan?periode=bulan&kelompok=petugas")
    # The ledger holds the id; the name is the hub's, which the console asked for.
    row = page.locator("[data-table=figures] tbody tr", has_text="siti")  # type: ignore[attr-defined]
    playwright_sync.expect(row).to_contain_text("Siti Rahmawati")
    with page.expect_download() as info:  # type: ignore[attr-defined]
        page.click(".downloads a[data-format=csv]")  # type: ignore[attr-defined]
    csv = Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert re.search(r"^siti[;,]Siti Rahmawati[;,]", csv, re.M), csv
