"""Ticket printing for the kiosk: ESC/POS rendering, PNG preview, printer backends and settings.

No Qt here; `kiosk.print_worker` runs these blocking calls off the GUI thread.
"""

from kiosk.printing.escpos_render import printable_text, render_escpos
from kiosk.printing.preview import render_png
from kiosk.printing.printers import (
    DummyPrinter,
    EscposTicketPrinter,
    PrinterError,
    PrinterStatus,
    TicketPrinter,
    make_printer,
    parse_status,
)
from kiosk.printing.settings import (
    PRINTER_ADDRESS_FORMS,
    PRINTER_KINDS,
    PrinterAddressError,
    PrinterSettings,
    printer_from_address,
    printer_settings_from_mapping,
)

__all__ = [
    "PRINTER_ADDRESS_FORMS",
    "PRINTER_KINDS",
    "DummyPrinter",
    "EscposTicketPrinter",
    "PrinterAddressError",
    "PrinterError",
    "PrinterSettings",
    "PrinterStatus",
    "TicketPrinter",
    "make_printer",
    "parse_status",
    "printable_text",
    "printer_from_address",
    "printer_settings_from_mapping",
    "render_escpos",
    "render_png",
]
