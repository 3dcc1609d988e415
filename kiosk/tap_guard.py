"""A tap acts only on the screen it was aimed at.

Elderly hands double-tap, fingers bounce on cheap touchscreens, and a screen can change under a
finger (the hub's reply arrives, the idle reset comes). Without a guard the second touch of a
double tap lands on whatever button the next screen has in that place: in the hall trial it went
past the service list, and on a service it took a priority ticket without the priority question
ever being read. `TapGuard` decides, event by event, what the kiosk window lets through:

- for `settle_ms` after a screen appears, presses are ignored (and so is the rest of their
  gesture: its moves and its release);
- a release (or move) whose press went down on an earlier screen is ignored, so no button of the
  next screen ever receives the tail of a gesture that began on the previous one;
- a press that the window wants for itself (the one that cancels the idle countdown) is ignored
  by the buttons in the same way;
- held keys (auto-repeat) never act, and keys are ignored while a screen settles.

Qt shows one press to an application's event filter several times: to the window, then to the
widget (and its parents, if it declines), as a touch and then as the mouse press Qt makes of it,
as a press and then a double click. Every copy comes before the gesture's release and carries the
same timestamp and position, so a gesture's verdict is decided at its first copy and kept. The
widget is what ignores the event: Qt's own note of which widget holds the mouse (made at the
window) always stays true.

No timer and no sleep: the guard reads a millisecond clock, which tests replace with their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QPointF
from PySide6.QtGui import QKeyEvent, QMouseEvent, QPointerEvent
from PySide6.QtWidgets import QAbstractButton, QWidget

PRESSES = frozenset({QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick,
                     QEvent.Type.TouchBegin})
ENDS = frozenset({QEvent.Type.MouseButtonRelease, QEvent.Type.TouchEnd,
                  QEvent.Type.TouchCancel})
TAILS = ENDS | {QEvent.Type.MouseMove, QEvent.Type.TouchUpdate}
KEYS = frozenset({QEvent.Type.KeyPress, QEvent.Type.KeyRelease})
WATCHED = PRESSES | TAILS | KEYS


def monotonic_ms() -> float:
    return time.monotonic() * 1000


class TapGuard:
    def __init__(self, settle_ms: int, clock: Callable[[], float] = monotonic_ms) -> None:
        self.settle_ms = settle_ms
        self._clock = clock
        self._screen = 0  # counts the screens shown
        self._shown_at = clock()
        self._gesture_screen: int | None = None  # the screen the last press went down on
        self._gesture_ignored = False
        self._press_key: tuple[int, int, int] | None = None
        self._copies_open = False  # between a gesture's first press and its first release
        self.ignored = 0  # events kept from the widgets, for tests and logs

    def screen_changed(self) -> None:
        self._screen += 1
        self._shown_at = self._clock()

    def settled(self) -> bool:
        # A clock that went backwards (it never should) must not lock the screen.
        elapsed = self._clock() - self._shown_at
        return elapsed >= self.settle_ms or elapsed < 0

    def judge(self, event: QEvent, target: QWidget | None,
              claim_press: Callable[[], bool]) -> bool:
        """True when `event` (delivered to `target`, None for the window itself) must not reach
        the widget. `claim_press()` is asked once per new press: True if the window takes the
        press for itself."""
        kind = event.type()
        if kind in PRESSES:
            key = _press_key(event)
            if not (self._copies_open and key == self._press_key):
                self._press_key, self._copies_open = key, True
                claimed = claim_press()
                self._gesture_ignored = claimed or not self.settled()
                self._gesture_screen = self._screen
            ignore = self._gesture_ignored
        elif kind in TAILS:
            if kind is QEvent.Type.MouseMove and isinstance(event, QMouseEvent) \
                    and not event.buttons():
                return False  # a hover, not part of a gesture
            ignore = self._gesture_ignored or self._gesture_screen != self._screen
            if kind in ENDS:
                self._copies_open = False
            if ignore and kind is QEvent.Type.MouseButtonRelease and \
                    isinstance(target, QAbstractButton):
                # The button saw the press on its own (earlier) screen: let it come up again
                # without a click.
                target.setDown(False)
        elif kind in KEYS:
            ignore = (isinstance(event, QKeyEvent) and event.isAutoRepeat()) \
                or not self.settled()
        else:
            return False
        if ignore and target is not None:
            self.ignored += 1
        return ignore


def _press_key(event: QEvent) -> tuple[int, int, int]:
    """What the window's copy, the widget's copy and the touch behind a synthesized mouse press
    have in common: when (the device's timestamp) and where on the screen."""
    position = QPointF()
    if isinstance(event, QMouseEvent):
        position = event.globalPosition()
    elif isinstance(event, QPointerEvent) and event.pointCount():
        position = event.point(0).globalPosition()
    stamp = event.timestamp() if isinstance(event, QPointerEvent) else 0
    return stamp, round(position.x()), round(position.y())
