"""A kiosk's printer problem reaches the officers: a banner on the counter, a line on the board,
until the kiosk says the printer is OK again, across restarts and catch-up.

Everything is real except the printer: a hub on 127.0.0.1, and a kiosk, a counter and a board
each with its own replica, as on the hall's LAN. The printer is `DummyPrinter`, the kiosk's test
double: it reports whatever status it is told and fails when told to.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from counter_client.app import CounterWindow
from counter_client.core import CounterCore
from display.board import BoardWindow, min_text_px
from display.core import AnnouncedStore, BoardCore
from kiosk.core import KioskCore, KioskSettings, Step
from kiosk.print_worker import PrintWorker
from kiosk.printing import DummyPrinter, PrinterStatus
from shared.clock import ManualClock
from shared.config import HallConfig
from shared.station.hub_link import HubLink
from shared.station.replica import Replica
from tests.helpers.inproc_hub import ThreadedHub

TIMEOUT = 5000
PAPER_OUT = "Kiosk kiosk-1: kertas printer habis."


@dataclass
class Lan:
    qtbot: QtBot
    config: HallConfig
    clock: ManualClock
    tmp: Path
    hub: ThreadedHub
    tokens: dict[str, str] = field(default_factory=dict)
    links: list[HubLink] = field(default_factory=list)

    def link(self, device: str, role: str, counter: int | None = None,
             wait: bool = True) -> HubLink:
        """A station's link; the same device again reopens its replica (a restart)."""
        if device not in self.tokens:
            self.tokens[device] = self.hub.auth.enroll(device, role, counter)
        link = HubLink(self.config, self.hub.url, self.tokens[device],
                       Replica(self.tmp / f"replica-{device}.db"), device, self.clock)
        self.links.append(link)
        if wait:
            self.qtbot.waitUntil(link.is_online, timeout=TIMEOUT)
        return link

    def close(self, link: HubLink) -> None:
        link.close()
        self.links.remove(link)


@pytest.fixture
def lan(qtbot: QtBot, tmp_path: Path, small_config: HallConfig,
        clock: ManualClock) -> Iterator[Lan]:
    hub = ThreadedHub(small_config, tmp_path, clock)
    lan = Lan(qtbot, small_config, clock, tmp_path, hub)
    try:
        yield lan
    finally:
        for link in list(lan.links):
            link.close()
        hub.stop()


class Counter:
    def __init__(self, lan: Lan, link: HubLink) -> None:
        self.link = link
        self.core = CounterCore(link, 1, tick_ms=50)
        self.window = CounterWindow(self.core)
        lan.qtbot.addWidget(self.window)
        self.window.resize(1366, 768)
        self.window.show()

    def banner(self) -> str:
        return self.window.alert_banner.text() if self.window.alert_banner.isVisible() else ""

    def stop(self) -> None:
        self.core.stop()
        self.window.close()


class Board:
    def __init__(self, lan: Lan, link: HubLink) -> None:
        self.core = BoardCore(link, lan.config, None, AnnouncedStore(None))
        self.window = BoardWindow(self.core, size=(1920, 1080))
        lan.qtbot.addWidget(self.window)
        self.window.resize(1920, 1080)
        self.window.show()
        self.core.start()

    def line(self) -> list[str]:
        line = self.window.staff_line
        return line.items() if line.isVisible() else []

    def stop(self) -> None:
        self.core.close()
        self.window.close()


def make_kiosk(lan: Lan, printer: DummyPrinter) -> tuple[KioskCore, PrintWorker]:
    link = lan.link("kiosk-1", "kiosk")
    worker = PrintWorker(printer)  # its first status check answers once the kiosk listens
    core = KioskCore(link, worker, lan.clock, lan.config,
                     KioskSettings(ask_priority=False, reply_timeout_ms=TIMEOUT))
    return core, worker


def take_number(qtbot: QtBot, kiosk: KioskCore) -> None:
    kiosk.start()
    kiosk.choose_agency("DUKCAPIL")
    kiosk.choose_service("kk")
    qtbot.waitUntil(lambda: kiosk.step is Step.TICKET, timeout=TIMEOUT)


def test_paper_out_is_shown_to_officers_until_the_kiosk_says_ok_across_restarts(
        lan: Lan, qtbot: QtBot) -> None:
    printer = DummyPrinter("80mm")
    kiosk, worker = make_kiosk(lan, printer)
    counter = Counter(lan, lan.link("counter-1", "counter", 1))
    board = Board(lan, lan.link("papan-1", "display"))
    try:
        qtbot.waitUntil(lambda: kiosk.printer_status == "ok", timeout=TIMEOUT)
        assert counter.banner() == "" and board.line() == []

        printer.reported_status = PrinterStatus.PAPER_OUT
        worker.check_status_now()
        qtbot.waitUntil(lambda: PAPER_OUT in counter.banner(), timeout=TIMEOUT)
        assert counter.banner() == f"⚠ {PAPER_OUT} (sejak 09:00 WIB)"
        qtbot.waitUntil(lambda: board.line() == [PAPER_OUT], timeout=TIMEOUT)
        # Big enough to read across the hall, like every board text.
        board.window.grab()
        [painted] = board.window.staff_line.texts
        assert PAPER_OUT in painted.text and not painted.elided
        assert painted.px >= math.floor(min_text_px(1920, 1080))

        # The board restarts: from its replica alone (before it reconnects) it shows the alert.
        board.stop()
        lan.close(board.core.link)  # type: ignore[arg-type]
        board = Board(lan, lan.link("papan-1", "display", wait=False))
        assert PAPER_OUT in board.line()  # beside "Papan terputus dari server", for now
        # The counter is switched off; the paper is changed while it is off.
        counter.stop()
        lan.close(counter.link)
        lan.clock.advance(minutes=4)
        printer.reported_status = PrinterStatus.OK
        worker.check_status_now()
        qtbot.waitUntil(lambda: board.line() == [], timeout=TIMEOUT)
        # Back on, its replica still says "paper out" until it has caught up.
        counter = Counter(lan, lan.link("counter-1", "counter", 1, wait=False))
        assert PAPER_OUT in counter.banner()
        qtbot.waitUntil(lambda: counter.banner() == "", timeout=TIMEOUT)
        assert not counter.window.alert_banner.isVisible()
        qtbot.waitUntil(lambda: not board.window.staff_line.isVisible(), timeout=TIMEOUT)
    finally:
        counter.stop()
        board.stop()
        worker.shutdown()


def test_a_failed_print_is_shown_until_a_ticket_prints_again(lan: Lan, qtbot: QtBot) -> None:
    printer = DummyPrinter("80mm", fail_with="paper jam")
    kiosk, worker = make_kiosk(lan, printer)
    counter = Counter(lan, lan.link("counter-1", "counter", 1))
    board = Board(lan, lan.link("papan-1", "display"))
    try:
        take_number(qtbot, kiosk)
        failed = "Kiosk kiosk-1: tiket KK-001 gagal dicetak (paper jam)."
        qtbot.waitUntil(lambda: failed in counter.banner(), timeout=TIMEOUT)
        qtbot.waitUntil(lambda: board.line() == [failed], timeout=TIMEOUT)
        # The jam is cleared (the status never said anything: only the next ticket can).
        printer.fail_with = None
        kiosk.finish()
        take_number(qtbot, kiosk)
        qtbot.waitUntil(lambda: counter.banner() == "" and board.line() == [],
                        timeout=TIMEOUT)
    finally:
        counter.stop()
        board.stop()
        worker.shutdown()
