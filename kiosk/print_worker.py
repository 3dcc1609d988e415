"""Printing off the GUI thread.

`PrintWorker` lives with the kiosk's GUI objects; the printer lives on a `QThread` of its own,
where every blocking call (USB write, TCP connect, waiting for a status reply) happens. Results
come back as queued signals, so the touchscreen never freezes while a printer is slow or silent,
and the visitor keeps the number on screen whatever the printer does.

    worker = PrintWorker(make_printer(settings))
    worker.printed.connect(...)            # (ticket_id)
    worker.failed.connect(...)             # (ticket_id, reason in English)
    worker.status_changed.connect(...)     # a PrinterStatus value: ok, paper_out, unreachable ...
    worker.submit(ticket_id, layout)
    ...
    worker.shutdown()                      # before the application quits
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer, Signal, Slot

from kiosk.printing import PrinterError, PrinterStatus, TicketPrinter
from kiosk.ticket import TicketLayout

log = logging.getLogger(__name__)

DEFAULT_STATUS_INTERVAL_MS = 30_000
# While the printer is in trouble it is asked more often, so the staff line follows what really
# happens (paper refilled, or a printer out of paper that then goes silent) within seconds.
DEFAULT_FAULT_INTERVAL_MS = 5_000
# Statuses that say the printer needs someone (UNKNOWN does not: a device file never can say).
FAULTS = frozenset({PrinterStatus.PAPER_LOW, PrinterStatus.PAPER_OUT, PrinterStatus.OFFLINE,
                    PrinterStatus.UNREACHABLE})


class _PrintThreadJobs(QObject):
    """Runs on the print thread; everything here may block."""

    printed = Signal(str)
    failed = Signal(str, str)
    status_checked = Signal(str)

    def __init__(self, printer: TicketPrinter, status_interval_ms: int,
                 fault_interval_ms: int) -> None:
        super().__init__()
        self._printer = printer
        self._interval_ms = status_interval_ms
        self._fault_interval_ms = fault_interval_ms
        self._timer: QTimer | None = None

    @Slot()
    def start(self) -> None:
        # Created here so the timer belongs to the print thread and fires there.
        self._timer = QTimer(self)
        self._timer.setInterval(self._interval_ms)
        self._timer.timeout.connect(self.check_status)
        self._timer.start()
        self.check_status()

    @Slot(str, object)
    def print_ticket(self, ticket_id: str, layout: TicketLayout) -> None:
        try:
            self._printer.print_ticket(layout)
        except PrinterError as exc:
            log.warning("ticket %s not printed: %s", ticket_id, exc)
            self.failed.emit(ticket_id, str(exc))
        except Exception as exc:
            # A bug in a backend must not kill the print thread or leave the kiosk waiting for a
            # signal that never comes.
            log.exception("ticket %s: printing crashed", ticket_id)
            self.failed.emit(ticket_id, f"printing failed unexpectedly: {exc!r}")
        else:
            self.printed.emit(ticket_id)
        # Whatever happened, staff should see the printer as it is now, not as it was at the
        # last periodic check (a refilled roll, a fault that just began).
        self.check_status()

    @Slot()
    def check_status(self) -> None:
        try:
            status = self._printer.status()
        except Exception:
            log.exception("printer status check crashed")
            status = PrinterStatus.UNKNOWN
        if self._timer is not None:
            interval = self._fault_interval_ms if status in FAULTS else self._interval_ms
            if self._timer.interval() != interval:
                self._timer.setInterval(interval)
        self.status_checked.emit(str(status))

    @Slot()
    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        try:
            self._printer.close()
        except Exception:
            log.exception("closing the printer failed")
        thread = self.thread()
        if thread is not None:
            thread.quit()


class PrintWorker(QObject):
    """Prints tickets and watches the printer on a thread of its own.

    Jobs run one at a time in the order submitted. The printer's status is checked when the
    worker starts, every `status_interval_ms` (every `fault_interval_ms` while it is in
    trouble), after every ticket and on `check_status_now()`; `status_changed` is emitted when
    the answer differs from the last one.
    """

    printed = Signal(str)  # ticket_id
    failed = Signal(str, str)  # ticket_id, reason
    status_changed = Signal(str)  # a PrinterStatus value

    # Internal: emitting these from the GUI thread queues the call onto the print thread.
    _submit_requested = Signal(str, object)
    _check_requested = Signal()
    _stop_requested = Signal()

    def __init__(
        self,
        printer: TicketPrinter,
        status_interval_ms: int = DEFAULT_STATUS_INTERVAL_MS,
        parent: QObject | None = None,
        fault_interval_ms: int = DEFAULT_FAULT_INTERVAL_MS,
    ) -> None:
        super().__init__(parent)
        self._status: str | None = None
        self._thread = QThread()
        self._thread.setObjectName("antrean-print")
        self._jobs = _PrintThreadJobs(printer, status_interval_ms,
                                      min(fault_interval_ms, status_interval_ms))
        self._jobs.moveToThread(self._thread)
        self._submit_requested.connect(self._jobs.print_ticket)
        self._check_requested.connect(self._jobs.check_status)
        self._stop_requested.connect(self._jobs.stop)
        self._jobs.printed.connect(self.printed)
        self._jobs.failed.connect(self.failed)
        self._jobs.status_checked.connect(self._on_status_checked)
        self._thread.started.connect(self._jobs.start)
        # Deleted on its own thread, so its timer is stopped by the thread that owns it.
        self._thread.finished.connect(self._jobs.deleteLater)
        app = QCoreApplication.instance()
        if app is not None:
            # A QThread destroyed while running aborts the process; never let quitting do that.
            app.aboutToQuit.connect(self.shutdown)
        self._stopped = False
        self._thread.start()

    @property
    def status(self) -> str:
        """The last status reported ("unknown" before the first check has answered)."""
        return self._status or str(PrinterStatus.UNKNOWN)

    def submit(self, ticket_id: str, layout: TicketLayout) -> None:
        """Queue a ticket; `printed` or `failed` follows with the same ticket_id."""
        if self._stopped:
            self.failed.emit(ticket_id, "the print worker has been shut down")
            return
        self._submit_requested.emit(ticket_id, layout)

    def check_status_now(self) -> None:
        self._check_requested.emit()

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Finish the queued jobs, close the printer and stop the thread; True if it stopped."""
        if self._stopped:
            return not self._thread.isRunning()
        self._stopped = True
        self._stop_requested.emit()
        return self._thread.wait(timeout_ms)

    @Slot(str)
    def _on_status_checked(self, status: str) -> None:
        if status != self._status:
            self._status = status
            self.status_changed.emit(status)
