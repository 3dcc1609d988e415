"""Before the kiosk drops a visitor's choices for want of a touch, it says so and counts down:
"Kembali ke awal dalam 10 detik — sentuh layar untuk melanjutkan". A touch cancels it, and only
cancels it. Timers are the kiosk's own, shortened by its settings; the tests wait on conditions.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QTimer
from PySide6.QtGui import QPointingDevice
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from kiosk.core import Step
from kiosk.printing import DummyPrinter
from kiosk.ticket import TicketLayout
from shared.clock import ManualClock
from shared.config import HallConfig
from tests.helpers.kiosk_hall import (
    READING_MS,
    Hand,
    Kiosk,
    button,
    close_kiosk,
    label_text,
    make_kiosk,
    rect_in_window,
    screen_text,
    take_ticket,
    tap,
)

TEN_SECONDS = "Kembali ke awal dalam 10 detik — sentuh layar untuk melanjutkan"


def test_countdown_warns_and_a_touch_cancels_it_without_pressing_anything(
    qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock
) -> None:
    # The countdown's second is long here: it stays at 10 while the test looks at it.
    k = make_kiosk(qtbot, tmp_path, small_config, clock, idle_timeout_ms=150,
                   countdown_tick_ms=600_000)
    try:
        tap(qtbot, k, "take_number")
        tap(qtbot, k, "agency:DUKCAPIL")
        veil = k.window.countdown
        qtbot.waitUntil(veil.isVisible, timeout=3000)
        assert TEN_SECONDS in screen_text(k)
        assert veil.geometry() == k.window.rect()  # over everything, the buttons included
        assert k.step is Step.SERVICE and k.core.countdown == 10

        # The visitor touches the screen where a service tile lies under the veil.
        spot = rect_in_window(k, button(k, "service:kk")).center()
        device = QTest.createTouchDevice(QPointingDevice.DeviceType.TouchScreen)
        k.taps.advance(READING_MS)
        Hand(k, device).tap(spot)
        assert not veil.isVisible() and k.core.countdown is None
        assert k.step is Step.SERVICE  # the touch pressed nothing underneath
        assert k.core.agency is not None and k.core.agency.code == "DUKCAPIL"

        # Still nobody choosing: the warning comes back, and a tap on the veil's text works too.
        qtbot.waitUntil(veil.isVisible, timeout=3000)
        k.taps.advance(READING_MS)
        Hand(k, None).tap(QPoint(k.window.width() // 2, k.window.height() // 2))
        assert not veil.isVisible() and k.step is Step.SERVICE
    finally:
        close_kiosk(k)


def test_countdown_ticks_to_zero_then_the_kiosk_starts_over(
    qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock
) -> None:
    k = make_kiosk(qtbot, tmp_path, small_config, clock, idle_timeout_ms=50, countdown_s=3,
                   countdown_tick_ms=40)
    try:
        shown: list[str] = []
        k.core.countdown_changed.connect(
            lambda: shown.append(label_text_or_none(k)))
        tap(qtbot, k, "language")
        tap(qtbot, k, "take_number")
        tap(qtbot, k, "agency:DUKCAPIL")
        tap(qtbot, k, "service:kk")
        assert k.step is Step.PRIORITY
        qtbot.waitUntil(lambda: k.step is Step.WELCOME, timeout=3000)
        assert [s for s in shown if s] == [
            "Back to the start in 3 seconds — touch the screen to continue",
            "Back to the start in 2 seconds — touch the screen to continue",
            "Back to the start in 1 second — touch the screen to continue",
        ]
        assert not k.window.countdown.isVisible()
        assert k.core.agency is None and k.core.service is None and k.core.language == "id"
        assert k.link.reader.last_seq() == 0
    finally:
        close_kiosk(k)


def label_text_or_none(k: Kiosk) -> str:
    veil = k.window.countdown
    return veil.text.text() if veil.isVisible() else ""


def test_no_countdown_after_a_printed_ticket_but_one_for_a_failed_print(
    qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock
) -> None:
    printer = DummyPrinter("80mm")
    k = make_kiosk(qtbot, tmp_path, small_config, clock, printer=printer,
                   ticket_timeout_ms=100, failed_ticket_timeout_ms=100,
                   countdown_tick_ms=600_000)
    try:
        warned: list[int | None] = []
        k.core.countdown_changed.connect(lambda: warned.append(k.core.countdown))
        take_ticket(qtbot, k, "DUKCAPIL", "kk")
        qtbot.waitUntil(lambda: k.step is Step.TICKET, timeout=5000)
        # The visitor holds the paper: nothing to lose, straight back to the start.
        qtbot.waitUntil(lambda: k.step is Step.WELCOME, timeout=3000)
        assert warned == []

        printer.fail_with = "printer is out of paper"
        take_ticket(qtbot, k, "DUKCAPIL", "kk")
        qtbot.waitUntil(lambda: k.core.ticket is not None
                        and k.core.ticket.print_state == "failed", timeout=5000)
        # This screen is the visitor's ticket: it is not taken away without a warning.
        qtbot.waitUntil(k.window.countdown.isVisible, timeout=3000)
        assert k.step is Step.TICKET and label_text(k, "ticket_number") == "KK-002"
        assert TEN_SECONDS in screen_text(k)
    finally:
        close_kiosk(k)


class SlowPrinter(DummyPrinter):
    """Test double for a thermal printer that takes its time (a cold print head, a busy PC):
    each ticket waits for the test to let it out."""

    def __init__(self) -> None:
        super().__init__("80mm")
        self.go = threading.Event()

    def print_ticket(self, layout: TicketLayout) -> None:
        self.go.wait(30)
        super().print_ticket(layout)


def test_a_ticket_still_printing_is_neither_counted_down_nor_taken_away(
    qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock
) -> None:
    printer = SlowPrinter()
    k = make_kiosk(qtbot, tmp_path, small_config, clock, printer=printer,
                   ticket_timeout_ms=50, failed_ticket_timeout_ms=50,
                   countdown_tick_ms=600_000)
    try:
        warned: list[int | None] = []
        k.core.countdown_changed.connect(lambda: warned.append(k.core.countdown))
        idles: list[int] = []
        k.core._idle.timeout.connect(lambda: idles.append(1))
        take_ticket(qtbot, k, "DUKCAPIL", "kk")
        qtbot.waitUntil(lambda: len(idles) >= 3, timeout=5000)  # the ticket's wait, thrice over
        assert k.step is Step.TICKET and warned == []
        assert k.core.ticket is not None and k.core.ticket.print_state == "printing"
        printer.go.set()  # the paper comes out: the visitor holds it, back to the start
        qtbot.waitUntil(lambda: k.step is Step.WELCOME, timeout=5000)
        assert warned == [] and len(printer.jobs) == 1
    finally:
        printer.go.set()
        close_kiosk(k)


def test_a_closed_kiosk_counts_down_nothing_and_reads_no_ledger(
    qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A kiosk window closed while a visitor's choice was pending: its idle reset must not fire
    # later (it redrew a window that was gone, from a ledger already closed).
    k = make_kiosk(qtbot, tmp_path, small_config, clock, idle_timeout_ms=100)
    tap(qtbot, k, "take_number")
    tap(qtbot, k, "agency:DUKCAPIL")
    close_kiosk(k)
    caplog.clear()
    later = QTimer()
    later.setSingleShot(True)
    with qtbot.waitSignal(later.timeout, timeout=3000):
        later.start(400)  # four idle timeouts
    assert not [r for r in caplog.records if "idle on" in r.getMessage()]
    assert k.core.countdown is None
