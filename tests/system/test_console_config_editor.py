"""The console's config editor in a real browser (Debian's chromium via Playwright), against a
real hub and a real `antrean console` process: a quota changed now is a new version in the
history and in the hub's config in force, the rest of the file as it was; a change scheduled
for tomorrow is listed as scheduled and not in force; a bad value is shown next to its field
and nothing is recorded; a year's holidays pasted at once; an agency coordinator edits their
own agency's service and not another's; a form without its CSRF token is refused.

Screenshot: with ANTREAN_WEB_SCREENSHOTS=docs/screenshots, console-config-editor.png."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.config import loads_config
from tests.helpers.browser import CHROMIUM_MARKS, chromium, playwright_sync, shot
from tests.helpers.console_hall import SMALL, add_accounts, config_hall, sign_in
from tests.helpers.console_hall import ConfigHall as Hall
from tests.helpers.web_station import ActingStation
from tests.system.test_config_import import NEW_SERVICE

pytestmark = CHROMIUM_MARKS


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[Hall]:
    h = config_hall(tmp_path)
    add_accounts(h.console, "tamu", "siti", "kepala")
    h.start_console()
    yield h
    h.stop()


def test_admin_edits_quota_now_and_for_tomorrow_bad_values_and_holidays(
        hall: Hall, tmp_path: Path) -> None:
    expect = playwright_sync.expect
    original = SMALL.read_text(encoding="utf-8")
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, hall.console, "tamu")
        page.click("nav >> text=Pengaturan")
        page.click("tr[data-service='ktp-baru'] a")
        expect(page.locator("input[name=kuota]")).to_have_value("5")

        # A quota changed now: version 2 (version 1 is the hub's file), in force at the hub.
        page.fill("input[name=kuota]", "7")
        page.click("form.service-form button[type=submit]")
        expect(page.locator("p.done")).to_have_text("Dicatat sebagai versi 2.")
        expect(page.locator("tr[data-service='ktp-baru'] td").nth(1)).to_have_text("7")
        served = hall.hub_config_text()
        assert loads_config(served).services["ktp-baru"].daily_quota == 7
        # The rest of the file as it was: one line differs, comments included.
        assert served == original.replace("daily_quota = 5\n", "daily_quota = 7\n")
        page.click("nav >> text=Konfigurasi")
        expect(page.locator("tr[data-version='2'] .badge")).to_have_text("berlaku sekarang")
        expect(page.locator("tr[data-version='2']")).to_contain_text("console-1")

        # Scheduled for tomorrow: listed as scheduled, the hub keeps 7 until then.
        tomorrow = (dt.date.fromisoformat(hall.hub.clock[:10]) + dt.timedelta(days=1))
        page.click("nav >> text=Pengaturan")
        page.click("tr[data-service='ktp-baru'] a")
        page.fill("input[name=kuota]", "9")
        page.fill("input[name=berlaku]", tomorrow.isoformat())
        page.click("form.service-form button[type=submit]")
        expect(page.locator("p.done")).to_have_text(
            f"Dicatat sebagai versi 3. Berlaku mulai {tomorrow.isoformat()}.")
        expect(page.locator("p.scheduled")).to_contain_text("Versi 3")
        assert loads_config(hall.hub_config_text()).services["ktp-baru"].daily_quota == 7
        scheduled = [v for v in hall.versions() if v.version == 3]
        assert scheduled[0].effective == tomorrow.isoformat()
        assert loads_config(scheduled[0].content).services["ktp-baru"].daily_quota == 9
        page.click("nav >> text=Konfigurasi")
        expect(page.locator("tr[data-version='3'] .badge")).to_have_text("terjadwal")

        # Bad values: the message next to the field, the typed values kept, nothing recorded.
        page.click("nav >> text=Pengaturan")
        page.click("tr[data-service='kk'] a")
        page.fill("input[name=standar]", "0")
        page.click("form.service-form button[type=submit]")
        expect(page.locator("label:has(input[name=standar]) .field-error")).to_have_text(
            "Harus antara 1 dan 480, bukan 0.")
        expect(page.locator("input[name=standar]")).to_have_value("0")
        page.fill("input[name=standar]", "15")
        page.fill("input[name=kuota]", "banyak")
        page.click("form.service-form button[type=submit]")
        expect(page.locator("label:has(input[name=kuota]) .field-error")).to_have_text(
            'Harus bilangan bulat, bukan "banyak".')
        page.fill("input[name=kuota]", "0")
        page.click("form.service-form button[type=submit]")
        expect(page.locator("label:has(input[name=kuota]) .field-error")).to_contain_text(
            "Harus antara 1 dan 100000, bukan 0.")
        shot(page, tmp_path, "console-config-editor")
        page.goto(hall.console.url + "/konfigurasi/ubah?layanan=kk&lang=en")
        page.fill("input[name=berlaku]", "2020-01-01")
        page.click("form.service-form button[type=submit]")
        expect(page.locator("label:has(input[name=berlaku]) .field-error")).to_contain_text(
            "2020-01-01 is in the past")
        assert [v.version for v in hall.versions()] == [1, 2, 3]

        # A year's holidays pasted at once, as the SKB lists them.
        page.goto(hall.console.url + "/konfigurasi/ubah?bagian=libur")
        current = page.locator("textarea[name=libur]").input_value()
        assert current == "2026-12-25 Hari Raya Natal"
        page.fill("textarea[name=libur]", current + "\nJumat, 1 Januari 2027 Tahun Baru 2027 "
                  "Masehi\n2027-03-20\tHari Raya Idulfitri 1448 H\nkemarin libur")
        page.click("form.holidays-form button[type=submit]")
        expect(page.locator(".field-error")).to_have_text(
            'Baris 4: tanggal tidak dikenali: "kemarin libur".')
        assert [v.version for v in hall.versions()] == [1, 2, 3]
        text = page.locator("textarea[name=libur]").input_value()
        page.fill("textarea[name=libur]", text.rsplit("\n", 1)[0])
        page.click("form.holidays-form button[type=submit]")
        # Version 3 (tomorrow's quota) was written before: the holidays go into it too, as
        # version 5 from tomorrow, or tomorrow would undo them.
        expect(page.locator("p.done")).to_have_text(
            "Dicatat sebagai versi 4. Juga dimasukkan ke perubahan terjadwal: versi 5.")
        holidays = loads_config(hall.hub_config_text()).holidays
        assert holidays == {dt.date(2026, 12, 25): "Hari Raya Natal",
                            dt.date(2027, 1, 1): "Tahun Baru 2027 Masehi",
                            dt.date(2027, 3, 20): "Hari Raya Idulfitri 1448 H"}
        fifth = loads_config(hall.versions()[-1].content)
        assert hall.versions()[-1].effective == tomorrow.isoformat()
        assert fifth.holidays == holidays and fifth.services["ktp-baru"].daily_quota == 9
        # Saving an untouched form is no change.
        page.click("form.holidays-form button[type=submit]")
        expect(page.locator("p.error")).to_have_text("Tidak ada yang berubah.")

        # The running text, as the boards show it.
        page.click("text=Teks berjalan")
        expect(page.locator("textarea[name=teks]")).to_have_value("Selamat datang")
        page.fill("textarea[name=teks]", 'Layanan Samsat tutup pukul 12.00 hari ini "Rabu".')
        page.click("form.text-form button[type=submit]")
        expect(page.locator("p.done")).to_contain_text("Dicatat sebagai versi 6.")
        assert loads_config(hall.hub_config_text()).mpp.running_text == (
            'Layanan Samsat tutup pukul 12.00 hari ini "Rabu".')
        browser.close()
        assert errors == []


def test_coordinator_edits_only_their_agency_and_csrf_is_refused(hall: Hall) -> None:
    expect = playwright_sync.expect
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        sign_in(page, hall.console, "siti")
        page.click("nav >> text=Pengaturan")
        expect(page.locator("tr[data-service]")).to_have_count(1)
        expect(page.locator("tr[data-service='bpjs-daftar']")).to_be_visible()
        expect(page.locator("a", has_text="Hari libur")).to_have_count(0)
        # Another agency's service: not listed, its form refused, a forged post refused.
        reply = page.goto(hall.console.url + "/konfigurasi/ubah?layanan=ktp-baru")
        assert reply is not None and reply.status == 403
        expect(page.locator("body")).to_contain_text("milik instansi lain")
        reply = page.goto(hall.console.url + "/konfigurasi/ubah?bagian=libur")
        assert reply is not None and reply.status == 403
        page.goto(hall.console.url + "/konfigurasi/ubah?layanan=bpjs-daftar")
        csrf = page.locator("form.service-form input[name=csrf]").input_value()
        forged = page.request.post(hall.console.url + "/konfigurasi/ubah", form={
            "csrf": csrf, "layanan": "ktp-baru", "kuota": "1", "standar": "10"})
        assert forged.status == 403
        holidays = page.request.post(hall.console.url + "/konfigurasi/ubah", form={
            "csrf": csrf, "bagian": "libur", "libur": ""})
        assert holidays.status == 403
        assert hall.versions() == []
        # Their own service: saved.
        page.fill("input[name=kuota]", "40")
        page.fill("textarea[name=syarat]", "KTP-el\nKartu Keluarga")
        page.click("form.service-form button[type=submit]")
        expect(page.locator("p.done")).to_have_text("Dicatat sebagai versi 2.")
        bpjs = loads_config(hall.hub_config_text()).services["bpjs-daftar"]
        assert (bpjs.daily_quota, bpjs.requirements) == (40, ("KTP-el", "Kartu Keluarga"))

        # Without the session's CSRF token: refused, nothing recorded.
        for token in ("", "not-the-token"):
            refused = page.request.post(hall.console.url + "/konfigurasi/ubah", form={
                "csrf": token, "layanan": "bpjs-daftar", "kuota": "3", "standar": "12"})
            assert refused.status == 403
            assert "kedaluwarsa" in refused.text()
        assert [v.version for v in hall.versions()] == [1, 2]

        other = browser.new_page()
        sign_in(other, hall.console, "kepala")
        expect(other.locator("nav")).not_to_contain_text("Pengaturan")
        reply = other.goto(hall.console.url + "/konfigurasi/ubah")
        assert reply is not None and reply.status == 403
        browser.close()


def test_a_change_that_strands_waiting_tickets_asks_first(hall: Hall, tmp_path: Path) -> None:
    """A service added, a visitor waiting for it, then the service removed by force: any
    change now still leaves that ticket without its service, so the editor asks first."""
    expect = playwright_sync.expect
    added = tmp_path / "hall-v2.toml"
    added.write_text(SMALL.read_text(encoding="utf-8") + NEW_SERVICE, encoding="utf-8")
    hall.import_config(added)
    kiosk = ActingStation(hall.hub.url, hall.kiosk_token)
    try:
        assert kiosk.command("issue_ticket", service="kia").ok
    finally:
        kiosk.close()
    hall.import_config(SMALL, "--yes")
    hall.console.wait_seq(int(hall.hub.health()["last_seq"]))  # type: ignore[call-overload]
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        sign_in(page, hall.console, "tamu")
        page.goto(hall.console.url + "/konfigurasi/ubah?layanan=kk")
        page.fill("input[name=kuota]", "60")
        page.click("form.service-form button[type=submit]")
        expect(page.locator("p.error")).to_contain_text("1 nomor antrean masih menunggu")
        assert [v.version for v in hall.versions()] == [1, 2, 3]
        expect(page.locator("input[name=kuota]")).to_have_value("60")
        page.click("form.service-form button:has-text('Tetap simpan')")
        expect(page.locator("p.done")).to_have_text("Dicatat sebagai versi 4.")
        assert loads_config(hall.hub_config_text()).services["kk"].daily_quota == 60
        browser.close()
