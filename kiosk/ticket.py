"""What a paper ticket says, and how it is laid out on 58 mm or 80 mm paper.

Pure code: no Qt, no printer. `layout_ticket` turns a `TicketContent` into a `TicketLayout`, a list
of typed blocks measured in the printer's own units (font A character cells of 12x24 dots). The
ESC/POS renderer and the PNG preview both draw that one layout, so what the kiosk shows is what
the printer prints.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import textwrap
from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import qrcode
import qrcode.constants

Paper = Literal["58mm", "80mm"]
Align = Literal["left", "center", "right"]
QrErrorLevel = Literal["L", "M", "Q", "H"]

PAPERS: tuple[Paper, ...] = ("58mm", "80mm")
NBSP = "\u00a0"

# Font A is 12 dots wide on every common thermal head (203 dpi): 384 dots = 32 columns on 58 mm
# paper, 576 dots = 48 columns on 80 mm paper.
CELL_WIDTH_DOTS = 12
CELL_HEIGHT_DOTS = 24
PAPER_COLUMNS: dict[str, int] = {"58mm": 32, "80mm": 48}
PAPER_DOTS: dict[str, int] = {"58mm": 384, "80mm": 576}

# Character magnification is 1..8 in ESC/POS (GS !); more than 6 wastes paper without helping.
MAX_MAGNIFICATION = 6
# A QR code needs a 4-module quiet zone to scan reliably.
QR_QUIET_MODULES = 4
# Preferred module size in dots: ~0.75 mm on 58 mm paper, ~1 mm on 80 mm paper, large enough for
# the cheap phone cameras visitors have.
QR_MODULE_DOTS: dict[str, int] = {"58mm": 6, "80mm": 8}

# Indonesian names kept in our own tables: the kiosk PC's locale is often en_US or missing, and
# the ticket must not change language with it. Monday first, as datetime.weekday() counts.
DAY_NAMES = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTH_NAMES = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)
# Indonesia's three legal time zones (Keppres 41/1987) by IANA name.
ZONE_ABBREVIATIONS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Ujung_Pandang": "WITA",
    "Asia/Jayapura": "WIT",
}
# The groups of UU 25/2009 Pasal 29 (see shared.config.PRIORITY_GROUPS), as people read them.
PRIORITY_GROUP_NAMES = {
    "lansia": "LANSIA",
    "disabilitas": "DISABILITAS",
    "ibu_hamil": "IBU HAMIL",
    "anak": "ANAK",
    "korban_bencana": "KORBAN BENCANA",
}


# --- content -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketContent:
    """Everything printed on one ticket, already decided by the kiosk core."""

    mpp_name: str  # e.g. "Mal Pelayanan Publik"
    kabupaten: str  # e.g. "Kabupaten Sukoharjo"
    agency_name: str
    service_name: str
    label: str  # e.g. "KTP-023"
    people_ahead: int
    estimated_wait_minutes: int | None  # None: not enough history to estimate
    issued_at: dt.datetime  # must be time-zone aware
    qr_payload: str
    priority_group: str | None = None  # e.g. "lansia"
    timezone: str = "Asia/Jakarta"
    counters_hint: str | None = None  # e.g. "Loket 1, 2"
    footer_lines: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.issued_at.tzinfo is None or self.issued_at.utcoffset() is None:
            raise ValueError("issued_at must be time-zone aware")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None
        if not self.label.strip():
            raise ValueError("label must not be empty")
        if self.people_ahead < 0:
            raise ValueError("people_ahead must not be negative")
        if self.estimated_wait_minutes is not None and self.estimated_wait_minutes < 0:
            raise ValueError("estimated_wait_minutes must not be negative")


# --- layout blocks -------------------------------------------------------------------------


@dataclass(frozen=True)
class TextLine:
    """One printed line; it already fits the paper at its magnification."""

    text: str
    align: Align = "center"
    width: int = 1  # character magnification, 1..8
    height: int = 1
    bold: bool = False


@dataclass(frozen=True)
class BigNumber:
    """The queue number, as large as the paper allows."""

    text: str
    width: int
    height: int


@dataclass(frozen=True)
class QrCode:
    payload: str
    module_dots: int  # size of one QR module in printer dots
    error_level: QrErrorLevel = "M"


@dataclass(frozen=True)
class Separator:
    char: str = "-"


@dataclass(frozen=True)
class Feed:
    lines: int = 1


@dataclass(frozen=True)
class Cut:
    pass


Block = TextLine | BigNumber | QrCode | Separator | Feed | Cut


@dataclass(frozen=True)
class TicketLayout:
    paper: Paper
    columns: int  # font A characters per line
    dot_width: int  # printable width in dots
    blocks: tuple[Block, ...]

    def text_lines(self) -> list[str]:
        """The printed words, top to bottom (for tests, logs and screen readers)."""
        out: list[str] = []
        for b in self.blocks:
            if isinstance(b, TextLine | BigNumber):
                out.append(b.text)
        return out


# --- Indonesian wording --------------------------------------------------------------------


def zone_abbreviation(timezone: str, moment: dt.datetime) -> str:
    """WIB, WITA or WIT for Indonesian zones; otherwise the zone's own abbreviation."""
    known = ZONE_ABBREVIATIONS.get(timezone)
    if known:
        return known
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Z") or timezone


def format_date_id(moment: dt.datetime) -> str:
    """'Jumat, 27 November 2026' for a moment already in the hall's zone."""
    day, month = DAY_NAMES[moment.weekday()], MONTH_NAMES[moment.month - 1]
    return f"{day}, {moment.day} {month} {moment.year}"


def format_issued_at(moment: dt.datetime, timezone: str) -> str:
    """'Jumat, 27 November 2026 08:03 WIB'."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{format_date_id(local)} {local:%H:%M} {zone_abbreviation(timezone, moment)}"


def format_wait(minutes: int | None) -> str:
    """The estimated wait as a visitor reads it; '—' when nobody can honestly say."""
    if minutes is None:
        return "—"
    if minutes == 0:
        return "segera"
    if minutes < 60:
        return f"± {minutes} menit"
    hours, rest = divmod(minutes, 60)
    return f"± {hours} jam" + (f" {rest} menit" if rest else "")


def priority_name(group: str) -> str:
    return PRIORITY_GROUP_NAMES.get(group, group.replace("_", " ").upper())


# --- layout --------------------------------------------------------------------------------


def wrap_text(text: str, width: int) -> list[str]:
    """Wrap at spaces; a word is only broken when it is longer than a whole line."""
    lines = textwrap.wrap(
        re.sub(r"[ \t\r\n]+", " ", text).strip(),
        width=max(1, width),
        break_long_words=True,
        # "e-KTP" and "KTP-el" are single words to a reader.
        break_on_hyphens=False,
    )
    # NBSP glues words that must stay on one line; textwrap does not split at it.
    return [line.replace(NBSP, " ") for line in lines] or [""]


@functools.lru_cache(maxsize=32)
def qr_matrix(payload: str, error_level: QrErrorLevel = "M") -> tuple[tuple[bool, ...], ...]:
    """The QR modules (True = dark), including the quiet zone.

    Both renderers and the layout use this one function so they agree on the symbol's size.
    Cached because choosing the mask is the slowest step of a ticket (about 20 ms) and the
    layout, the printer bytes and the preview all need the same symbol.
    """
    levels = {
        "L": qrcode.constants.ERROR_CORRECT_L,
        "M": qrcode.constants.ERROR_CORRECT_M,
        "Q": qrcode.constants.ERROR_CORRECT_Q,
        "H": qrcode.constants.ERROR_CORRECT_H,
    }
    code = qrcode.QRCode(
        version=None, error_correction=levels[error_level], border=QR_QUIET_MODULES
    )
    code.add_data(payload)
    code.make(fit=True)
    return tuple(tuple(row) for row in code.get_matrix())


def qr_opens_a_page(payload: str) -> bool:
    """Whether a phone that scans the QR opens a page: only then may the ticket say "scan to
    follow the queue" (the legacy ``ANTREAN:<id>`` payload is for the counter's scanner)."""
    return payload.startswith(("http://", "https://"))


def _text(
    text: str, columns: int, *, align: Align = "center", width: int = 1, height: int = 1,
    bold: bool = False,
) -> list[TextLine]:
    return [
        TextLine(line, align=align, width=width, height=height, bold=bold)
        for line in wrap_text(text, columns // width)
    ]


def _big_number(label: str, columns: int) -> list[Block]:
    # As wide as the paper allows, square cells so the digits keep their shape.
    scale = max(1, min(MAX_MAGNIFICATION, columns // len(label)))
    per_line = columns // scale
    return [BigNumber(line, scale, scale) for line in wrap_text(label, per_line)]


def _qr_block(payload: str, paper: Paper, dot_width: int) -> QrCode:
    size = len(qr_matrix(payload, "M"))
    module = max(1, min(QR_MODULE_DOTS[paper], dot_width // size))
    return QrCode(payload, module, "M")


def layout_ticket(content: TicketContent, paper: Paper) -> TicketLayout:
    """Lay a ticket out for the paper width; long names wrap, nothing is cut off."""
    if paper not in PAPER_COLUMNS:
        raise ValueError(f"paper must be one of {', '.join(PAPERS)}, not {paper!r}")
    cols = PAPER_COLUMNS[paper]
    blocks: list[Block] = []

    blocks += _text(content.mpp_name.upper(), cols, bold=True)
    blocks += _text(content.kabupaten.upper(), cols, bold=True)
    blocks.append(Separator())
    # Double height, normal width: larger for older eyes, and long names still fit.
    blocks += _text(content.agency_name, cols, height=2, bold=True)
    blocks += _text(content.service_name, cols)
    blocks.append(Feed(1))
    blocks += _text("NOMOR ANTREAN", cols, bold=True)
    blocks += _big_number(content.label.strip(), cols)
    if content.priority_group:
        blocks += _text(f"PRIORITAS: {priority_name(content.priority_group)}", cols,
                        height=2, bold=True)
    blocks.append(Feed(1))
    blocks += _text(f"Antrean sebelum Anda: {content.people_ahead}", cols, height=2, bold=True)
    blocks += _text(
        # "± 25 menit" is read as one value: never wrap inside it.
        "Perkiraan waktu tunggu: "
        + format_wait(content.estimated_wait_minutes).replace(" ", NBSP),
        cols,
        height=2,
    )
    if content.counters_hint:
        blocks += _text(f"Dilayani di {content.counters_hint}", cols, height=2)
    blocks.append(Separator())

    when = format_issued_at(content.issued_at, content.timezone)
    if len(when) <= cols:
        blocks += _text(when, cols)
    else:
        # Keep the time and its zone together on their own line rather than let
        # the wrap leave "WIB" alone on a line.
        local = content.issued_at.astimezone(ZoneInfo(content.timezone))
        blocks += _text(format_date_id(local), cols)
        blocks += _text(
            f"Pukul {local:%H:%M} {zone_abbreviation(content.timezone, content.issued_at)}", cols
        )
    blocks += _text("Berlaku hari ini", cols, bold=True)

    if content.qr_payload:
        blocks.append(_qr_block(content.qr_payload, paper, PAPER_DOTS[paper]))
        if qr_opens_a_page(content.qr_payload):
            blocks += _text("Pindai untuk memantau antrean", cols)
    for line in content.footer_lines:
        blocks += _text(line, cols)
    blocks.append(Feed(1))
    blocks += _text("TERIMA KASIH", cols, width=2, height=2, bold=True)
    blocks.append(Cut())
    return TicketLayout(paper=paper, columns=cols, dot_width=PAPER_DOTS[paper],
                        blocks=tuple(blocks))
