"""Staff only: a long press in the top-left corner opens a PIN pad; the right PIN opens the
admin menu (test print, printer status, leave kiosk mode), a wrong one is refused."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from kiosk.core import Step, hash_pin, pin_matches
from kiosk.printing import DummyPrinter
from shared.clock import ManualClock
from shared.config import HallConfig
from tests.helpers.kiosk_hall import (
    ADMIN_PIN,
    READING_MS,
    Kiosk,
    close_kiosk,
    label_text,
    make_kiosk,
    tap,
)


def long_press_corner(qtbot: QtBot, k: Kiosk) -> None:
    corner = k.window.corner
    k.taps.advance(READING_MS)
    qtbot.mousePress(corner, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    qtbot.waitUntil(lambda: k.step is Step.PIN, timeout=3000)
    qtbot.mouseRelease(corner, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))


def type_pin(qtbot: QtBot, k: Kiosk, pin: str) -> None:
    for digit in pin:
        tap(qtbot, k, f"pin:{digit}")
    tap(qtbot, k, "pin:ok")


def test_short_touch_in_the_corner_does_nothing(qtbot: QtBot, kiosk: Kiosk) -> None:
    k = kiosk
    corner = k.window.corner
    assert corner.geometry().topLeft() == QPoint(0, 0) and corner.isVisible()
    k.taps.advance(READING_MS)
    qtbot.mouseClick(corner, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    assert not corner._timer.isActive()  # released before the hold: nothing will open
    assert k.step is Step.WELCOME


def test_wrong_pin_is_refused_and_right_pin_opens_the_menu(qtbot: QtBot, kiosk: Kiosk) -> None:
    k = kiosk
    long_press_corner(qtbot, k)
    assert label_text(k, "pin_title") == "Masukkan PIN admin"
    type_pin(qtbot, k, "1111")
    assert k.step is Step.PIN
    assert label_text(k, "pin_message") == "PIN salah."
    assert label_text(k, "pin_dots") == ""  # the wrong PIN is not left on screen

    type_pin(qtbot, k, ADMIN_PIN)
    assert k.step is Step.ADMIN
    assert label_text(k, "admin_title") == "Menu admin"
    qtbot.waitUntil(lambda: label_text(k, "admin_printer_status") == "Status printer: siap",
                    timeout=3000)

    tap(qtbot, k, "admin:test_print")
    qtbot.waitUntil(lambda: label_text(k, "admin_message") == "Tiket tes tercetak.",
                    timeout=3000)
    assert isinstance(k.printer, DummyPrinter)
    assert len(k.printer.jobs) == 1 and b"TES-000" in k.printer.jobs[0]
    assert k.link.reader.last_seq() == 0  # a test print is no ticket

    tap(qtbot, k, "admin:close")
    assert k.step is Step.WELCOME


def test_leaving_kiosk_mode_needs_the_pin(qtbot: QtBot, kiosk: Kiosk) -> None:
    k = kiosk
    long_press_corner(qtbot, k)
    type_pin(qtbot, k, ADMIN_PIN)
    with qtbot.waitSignal(k.core.quit_requested, timeout=1000):
        tap(qtbot, k, "admin:exit")
    assert not k.window.isVisible()


def test_too_many_wrong_pins_lock_the_pad(
    qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock
) -> None:
    k = make_kiosk(qtbot, tmp_path, small_config, clock)
    try:
        long_press_corner(qtbot, k)
        for _ in range(5):
            type_pin(qtbot, k, "0000")
        type_pin(qtbot, k, ADMIN_PIN)  # even the right PIN waits out the lock
        assert k.step is Step.PIN
        assert label_text(k, "pin_message").startswith("Terlalu banyak percobaan.")
        clock.advance(seconds=61)
        type_pin(qtbot, k, ADMIN_PIN)
        assert k.step is Step.ADMIN
    finally:
        close_kiosk(k)


def test_no_pin_configured_keeps_the_menu_locked(
    qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock
) -> None:
    k = make_kiosk(qtbot, tmp_path, small_config, clock, admin_pin_hash=None)
    try:
        long_press_corner(qtbot, k)
        assert "PIN admin belum diatur" in label_text(k, "pin_message")
        type_pin(qtbot, k, "0000")
        assert k.step is Step.PIN
        tap(qtbot, k, "cancel")
        assert k.step is Step.WELCOME
    finally:
        close_kiosk(k)


def test_pin_hash_round_trip() -> None:
    stored = hash_pin("2468", iterations=1000)
    assert stored.startswith("pbkdf2_sha256$1000$") and "2468" not in stored
    assert pin_matches("2468", stored)
    assert not pin_matches("2469", stored)
    assert not pin_matches("2468", "garbage")


def test_admin_menu_left_open_times_out(
    qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock
) -> None:
    k = make_kiosk(qtbot, tmp_path, small_config, clock, idle_timeout_ms=400,
                   countdown_tick_ms=30)
    try:
        long_press_corner(qtbot, k)
        type_pin(qtbot, k, ADMIN_PIN)
        assert k.step is Step.ADMIN
        qtbot.waitUntil(lambda: k.step is Step.WELCOME, timeout=3000)
    finally:
        close_kiosk(k)
