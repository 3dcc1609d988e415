"""The kiosk window: a thin Qt shell over `KioskCore`.

Header (MPP name, clock, language switch) · one screen per step · a discreet staff line. Taps
call the core; the core's `changed` repaints the current screen. The window turns its grids
between portrait (1080×1920) and landscape (1920×1080) by its own shape. Every tap passes a
`TapGuard` first, so it acts only on the screen it was aimed at, and the idle countdown lies over
everything until a touch cancels it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QMouseEvent, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLayout,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk import i18n
from kiosk.core import KioskCore, Step
from kiosk.screens import SCREENS, Screen
from kiosk.screens.common import ElidedLabel, button, label, scale_layouts, stylesheet
from kiosk.tap_guard import WATCHED, TapGuard, monotonic_ms

log = logging.getLogger(__name__)

ADMIN_HOLD_MS = 3_000  # a long press in the top-left corner opens the PIN pad
CORNER = 140  # kiosk pixels
# The smallest window the kiosk lays out without clipping: a third of the portrait hall screen
# (1080×1920), which fits a portrait kiosk beside the other windows of the demo on a 1366×768
# laptop. The hall's own kiosk is always full screen.
MINIMUM_SIZE = QSize(360, 640)


class CornerHold(QWidget):
    """An invisible square in the top-left corner: held for `hold_ms`, it emits `held`. Staff
    know it; a visitor who brushes it sees nothing happen."""

    held = Signal()

    def __init__(self, parent: QWidget, hold_ms: int) -> None:
        super().__init__(parent)
        self.setObjectName("admin_corner")
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(hold_ms)
        self._timer.timeout.connect(self.held)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._timer.start()
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._timer.stop()
        event.accept()

    def cancel(self) -> None:
        """The screen changed under the finger: that press no longer opens anything."""
        self._timer.stop()


class CountdownVeil(QWidget):
    """Over the whole window while the idle countdown runs: "Kembali ke awal dalam 10 detik —
    sentuh layar untuk melanjutkan". A touch anywhere cancels it (and does nothing else)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("countdown")
        self.setProperty("role", "veil")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.box = QVBoxLayout(self)
        self.box.addStretch(1)
        self.panel = QWidget()
        self.panel.setProperty("role", "countdown_panel")
        self.panel.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.inner = QVBoxLayout(self.panel)
        self.text = label("", "huge", name="countdown_text")
        self.inner.addWidget(self.text)
        self.box.addWidget(self.panel)
        self.box.addStretch(1)
        self.box.setContentsMargins(48, 48, 48, 48)  # kiosk pixels, scaled with the window
        self.inner.setContentsMargins(48, 48, 48, 48)
        self.hide()

    def show_seconds(self, text: str) -> None:
        self.text.setText(text)


class KioskWindow(QWidget):
    def __init__(self, core: KioskCore, kiosk_mode: bool = False,
                 admin_hold_ms: int = ADMIN_HOLD_MS, parent: QWidget | None = None,
                 input_clock: Callable[[], float] = monotonic_ms) -> None:
        super().__init__(parent)
        self.core = core
        self.kiosk_mode = kiosk_mode
        self._may_close = not kiosk_mode
        self.setObjectName("KioskWindow")
        self.setWindowTitle(core.config.mpp.name)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self._u = 0.0
        self.portrait = True
        # The hall's screen decides the size; content never pushes the window larger.
        self.setMinimumSize(MINIMUM_SIZE)
        self.guard = TapGuard(core.settings.settle_ms, input_clock)
        self._screen_key: tuple[object, ...] | None = None

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        # The layout must not set the top-level's minimum size either (on some platforms each
        # change is a round trip to the window system).
        outer.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.header = QWidget()
        self.header.setProperty("role", "header_bar")
        self.header.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        head = QHBoxLayout(self.header)
        head.setContentsMargins(36, 14, 24, 14)
        self.mpp = ElidedLabel(core.config.mpp.name, "header", name="header_mpp")
        self.clock = label("", "header_time", wrap=False, name="header_clock")
        self.language = button("", "language", self._toggle_language, "language")
        self.language.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        head.addWidget(self.mpp, 1)
        head.addWidget(self.clock)
        head.addSpacing(24)
        head.addWidget(self.language)
        outer.addWidget(self.header)

        self.stack = QStackedWidget()
        self.screens: dict[Step, Screen] = {}
        for step, cls in SCREENS.items():
            screen = cls(core)
            screen.setObjectName(f"screen:{step.value}")
            self.screens[step] = screen
            self.stack.addWidget(screen)
        outer.addWidget(self.stack, 1)

        foot = QHBoxLayout()
        foot.setContentsMargins(24, 0, 24, 12)
        foot.addStretch(1)
        self.staff_notice = label("", "notice", wrap=False, name="staff_notice")
        foot.addWidget(self.staff_notice)
        outer.addLayout(foot)

        self.corner = CornerHold(self, admin_hold_ms)
        self.corner.held.connect(core.request_admin)
        self.countdown = CountdownVeil(self)

        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)
        self._ticker.start()

        core.changed.connect(self.refresh)
        core.countdown_changed.connect(self._show_countdown)
        core.quit_requested.connect(self._leave_kiosk_mode)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self._apply_scale()
        self.refresh()

    # --- the shell ----------------------------------------------------------------------------

    def current_screen(self) -> Screen:
        return self.screens[self.core.step]

    def refresh(self) -> None:
        core = self.core
        if core.link.closed:
            # The station's link (and its replica) closed under a window still standing (a
            # closing app, a test's leftover): nothing true is left to draw, and no timer of
            # the core should fire again.
            core.stop()
            self._ticker.stop()
            return
        key = (core.step, core.agency_page, core.service_page,
               core.agency.code if core.agency else "",
               core.ticket.ticket_id if core.ticket else "")
        if key != self._screen_key:
            # Another screen (or another page of tiles) under the visitor's finger.
            self._screen_key = key
            self.guard.screen_changed()
            self.corner.cancel()
        self.language.setText(core.t("language_switch"))
        notice = core.staff_notice()
        self.staff_notice.setText(notice)
        self.staff_notice.setVisible(bool(notice))
        screen = self.screens[core.step]
        # Hide the header's duplicate clock where the screen shows the time in large type.
        self.clock.setVisible(core.step is not Step.WELCOME)
        # A stack lays out only its current page; size this one first so it fits its content
        # (the ticket number's type size) to the real width.
        screen.resize(self.stack.size())
        screen.refresh(self.portrait, self._u)
        scale_layouts(self, self._u)
        self.stack.setCurrentWidget(screen)
        self._tick()

    def _tick(self) -> None:
        self.core.link.check_config()  # a version from today's date comes into force
        now = self.core.now()
        time_of_day = i18n.time_text(now, self.core.config.mpp.timezone)
        # Portrait is narrow: the time alone leaves room for the hall's name.
        self.clock.setText(time_of_day if self.portrait else
                           f"{i18n.date_text(self.core.language, now.date())}  ·  {time_of_day}")
        screen = self.screens[self.core.step]
        tick = getattr(screen, "tick", None)
        if tick is not None:
            tick()

    def _toggle_language(self) -> None:
        self.core.toggle_language()

    def _show_countdown(self) -> None:
        seconds = self.core.countdown
        if seconds is None:
            self.countdown.hide()
            return
        text = self.core.t("countdown_one") if seconds == 1 else self.core.t("countdown", n=seconds)
        self.countdown.show_seconds(text)
        self.countdown.setGeometry(self.rect())
        self.countdown.show()
        self.countdown.raise_()

    def _apply_scale(self) -> None:
        w, h = max(1, self.width()), max(1, self.height())
        u = min(w, h) / 1080
        portrait = h >= w
        if abs(u - self._u) > 0.01:
            self._u = u
            self.setStyleSheet(stylesheet(u))
        size = round(CORNER * u)
        self.corner.setGeometry(0, 0, size, size)
        self.corner.raise_()
        self.countdown.setGeometry(self.rect())
        self.countdown.raise_()
        self.portrait = portrait

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        before = (self._u, self.portrait)
        self._apply_scale()
        if (self._u, self.portrait) != before:
            self.refresh()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() not in WATCHED:
            return False
        target = watched if isinstance(watched, QWidget) and (
            watched is self or self.isAncestorOf(watched)) else None
        if target is None and (watched is not self.windowHandle() or watched is None):
            return False  # another window of the application (the demo has four)
        ignore = self.guard.judge(event, target, self._claim_press)
        # Kept from the widget, not from the window: Qt's note of which widget holds the mouse
        # is made and cleared at the window, and must stay true.
        return ignore and target is not None

    def _claim_press(self) -> bool:
        # Any touch anywhere keeps the visitor's session alive (reading the requirements
        # counts), so the idle timeout only fires when nobody is there. A touch that cancels
        # the countdown is only that: it presses nothing underneath.
        return self.core.touch()

    def _leave_kiosk_mode(self) -> None:
        self._may_close = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._may_close:
            # Leaving kiosk mode goes through the admin PIN, not Alt+F4.
            event.ignore()
            return
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self._ticker.stop()
        self.core.stop()
        super().closeEvent(event)
