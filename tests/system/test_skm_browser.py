"""The SKM survey end to end in a real browser: Debian's chromium (Playwright) against a real
hub process, a real `antrean web` and a real `antrean console` on 127.0.0.1. A counter's real
`finish` makes the phone's ticket page offer the survey (live, nothing reloaded); the answer
goes to the hub as the web station's `answer_survey`; the console's IKM changes.

Screenshots (docs/screenshots/skm-*.png with ANTREAN_WEB_SCREENSHOTS=docs/screenshots): a
survey step and the thank-you on a 360×800 phone, the console's IKM report at 1920×1080, the
counter's survey screen at 1024×600."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared import skm
from tests.helpers.browser import CHROMIUM_MARKS, WAIT_MS, Tab, expect, shot
from tests.helpers.console_hall import PASSWORD, add_accounts
from tests.helpers.console_station import ConsoleProcess
from tests.helpers.web_hall import WebHall, start_web_hall

pytestmark = CHROMIUM_MARKS


@dataclass
class SkmHall:
    hall: WebHall
    console: ConsoleProcess

    def finish(self, counter: int) -> str:
        label = self.hall.call_next(counter)
        self.hall.counters[counter].command("finish", counter=counter)
        self.synced()
        return label

    def synced(self) -> None:
        seq = int(self.hall.hub.health()["last_seq"])  # type: ignore[call-overload]
        self.hall.web.wait_seq(seq)
        self.console.wait_seq(seq)


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SkmHall]:
    workdir = tmp_path_factory.mktemp("skm-hall")
    h = start_web_hall(workdir)
    console = ConsoleProcess(workdir, h.hub.url, h.hub.enroll("console-1", "admin"), h.hub.clock)
    add_accounts(console, "kepala")
    console.start()
    yield SkmHall(h, console)
    console.stop()
    h.stop()


@pytest.fixture
def new_tab(browser: object) -> Iterator[object]:
    tabs: list[Tab] = []

    def make(width: int = 360, height: int = 800, javascript: bool = True) -> object:
        tabs.append(Tab(browser, width, height, javascript=javascript))
        return tabs[-1].page

    yield make
    for t in tabs:
        t.close()
    errors = [e for t in tabs for e in t.errors]
    assert errors == [], errors


def answer_all(page: object, scores: list[int], tmp: Path | None = None) -> None:
    """Tap one big button per unsur, then fill the profile and send."""
    for i, score in enumerate(scores):
        expect(page, ".skm-question").to_have_text(skm.UNSUR[i].question_id,  # type: ignore[attr-defined]
                                                    timeout=WAIT_MS)
        if i == 0 and tmp is not None:
            shot(page, tmp, "skm-survey-360x800")
        page.click(f"button.skm-score-{score}")  # type: ignore[attr-defined]
    expect(page, ".skm-question").to_have_text("Tentang Anda", timeout=WAIT_MS)  # type: ignore[attr-defined]
    for key, code in (("umur", "u40"), ("jenis_kelamin", "P"), ("pendidikan", "sma"),
                      ("pekerjaan", "wirausaha")):
        page.check(f"input[name={key}][value={code}]")  # type: ignore[attr-defined]
    page.fill("textarea[name=saran]", "Ruang tunggu nyaman")  # type: ignore[attr-defined]
    page.click("button.skm-send")  # type: ignore[attr-defined]


def console_ikm(hall: SkmHall, page: object) -> str:
    page.goto(hall.console.url + "/skm?periode=bulan&tahun=2026&ke=11")  # type: ignore[attr-defined]
    if page.locator("input[name=username]").count():  # type: ignore[attr-defined]
        page.fill("input[name=username]", "kepala")  # type: ignore[attr-defined]
        page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
        page.click("button[type=submit]")  # type: ignore[attr-defined]
        page.goto(hall.console.url + "/skm?periode=bulan&tahun=2026&ke=11")  # type: ignore[attr-defined]
    return str(page.locator("#skm-ikm").inner_text())  # type: ignore[attr-defined]


def test_served_the_phone_answers_once_and_the_console_ikm_changes(
        hall: SkmHall, new_tab: object, tmp_path: Path) -> None:
    office = new_tab(1920, 1080)  # type: ignore[operator]
    assert console_ikm(hall, office) == "–"
    _, path = hall.hall.issue()
    phone = new_tab()  # type: ignore[operator]
    phone.goto(hall.hall.web.url + path)  # type: ignore[attr-defined]
    expect(phone, "#ticket-status").to_have_text("Menunggu")  # type: ignore[attr-defined]
    assert phone.locator("#skm-offer").count() == 0  # type: ignore[attr-defined]
    hall.finish(1)
    # The live page offers the survey once the counter finished the ticket.
    expect(phone, "#skm-offer").to_be_visible(timeout=WAIT_MS)  # type: ignore[attr-defined]
    # A second phone (the same QR) opens the survey too, before the first one sends.
    other = new_tab()  # type: ignore[operator]
    other.goto(hall.hall.web.url + "/skm" + path)  # type: ignore[attr-defined]
    phone.click("#skm-offer")  # type: ignore[attr-defined]
    answer_all(phone, [4, 4, 3, 4, 4, 4, 4, 3, 4], tmp_path)
    expect(phone, ".skm-question").to_have_text("Terima kasih", timeout=WAIT_MS)  # type: ignore[attr-defined]
    shot(phone, tmp_path, "skm-thanks-360x800")
    hall.synced()
    # Scores 4,4,3,4,4,4,4,3,4: 34/9 × 25 = 94.44, grade A.
    assert console_ikm(hall, office) == "94.44"
    expect(office, "#skm-mutu").to_have_text("A")  # type: ignore[attr-defined]
    expect(office, "#skm-respondents").to_have_text("1 / 1")  # type: ignore[attr-defined]
    expect(office, "[data-table=saran]").to_contain_text("Ruang tunggu nyaman")  # type: ignore[attr-defined]
    shot(office, tmp_path, "skm-console-1920x1080")
    # The second phone's next tap is refused, kindly; nothing changes.
    other.click("button.skm-score-1")  # type: ignore[attr-defined]
    expect(other, ".skm-text").to_contain_text("sudah diisi", timeout=WAIT_MS)  # type: ignore[attr-defined]
    hall.synced()
    assert console_ikm(hall, office) == "94.44"
    # The ticket page now thanks instead of offering; the survey address says it is done.
    phone.goto(hall.hall.web.url + path)  # type: ignore[attr-defined]
    expect(phone, ".skm-offer-note").to_contain_text("sudah kami terima")  # type: ignore[attr-defined]
    assert phone.locator("#skm-offer").count() == 0  # type: ignore[attr-defined]
    phone.goto(hall.hall.web.url + "/skm" + path)  # type: ignore[attr-defined]
    expect(phone, ".skm-text").to_contain_text("sudah diisi")  # type: ignore[attr-defined]


def test_the_counter_screen_offers_only_the_ticket_just_finished_there(
        hall: SkmHall, new_tab: object, tmp_path: Path) -> None:
    hall.hall.issue("bpjs-daftar")
    tablet1, tablet3 = new_tab(1024, 600), new_tab(1024, 600)  # type: ignore[operator]
    tablet1.goto(hall.hall.web.url + "/skm/loket/1")  # type: ignore[attr-defined]
    tablet3.goto(hall.hall.web.url + "/skm/loket/3")  # type: ignore[attr-defined]
    expect(tablet3, ".skm-question").to_have_text("Terima kasih atas kunjungan Anda")  # type: ignore[attr-defined]
    # Without JavaScript the screen reloads itself (no-JS fallback); with it, it is live.
    plain = new_tab(1024, 600, javascript=False)  # type: ignore[operator]
    plain.goto(hall.hall.web.url + "/skm/loket/3")  # type: ignore[attr-defined]
    tablet3.evaluate("window.sameDocument = true")  # type: ignore[attr-defined]
    label = hall.finish(3)
    # Offered live over the stream, within two seconds of the web station having the finish,
    # and in the same document: nothing reloaded.
    expect(tablet3, ".skm-question").to_contain_text(label, timeout=2000)  # type: ignore[attr-defined]
    assert tablet3.evaluate("window.sameDocument") is True  # type: ignore[attr-defined]
    expect(plain, ".skm-question").to_contain_text(label, timeout=WAIT_MS)  # type: ignore[attr-defined]
    shot(tablet3, tmp_path, "skm-loket-1024x600")
    tablet1.reload()  # type: ignore[attr-defined]
    expect(tablet1, ".skm-question").to_have_text("Terima kasih atas kunjungan Anda")  # type: ignore[attr-defined]
    assert label not in tablet1.content()  # type: ignore[attr-defined]
    tablet3.click("button.skm-start")  # type: ignore[attr-defined]
    answer_all(tablet3, [3] * 9)
    expect(tablet3, ".skm-question").to_have_text("Terima kasih", timeout=WAIT_MS)  # type: ignore[attr-defined]
    hall.synced()
    tablet3.goto(hall.hall.web.url + "/skm/loket/3")  # type: ignore[attr-defined]
    # Answered: the counter's screen is idle again.
    expect(tablet3, ".skm-question").to_have_text("Terima kasih atas kunjungan Anda")  # type: ignore[attr-defined]


def test_an_unserved_tickets_page_offers_no_survey(hall: SkmHall, new_tab: object) -> None:
    _, path = hall.hall.issue("kk")
    phone = new_tab()  # type: ignore[operator]
    phone.goto(hall.hall.web.url + path)  # type: ignore[attr-defined]
    expect(phone, "#ticket-status").to_have_text(re.compile("Menunggu"))  # type: ignore[attr-defined]
    assert phone.locator("#skm-offer").count() == 0  # type: ignore[attr-defined]
    assert "/skm/" not in phone.content()  # type: ignore[attr-defined]
    phone.goto(hall.hall.web.url + "/skm" + path)  # type: ignore[attr-defined]
    expect(phone, ".skm-text").to_contain_text("setelah Anda selesai dilayani")  # type: ignore[attr-defined]
    assert phone.locator("button.skm-answer").count() == 0  # type: ignore[attr-defined]
