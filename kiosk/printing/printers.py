"""The kiosk's ticket printer: one small interface, a python-escpos backend and a test double.

Everything here blocks (USB writes, TCP connects, status replies), so the kiosk calls it only from
`kiosk.print_worker.PrintWorker`'s thread, never from the GUI thread.
"""

from __future__ import annotations

import enum
import errno
import logging
import socket
import threading
from typing import Protocol

from escpos import exceptions as escpos_errors
from escpos.constants import RT_STATUS_ONLINE, RT_STATUS_PAPER
from escpos.escpos import Escpos
from escpos.printer import File, Network, Serial, Usb

from kiosk.printing.escpos_render import render_escpos
from kiosk.printing.settings import PrinterSettings
from kiosk.ticket import Paper, TicketLayout

log = logging.getLogger(__name__)


class PrinterStatus(enum.StrEnum):
    OK = "ok"
    PAPER_LOW = "paper_low"
    PAPER_OUT = "paper_out"
    OFFLINE = "offline"  # the printer says it is off line: cover open, paper jam, error
    # Cannot be reached: no connection, unplugged, or it connects and then never answers (a
    # printer that has gone silent says nothing about its paper either).
    UNREACHABLE = "unreachable"
    UNKNOWN = "unknown"  # reachable, but it cannot say (a device file, status checks off, noise)


class PrinterError(Exception):
    """A ticket could not be printed; the message is a plain English reason for staff and logs."""


class TicketPrinter(Protocol):
    def print_ticket(self, layout: TicketLayout) -> None:
        """Print one ticket or raise PrinterError."""

    def status(self) -> PrinterStatus:
        """Ask the printer how it is; never raises."""

    def close(self) -> None:
        """Release the device; the next call opens it again."""


# --- real-time status (DLE EOT n) ----------------------------------------------------------

# Every DLE EOT reply byte has bit 1 and bit 4 set and bits 0 and 7 clear (Epson ESC/POS
# reference). Anything else is not a status byte (noise, or a reply to something else).
_FIXED_MASK, _FIXED_BITS = 0b1001_0011, 0b0001_0010
_OFFLINE_BIT = 0b0000_1000  # DLE EOT 1, bit 3
_NEAR_END_BITS = 0b0000_1100  # DLE EOT 4, bits 2-3
_PAPER_END_BITS = 0b0110_0000  # DLE EOT 4, bits 5-6


def _status_byte(reply: bytes | None) -> int | None:
    if not reply:
        return None
    # The last byte is the freshest answer if the printer sent more than one.
    b = reply[-1]
    return b if b & _FIXED_MASK == _FIXED_BITS else None


def parse_status(online_reply: bytes | None, paper_reply: bytes | None) -> PrinterStatus:
    """Status from the replies to DLE EOT 1 (printer) and DLE EOT 4 (roll paper sensor).

    Unlike python-escpos' paper_status(), which reads an empty reply as "paper adequate", a
    missing or malformed reply gives UNKNOWN.
    """
    online, paper = _status_byte(online_reply), _status_byte(paper_reply)
    if paper is not None and paper & _PAPER_END_BITS:
        # A printer without paper also reports itself off line; the paper is the real cause.
        return PrinterStatus.PAPER_OUT
    if online is None:
        return PrinterStatus.UNKNOWN
    if online & _OFFLINE_BIT:
        return PrinterStatus.OFFLINE
    if paper is None:
        return PrinterStatus.UNKNOWN
    if paper & _NEAR_END_BITS:
        return PrinterStatus.PAPER_LOW
    return PrinterStatus.OK


# --- python-escpos backend -----------------------------------------------------------------


def _is_timeout(exc: BaseException) -> bool:
    # pyusb reports a timeout as USBTimeoutError (an OSError with errno ETIMEDOUT).
    return isinstance(exc, TimeoutError) or getattr(exc, "errno", None) == errno.ETIMEDOUT


def _explain(settings: PrinterSettings, exc: BaseException) -> str:
    """A reason IT staff can act on, instead of a python-escpos or pyusb message."""
    what = settings.describe()
    if isinstance(exc, escpos_errors.DeviceNotFoundError) and isinstance(
        exc.__context__, OSError
    ):
        # python-escpos wraps the OS error in its own; the OS error says what happened.
        return _explain(settings, exc.__context__)
    if _is_timeout(exc):
        return f"{what} did not answer within {settings.timeout:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return f"{what} refused the connection (switched off, or wrong address or port?)"
    if isinstance(exc, PermissionError) or getattr(exc, "errno", None) in (
        errno.EACCES, errno.EPERM
    ):
        if settings.kind == "serial":
            return f"no permission to use the {what}; add the kiosk user to group dialout"
        return (f"no permission to use the {what}; install deploy/udev/99-antrean-printer.rules "
                "and add the kiosk user to group lp")
    if isinstance(exc, FileNotFoundError) or getattr(exc, "errno", None) == errno.ENOENT:
        return f"{what} does not exist (unplugged, or wrong device path?)"
    if isinstance(exc, escpos_errors.DeviceNotFoundError):
        return f"{what} not found (unplugged, switched off, or wrong id?)"
    if isinstance(exc, ConnectionError):
        return f"{what} dropped the connection ({exc.__class__.__name__})"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{what}: {exc.strerror}"
    return f"{what} failed: {exc.__class__.__name__}: {exc}"


def _open_escpos(settings: PrinterSettings) -> Escpos:
    """A python-escpos printer for the settings, already connected (raises on failure)."""
    printer: Escpos
    if settings.kind == "usb":
        printer = Usb(
            idVendor=settings.vendor_id,
            idProduct=settings.product_id,
            # Without a timeout a stalled USB printer blocks the print thread forever.
            timeout=int(settings.timeout * 1000),
            in_ep=settings.in_ep,
            out_ep=settings.out_ep,
            profile=settings.profile,
        )
    elif settings.kind == "network":
        printer = Network(host=settings.host, port=settings.port, timeout=settings.timeout,
                          profile=settings.profile)
        # Connect ourselves: Network.open() drops the socket unclosed when the connect fails,
        # and its error hides whether the printer refused or did not answer. The timeout
        # covers the connect, every write and every status reply.
        printer.device = socket.create_connection(
            (settings.host, settings.port), timeout=settings.timeout
        )
        return printer
    elif settings.kind == "serial":
        printer = Serial(devfile=settings.device, baudrate=settings.baudrate,
                         timeout=settings.timeout, profile=settings.profile)
    elif settings.kind == "file":
        printer = File(devfile=settings.device, profile=settings.profile)
    else:
        raise PrinterError(f"{settings.describe()} cannot be opened by python-escpos")
    printer.open()
    return printer


def _can_read(settings: PrinterSettings) -> bool:
    # python-escpos' File printer opens the device write-only: it cannot hear an answer.
    return settings.kind in ("usb", "network", "serial")


_ERRORS = (OSError, escpos_errors.Error, ValueError)
# Said wherever a printer did not answer, so IT staff know the one setting that helps.
NEVER_ANSWERS_HINT = ("if this printer never answers status queries, start the kiosk with "
                      "--no-printer-status")


class EscposTicketPrinter:
    """A real printer behind python-escpos (USB, network port 9100, serial, device file)."""

    def __init__(self, settings: PrinterSettings) -> None:
        if settings.kind == "dummy":
            raise ValueError("use DummyPrinter for kind = dummy")
        self.settings = settings
        self._lock = threading.Lock()
        self._printer: Escpos | None = None

    # A network printer gets one connection per job, as port 9100 expects (many accept a single
    # client at a time). USB, serial and device files stay open between tickets and are
    # reopened after any error, e.g. a printer switched off and on again.
    def _connect(self) -> Escpos:
        if self._printer is None:
            self._printer = _open_escpos(self.settings)
        return self._printer

    def _release(self, *, force: bool) -> None:
        if self._printer is not None and (force or self.settings.kind == "network"):
            try:
                self._printer.close()
            except _ERRORS:
                log.debug("closing %s failed", self.settings.describe(), exc_info=True)
            self._printer = None

    def _query(self, printer: Escpos) -> PrinterStatus:
        """The printer's answer to DLE EOT 1 and 4; raises OSError on a timeout. A printer that
        hangs up or answers with noise is UNREACHABLE: nothing it says can be used, which is
        what the staff must hear (and a wrong address gives exactly that)."""
        online = printer.query_status(RT_STATUS_ONLINE)
        if _status_byte(online) is None:
            return PrinterStatus.UNREACHABLE  # do not ask a second question of a confused printer
        status = parse_status(online, printer.query_status(RT_STATUS_PAPER))
        return PrinterStatus.UNREACHABLE if status is PrinterStatus.UNKNOWN else status

    def print_ticket(self, layout: TicketLayout) -> None:
        if layout.paper != self.settings.paper:
            raise PrinterError(
                f"ticket laid out for {layout.paper} paper but {self.settings.describe()} "
                f"has {self.settings.paper} paper"
            )
        try:
            data = render_escpos(layout, self.settings.profile, self.settings.qr_native)
        except (escpos_errors.Error, ValueError) as exc:
            # e.g. a profile whose head is narrower than the paper the layout was made for
            raise PrinterError(
                f"the ticket cannot be rendered for profile {self.settings.profile or 'default'}"
                f" ({exc.__class__.__name__}: {exc})"
            ) from exc
        with self._lock:
            try:
                printer = self._connect()
                if self.settings.status_check and _can_read(self.settings):
                    self._check_before_print(printer)
                # One write of the prerendered, golden-tested bytes: python-escpos has no public
                # raw-write method, and _raw is the hook every one of its printers implements.
                printer._raw(data)
            except PrinterError:
                self._release(force=True)
                raise
            except _ERRORS as exc:
                self._release(force=True)
                raise PrinterError(_explain(self.settings, exc)) from exc
            self._release(force=False)
        log.info("printed a ticket on %s (%d bytes)", self.settings.describe(), len(data))

    def _check_before_print(self, printer: Escpos) -> None:
        what = self.settings.describe()
        try:
            status = self._query(printer)
        except OSError as exc:
            if not _is_timeout(exc):
                raise
            raise PrinterError(
                f"{what} did not answer a status query within {self.settings.timeout:g} s "
                f"({NEVER_ANSWERS_HINT})"
            ) from exc
        if status is PrinterStatus.PAPER_OUT:
            raise PrinterError(f"{what} is out of paper")
        if status is PrinterStatus.OFFLINE:
            raise PrinterError(f"{what} is off line (cover open, paper jam or error)")
        if status is PrinterStatus.UNREACHABLE:
            raise PrinterError(f"{what} gave no usable answer to a status query (check that this "
                               f"is the printer's address; {NEVER_ANSWERS_HINT})")

    def status(self) -> PrinterStatus:
        with self._lock:
            try:
                printer = self._connect()
            except _ERRORS as exc:
                log.info("status of %s: unreachable (%s)", self.settings.describe(),
                         _explain(self.settings, exc))
                self._release(force=True)
                return PrinterStatus.UNREACHABLE
            if not (self.settings.status_check and _can_read(self.settings)):
                # It is there, and that is all it can tell (or all it may be asked).
                self._release(force=False)
                return PrinterStatus.UNKNOWN
            try:
                result = self._query(printer)
            except NotImplementedError:  # a backend that cannot read
                result = PrinterStatus.UNKNOWN
            except _ERRORS as exc:
                log.info("status of %s: unreachable (%s)", self.settings.describe(),
                         _explain(self.settings, exc))
                result = PrinterStatus.UNREACHABLE
            # A late answer would otherwise be read as the reply to the next question.
            self._release(force=result in (PrinterStatus.UNKNOWN, PrinterStatus.UNREACHABLE))
            return result

    def close(self) -> None:
        with self._lock:
            self._release(force=True)


# --- no printer ----------------------------------------------------------------------------


class DummyPrinter:
    """Test double, and the printer of a kiosk that has none: keeps the ESC/POS bytes in memory.

    It checks nothing a real printer would (paper, cover, cable); `status()` reports whatever it
    was told to. `fail_with` makes every ticket fail with that reason.
    """

    def __init__(
        self,
        paper: Paper = "58mm",
        profile: str | None = None,
        qr_native: bool = False,
        status: PrinterStatus = PrinterStatus.OK,
        fail_with: str | None = None,
    ) -> None:
        self.paper = paper
        self.profile = profile
        self.qr_native = qr_native
        self.reported_status = status
        self.fail_with = fail_with
        self._lock = threading.Lock()
        self._jobs: list[bytes] = []
        self.print_threads: list[int] = []  # thread idents, so tests can see where work ran
        self.status_threads: list[int] = []

    @property
    def jobs(self) -> list[bytes]:
        with self._lock:
            return list(self._jobs)

    def print_ticket(self, layout: TicketLayout) -> None:
        with self._lock:
            self.print_threads.append(threading.get_ident())
        if self.fail_with is not None:
            raise PrinterError(self.fail_with)
        data = render_escpos(layout, self.profile, self.qr_native)
        with self._lock:
            self._jobs.append(data)

    def status(self) -> PrinterStatus:
        with self._lock:
            self.status_threads.append(threading.get_ident())
        return self.reported_status

    def close(self) -> None:
        pass


def make_printer(settings: PrinterSettings) -> TicketPrinter:
    """The printer a kiosk's settings describe."""
    if settings.kind == "dummy":
        return DummyPrinter(settings.paper, settings.profile, settings.qr_native)
    return EscposTicketPrinter(settings)
