"""The counter's ticket scanner: a USB barcode scanner in keyboard mode types what the QR holds
("https://…/t/20261130-KTP-001-…" or the old "ANTREAN:20261130-KTP-001") and Enter.

Typed into the counter window as it is, the number pad's keys would fire: '.' and '-' recall,
Enter calls the next visitor. `ScanCatcher` stops that. A scan starts with a letter ('h' of
http, 'A' of ANTREAN), which no counter action is bound to by default; from that letter on,
every key, Enter included, goes into the scan instead of a shortcut, until Enter ends it (or
the keys stop for `idle_ms`: a scanner set up without the Enter suffix). A letter the officer
types by mistake only holds the keys for `idle_ms`, then is forgotten. Text fields (the PIN,
the search of the transfer page) type as usual: a scan there is the officer's own typing.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from shared.ticket_url import parse_ticket_ref

# A scanner types a QR's 80 characters in 40-200 ms; an officer's next key after a stray
# letter comes later than this.
SCAN_IDLE_MS = 300
_TYPING_WIDGETS = (QLineEdit, QComboBox, QAbstractSpinBox, QTextEdit, QPlainTextEdit)
_ENDS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class ScanCatcher(QObject):
    """Watches the key events of one window (an application event filter, so a focused
    child's keys are seen too) and emits `scanned` with what a scanner typed."""

    scanned = Signal(str)

    def __init__(self, window: QWidget, idle_ms: int = SCAN_IDLE_MS) -> None:
        super().__init__(window)
        self._window = window
        self._buffer: list[str] = []
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(idle_ms)
        self._idle.timeout.connect(self._stopped_typing)
        app = QApplication.instance()
        assert app is not None, "a QApplication must exist"
        app.installEventFilter(self)

    @property
    def scanning(self) -> bool:
        return bool(self._buffer)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride):
            return False
        if not isinstance(watched, QWidget) or watched.window() is not self._window:
            return False
        if isinstance(watched, _TYPING_WIDGETS) or not isinstance(event, QKeyEvent):
            return False
        if kind == QEvent.Type.ShortcutOverride:
            if not self._buffer:
                return False
            # Mid-scan: the key is the scan's, not an action's shortcut.
            event.accept()
            return True
        if not self._buffer:
            if not _starts_a_scan(event) or self._is_shortcut(event):
                return False
        elif event.key() in _ENDS:
            self._finish()
            return True
        if event.text() and event.text().isprintable():
            self._buffer.append(event.text())
            self._idle.start()
        # Mid-scan, a key that types nothing (a stray F-key) is swallowed, not acted on.
        return True

    def _is_shortcut(self, event: QKeyEvent) -> bool:
        # An officer may bind a letter to an action (--key call_next=A): it stays theirs.
        pressed = QKeySequence(event.keyCombination())
        return any(seq.matches(pressed) == QKeySequence.SequenceMatch.ExactMatch
                   for action in self._window.actions() for seq in action.shortcuts())

    def _finish(self) -> None:
        text = "".join(self._buffer)
        self._buffer.clear()
        self._idle.stop()
        self.scanned.emit(text)

    def _stopped_typing(self) -> None:
        if parse_ticket_ref("".join(self._buffer)) is not None:
            self._finish()  # a scanner that sends no Enter after the code
        else:
            self._buffer.clear()  # a stray letter: forget it


def _starts_a_scan(event: QKeyEvent) -> bool:
    text = event.text()
    mods = event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier
    return len(text) == 1 and text.isascii() and text.isalpha() and \
        mods == Qt.KeyboardModifier.NoModifier
