"""Turn a `TicketLayout` into ESC/POS bytes with python-escpos.

The bytes are built once, in memory, with python-escpos' `Dummy` printer, and sent to the real
printer in one write: a ticket is then either sent whole or not at all, and what is sent is exactly
what the golden-file tests check.
"""

from __future__ import annotations

import unicodedata

from escpos.escpos import Escpos
from escpos.printer import Dummy
from PIL import Image

from kiosk.ticket import (
    BigNumber,
    Cut,
    Feed,
    QrCode,
    Separator,
    TextLine,
    TicketLayout,
    qr_matrix,
)

# Code page 437 is page 0 on practically every ESC/POS printer, cheap clones included. We pin it
# so python-escpos never switches code pages in the middle of a line: a clone that numbers its
# pages differently would print the wrong glyphs, or the switch command itself, as text.
TEXT_ENCODING = "CP437"
# Characters that CP437 lacks, spelled the way a receipt printer can print them.
_PRINTABLE_SUBSTITUTES = {
    "—": "-",
    "–": "-",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "…": "...",
    "\u00a0": " ",
}


def printable_text(text: str) -> str:
    """Text the printer can print as glyphs, never as commands.

    A control character in an agency name (a stray ESC copied from a spreadsheet) would be
    executed by the printer; it becomes a space. A letter CP437 lacks loses its accent, or
    becomes '?' rather than garbage.
    """
    out: list[str] = []
    for ch in text:
        ch = _PRINTABLE_SUBSTITUTES.get(ch, ch)
        if not ch.isprintable():
            out.append(" ")
            continue
        try:
            ch.encode("cp437")
        except UnicodeEncodeError:
            ch = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode() or "?"
        out.append(ch)
    return "".join(out)


def qr_image(payload: str, module_dots: int, error_level: str, width: int) -> Image.Image:
    """The QR code as a 1-bit image, centred on a strip `width` dots wide (black = printed)."""
    matrix = qr_matrix(payload, error_level)  # type: ignore[arg-type]
    n = len(matrix)
    modules = Image.new("1", (n, n), 1)
    modules.putdata([0 if dark else 1 for row in matrix for dark in row])
    # NEAREST keeps every module a sharp square of module_dots x module_dots dots.
    symbol = modules.resize((n * module_dots, n * module_dots), Image.Resampling.NEAREST)
    img = Image.new("1", (max(width, symbol.width), symbol.height), 1)
    img.paste(symbol, ((img.width - symbol.width) // 2, 0))
    return img


def _tell_paper_width(printer: Escpos, layout: TicketLayout) -> None:
    # python-escpos checks images against the profile's width and prints a warning to stdout when
    # it is "Unknown" (the default profile). The layout knows the printable width, so say it.
    data = dict(printer.profile.profile_data)
    if isinstance(data.get("media", {}).get("width", {}).get("pixels"), int):
        return  # a profile that knows its head keeps it, so a too-wide ticket is refused
    data["media"] = {
        **data.get("media", {}),
        "width": {"mm": int(layout.paper.removesuffix("mm")), "pixels": layout.dot_width},
    }
    # An instance attribute: the profile class python-escpos shares between printers is untouched.
    printer.profile.profile_data = data


def draw_layout(printer: Escpos, layout: TicketLayout, qr_native: bool) -> None:
    """Issue the python-escpos calls for a layout on any python-escpos printer."""
    printer.hw("INIT")  # ESC @: forget whatever style the last job (or a driver) left behind
    if TEXT_ENCODING in printer.profile.get_code_pages():
        printer.magic.force_encoding(TEXT_ENCODING)
    for block in layout.blocks:
        if isinstance(block, TextLine):
            # Explicit size and weight every line: a line never inherits the big number's size.
            printer.set(align=block.align, bold=block.bold, custom_size=True,
                        width=block.width, height=block.height)
            printer.text(printable_text(block.text) + "\n")
        elif isinstance(block, BigNumber):
            printer.set(align="center", bold=True, custom_size=True,
                        width=block.width, height=block.height)
            printer.text(printable_text(block.text) + "\n")
        elif isinstance(block, Separator):
            printer.set(align="left", bold=False, custom_size=True, width=1, height=1)
            printer.text(printable_text(block.char) * layout.columns + "\n")
        elif isinstance(block, QrCode):
            printer.set(align="center", bold=False, custom_size=True, width=1, height=1)
            if qr_native:
                ec = {"L": 0, "M": 1, "Q": 2, "H": 3}[block.error_level]
                printer.qr(block.payload, ec=ec, size=min(16, block.module_dots), native=True)
                printer.text("\n")
            else:
                # Cheap printers lack GS ( k; a raster image prints everywhere. Centred in the
                # image itself because not every clone applies ESC a to raster images.
                printer.image(qr_image(block.payload, block.module_dots, block.error_level,
                                       layout.dot_width))
        elif isinstance(block, Feed):
            printer.ln(block.lines)
        elif isinstance(block, Cut):
            printer.set(align="left", bold=False, custom_size=True, width=1, height=1)
            # Feeds past the cutter before cutting; printers without a cutter just feed.
            printer.cut()


def render_escpos(
    layout: TicketLayout, profile: str | None = None, qr_native: bool = False
) -> bytes:
    """The ticket as ESC/POS bytes for a python-escpos printer profile (None: default)."""
    printer = Dummy(profile=profile)
    _tell_paper_width(printer, layout)
    draw_layout(printer, layout, qr_native)
    return printer.output
