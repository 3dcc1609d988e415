"""What counts as the officer's activity for the idle sign-out (shared/counter_rules.py): any
key, click, touch or scroll anywhere in the counter window, not only on its buttons. Typing a
name into the transfer page's search, scrolling the waiting line or a key the counter binds to
nothing all say the officer is there."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QWindow
from PySide6.QtWidgets import QApplication, QWidget

# A key bound to an action reaches the window as a ShortcutOverride and never as a KeyPress.
_ACTIVITY = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride, QEvent.Type.MouseButtonPress,
    QEvent.Type.TouchBegin, QEvent.Type.Wheel,
})


class ActivityWatch(QObject):
    """Calls `seen` on every key, click, touch or scroll in `window`. An application event
    filter, so a focused child's events (a text field, the list) are seen too; it ends with
    the window."""

    def __init__(self, window: QWidget, seen: Callable[[], None]) -> None:
        super().__init__(window)
        self._window = window
        self._seen = seen
        app = QApplication.instance()
        assert app is not None, "a QApplication must exist"
        app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _ACTIVITY and self._ours(watched):
            self._seen()
        return False  # only watched: the event goes on as it came

    def _ours(self, watched: QObject) -> bool:
        if isinstance(watched, QWidget):
            return watched.window() is self._window
        return isinstance(watched, QWindow) and watched is self._window.windowHandle()
