"""How every Qt app of the hall starts and stops (kiosk, counter, display, the windowed demo).

`qt_application()` makes the QApplication only after a child process showed that Qt's
platform plugin loads here (shared.station.qt_platform); otherwise it raises QtStartError with
one English line and the fix, instead of Qt's multi-line abort.

`stop_on_signals()` makes SIGINT (Ctrl+C) and SIGTERM (systemctl stop) end the event loop
cleanly, so the app's own shutdown runs: replica closed, print worker and voice stopped.
Python runs a signal handler only between bytecodes, and inside QApplication.exec() no Python
runs until Qt calls back: so the C-level handler writes to a socket (signal.set_wakeup_fd),
Qt's event loop sees the socket readable, and its slot gives Python the turn it needs. The
handler quits the loop instead of raising KeyboardInterrupt inside whatever Qt callback
happened to run. An app stopped this way exits 0: the stop was asked for and done (systemd
counts 0 as a clean stop; 130/143 would be logged as a failure of the unit).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import sys
from collections.abc import Iterator
from types import FrameType
from typing import Any

from PySide6.QtCore import QCoreApplication, QSocketNotifier
from PySide6.QtWidgets import QApplication

from shared.station import qt_platform

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class QtStartError(Exception):
    """Qt cannot show windows here; the message is one line with the fix."""


def qt_application(name: str | None = None) -> QApplication:
    """The process's QApplication: the existing one (tests), or a new one once Qt's platform
    plugin was seen to load in this environment."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    report = qt_platform.probe()
    if not report.ok:
        raise QtStartError(f"cannot show windows: {report.line()}")
    app = QApplication(sys.argv[:1])
    if name:
        app.setApplicationName(name)
    return app


def start_qt(command: str, name: str | None = None) -> tuple[QApplication, SignalStop]:
    """An app's start: the checked QApplication and its SignalStop. Where Qt cannot show
    windows, prints "antrean kiosk: cannot show windows: ...; fix: ..." and exits 2."""
    try:
        app = qt_application(name)
    except QtStartError as e:
        print(f"{command}: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    return app, SignalStop(app)


class SignalStop:
    """SIGINT and SIGTERM quit `app`'s event loop; `exec()` runs it. Installed for the rest of
    the process (a second Ctrl+C during shutdown is then ignored, not a traceback), or until
    `uninstall()`."""

    def __init__(self, app: QCoreApplication) -> None:
        self.app = app
        self.received: int | None = None
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(),
                                                 warn_on_full_buffer=False)
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read)
        self._notifier.activated.connect(self._wake)
        self._previous = {s: signal.signal(s, self._handle) for s in STOP_SIGNALS}

    def _wake(self, *_: Any) -> None:
        # Python has run the handler by now; the bytes only had to wake the loop.
        with contextlib.suppress(OSError):
            self._reader.recv(64)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is None:
            log.info("stopping (%s)", signal.Signals(signum).name)
        self.received = signum
        # Does nothing before the loop runs; exec() then does not start it.
        self.app.quit()

    def exec(self) -> int:
        """Run the event loop unless a stop came already; 0 when a signal ended it."""
        if self.received is not None:
            return 0
        code = int(self.app.exec())
        return 0 if self.received is not None else code

    def uninstall(self) -> None:
        for s, handler in self._previous.items():
            signal.signal(s, handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._notifier.setEnabled(False)
        self._notifier.deleteLater()
        self._reader.close()
        self._writer.close()


@contextlib.contextmanager
def stop_on_signals(app: QCoreApplication) -> Iterator[SignalStop]:
    stop = SignalStop(app)
    try:
        yield stop
    finally:
        stop.uninstall()
