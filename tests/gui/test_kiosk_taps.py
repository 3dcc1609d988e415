"""Real hands on the kiosk: double taps, a finger on the screen while it changes, touch events,
held keys. A tap must act only on the screen it was aimed at.

Input goes in through the window (`QTest` on its QWindow, and touch events from a touchscreen
device), so Qt itself finds the widget under the finger, as it does for a visitor. The window's
input clock is the tests' `TapClock`: "120 ms later" is exactly 120 ms for the kiosk.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint, QRect, Qt
from PySide6.QtGui import QKeyEvent, QPointingDevice
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication
from pytestqt.qtbot import QtBot

from kiosk.core import Step
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
    tap,
)
from tests.helpers.stubs import HeldRepliesLink

SECOND_TAP_MS = (50, 100, 120, 150)



@pytest.fixture(scope="module")
def touchscreen() -> QPointingDevice:
    return QTest.createTouchDevice(QPointingDevice.DeviceType.TouchScreen)


@pytest.fixture(params=["mouse", "touch"])
def hand_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def hand(k: Kiosk, kind: str, touchscreen: QPointingDevice) -> Hand:
    return Hand(k, touchscreen if kind == "touch" else None)


def visible_buttons(k: Kiosk) -> dict[str, QRect]:
    screen = k.window.current_screen()
    return {b.objectName(): rect_in_window(k, b)
            for b in screen.findChildren(QAbstractButton) if b.isVisible() and b.objectName()}


def spot_over(tile: QRect, underneath: dict[str, QRect]) -> tuple[QPoint, str]:
    """A point of `tile` that the next screen covers with one of its buttons."""
    for name, rect in underneath.items():
        both = tile.intersected(rect)
        if both.width() > 20 and both.height() > 20:
            return both.center(), name
    raise AssertionError(f"nothing of the next screen lies under {tile}")


def laid_out(qtbot: QtBot, k: Kiosk, prefix: str) -> dict[str, QRect]:
    """The next screen's buttons once its layout has settled: a screen change posts its
    layout work, and on a busy PC one pass of the event loop may not have done it all."""
    seen: list[dict[str, QRect]] = []

    def settled() -> bool:
        now = {n: r for n, r in visible_buttons(k).items()
               if n.startswith(prefix) and not r.isEmpty()}
        seen.append(now)
        return bool(now) and len(seen) > 1 and seen[-2] == now

    qtbot.waitUntil(settled, timeout=5000)
    return seen[-1]


def agency_tile_over_a_service(qtbot: QtBot, k: Kiosk) -> QPoint:
    tile = laid_out(qtbot, k, "agency:")["agency:DUKCAPIL"]
    k.core.choose_agency("DUKCAPIL")
    services = laid_out(qtbot, k, "service:")
    k.core.back()
    laid_out(qtbot, k, "agency:")
    spot, _ = spot_over(tile, services)
    return spot


def service_tile_over_a_priority_choice(qtbot: QtBot, k: Kiosk, service: str
                                        ) -> tuple[QPoint, str]:
    tile = laid_out(qtbot, k, "service:")[f"service:{service}"]
    k.core.choose_service(service)
    choices = laid_out(qtbot, k, "priority:")
    k.core.back()
    laid_out(qtbot, k, "service:")
    return spot_over(tile, choices)


# --- double taps ----------------------------------------------------------------------------


@pytest.mark.parametrize("second_after_ms", SECOND_TAP_MS)
def test_double_tap_on_an_agency_lands_on_its_service_list_and_stays(
    qtbot: QtBot, kiosk: Kiosk, hand_kind: str, touchscreen: QPointingDevice,
    second_after_ms: int,
) -> None:
    k = kiosk
    tap(qtbot, k, "take_number")
    spot = agency_tile_over_a_service(qtbot, k)
    hand(k, hand_kind, touchscreen).double_tap(spot, second_after_ms)
    assert k.step is Step.SERVICE and k.core.agency is not None
    assert k.core.agency.code == "DUKCAPIL"
    assert label_text(k, "service_title") == "Pilih layanan"
    assert k.window.guard.ignored > 0  # the second tap was seen, and ignored
    # The visitor then reads the list and taps a service: that tap is not eaten.
    k.taps.advance(READING_MS)
    hand(k, hand_kind, touchscreen).tap(spot)
    assert k.step is Step.PRIORITY


@pytest.mark.parametrize("second_after_ms", SECOND_TAP_MS)
def test_double_tap_on_a_service_shows_the_priority_question_and_issues_nothing(
    qtbot: QtBot, kiosk: Kiosk, hand_kind: str, touchscreen: QPointingDevice,
    second_after_ms: int,
) -> None:
    k = kiosk
    tap(qtbot, k, "take_number")
    tap(qtbot, k, "agency:DUKCAPIL")
    for service in ("ktp-ganti", "kk"):  # one lies over "Tidak", one over a priority group
        spot, under = service_tile_over_a_priority_choice(qtbot, k, service)
        hand(k, hand_kind, touchscreen).double_tap(spot, second_after_ms)
        assert k.step is Step.PRIORITY, f"the second tap went on to {under}"
        assert label_text(k, "priority_question") == "Apakah Anda termasuk prioritas?"
        assert k.link.reader.last_seq() == 0  # no ticket, priority or not
        tap(qtbot, k, "back")
        assert k.step is Step.SERVICE


def test_a_triple_tap_goes_one_screen_only(
    qtbot: QtBot, kiosk: Kiosk, touchscreen: QPointingDevice,
) -> None:
    k = kiosk
    tap(qtbot, k, "take_number")
    spot = agency_tile_over_a_service(qtbot, k)
    finger = Hand(k, touchscreen)
    k.taps.advance(READING_MS)
    for _ in range(3):
        finger.tap(spot)
        k.taps.advance(90)
    assert k.step is Step.SERVICE


# --- a finger on the screen while it changes -------------------------------------------------


@pytest.fixture
def slow_kiosk(qtbot: QtBot, tmp_path: Path, small_config: HallConfig,
               clock: ManualClock) -> Iterator[tuple[Kiosk, HeldRepliesLink]]:
    from shared.station.link import LocalLedger

    local = LocalLedger(tmp_path / "hall.db", small_config, clock)
    link = HeldRepliesLink(local.link("kiosk-1"))
    k = make_kiosk(qtbot, tmp_path, small_config, clock, link=link, local=local)
    yield k, link
    close_kiosk(k)


def done_button_spot(qtbot: QtBot, k: Kiosk, link: HeldRepliesLink) -> QPoint:
    """Where "Selesai" is on the ticket screen (from a first visitor's ticket)."""
    wait_for_a_number(qtbot, k, link)
    link.release()
    assert k.step is Step.TICKET
    spot = rect_in_window(k, button(k, "done")).center()
    tap(qtbot, k, "done")
    assert k.step is Step.WELCOME
    return spot


def wait_for_a_number(qtbot: QtBot, k: Kiosk, link: HeldRepliesLink) -> None:
    tap(qtbot, k, "take_number")
    tap(qtbot, k, "agency:DUKCAPIL")
    tap(qtbot, k, "service:kk")
    tap(qtbot, k, "priority:none")
    assert k.step is Step.ISSUING
    qtbot.waitUntil(lambda: bool(link.held), timeout=5000)


def test_finger_down_while_the_ticket_appears_does_not_press_its_done_button(
    qtbot: QtBot, slow_kiosk: tuple[Kiosk, HeldRepliesLink], hand_kind: str,
    touchscreen: QPointingDevice,
) -> None:
    k, link = slow_kiosk
    done = done_button_spot(qtbot, k, link)
    wait_for_a_number(qtbot, k, link)
    finger = hand(k, hand_kind, touchscreen)
    k.taps.advance(READING_MS)
    finger.press(done)  # on the "please wait" screen: nothing there
    link.release()  # the hub answers: the ticket screen is under the finger now
    assert k.step is Step.TICKET
    k.taps.advance(READING_MS)  # long after: the settling time is not what saves the ticket
    finger.release(done)
    QApplication.processEvents()
    assert k.step is Step.TICKET and label_text(k, "ticket_number") == "KK-002"
    assert not button(k, "done").isDown()


def test_a_tap_just_as_the_ticket_appears_is_ignored_and_a_later_one_works(
    qtbot: QtBot, slow_kiosk: tuple[Kiosk, HeldRepliesLink], hand_kind: str,
    touchscreen: QPointingDevice,
) -> None:
    k, link = slow_kiosk
    done = done_button_spot(qtbot, k, link)
    wait_for_a_number(qtbot, k, link)
    k.taps.advance(READING_MS)
    link.release()
    assert k.step is Step.TICKET
    finger = hand(k, hand_kind, touchscreen)
    for _ in range(3):  # impatient taps right as the ticket shows up
        k.taps.advance(100)
        finger.tap(done)
    assert k.step is Step.TICKET
    k.taps.advance(READING_MS)
    finger.tap(done)
    assert k.step is Step.WELCOME


# --- keys -----------------------------------------------------------------------------------


HELD_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space, Qt.Key.Key_Escape,
             Qt.Key.Key_Backspace, Qt.Key.Key_1)


def hold_key(k: Kiosk, key: Qt.Key, repeats: int = 30) -> int:
    """A key held down on a keyboard left at the kiosk: one press, many auto-repeats, one
    release, sent through the application as the window system would. Returns how many of them
    the kiosk's widgets were kept from."""
    target = QApplication.focusWidget() or k.window
    before = k.window.guard.ignored
    events = [QKeyEvent(QEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier, "", False)]
    for _ in range(repeats):
        events.append(QKeyEvent(QEvent.Type.KeyRelease, key, Qt.KeyboardModifier.NoModifier, "",
                                True))
        events.append(QKeyEvent(QEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier, "",
                                True))
    events.append(QKeyEvent(QEvent.Type.KeyRelease, key, Qt.KeyboardModifier.NoModifier, "",
                            False))
    for event in events:
        QApplication.sendEvent(target, event)
        k.taps.advance(30)
    QApplication.processEvents()
    return k.window.guard.ignored - before


def test_held_keys_do_nothing_on_any_screen(qtbot: QtBot, kiosk: Kiosk) -> None:
    k = kiosk
    for key in HELD_KEYS:
        assert hold_key(k, key) >= 60, key  # every auto-repeat kept from the widgets
        assert k.step is Step.WELCOME
    tap(qtbot, k, "take_number")
    tap(qtbot, k, "agency:DUKCAPIL")
    tap(qtbot, k, "service:kk")
    for key in HELD_KEYS:
        hold_key(k, key)
        assert k.step is Step.PRIORITY, key
    assert k.link.reader.last_seq() == 0
    assert "Apakah Anda termasuk prioritas?" in screen_text(k)
