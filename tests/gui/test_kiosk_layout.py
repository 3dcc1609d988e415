"""Every kiosk screen lays out without clipping: on the hall's portrait and landscape screens and
in the smallest window the kiosk accepts (`kiosk.app.MINIMUM_SIZE`), with the example hall's
longest names and requirements.

"Clipped" is measured, not eyeballed: a text that needs more room than its widget has, a widget
that reaches outside its parent or the window, a button smaller than its label. Each screen at
each size is also saved as a PNG in the test's temporary folder, for a person to look at.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from kiosk.app import MINIMUM_SIZE, KioskWindow
from kiosk.core import Step
from kiosk.printing import DummyPrinter
from kiosk.screens.common import ElidedLabel, Tile
from shared.clock import ManualClock
from shared.config import HallConfig
from tests.helpers.kiosk_hall import Kiosk, close_kiosk, make_kiosk

WIB = dt.timezone(dt.timedelta(hours=7))
SMALLEST = (MINIMUM_SIZE.width(), MINIMUM_SIZE.height())
SIZES = {
    "portrait": (1080, 1920),
    "landscape": (1920, 1080),
    "smallest": SMALLEST,
    # The lowest landscape window the minimum allows, at a hall TV's 16:9.
    "smallest-landscape": (round(SMALLEST[1] * 16 / 9), SMALLEST[1]),
}


def rect_in(window: QWidget, w: QWidget) -> QRect:
    return QRect(w.mapTo(window, QPoint(0, 0)), w.size())


def clipped(window: KioskWindow) -> list[str]:
    """What does not fit on the window as it is shown now: one line per fault."""
    faults: list[str] = []
    area = window.rect()
    shown = [w for w in window.findChildren(QWidget) if w.isVisible()]
    for w in shown:
        text = w.text() if isinstance(w, QLabel | QAbstractButton) else ""
        where = rect_in(window, w)
        what = (f"{w.objectName() or type(w).__name__} {text[:40]!r} at "
                f"{where.x()},{where.y()} {w.width()}x{w.height()}")
        if w.width() <= 0 or w.height() <= 0:
            if text:
                faults.append(f"{what} is squeezed to nothing")
            continue
        if not area.contains(where):
            faults.append(f"{what} reaches outside the window")
            continue
        parent = w.parentWidget()
        if parent is not None and not QRect(QPoint(0, 0), parent.size()).contains(w.geometry()):
            faults.append(f"{what} reaches outside {parent.objectName() or 'its parent'}")
        if isinstance(w, ElidedLabel):
            continue  # made to end in "…" when the name is longer than the header
        if isinstance(w, QLabel):
            faults += _label_fault(w, what)
        elif isinstance(w, QAbstractButton) and not isinstance(w, Tile) and text:
            hint = w.sizeHint()
            if hint.width() > w.width() + 1 or hint.height() > w.height() + 1:
                faults.append(f"{what}: needs {hint.width()}x{hint.height()}")
    faults += _overlaps(window, shown)
    return faults


# Laid over the screen on purpose: the staff's hidden corner, and the countdown's veil.
OVERLAYS = frozenset({"admin_corner", "countdown"})


def _overlaps(window: QWidget, shown: list[QWidget]) -> list[str]:
    """Widgets of one parent that lie on top of each other: a layout squeezed below its
    minimum stacks its rows."""
    faults = []
    by_parent: dict[int, list[QWidget]] = {}
    for w in shown:
        if w.objectName() not in OVERLAYS and w.width() > 0 and w.height() > 0 \
                and w.parentWidget() is not None:
            by_parent.setdefault(id(w.parentWidget()), []).append(w)
    for siblings in by_parent.values():
        for i, a in enumerate(siblings):
            for b in siblings[i + 1:]:
                both = a.geometry().intersected(b.geometry())
                if both.width() > 1 and both.height() > 1:
                    faults.append(f"{_name(a)} and {_name(b)} overlap by "
                                  f"{both.width()}x{both.height()}")
    return faults


def _name(w: QWidget) -> str:
    text = w.text() if isinstance(w, QLabel | QAbstractButton) else ""
    return f"{w.objectName() or type(w).__name__} {text[:30]!r}"


def _label_fault(w: QLabel, what: str) -> list[str]:
    pix = w.pixmap()
    if pix is not None and not pix.isNull():
        size = pix.deviceIndependentSize()
        if size.width() > w.width() + 1 or size.height() > w.height() + 1:
            return [f"{what}: picture {size.width():.0f}x{size.height():.0f}"]
        return []
    if not w.text():
        return []
    if w.wordWrap():
        need_w, need_h = w.minimumSizeHint().width(), w.heightForWidth(w.width())
    else:
        need_w, need_h = w.sizeHint().width(), w.sizeHint().height()
    if need_w > w.width() + 1 or need_h > w.height() + 1:
        return [f"{what}: needs {need_w}x{need_h}"]
    return []


# --- every screen, reached the way a visitor's taps reach it -----------------------------------


def _ticket(qtbot: QtBot, k: Kiosk, *, failed: bool) -> None:
    assert isinstance(k.printer, DummyPrinter)
    k.printer.fail_with = "printer is out of paper" if failed else None
    k.core.reset()
    k.core.start()
    k.core.choose_agency("DUKCAPIL")
    k.core.choose_service("dukcapil-akta-kawin")
    k.core.choose_priority("disabilitas")
    state = "failed" if failed else "printed"
    qtbot.waitUntil(lambda: k.core.ticket is not None and k.core.ticket.print_state == state,
                    timeout=5000)


def _go(*steps: Callable[[Kiosk], object]) -> Callable[[QtBot, Kiosk], None]:
    def reach(qtbot: QtBot, k: Kiosk) -> None:
        k.core.reset()
        for step in steps:
            step(k)
    return reach


SCREENS: dict[str, Callable[[QtBot, Kiosk], None]] = {
    "welcome": _go(),
    "agency": _go(lambda k: k.core.start()),
    "agency-english": _go(lambda k: k.core.toggle_language(), lambda k: k.core.start()),
    "service": _go(lambda k: k.core.start(), lambda k: k.core.choose_agency("BPOM")),
    "priority": _go(lambda k: k.core.start(), lambda k: k.core.choose_agency("DUKCAPIL"),
                    lambda k: k.core.choose_service("dukcapil-akta-kawin")),
    "priority-english": _go(lambda k: k.core.toggle_language(), lambda k: k.core.start(),
                            lambda k: k.core.choose_agency("DUKCAPIL"),
                            lambda k: k.core.choose_service("dukcapil-akta-kawin")),
    "ticket": lambda qtbot, k: _ticket(qtbot, k, failed=False),
    "ticket-print-failed": lambda qtbot, k: _ticket(qtbot, k, failed=True),
    "slow": _go(lambda k: k.core._go(Step.SLOW)),
    "pin": _go(lambda k: k.core.request_admin(), lambda k: k.core.enter_pin("0000")),
    "admin": _go(lambda k: k.core.request_admin(), lambda k: k.core.enter_pin("2468")),
    "welcome-paper-out": _go(lambda k: k.core._on_printer_status("paper_out")),
    "countdown": _go(lambda k: k.core.start(), lambda k: k.core._on_idle()),
}


@pytest.fixture(params=list(SIZES))
def size_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_every_screen_fits_without_clipping(
    qtbot: QtBot, tmp_path: Path, example_config: HallConfig, size_name: str
) -> None:
    clock = ManualClock(dt.datetime(2026, 11, 30, 9, 30, tzinfo=WIB))
    size = SIZES[size_name]
    k = make_kiosk(qtbot, tmp_path, example_config, clock, size=size,
                   countdown_tick_ms=600_000)
    try:
        assert (k.window.width(), k.window.height()) == size
        faults: dict[str, list[str]] = {}
        for name, reach in SCREENS.items():
            k.core._on_printer_status("ok")
            reach(qtbot, k)
            QApplication.processEvents()
            k.window.grab().save(str(tmp_path / f"kiosk-{name}-{size_name}.png"))
            if found := clipped(k.window):
                faults[name] = found
        assert faults == {}
    finally:
        close_kiosk(k)


def test_holiday_and_offline_screens_fit(
    qtbot: QtBot, tmp_path: Path, example_config: HallConfig, size_name: str
) -> None:
    clock = ManualClock(dt.datetime(2026, 12, 25, 10, 0, tzinfo=WIB))
    k = make_kiosk(qtbot, tmp_path, example_config, clock, size=SIZES[size_name])
    try:
        faults = {}
        k.core.reset()
        QApplication.processEvents()
        k.window.grab().save(str(tmp_path / f"kiosk-welcome-holiday-{size_name}.png"))
        faults["welcome-holiday"] = clipped(k.window)
        k.link._set_online(False)
        QApplication.processEvents()
        assert k.step is Step.OFFLINE
        faults["offline"] = clipped(k.window)
        assert faults == {"welcome-holiday": [], "offline": []}
    finally:
        close_kiosk(k)


def test_the_window_is_never_smaller_than_its_minimum(qtbot: QtBot, tmp_path: Path,
                                                      example_config: HallConfig) -> None:
    clock = ManualClock(dt.datetime(2026, 11, 30, 9, 30, tzinfo=WIB))
    k = make_kiosk(qtbot, tmp_path, example_config, clock, size=(200, 300))
    try:
        assert (k.window.width(), k.window.height()) == SMALLEST
        assert k.window.minimumSize() == MINIMUM_SIZE
    finally:
        close_kiosk(k)
