"""A kiosk for GUI tests: the real KioskCore and KioskWindow over a real ledger (LocalLedger
on a tmp_path file), a print worker and a printer (the DummyPrinter unless a test gives one),
and the ways a visitor touches it: taps on its real buttons (`tap`), or a `Hand` that presses
window positions with the mouse or a finger on a touchscreen. The window's input clock is a
`TapClock`, so "120 ms later" is exactly 120 ms for the kiosk."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QPointingDevice
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from kiosk.app import KioskWindow
from kiosk.core import KioskCore, KioskSettings, Step, hash_pin
from kiosk.print_worker import PrintWorker
from kiosk.printing import DummyPrinter, TicketPrinter
from shared.clock import ManualClock
from shared.config import HallConfig
from shared.station.link import LocalLedger, StationLink

ADMIN_PIN = "2468"
# Hashing at the real cost would make every test pay ~50 ms for nothing.
ADMIN_PIN_HASH = hash_pin(ADMIN_PIN, iterations=1000)
PORTRAIT = (1080, 1920)
LANDSCAPE = (1920, 1080)
READING_MS = 1_000  # how long a visitor looks at a new screen before tapping it
TAP_MS = 30  # how long a finger stays down for one tap


class TapClock:
    """The kiosk window's input clock in tests (milliseconds since the kiosk started): it moves
    only when a test says so, so the time between two taps is exactly what the test means."""

    def __init__(self) -> None:
        self.ms = 0.0

    def __call__(self) -> float:
        return self.ms

    def advance(self, ms: float) -> None:
        self.ms += ms


@dataclass
class Kiosk:
    core: KioskCore
    window: KioskWindow
    link: StationLink
    local: LocalLedger
    printer: TicketPrinter
    worker: PrintWorker
    clock: ManualClock
    taps: TapClock

    @property
    def step(self) -> Step:
        return self.core.step


def make_kiosk(qtbot: QtBot, tmp_path: Path, config: HallConfig, clock: ManualClock,
               printer: TicketPrinter | None = None, link: StationLink | None = None,
               local: LocalLedger | None = None, size: tuple[int, int] = PORTRAIT,
               worker_options: dict[str, Any] | None = None, **settings: Any) -> Kiosk:
    local = local or LocalLedger(tmp_path / "hall.db", config, clock)
    link = link or local.link("kiosk-1")
    printer = printer or DummyPrinter("80mm")
    worker = PrintWorker(printer, **(worker_options or {}))
    options: dict[str, Any] = {"paper": "80mm", "admin_pin_hash": ADMIN_PIN_HASH,
                               "idle_timeout_ms": 60_000, "reply_timeout_ms": 3_000}
    options.update(settings)
    core = KioskCore(link, worker, clock, config, KioskSettings(**options))
    taps = TapClock()
    window = KioskWindow(core, admin_hold_ms=300, input_clock=taps)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    return Kiosk(core, window, link, local, printer, worker, clock, taps)


def close_kiosk(k: Kiosk) -> None:
    k.window.close()
    k.worker.shutdown()
    # What the print thread said before it stopped (a ticket printed, the printer's status)
    # reaches the core now, while its ledger is still open.
    QApplication.processEvents()
    k.local.close()


def button(k: Kiosk, name: str) -> QAbstractButton:
    """A button of the screen the visitor sees now (other screens have their own "back")."""
    found = (k.window.current_screen().findChild(QAbstractButton, name)
             or k.window.header.findChild(QAbstractButton, name))
    assert found is not None, f"no button {name!r} on the {k.step} screen"
    assert found.isVisible(), f"button {name!r} is hidden on the {k.step} screen"
    return found


def tap(qtbot: QtBot, k: Kiosk, name: str) -> None:
    """A visitor who reads the screen, then taps the button."""
    k.taps.advance(READING_MS)
    qtbot.mouseClick(button(k, name), Qt.MouseButton.LeftButton)


def tile_roles(k: Kiosk, agency: str) -> list[str]:
    """What the agency's visible tile shows: "logo" (a pixmap loaded) or "initials"."""
    tiles = [w for w in k.window.current_screen().findChildren(
        QAbstractButton, f"agency:{agency}") if w.isVisible()]
    assert len(tiles) == 1
    return [str(w.property("role")) for w in tiles[0].findChildren(QLabel)
            if w.property("role") == "initials"
            or (w.property("role") == "logo" and not w.pixmap().isNull())]


def screen_text(k: Kiosk) -> str:
    """Every visible word on the current screen, header and staff line included."""
    labels = [w for w in k.window.findChildren(QLabel) if w.isVisible()]
    buttons = [w for w in k.window.findChildren(QAbstractButton) if w.isVisible()]
    return "\n".join([w.text() for w in labels] + [w.text() for w in buttons])


def label_text(k: Kiosk, name: str) -> str:
    w = k.window.current_screen().findChild(QLabel, name)
    assert w is not None, f"no label {name!r} on the {k.step} screen"
    return w.text()


def take_ticket(qtbot: QtBot, k: Kiosk, agency: str, service: str,
                priority: str = "none") -> None:
    tap(qtbot, k, "take_number")
    tap(qtbot, k, f"agency:{agency}")
    tap(qtbot, k, f"service:{service}")
    tap(qtbot, k, f"priority:{priority}")


class Hand:
    """Taps the kiosk at window positions, with the mouse or with a finger on a touchscreen."""

    def __init__(self, k: Kiosk, device: QPointingDevice | None) -> None:
        self.k = k
        self.device = device
        window = k.window.windowHandle()
        assert window is not None
        self.window = window

    def press(self, pos: QPoint) -> None:
        self._send(pressed=True, pos=pos)

    def release(self, pos: QPoint) -> None:
        self._send(pressed=False, pos=pos)

    def _send(self, *, pressed: bool, pos: QPoint) -> None:
        if self.device is None:
            send = QTest.mousePress if pressed else QTest.mouseRelease
            send(self.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
            return
        touch = QTest.touchEvent(self.window, self.device)
        (touch.press if pressed else touch.release)(0, pos, self.window).commit()

    def tap(self, pos: QPoint) -> None:
        self.press(pos)
        self.k.taps.advance(TAP_MS)
        self.release(pos)

    def double_tap(self, pos: QPoint, second_after_ms: int) -> None:
        """Two taps on one spot, the second `second_after_ms` after the first began."""
        self.k.taps.advance(READING_MS)
        self.tap(pos)
        self.k.taps.advance(second_after_ms - TAP_MS)
        self.tap(pos)
        QApplication.processEvents()


def rect_in_window(k: Kiosk, w: QWidget) -> QRect:
    return QRect(w.mapTo(k.window, QPoint(0, 0)), w.size())
