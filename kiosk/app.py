"""The kiosk window: a thin Qt shell over `KioskCore`.

Header (MPP name, clock, language switch) · one screen per step · a discreet staff line. Taps
call the core; the core's `changed` repaints the current screen. The window turns its grids
between portrait (1080×1920) and landscape (1920×1080) by its own shape.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
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
from kiosk.screens.common import ElidedLabel, button, label, stylesheet

log = logging.getLogger(__name__)

ADMIN_HOLD_MS = 3_000  # a long press in the top-left corner opens the PIN pad
CORNER = 140  # kiosk pixels


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


class KioskWindow(QWidget):
    def __init__(self, core: KioskCore, kiosk_mode: bool = False,
                 admin_hold_ms: int = ADMIN_HOLD_MS, parent: QWidget | None = None) -> None:
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
        self.setMinimumSize(1, 1)

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

        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)
        self._ticker.start()

        core.changed.connect(self.refresh)
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
        self.stack.setCurrentWidget(screen)
        self._tick()

    def _tick(self) -> None:
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
        self.portrait = portrait

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        before = (self._u, self.portrait)
        self._apply_scale()
        if (self._u, self.portrait) != before:
            self.refresh()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Any touch anywhere keeps the visitor's session alive (reading the requirements
        # counts), so the idle timeout only fires when nobody is there.
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin):
            self.core.touch()
        return False

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
        super().closeEvent(event)
