"""The hall's structure in the console, in a real browser (Debian's chromium via Playwright),
against a real hub and a real `antrean console` process: an admin adds a service and a running
kiosk (its own window, offscreen) shows it without a restart; a duplicate queue prefix and a
bad logo are shown next to their field and nothing is recorded; an agency coordinator cannot
change another agency's service or counter; removing a queue people wait in says so and asks
first (any removal is asked once).

Screenshots: with ANTREAN_WEB_SCREENSHOTS=docs/screenshots, console-config-structure-*.png."""

from __future__ import annotations

import datetime as dt
import difflib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from pytestqt.qtbot import QtBot

from kiosk.core import Step
from shared.clock import ManualClock
from shared.config import load_config, loads_config
from shared.ledger import config_log
from shared.ledger.store import connect
from shared.station.hub_link import HubLink
from shared.station.replica import Replica
from tests.helpers.browser import CHROMIUM
from tests.helpers.console_hall import PASSWORD, SMALL, sign_in
from tests.helpers.console_hall import ConfigHall as Hall
from tests.helpers.console_station import ConsoleProcess
from tests.helpers.hub_process import HALL_MORNING
from tests.helpers.kiosk_hall import button, close_kiosk, make_kiosk, tap, tile_roles
from tests.helpers.web_station import ActingStation
from tests.system.conftest import HubProcess

playwright_sync = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]
SHOTS = os.environ.get("ANTREAN_WEB_SCREENSHOTS")


class LogoConsole(ConsoleProcess):
    """The console with its uploaded logos kept in a folder of the test's own."""

    logo_dir: Path = Path()

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 (kept open for the child's lifetime)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "antrean", "console", "--hub", self.hub_url, "--token",
             self.token, "--listen", f"127.0.0.1:{self.port}", "--replica", str(self.replica),
             "--accounts", str(self.accounts), "--simulated-clock", self.clock,
             "--logo-dir", str(self.logo_dir)],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        log.close()
        self.wait_until(lambda h: True, "the console answers")


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[Hall]:
    hub = HubProcess(tmp_path, SMALL)
    console_token = hub.enroll("console-1", "admin")
    admin = hub.enroll("it-pc", "admin")
    kiosk = hub.enroll("kiosk-1", "kiosk")
    hub.start()
    c = LogoConsole(tmp_path, hub.url, console_token, hub.clock)
    # The console PC's own folder: the hub keeps its copy beside its ledger (tmp_path).
    c.logo_dir = tmp_path / "console-pc" / "logos"
    c.add_user("tamu", "admin", PASSWORD, "Admin Tamu")
    c.add_user("siti", "coordinator", PASSWORD, "Siti Aminah", agency="BPJSKES", config=SMALL)
    c.start()
    c.wait_seq(int(hub.health()["last_seq"]))  # type: ignore[call-overload]
    yield Hall(hub, c, admin, kiosk)
    c.stop()
    hub.stop()


def shots(tmp_path: Path) -> Path:
    out = Path(SHOTS) if SHOTS else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    return out


def png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (11, 79, 156)).save(buf, "PNG")
    return buf.getvalue()


def test_admin_adds_a_service_a_running_kiosk_shows_it_bad_values_change_nothing(
        qtbot: QtBot, hall: Hall, tmp_path: Path) -> None:
    expect = playwright_sync.expect
    config = load_config(SMALL)
    # The kiosk PC: its replica and its fetched logos in a folder of its own, nothing shared
    # with the console's or the hub's.
    kiosk_pc = tmp_path / "kiosk-pc"
    kiosk_pc.mkdir()
    link = HubLink(config, hall.hub.url, hall.kiosk_token,
                   Replica(kiosk_pc / "replica-kiosk.db"), "kiosk-1")
    k = make_kiosk(qtbot, tmp_path, config, ManualClock(dt.datetime.fromisoformat(
        HALL_MORNING)), link=link)
    out = shots(tmp_path)
    try:
        qtbot.waitUntil(link.is_online, timeout=10000)
        with playwright_sync.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            sign_in(page, hall.console, "tamu")
            page.click("nav >> text=Struktur aula")
            page.click("[data-agency=DUKCAPIL] a[data-add=layanan]")
            page.fill("input[name=kode]", "kia")
            page.fill("input[name=nama]", "Kartu Identitas Anak")
            page.select_option("select[name=antrean]", "KK")
            page.fill("input[name=standar]", "9")
            page.fill("input[name=kuota]", "25")
            page.fill("textarea[name=syarat]", "Kartu Keluarga\nAkta kelahiran")
            page.fill("input[name=jam_mon]", "08:00-12:00")
            page.fill("input[name=jam_tue]", "8 sampai 12")
            page.click("form.service-form button[value=simpan]")
            # The loader's own check of the hours, next to the day's field; nothing sent.
            expect(page.locator("label:has(input[name=jam_tue]) .field-error")).to_have_text(
                "Tulis jam seperti 08:00-15:00.")
            expect(page.locator("input[name=nama]")).to_have_value("Kartu Identitas Anak")
            assert hall.versions() == []
            page.fill("input[name=jam_tue]", "")
            page.fill("input[name=jam_mon]", "")
            with qtbot.waitSignal(link.config_changed, timeout=15000):
                page.click("form.service-form button[value=simpan]")
                expect(page.locator("p.done")).to_have_text("Dicatat sebagai versi 2.")
            served = hall.hub_config_text()
            kia = loads_config(served).services["kia"]
            assert (kia.agency, kia.queue, kia.standard_minutes, kia.daily_quota,
                    kia.requirements) == ("DUKCAPIL", "KK", 9, 25,
                                          ("Kartu Keluarga", "Akta kelahiran"))
            # The rest of the file as it was: only the new service's lines added.
            diff = [line for line in difflib.unified_diff(
                SMALL.read_text(encoding="utf-8").splitlines(), served.splitlines(),
                lineterm="", n=0) if line[:1] in "+-" and line[:3] not in ("+++", "---")]
            assert diff and all(line.startswith("+") for line in diff)
            assert 'code = "kia"' in served.split('code = "kk"')[1].split("[[counters]]")[0]
            expect(page.locator("li[data-service=kia]")).to_be_visible()
            page.screenshot(path=str(out / "console-config-structure-service.png"))

            # The running kiosk, without a restart: the new service's tile.
            tap(qtbot, k, "take_number")
            tap(qtbot, k, "agency:DUKCAPIL")
            tile = button(k, "service:kia")
            assert "Kartu Identitas Anak" in tile.text_content()  # type: ignore[attr-defined]
            k.window.grab().save(str(out / "console-config-structure-kiosk.png"))
            tap(qtbot, k, "service:kia")
            tap(qtbot, k, "priority:none")
            qtbot.waitUntil(lambda: k.step is Step.TICKET, timeout=10000)
            assert k.core.ticket is not None and k.core.ticket.label.startswith("KK-")
            k.core.reset()

            # A duplicate prefix: the loader's refusal next to the prefix, nothing sent.
            page.click("[data-agency=DUKCAPIL] a[data-add=antrean]")
            page.fill("input[name=awalan]", "KTP")
            page.fill("input[name=nama]", "Antrean kedua KTP")
            page.click("form.queue-form button[value=simpan]")
            expect(page.locator("label:has(input[name=awalan]) .field-error")).to_have_text(
                "Sudah dipakai: KTP.")
            expect(page.locator("input[name=awalan]")).to_have_attribute("aria-invalid", "true")
            page.screenshot(path=str(out / "console-config-structure-queue-error.png"))
            assert [v.version for v in hall.versions()] == [1, 2]
            # A new queue served at counter 2, then a new counter for it.
            page.fill("input[name=awalan]", "AK")
            page.fill("input[name=nama]", "Akta")
            page.select_option("select[name=urutan]", "fifo")
            page.check("input[name=loket_list][value='2']")
            page.click("form.queue-form button[value=simpan]")
            expect(page.locator("p.done")).to_have_text("Dicatat sebagai versi 3.")
            page.click("[data-agency=DUKCAPIL] a[data-add=loket]")
            page.fill("input[name=nomor]", "5")
            page.fill("input[name=nama]", "Loket Akta")
            page.check("input[name=antrean][value=AK]")
            page.click("form.counter-form button[value=simpan]")
            expect(page.locator("p.done")).to_have_text("Dicatat sebagai versi 4.")
            cfg = loads_config(hall.hub_config_text())
            assert cfg.queues["AK"].policy == "fifo"
            assert cfg.counters[2].queues == ("KTP", "AK")
            assert (cfg.counters[5].name, cfg.counters[5].agency,
                    cfg.counters[5].queues) == ("Loket Akta", "DUKCAPIL", ("AK",))
            page.screenshot(path=str(out / "console-config-structure-counter.png"))

            # The agency: a bad logo refused with its reason, then a good one stored.
            page.click("[data-agency=DUKCAPIL] h2 a")
            bad = tmp_path / "logo.png"
            bad.write_bytes(b"this is not a picture")
            page.fill("input[name=singkatan]", "Disdukcapil")
            page.set_input_files("input[name=logo]", str(bad))
            page.click("form.agency-form button[value=simpan]")
            expect(page.locator("label:has(input[name=logo]) .field-error")).to_have_text(
                "Berkas itu bukan gambar PNG atau JPEG.")
            tiny = tmp_path / "kecil.png"
            tiny.write_bytes(png(20, 20))
            page.set_input_files("input[name=logo]", str(tiny))
            page.click("form.agency-form button[value=simpan]")
            expect(page.locator("label:has(input[name=logo]) .field-error")).to_contain_text(
                "20×20 piksel")
            assert [v.version for v in hall.versions()] == [1, 2, 3, 4]
            assert not list(hall.console.logo_dir.glob("*"))  # type: ignore[attr-defined]
            good = tmp_path / "dukcapil.png"
            good.write_bytes(png(256, 256))
            page.set_input_files("input[name=logo]", str(good))
            page.click("form.agency-form button[value=simpan]")
            expect(page.locator("p.done")).to_have_text("Dicatat sebagai versi 5.")
            agency = loads_config(hall.hub_config_text()).agencies["DUKCAPIL"]
            assert agency.short_name == "Disdukcapil"
            assert agency.logo is not None and agency.logo.startswith("assets/logos/dukcapil-")
            # The hub keeps it beside its ledger, for every station.
            assert (hall.hub.ledger.parent / agency.logo).read_bytes() == good.read_bytes()
            expect(page.locator("img.logo-preview")).to_be_visible()
            page.screenshot(path=str(out / "console-config-structure-agency.png"))

            # The running kiosk on its own PC fetched the file from the hub: its tile shows
            # the image, not the initials.
            fetched = kiosk_pc / agency.logo
            qtbot.waitUntil(lambda: k.core.config.agencies["DUKCAPIL"].short_name
                            == "Disdukcapil" and fetched.is_file(), timeout=15000)
            assert fetched.read_bytes() == good.read_bytes()
            tiles = {t.code: t for t in k.core.agency_tiles()}
            assert tiles["DUKCAPIL"].logo == fetched
            tap(qtbot, k, "take_number")
            qtbot.waitUntil(lambda: tile_roles(k, "DUKCAPIL") == ["logo"], timeout=5000)
            k.core.reset()

            # With the hub down, a new logo is not recorded: the page says why.
            hall.hub.stop()
            newer = tmp_path / "dukcapil-baru.png"
            newer.write_bytes(png(300, 300))
            page.set_input_files("input[name=logo]", str(newer))
            page.click("form.agency-form button[value=simpan]")
            expect(page.locator("label:has(input[name=logo]) .field-error")).to_contain_text(
                "Server antrean tidak dapat dihubungi")
            browser.close()
            assert errors == []
        conn = connect(hall.hub.ledger, readonly=True)
        try:
            assert [v.version for v in config_log.config_versions(conn)] == [1, 2, 3, 4, 5]
        finally:
            conn.close()
    finally:
        close_kiosk(k)
        link.close()


def test_coordinator_cannot_change_another_agencys_service_or_counter(hall: Hall) -> None:
    expect = playwright_sync.expect
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        sign_in(page, hall.console, "siti")
        page.click("nav >> text=Struktur aula")
        expect(page.locator("[data-agency]")).to_have_count(1)
        expect(page.locator("[data-agency=BPJSKES] li[data-counter='3']")).to_be_visible()
        for path in ("layanan=ktp-baru", "loket=1", "antrean=KTP", "instansi=BPJSKES",
                     "layanan=baru&instansi=DUKCAPIL"):
            reply = page.goto(hall.console.url + "/konfigurasi/struktur?" + path)
            assert reply is not None and reply.status == 403, path
        page.goto(hall.console.url + "/konfigurasi/struktur?loket=3")
        csrf = page.locator("form.counter-form input[name=csrf]").input_value()
        forged = [
            {"bagian": "layanan", "kode_lama": "ktp-baru", "nama": "X", "antrean": "KTP",
             "standar": "5"},
            {"bagian": "loket", "kode_lama": "1", "nomor": "1", "instansi": "DUKCAPIL",
             "antrean": "KTP"},
            {"bagian": "loket", "kode_lama": "1", "aksi": "hapus"},
            # Their own counter handed to another agency: refused too.
            {"bagian": "loket", "kode_lama": "3", "nomor": "3", "instansi": "DUKCAPIL",
             "antrean": "KTP"},
            {"bagian": "instansi", "kode_lama": "BPJSKES", "nama": "X", "singkatan": "X"},
        ]
        for form in forged:
            reply = page.request.post(hall.console.url + "/konfigurasi/struktur",
                                      form={"csrf": csrf, **form})
            assert reply.status == 403, form
        assert hall.versions() == []
        # Their own counter: renamed.
        page.fill("input[name=nama]", "Loket BPJS")
        page.click("form.counter-form button[value=simpan]")
        expect(page.locator("p.done")).to_have_text("Dicatat sebagai versi 2.")
        assert loads_config(hall.hub_config_text()).counters[3].name == "Loket BPJS"
        page.goto(hall.console.url + "/konfigurasi/struktur?loket=3&lang=en")
        expect(page.locator("h1")).to_have_text("Hall structure")
        expect(page.locator("form.counter-form")).to_contain_text("Queues it serves")
        # A file far above the limit: a plain page, not a bare HTTP error; nothing changed.
        huge = page.request.post(hall.console.url + "/konfigurasi/struktur", multipart={
            "csrf": csrf, "bagian": "instansi", "kode_lama": "BPJSKES",
            "logo": {"name": "logo.png", "mimeType": "image/png",
                     "buffer": b"\x89PNG" + b"\0" * (5 * 1024 * 1024)}})
        assert huge.status == 413 and "paling besar 512 KB" in huge.text()
        assert [v.version for v in hall.versions()] == [1, 2]
        browser.close()


def test_removing_a_queue_people_wait_in_asks_first(hall: Hall, tmp_path: Path) -> None:
    expect = playwright_sync.expect
    kiosk = ActingStation(hall.hub.url, hall.kiosk_token)
    try:
        assert kiosk.command("issue_ticket", service="kk").ok
    finally:
        kiosk.close()
    hall.console.wait_seq(int(hall.hub.health()["last_seq"]))  # type: ignore[call-overload]
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        sign_in(page, hall.console, "tamu")
        page.goto(hall.console.url + "/konfigurasi/struktur?antrean=KK")
        expect(page.locator("form.queue-form")).to_contain_text("juga menghapus layanannya (1)")
        page.click("form.queue-form button[value=hapus]")
        expect(page.locator("p.confirm")).to_have_text(
            "1 nomor antrean masih menunggu dan tidak akan terpanggil setelah perubahan ini "
            "(KK: 1). Tetap simpan?")
        page.screenshot(path=str(shots(tmp_path) / "console-config-structure-confirm.png"))
        assert hall.versions() == []
        assert "KK" in loads_config(hall.hub_config_text()).queues
        page.click("form.queue-form button:has-text('Tetap simpan')")
        expect(page.locator("p.done")).to_have_text("Dicatat sebagai versi 2.")
        cfg = loads_config(hall.hub_config_text())
        assert "KK" not in cfg.queues and "kk" not in cfg.services
        assert cfg.counters[1].queues == ("KTP",)
        # Nobody waits at counter 2: its removal is still asked once, then done.
        page.goto(hall.console.url + "/konfigurasi/struktur?loket=2")
        page.click("form.counter-form button[value=hapus]")
        expect(page.locator("p.confirm")).to_have_text(
            "Hapus Loket 2? Perubahan dapat dikembalikan di halaman Konfigurasi.")
        assert [v.version for v in hall.versions()] == [1, 2]
        page.click("form.counter-form button:has-text('Tetap simpan')")
        expect(page.locator("p.done")).to_have_text("Dicatat sebagai versi 3.")
        assert 2 not in loads_config(hall.hub_config_text()).counters
        browser.close()
