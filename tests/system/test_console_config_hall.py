"""The console's hall settings (/konfigurasi/aula) in a real browser (Debian's chromium via
Playwright), against a real hub and a real `antrean console` process, with a real station
link (HubLink on a ManualClock) following the hub: Friday's hours changed from tomorrow are
listed as scheduled, not in force until the station's clock passes the hall's midnight, then
in force; a bad range is shown next to its day and nothing recorded; a break added now
reaches the running station at once, and an agency's opt-out of the breaks too; the voice's
"Dengarkan" renders a real WAV with the board's own command (espeak-ng) and records nothing;
a bad template is refused next to its field; a coordinator is refused.

Screenshots: with ANTREAN_WEB_SCREENSHOTS=docs/screenshots, console-config-hours-*.png."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from shared.clock import ManualClock
from shared.config import load_config, loads_config
from shared.station.hub_link import HubLink
from shared.station.replica import Replica
from tests.helpers.browser import CHROMIUM
from tests.helpers.console_hall import SMALL, add_accounts, config_hall, sign_in
from tests.helpers.console_hall import ConfigHall as Hall
from tests.helpers.hub_process import HALL_MORNING

playwright_sync = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]
SHOTS = os.environ.get("ANTREAN_WEB_SCREENSHOTS")
WIB = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[Hall]:
    h = config_hall(tmp_path)
    add_accounts(h.console, "tamu", "siti", "kepala")
    h.start_console()
    yield h
    h.stop()


@pytest.fixture
def station(hall: Hall, tmp_path: Path, qtbot: QtBot) -> Iterator[tuple[HubLink, ManualClock]]:
    """A running station (the kiosk's link) following the hub, on a clock the test moves."""
    clock = ManualClock(dt.datetime.fromisoformat(HALL_MORNING))
    link = HubLink(load_config(SMALL), hall.hub.url, hall.kiosk_token,
                   Replica(tmp_path / "replica-kiosk.db"), "kiosk-1", clock=clock)
    qtbot.waitUntil(link.is_online, timeout=15000)
    yield link, clock
    link.close()


def shot(page: object, tmp_path: Path, name: str) -> None:
    out = Path(SHOTS) if SHOTS else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / f"console-config-hours-{name}.png"))  # type: ignore[attr-defined]


def test_friday_hours_from_tomorrow_then_a_break_and_an_agency_opting_out(
        hall: Hall, station: tuple[HubLink, ManualClock], qtbot: QtBot, tmp_path: Path) -> None:
    expect = playwright_sync.expect
    link, clock = station
    tomorrow = (dt.date.fromisoformat(HALL_MORNING[:10]) + dt.timedelta(days=1)).isoformat()
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, hall.console, "tamu")
        page.click("nav >> text=Pengaturan")
        page.click("a.hall-settings")
        expect(page.locator("input[name=jam-fri]")).to_have_value("08:00-11:00")
        expect(page.locator("input[name=tutup-sat]")).to_be_checked()

        # A bad range: the message next to Friday, nothing recorded.
        page.fill("input[name=jam-fri]", "11:00-08:00")
        page.click("form.hours-form button[value=simpan]")
        expect(page.locator("tr[data-day=fri] .field-error")).to_have_text(
            '"11:00-08:00" berakhir sebelum mulai.')
        page.fill("input[name=jam-fri]", "jam delapan")
        page.click("form.hours-form button[value=simpan]")
        expect(page.locator("tr[data-day=fri] .field-error")).to_have_text(
            'Tulis jam seperti 08:00-15:00, bukan "jam delapan".')
        assert hall.versions() == []

        # Friday 07:30-11:00 and Saturday mornings, from tomorrow: scheduled, not in force.
        page.fill("input[name=jam-fri]", "7:30 - 11:00")
        page.uncheck("input[name=tutup-sat]")
        page.fill("input[name=jam-sat]", "08:00-12:00")
        page.fill("input[name=berlaku]", tomorrow)
        page.click("form.hours-form button[value=simpan]")
        expect(page.locator("p.done")).to_have_text(
            f"Dicatat sebagai versi 2. Berlaku mulai {tomorrow}.")
        expect(page.locator("p.scheduled")).to_contain_text("Versi 2")
        served = loads_config(hall.hub_config_text())
        assert str(served.schedule.open[4]) == "08:00-11:00" and 5 not in served.schedule.open
        version = hall.versions()[-1]
        assert version.effective == tomorrow
        assert SMALL.read_text(encoding="utf-8").replace(
            'fri = "08:00-11:00"\n', 'fri = "07:30-11:00"\nsat = "08:00-12:00"\n'
        ) == version.content
        shot(page, tmp_path, "jam")
        page.click("nav >> text=Konfigurasi")
        expect(page.locator("tr[data-version='2'] .badge")).to_have_text("terjadwal")

        # The running station: today's hours until its clock passes the hall's midnight.
        qtbot.waitUntil(lambda: link.replica.last_seq >= version.seq, timeout=15000)
        link.check_config()
        assert str(link.config.schedule.open[4]) == "08:00-11:00"
        clock.set(dt.datetime(2026, 12, 1, 0, 0, 1, tzinfo=WIB))
        link.check_config()
        assert str(link.config.schedule.open[4]) == "07:30-11:00"
        assert str(link.config.schedule.open[5]) == "08:00-12:00"
        # Back to today, a little later than the hub's clock is now (the station's clock
        # stands still; the changes below are recorded at the hub's running time).
        clock.set(dt.datetime.fromisoformat(HALL_MORNING) + dt.timedelta(minutes=10))
        link.check_config()

        # A break now (Monday 09:00 at the hub): the station's schedule has it at once.
        page.goto(hall.console.url + "/konfigurasi/aula?bagian=istirahat")
        expect(page.locator("input[name=waktu-0]")).to_have_value("12:00-13:00")
        page.fill("input[name=waktu-baru-0]", "08:30-09:30")
        page.fill("input[name=label-baru-0]", "Apel pagi")
        page.click("form.breaks-form button[value=simpan]")
        expect(page.locator(".field-error")).to_have_text("Pilih hari.")
        page.select_option("select[name=hari-baru-0]", "mon")
        page.select_option("select[name=hari-baru-1]", "fri")
        page.fill("input[name=waktu-baru-1]", "11:30-13:00")
        page.fill("input[name=label-baru-1]", "Istirahat salat Jumat")
        page.click("form.breaks-form button[value=simpan]")
        expect(page.locator("p.done")).to_contain_text("Dicatat sebagai versi 3.")
        # Version 2 (from tomorrow) was written before: the breaks go into it too.
        expect(page.locator("p.done")).to_contain_text("versi 4")
        expect(page.locator("tr.break")).to_have_count(3)
        shot(page, tmp_path, "istirahat")
        at_nine = dt.datetime.fromisoformat(HALL_MORNING)
        qtbot.waitUntil(lambda: link.config.schedule_for(
            link.config.services["ktp-baru"]).break_at(at_nine) is not None, timeout=15000)
        brk = link.config.schedule_for(link.config.services["ktp-baru"]).break_at(at_nine)
        assert brk is not None and brk.label == "Apel pagi"
        tomorrow_config = loads_config(hall.versions()[-1].content)
        assert hall.versions()[-1].effective == tomorrow
        assert [b.label for b in tomorrow_config.schedule.breaks[4]] == ["Istirahat salat Jumat"]
        assert str(tomorrow_config.schedule.open[4]) == "07:30-11:00"

        # Dukcapil serves through the breaks in shifts: `breaks = []` for it alone.
        page.goto(hall.console.url + "/konfigurasi/aula?bagian=instansi&instansi=DUKCAPIL")
        expect(page.locator("input[name=sendiri]")).not_to_be_checked()
        page.check("input[name=tanpa-istirahat]")
        page.click("form.agency-form button[value=simpan]")
        expect(page.locator("p.done")).to_contain_text("Dicatat sebagai versi 5.")
        qtbot.waitUntil(lambda: link.config.schedule_for(
            link.config.services["ktp-baru"]).break_at(at_nine) is None, timeout=15000)
        # Another agency keeps the hall's break.
        samsat = next(s for s in link.config.services.values() if s.agency == "BPJSKES")
        assert link.config.schedule_for(samsat).break_at(at_nine) is not None
        # Samsat's own hours: every day closed is refused (that is the hall's hours' job).
        page.goto(hall.console.url + "/konfigurasi/aula?bagian=instansi&instansi=SAMSAT")
        expect(page.locator("input[name=sendiri]")).to_be_checked()
        expect(page.locator("input[name=jam-mon]")).to_have_value("08:00-12:00")
        for day in ("mon", "wed"):
            page.check(f"input[name=tutup-{day}]")
        page.click("form.agency-form button[value=simpan]")
        expect(page.locator("label:has(input[name=sendiri]) .field-error")).to_have_text(
            "Buka paling sedikit satu hari, atau pakai jam aula.")
        assert [v.version for v in hall.versions()][-1] == 6  # nothing recorded
        shot(page, tmp_path, "instansi")
        browser.close()
        assert errors == []


def test_listen_renders_a_real_wav_a_bad_template_is_refused_and_coordinators_are_not_let_in(
        hall: Hall, tmp_path: Path) -> None:
    expect = playwright_sync.expect
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        sign_in(page, hall.console, "tamu")
        page.goto(hall.console.url + "/konfigurasi/aula?bagian=suara")
        expect(page.locator("input[name=kecepatan]")).to_have_value("150")
        page.fill("input[name=templat]", "Nomor {nomor}, silakan ke {counter}.")
        page.click("form.voice-form button.listen")
        expect(page.locator("label:has(input[name=templat]) .field-error")).to_have_text(
            "Tidak dikenal: {nomor}. Gunakan {number} dan {counter}.")
        expect(page.locator("audio")).to_have_count(0)
        page.fill("input[name=templat]", "Panggilan untuk nomor {number}, silakan ke {counter}.")
        page.fill("input[name=kecepatan]", "140")
        page.click("form.voice-form button.listen")
        expect(page.locator(".sample p")).to_contain_text("Panggilan untuk nomor")
        src = page.locator("audio").get_attribute("src")
        assert src is not None
        reply = page.request.get(hall.console.url + src)
        assert reply.status == 200 and reply.headers["content-type"] == "audio/wav"
        body = reply.body()
        assert body[:4] == b"RIFF" and body[8:12] == b"WAVE"
        with wave.open(io.BytesIO(body)) as w:
            frames = w.readframes(w.getnframes())
            duration = w.getnframes() / w.getframerate()
            width = w.getsampwidth()
        assert duration > 0.5
        samples = [int.from_bytes(frames[i:i + width], "little", signed=True)
                   for i in range(0, len(frames), width)]
        assert max(abs(s) for s in samples) > 1000  # speech, not silence
        # The player plays it in the page.
        page.wait_for_function("document.querySelector('audio').duration > 0.5")
        assert hall.versions() == []  # listening records nothing
        shot(page, tmp_path, "suara")
        page.click("form.voice-form button[value=simpan]")
        expect(page.locator("p.done")).to_have_text("Dicatat sebagai versi 2.")
        voice = loads_config(hall.hub_config_text()).voice
        assert (voice.template, voice.rate) == (
            "Panggilan untuk nomor {number}, silakan ke {counter}.", 140)

        other = browser.new_page()
        sign_in(other, hall.console, "siti")
        other.click("nav >> text=Pengaturan")
        expect(other.locator("a.hall-settings")).to_have_count(0)
        other.goto(hall.console.url + "/konfigurasi/ubah?layanan=bpjs-daftar")
        csrf = other.locator("form.service-form input[name=csrf]").input_value()
        reply = other.goto(hall.console.url + "/konfigurasi/aula")
        assert reply is not None and reply.status == 403
        expect(other.locator("body")).to_contain_text("Hanya admin")
        refused = other.request.post(hall.console.url + "/konfigurasi/aula", form={
            "csrf": csrf, "bagian": "jam", "jam-mon": "08:00-09:00"})
        assert refused.status == 403
        assert other.request.get(hall.console.url + src).status == 403
        assert [v.version for v in hall.versions()] == [1, 2]
        browser.close()
