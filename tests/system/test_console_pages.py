"""The console in a real browser: Debian's chromium driven by Playwright, against a real hub
process and a real `antrean console` process (its accounts made by the real `antrean console
user add`) on 127.0.0.1. A counter's real command moves the live hall; nothing is reloaded.

Screenshot: the live hall at 1920×1080 into a temporary folder; with
ANTREAN_WEB_SCREENSHOTS=docs/screenshots it is written there (the docs' picture)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.browser import CHROMIUM_MARKS, WAIT_MS, expect, playwright_sync, shot
from tests.helpers.console_hall import PASSWORD, sign_in, start_console_hall
from tests.helpers.console_hall import ConsoleHall as Hall

pytestmark = CHROMIUM_MARKS


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hall]:
    h = start_console_hall(tmp_path_factory.mktemp("console-hall"),
                           {1: ("siti", "2468"), 3: ("budi", "1357")})
    yield h
    h.stop()


# --- the tests ----------------------------------------------------------------------------------


def test_sign_in_and_the_live_hall_moves_when_a_counter_calls(hall: Hall, page: object,
                                                              tmp_path: Path) -> None:
    for service in ("ktp-baru", "ktp-baru", "kk", "bpjs-daftar", "bpjs-daftar"):
        hall.issue(service)
    hall.synced()
    sign_in(page, hall.console, "kepala")
    expect(page, "header .who").to_contain_text("Kepala DPMPTSP")  # type: ignore[attr-defined]
    assert page.url.endswith("/aula")  # type: ignore[attr-defined]
    cookie = next(c for c in page.context.cookies()  # type: ignore[attr-defined]
                  if c["name"] == "antrean_console")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"
    row = 'tr[data-service="ktp-baru"] td.big'
    expect(page, row).to_have_text("2", timeout=WAIT_MS)  # type: ignore[attr-defined]
    page.evaluate("window.__same_page = 1")  # type: ignore[attr-defined]  # gone on a reload

    label = hall.call_next(1)
    expect(page, 'tr[data-counter="1"] td.ticket').to_contain_text(  # type: ignore[attr-defined]
        label, timeout=WAIT_MS)
    expect(page, row).to_have_text("1", timeout=WAIT_MS)  # type: ignore[attr-defined]
    expect(page, 'tr[data-counter="1"] td.num').to_have_text(  # type: ignore[attr-defined]
        "1", timeout=WAIT_MS)
    assert page.evaluate("window.__same_page") == 1  # type: ignore[attr-defined]

    hall.counters[1].command("start", counter=1)
    hall.call_next(3)
    alert = hall.kiosk.run(hall.kiosk.client.command(
        "alert", {"kind": "printer", "message": "Kertas printer habis"}))
    assert alert.ok, alert.refusal
    expect(page, ".alerts").to_contain_text("Kertas printer habis",  # type: ignore[attr-defined]
                                            timeout=WAIT_MS)
    expect(page, 'tr[data-counter="3"] td.ticket').to_contain_text(  # type: ignore[attr-defined]
        "B-", timeout=WAIT_MS)
    shot(page, tmp_path, "console-live-1920x1080")


def test_a_coordinator_sees_only_their_agency(hall: Hall, page: object) -> None:
    hall.issue("pajak-kendaraan")
    hall.issue("bpjs-daftar")  # for counter 3's call below, whichever test ran before this one
    hall.synced()
    sign_in(page, hall.console, "ani")
    expect(page, 'tr[data-service="ktp-baru"]').to_be_visible()  # type: ignore[attr-defined]
    html = page.content()  # type: ignore[attr-defined]
    for other in ('data-service="bpjs-daftar"', 'data-service="pajak-kendaraan"',
                  'data-counter="3"', 'data-counter="4"', "Kertas printer habis"):
        assert other not in html, other
    # After a call at another agency's counter the stream still carries none of it.
    hall.call_next(3)
    hall.synced()
    label = hall.issue("ktp-ganti")
    assert label
    expect(page, 'tr[data-service="ktp-ganti"] td.big').to_have_text(  # type: ignore[attr-defined]
        "1", timeout=WAIT_MS)
    assert 'data-counter="3"' not in page.content()  # type: ignore[attr-defined]


def test_wrong_passwords_are_throttled(hall: Hall, page: object) -> None:
    for _ in range(5):
        sign_in(page, hall.console, "tamu", "salah-salah-salah")
        expect(page, ".error").to_have_text(  # type: ignore[attr-defined]
            "Nama pengguna atau kata sandi salah.")
    sign_in(page, hall.console, "tamu")  # the right password, too late
    expect(page, ".error").to_contain_text(  # type: ignore[attr-defined]
        re.compile(r"Terlalu banyak percobaan gagal\. Coba lagi dalam \d+ menit\."))
    assert page.url.endswith("/masuk")  # type: ignore[attr-defined]


def test_a_form_without_its_csrf_token_is_refused(hall: Hall, page: object) -> None:
    page.goto(hall.console.url + "/masuk?lang=en")  # type: ignore[attr-defined]
    page.fill("input[name=username]", "kepala")  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    page.evaluate("document.querySelector('input[name=csrf]').remove()")  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    expect(page, "h1").to_have_text("Request refused")  # type: ignore[attr-defined]
    assert not [c for c in page.context.cookies()  # type: ignore[attr-defined]
                if c["name"] == "antrean_console"]
    # Signed in, the sign-out form without its token leaves the session alone.
    sign_in(page, hall.console, "kepala")
    expect(page, "header .who").to_be_visible()  # type: ignore[attr-defined]
    page.evaluate("document.querySelector('form.out input[name=csrf]').remove()")  # type: ignore[attr-defined]
    page.click("form.out button")  # type: ignore[attr-defined]
    expect(page, "h1").to_have_text("Permintaan ditolak")  # type: ignore[attr-defined]
    page.goto(hall.console.url + "/aula")  # type: ignore[attr-defined]
    expect(page, "header .who").to_contain_text("Kepala")  # type: ignore[attr-defined]
    page.click("form.out button")  # type: ignore[attr-defined]
    expect(page, "h1").to_have_text("Masuk")  # type: ignore[attr-defined]


# The halls (one per module and xdist worker) whose ktp-baru quota is used up and refused twice:
# the report's test needs those refusals whether or not the live hall's test ran on its worker.
_REFUSED_TWICE: set[int] = set()


def refuse_ktp_baru_twice(hall: Hall) -> None:
    if id(hall) in _REFUSED_TWICE:
        return
    refused = 0
    while refused < 2:  # ktp-baru's quota of 5 used up, then two refused
        result = hall.kiosk.run(hall.kiosk.client.command("issue_ticket",
                                                          {"service": "ktp-baru"}))
        if not result.ok:
            assert result.refusal is not None and result.refusal.code == "quota_full"
            refused += 1
    _REFUSED_TWICE.add(id(hall))


def test_the_live_hall_counts_the_tickets_refused_today(hall: Hall, page: object,
                                                        tmp_path: Path) -> None:
    sign_in(page, hall.console, "kepala")
    cell = 'tr[data-service="ktp-baru"] td.refused'
    expect(page, cell).to_contain_text("0")  # type: ignore[attr-defined]
    page.evaluate("window.__same_page = 1")  # type: ignore[attr-defined]  # gone on a reload
    refuse_ktp_baru_twice(hall)
    expect(page, cell).to_have_text(  # type: ignore[attr-defined]
        re.compile(r"^2\s*kuota habis 2$"), timeout=WAIT_MS)
    assert page.evaluate("window.__same_page") == 1  # type: ignore[attr-defined]
    shot(page, tmp_path, "console-hall-refusals-1920x1080")


def test_the_months_report_shows_its_tables_and_downloads_as_pdf(hall: Hall, page: object,
                                                                  tmp_path: Path) -> None:
    refuse_ktp_baru_twice(hall)
    for service in ("ktp-ganti", "kk", "bpjs-daftar"):  # ktp-baru's quota is used up
        hall.issue(service)
    hall.synced()
    sign_in(page, hall.console, "kepala")
    expect(page, "header .who").to_contain_text("Kepala DPMPTSP")  # type: ignore[attr-defined]
    page.click("header nav a[href^='/laporan']")  # type: ignore[attr-defined]
    page.select_option("select[name=periode]", "rentang")  # type: ignore[attr-defined]
    expect(page, "input[name=dari]").to_be_visible()  # type: ignore[attr-defined]
    expect(page, "input[name=bulan]").to_be_hidden()  # type: ignore[attr-defined]
    page.select_option("select[name=periode]", "bulan")  # type: ignore[attr-defined]
    expect(page, "input[name=dari]").to_be_hidden()  # type: ignore[attr-defined]
    page.select_option("select[name=kelompok]", "instansi")  # type: ignore[attr-defined]
    page.click(".report-form button[type=submit]")  # type: ignore[attr-defined]
    expect(page, ".report-head h2").to_contain_text(  # type: ignore[attr-defined]
        "Laporan Bulanan Mal Pelayanan Publik")
    expect(page, "[data-table=monthly] tbody tr").not_to_have_count(0)  # type: ignore[attr-defined]
    expect(page, "[data-table=figures] tbody").to_contain_text("DUKCAPIL")  # type: ignore[attr-defined]
    expect(page, "[data-table=figures] tbody").to_contain_text("BPJSKES")  # type: ignore[attr-defined]
    expect(page, "[data-table=summary] tbody td:nth-child(7)").to_have_text(  # type: ignore[attr-defined]
        "2")  # the two quota refusals of ktp-baru
    charts = page.locator(".report-table figure img")  # type: ignore[attr-defined]
    playwright_sync.expect(charts).to_have_count(3)
    # Each chart drawn (a broken image has no natural width).
    assert page.evaluate(  # type: ignore[attr-defined]
        "[...document.querySelectorAll('.report-table figure img')]"
        ".every(i => i.complete && i.naturalWidth > 0)")
    assert "periode=bulan" in page.url  # type: ignore[attr-defined]
    shot(page, tmp_path, "console-report-1920x1080")
    page.locator("[data-table=hours] figure").scroll_into_view_if_needed()  # type: ignore[attr-defined]
    shot(page, tmp_path, "console-chart-1920x1080")
    with page.expect_download() as info:  # type: ignore[attr-defined]
        page.click(".downloads a[data-format=pdf]")  # type: ignore[attr-defined]
    download = info.value
    assert re.fullmatch(r"laporan-bulanan-\d{4}-\d{2}\.pdf", download.suggested_filename)
    assert Path(download.path()).read_bytes().startswith(b"%PDF")


def test_the_audit_log_lists_and_filters_and_is_not_for_a_coordinator(
        hall: Hall, page: object, tmp_path: Path) -> None:
    sign_in(page, hall.console, "ani", "wrong password")
    sign_in(page, hall.console, "kepala")
    expect(page, "header .who").to_contain_text("Kepala DPMPTSP")  # type: ignore[attr-defined]
    page.click("header nav a[href^='/audit']")  # type: ignore[attr-defined]
    expect(page, "h1").to_have_text("Log audit")  # type: ignore[attr-defined]
    expect(page, "tr.audit-row").not_to_have_count(0)  # type: ignore[attr-defined]
    page.fill("input[name=siapa]", "ani")  # type: ignore[attr-defined]
    page.select_option("select[name=aksi]", "sign_in")  # type: ignore[attr-defined]
    page.click(".audit-form button[type=submit]")  # type: ignore[attr-defined]
    expect(page, "tr.audit-row.failed").not_to_have_count(0)  # type: ignore[attr-defined]
    rows = page.locator("tr.audit-row")  # type: ignore[attr-defined]
    assert all(a == "sign_in" for a in rows.evaluate_all("rs => rs.map(r => r.dataset.action)"))
    assert "siapa=ani" in page.url and "aksi=sign_in" in page.url  # type: ignore[attr-defined]
    shot(page, tmp_path, "console-audit-1920x1080")
    page.click("form.out button")  # type: ignore[attr-defined]
    sign_in(page, hall.console, "ani")
    expect(page, "header .who").to_contain_text("Ani")  # type: ignore[attr-defined]
    expect(page, "header nav a[href^='/audit']").to_have_count(0)  # type: ignore[attr-defined]
    page.goto(hall.console.url + "/audit")  # type: ignore[attr-defined]
    expect(page, "body").to_contain_text(  # type: ignore[attr-defined]
        "Log audit hanya untuk supervisor dan admin.")


def test_losing_the_hub_says_since_when(hall: Hall, page: object) -> None:
    """Last: it stops the hub."""
    sign_in(page, hall.console, "kepala")
    expect(page, "#live .when strong").to_be_visible()  # type: ignore[attr-defined]
    expect(page, "#stale").to_be_hidden()  # type: ignore[attr-defined]
    hall.hub.stop()
    expect(page, "#stale").to_have_text(  # type: ignore[attr-defined]
        re.compile(r"^Data belum diperbarui sejak \d\d:\d\d$"), timeout=WAIT_MS)
    assert hall.console.health()["current"] is False
