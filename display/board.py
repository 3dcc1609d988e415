"""The hall board window: a thin shell that paints what `BoardCore` says.

Everything is painted relative to the widget's own size, so one layout serves 1920×1080,
3840×2160 and a portrait 1080×1920 screen: a unit `u` is the shorter side / 1080 px.

Reading distance drives the sizes. Signage practice puts the legible distance at about
250 × the letter height, so 10 m needs letters of ~40 mm; on a 55" screen (0.63 mm per pixel at
1080p) that is ~65 px. The current call's number is ~4× that, counter tiles' numbers are
kept near it, and no text is smaller than `MIN_TEXT_PX` (28 px at 1080p, ~18 mm: still
readable from the middle of the hall): a line that would be smaller is left out instead (the
agency names under many small counter tiles). Every text painted is recorded in the widget's
`texts`, so tests check the sizes of what was really drawn.

Many counters: a page of counter tiles holds only as many tiles as fit at that minimum size
(12 on a 1920×1080 board without media), and pages rotate every `page_seconds`. Paging keeps
every number readable, where shrinking 40 tiles onto one screen would make none of them
readable from the back of the hall; and no call is ever only on a hidden page, because the
newest call is always in the big panel and the last calls in the list beside it.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import QBoxLayout, QLayout, QVBoxLayout, QWidget

from display.core import BoardCore
from display.models import (
    TILE_CLOSED,
    TILE_PAUSED,
    TILE_READY,
    AgencyWaiting,
    CallEntry,
    CallsModel,
    CountersModel,
    CounterTile,
    RowsModel,
    WaitingModel,
)
from shared.config import HallConfig
from shared.indonesian import jam, tanggal
from shared.ledger.queries import Alert

log = logging.getLogger(__name__)

FAMILY = "DejaVu Sans"
CONDENSED = "DejaVu Sans Condensed"

# A dark hall-board palette: high contrast, and amber for "this is for you now".
BG = QColor("#0a1a33")
PANEL = QColor("#122b52")
PANEL_DIM = QColor("#0f2241")
TEXT = QColor("#ffffff")
MUTED = QColor("#a9bad6")
ACCENT = QColor("#ffc21a")
ACCENT_TEXT = QColor("#0a1a33")
SERVING = QColor("#1c4f8f")
CLOSED = QColor("#26334a")
PAUSED = QColor("#5a4a1f")
OFFLINE = QColor("#b3261e")
WARNING = QColor("#8a5a00")

BLINK_SECONDS = 6.0
BLINK_PERIOD_MS = 500
PAGE_SECONDS = 10.0

# Smallest tile that keeps a ticket number readable from 10 m, as a share of the board.
MIN_TILE_HEIGHT = 0.13
MIN_TILE_WIDTH = 0.115

# The smallest text on the board, in pixels of a board whose short side is 1080 px.
MIN_TEXT_PX = 28
# The smallest window the board lays out in (a corner of a desktop, the demo): everything is
# relative to the size, so it is the 1080p board scaled down.
MIN_SIZE = (360, 360)


@dataclass(frozen=True)
class PaintedText:
    """One text as it was last painted: what, at which pixel size, and whether it was cut."""

    text: str
    px: int
    elided: bool = False


def min_text_px(width: float, height: float) -> float:
    return MIN_TEXT_PX * min(width, height) / 1080


def font(px: float, bold: bool = True, family: str = FAMILY) -> QFont:
    f = QFont(family)
    f.setPixelSize(max(1, round(px)))
    f.setBold(bold)
    return f


def fitted(text: str, px: float, width: float, bold: bool = True,
           family: str = FAMILY) -> QFont:
    """A font of `px` pixels, shrunk just enough for `text` to fit in `width`."""
    f = font(px, bold, family)
    advance = QFontMetricsF(f).horizontalAdvance(text)
    if advance > width > 0:
        f.setPixelSize(max(1, math.floor(px * width / advance)))
    return f


def draw_text(p: QPainter, rect: QRectF, text: str, px: float, color: QColor,
              align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignCenter, bold: bool = True,
              family: str = FAMILY, log: list[PaintedText] | None = None) -> None:
    f = fitted(text, px, rect.width(), bold, family)
    p.setFont(f)
    p.setPen(color)
    p.drawText(rect, int(align | Qt.AlignmentFlag.AlignVCenter), text)
    if log is not None and text:
        log.append(PaintedText(text, f.pixelSize()))


def elided(text: str, f: QFont, width: float) -> str:
    return QFontMetricsF(f).elidedText(text, Qt.TextElideMode.ElideRight, width)


class HeaderBar(QWidget):
    """Logo and name of the MPP, date and time in Indonesian. What is for staff (offline, the
    voice, a kiosk out of paper) is on the `StaffLine`, so the name never has to give way."""

    def __init__(self, config: HallConfig, logo: QPixmap | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.config = config
        self.logo = logo
        self.date_text = ""
        self.time_text = ""
        self.portrait = False  # a narrow board: three lines, the name across the whole width
        self.texts: list[PaintedText] = []

    def set_moment(self, date_text: str, time_text: str) -> None:
        if (date_text, time_text) != (self.date_text, self.time_text):
            self.date_text, self.time_text = date_text, time_text
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        self.texts = []
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect())
        h = r.height()
        p.fillRect(r, PANEL_DIM)
        pad = h * 0.14
        x = pad
        logo_size = h - 2 * pad
        if self.logo is not None and not self.logo.isNull():
            target = QRectF(x, pad, logo_size, logo_size)
            scaled = self.logo.scaled(
                round(logo_size), round(logo_size), Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation)
            p.drawPixmap(
                round(target.x() + (logo_size - scaled.width()) / 2),
                round(target.y() + (logo_size - scaled.height()) / 2), scaled)
        else:
            p.setBrush(ACCENT)
            p.setPen(Qt.PenStyle.NoPen)
            p.drawEllipse(QRectF(x, pad, logo_size, logo_size))
            draw_text(p, QRectF(x, pad, logo_size, logo_size), "MPP", logo_size * 0.38,
                      ACCENT_TEXT, log=self.texts)
        x += logo_size + pad
        if self.portrait:
            self._paint_portrait(p, x, r.width() - x - pad, h)
            p.end()
            return

        right_w = r.width() * 0.30
        clock_rect = QRectF(r.width() - right_w - pad, 0, right_w, h)
        draw_text(p, QRectF(clock_rect.x(), pad * 0.5, right_w, h * 0.46), self.time_text,
                  h * 0.40, TEXT, Qt.AlignmentFlag.AlignRight, log=self.texts)
        draw_text(p, QRectF(clock_rect.x(), h * 0.54, right_w, h * 0.36), self.date_text,
                  h * 0.27, MUTED, Qt.AlignmentFlag.AlignRight, bold=False, log=self.texts)

        name_w = max(10.0, clock_rect.x() - x - pad)
        draw_text(p, QRectF(x, pad * 0.5, name_w, h * 0.46), self.config.mpp.name, h * 0.34,
                  TEXT, Qt.AlignmentFlag.AlignLeft, log=self.texts)
        draw_text(p, QRectF(x, h * 0.54, name_w, h * 0.36), self.config.mpp.kabupaten,
                  h * 0.27, MUTED, Qt.AlignmentFlag.AlignLeft, bold=False, log=self.texts)
        p.end()

    def _paint_portrait(self, p: QPainter, x: float, w: float, h: float) -> None:
        left, right = Qt.AlignmentFlag.AlignLeft, Qt.AlignmentFlag.AlignRight
        draw_text(p, QRectF(x, h * 0.04, w, h * 0.36), self.config.mpp.name, h * 0.2, TEXT,
                  left, log=self.texts)
        clock_w = w * 0.36
        draw_text(p, QRectF(x + w - clock_w, h * 0.42, clock_w, h * 0.52), self.time_text,
                  h * 0.26, TEXT, right, log=self.texts)
        rest = w - clock_w - h * 0.1
        draw_text(p, QRectF(x, h * 0.42, rest, h * 0.26), self.config.mpp.kabupaten,
                  h * 0.15, MUTED, left, bold=False, log=self.texts)
        draw_text(p, QRectF(x, h * 0.68, rest, h * 0.26), self.date_text, h * 0.15, MUTED,
                  left, bold=False, log=self.texts)


class StaffLine(QWidget):
    """One line for the hall's staff, shown only when there is something to say: the board is
    offline, its voice fails, a station reports a problem (a kiosk out of paper) until the
    station says it is fixed. As large as the smallest board text, so staff read it from
    anywhere in the hall."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._items: dict[str, str] = {}  # key -> Indonesian text, in the order they came
        self.texts: list[PaintedText] = []
        self.hide()

    def set_item(self, key: str, text: str | None) -> None:
        if text:
            self._items[key] = text
        else:
            self._items.pop(key, None)
        self.setVisible(bool(self._items))
        self.update()

    def set_alerts(self, alerts: list[Alert]) -> None:
        for key in [k for k in self._items if k.startswith("alert:")]:
            del self._items[key]
        for a in alerts:
            what = a.message.strip() or a.kind
            self._items[f"alert:{a.key}"] = what if a.device in what else f"{a.device}: {what}"
        self.setVisible(bool(self._items))
        self.update()

    def items(self) -> list[str]:
        return list(self._items.values())

    def line(self, f: QFont, width: float) -> str:
        """Every item, or as many as fit and how many more there are."""
        items = self.items()
        fm = QFontMetricsF(f)
        for n in range(len(items), 0, -1):
            more = f" (+{len(items) - n} lagi)" if n < len(items) else ""
            text = "⚠ " + "  ·  ".join(items[:n]) + more
            if fm.horizontalAdvance(text) <= width or n == 1:
                return text
        return ""

    def paintEvent(self, event: QPaintEvent) -> None:
        self.texts = []
        p = QPainter(self)
        r = QRectF(self.rect())
        offline = "offline" in self._items
        p.fillRect(r, OFFLINE if offline else WARNING)
        pad = r.height() * 0.4
        f = font(r.height() * 0.56, bold=True)
        area = r.adjusted(pad, 0, -pad, 0)
        text = self.line(f, area.width())
        shown = elided(text, f, area.width())
        p.setFont(f)
        p.setPen(TEXT)
        p.drawText(area, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), shown)
        self.texts.append(PaintedText(text, f.pixelSize(), elided=shown != text))
        p.end()


class CurrentCallView(QWidget):
    """The newest call, huge: number, counter, agency. Blinks for a few seconds when new."""

    painted = Signal()  # after each paint: the benchmark measures call -> pixels with it

    def __init__(self, parent: QWidget | None = None, blink_seconds: float = BLINK_SECONDS
                 ) -> None:
        super().__init__(parent)
        self.call: CallEntry | None = None
        self.blink_seconds = blink_seconds
        self._blink_left = 0
        self._blink_on = False
        self._timer = QTimer(self)
        self._timer.setInterval(BLINK_PERIOD_MS)
        self._timer.timeout.connect(self._blink_step)
        self.texts: list[PaintedText] = []

    def set_call(self, call: CallEntry | None, fresh: bool) -> None:
        self.call = call
        if fresh and call is not None:
            self._blink_left = max(1, round(self.blink_seconds * 1000 / BLINK_PERIOD_MS))
            self._blink_on = True
            self._timer.start()
        self.update()

    def is_blinking(self) -> bool:
        return self._timer.isActive()

    def text(self) -> str:
        """What the panel says, as one line (tests and logs read it)."""
        if self.call is None:
            return "Menunggu panggilan"
        c = self.call
        return f"{c.label} {c.counter_name.upper()} {c.agency_name}"

    def _blink_step(self) -> None:
        self._blink_left -= 1
        self._blink_on = not self._blink_on
        if self._blink_left <= 0:
            self._timer.stop()
            self._blink_on = False
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        log: list[PaintedText] = []
        self.texts = log
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect())
        w, h = r.width(), r.height()
        radius = min(w, h) * 0.04
        p.setPen(Qt.PenStyle.NoPen)
        call = self.call
        if call is None:
            p.setBrush(PANEL)
            p.drawRoundedRect(r, radius, radius)
            draw_text(p, r.adjusted(w * 0.05, 0, -w * 0.05, 0), "Menunggu panggilan",
                      h * 0.09, MUTED, log=log)
            p.end()
            self.painted.emit()
            return
        # Steady state: amber panel. While blinking, it alternates with a dark panel.
        inverted = self.is_blinking() and not self._blink_on
        bg, fg, sub = (PANEL, ACCENT, TEXT) if inverted else (ACCENT, ACCENT_TEXT, ACCENT_TEXT)
        p.setBrush(bg)
        p.drawRoundedRect(r, radius, radius)
        inner = r.adjusted(w * 0.04, h * 0.03, -w * 0.04, -h * 0.03)
        iw, ih, x, y = inner.width(), inner.height(), inner.x(), inner.y()
        title = "PANGGILAN ULANG" if call.is_recall else "NOMOR ANTREAN"
        draw_text(p, QRectF(x, y, iw, ih * 0.12), title, ih * 0.09, sub, log=log)
        draw_text(p, QRectF(x, y + ih * 0.12, iw, ih * 0.40), call.label, ih * 0.36, fg,
                  family=CONDENSED, log=log)
        draw_text(p, QRectF(x, y + ih * 0.53, iw, ih * 0.08), "silakan menuju", ih * 0.065,
                  sub, bold=False, log=log)
        draw_text(p, QRectF(x, y + ih * 0.62, iw, ih * 0.24), call.counter_name.upper(),
                  ih * 0.21, fg, log=log)
        draw_text(p, QRectF(x, y + ih * 0.87, iw, ih * 0.13), call.agency_name, ih * 0.09,
                  sub, bold=False, log=log)
        p.end()
        self.painted.emit()


class _ModelView(QWidget):
    """A painted view over a RowsModel: repaints when the model says something changed."""

    def __init__(self, model: RowsModel, parent: QWidget | None = None) -> None:  # type: ignore[type-arg]
        super().__init__(parent)
        self.model = model
        model.modelReset.connect(self._changed)
        model.dataChanged.connect(self._changed)

    def _changed(self, *args: QModelIndex | QPersistentModelIndex | list[int]) -> None:
        self.update()


class RecentCallsView(_ModelView):
    """The last calls, newest first: number and counter, for those who looked away. As many
    rows as fit at a readable size, up to `visible_rows`."""

    def __init__(self, model: CallsModel, rows: int, parent: QWidget | None = None) -> None:
        super().__init__(model, parent)
        self.visible_rows = rows
        self.board_size = (1920, 1080)  # the whole board's, which sets the smallest text
        self.texts: list[PaintedText] = []

    def rows_that_fit(self) -> int:
        r = self.rect()
        w, h = r.width(), r.height()
        title_h = h * 0.15
        # The counter's name is 0.58 of a row: a row under ~48 px (at 1080p) would make it
        # smaller than the smallest board text.
        min_row = min_text_px(*self.board_size) / 0.58
        free = h - title_h - w * 0.02
        return max(1, min(self.visible_rows, int(free // max(1.0, min_row))))

    def paintEvent(self, event: QPaintEvent) -> None:
        log: list[PaintedText] = []
        self.texts = log
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect())
        w, h = r.width(), r.height()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(PANEL)
        p.drawRoundedRect(r, min(w, h) * 0.04, min(w, h) * 0.04)
        title_h = h * 0.15
        pad = w * 0.04
        draw_text(p, QRectF(pad, 0, w - 2 * pad, title_h), "PANGGILAN SEBELUMNYA",
                  title_h * 0.64, MUTED, Qt.AlignmentFlag.AlignLeft, log=log)
        n = self.rows_that_fit()
        rows: list[CallEntry] = self.model.rows()[:n]
        row_h = (h - title_h - pad * 0.5) / n
        for i, call in enumerate(rows):
            y = title_h + i * row_h
            if i % 2 == 0:
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(PANEL_DIM)
                p.drawRect(QRectF(pad * 0.5, y, w - pad, row_h))
            draw_text(p, QRectF(pad, y, w * 0.42, row_h), call.label, row_h * 0.64, TEXT,
                      Qt.AlignmentFlag.AlignLeft, family=CONDENSED, log=log)
            draw_text(p, QRectF(w * 0.46, y, w * 0.50 - pad, row_h),
                      call.counter_name.upper(), row_h * 0.58, ACCENT,
                      Qt.AlignmentFlag.AlignRight, log=log)
        if not rows:
            draw_text(p, QRectF(pad, title_h, w - 2 * pad, row_h), "—", row_h * 0.58, MUTED,
                      Qt.AlignmentFlag.AlignLeft, log=log)
        p.end()


def grid_for(n: int, width: float, height: float, aspect: float = 1.5,
             max_cols: int | None = None, max_rows: int | None = None) -> tuple[int, int]:
    """Columns and rows for n tiles that make the tiles as large as possible, within the
    limits (the columns and rows of a full page of minimum-size tiles)."""
    best = (1, max(1, n))
    best_size = -1.0
    for cols in range(1, min(max(1, n), max_cols or n) + 1):
        rows = math.ceil(n / cols)
        if max_rows is not None and rows > max_rows:
            continue
        tw, th = width / cols, height / rows
        size = min(tw / aspect, th)
        if size > best_size:
            best, best_size = (cols, rows), size
    return best


class PagedGrid(_ModelView):
    """Tiles in pages that fit at a readable size; `next_page` is driven by the window."""

    title = ""
    tile_aspect = 1.5
    max_tile_h: float | None = None  # as a share of the board's short side

    def __init__(self, model: RowsModel, board_size: tuple[int, int],  # type: ignore[type-arg]
                 parent: QWidget | None = None) -> None:
        super().__init__(model, parent)
        self.page = 0
        self.board_size = board_size
        self.min_tile = (MIN_TILE_WIDTH, MIN_TILE_HEIGHT)
        self.texts: list[PaintedText] = []

    def min_tile_size(self) -> tuple[float, float]:
        """The smallest tile, in pixels. It follows the board's short side, so a portrait
        board is not cramped."""
        unit = min(self.board_size)
        return unit * self.min_tile[0] * 16 / 9, unit * self.min_tile[1]

    def page_grid(self) -> tuple[int, int]:
        """Columns and rows of a full page of minimum-size tiles (and their gaps)."""
        min_w, min_h = self.min_tile_size()
        area = self._tiles_rect()
        gap = self._gap(area)
        cols = max(1, int((area.width() + gap) // (min_w + gap)))
        rows = max(1, int((area.height() + gap) // (min_h + gap)))
        return cols, rows

    def per_page(self) -> int:
        cols, rows = self.page_grid()
        return cols * rows

    @staticmethod
    def _gap(area: QRectF) -> float:
        return min(area.width(), area.height()) * 0.02

    def pages(self) -> int:
        return max(1, math.ceil(self.model.rowCount() / self.per_page()))

    def next_page(self) -> None:
        pages = self.pages()
        if pages > 1:
            self.page = (self.page + 1) % pages
            self.update()
        elif self.page:
            self.page = 0
            self.update()

    def visible_rows(self) -> list[object]:
        n = self.per_page()
        page = min(self.page, self.pages() - 1)
        return self.model.rows()[page * n: (page + 1) * n]

    def _title_h(self) -> float:
        return min(self.board_size) * 0.048

    def _tiles_rect(self) -> QRectF:
        r = QRectF(self.rect())
        return r.adjusted(0, self._title_h(), 0, 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        self.texts = []
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect())
        th = self._title_h()
        draw_text(p, QRectF(0, 0, r.width() * 0.6, th), self.title, th * 0.62, MUTED,
                  Qt.AlignmentFlag.AlignLeft, log=self.texts)
        pages = self.pages()
        if pages > 1:
            draw_text(p, QRectF(r.width() * 0.6, 0, r.width() * 0.4, th),
                      f"Halaman {min(self.page, pages - 1) + 1}/{pages}", th * 0.62, MUTED,
                      Qt.AlignmentFlag.AlignRight, bold=False, log=self.texts)
        rows = self.visible_rows()
        area = self._tiles_rect()
        if rows:
            cols, nrows = grid_for(len(rows), area.width(), area.height(), self.tile_aspect,
                                   *self.page_grid())
            gap = self._gap(area)
            tw = (area.width() - gap * (cols - 1)) / cols
            tile_h = (area.height() - gap * (nrows - 1)) / nrows
            if self.max_tile_h is not None:
                tile_h = min(tile_h, min(self.board_size) * self.max_tile_h)
            self.begin_page(rows, tw, tile_h)
            for i, row in enumerate(rows):
                c, rr = i % cols, i // cols
                rect = QRectF(area.x() + c * (tw + gap), area.y() + rr * (tile_h + gap),
                              tw, tile_h)
                self.paint_tile(p, rect, row)
        p.end()

    def begin_page(self, rows: list[object], tile_w: float, tile_h: float) -> None:
        """Called before painting a page's tiles (to pick one font size for all of them)."""

    def paint_tile(self, p: QPainter, rect: QRectF, row: object) -> None:
        raise NotImplementedError


class CounterGridView(PagedGrid):
    """A tile per counter: its name, the number it is serving, and its agency when the tiles
    are large enough for the agency names to be read (a board over a few counters)."""

    title = "LOKET"
    tile_aspect = 1.55

    def __init__(self, model: CountersModel, board_size: tuple[int, int],
                 parent: QWidget | None = None) -> None:
        super().__init__(model, board_size, parent)
        self.highlight: int | None = None
        self._agency_px: float | None = None  # None: this page's tiles show no agency

    def set_highlight(self, counter: int | None) -> None:
        if counter != self.highlight:
            self.highlight = counter
            self.update()

    def begin_page(self, rows: list[object], tile_w: float, tile_h: float) -> None:
        # Every agency name of the page at one readable size, or none: one name dropped
        # alone, or shrunk alone, would look like a fault.
        iw, ih = tile_w * 0.88, tile_h * 0.9
        px = float(ih * 0.16)
        for row in rows:
            if isinstance(row, CounterTile):
                px = min(px, fitted(row.agency_name, px, iw, bold=False).pixelSize())
        self._agency_px = px if px >= min_text_px(*self.board_size) else None

    def paint_tile(self, p: QPainter, rect: QRectF, row: object) -> None:
        assert isinstance(row, CounterTile)
        w, h = rect.width(), rect.height()
        bg = {TILE_CLOSED: CLOSED, TILE_PAUSED: PAUSED, TILE_READY: PANEL}.get(row.state, SERVING)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(bg)
        radius = min(w, h) * 0.08
        p.drawRoundedRect(rect, radius, radius)
        if self.highlight == row.number:
            pen = QPen(ACCENT)
            pen.setWidthF(max(2.0, min(w, h) * 0.05))
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(rect.adjusted(pen.widthF() / 2, pen.widthF() / 2,
                                            -pen.widthF() / 2, -pen.widthF() / 2),
                              radius, radius)
        pad = w * 0.06
        inner = rect.adjusted(pad, h * 0.05, -pad, -h * 0.05)
        iw, ih, x, y = inner.width(), inner.height(), inner.x(), inner.y()
        head_color = ACCENT if row.state not in (TILE_CLOSED,) else MUTED
        log = self.texts
        draw_text(p, QRectF(x, y, iw, ih * 0.30), row.name.upper(), ih * 0.25, head_color,
                  log=log)
        top = y + ih * 0.30
        if self._agency_px is not None:
            draw_text(p, QRectF(x, top, iw, ih * 0.2), row.agency_name, self._agency_px,
                      MUTED if row.state == TILE_CLOSED else TEXT, bold=False, log=log)
            top += ih * 0.2
        rest = y + ih - top
        if row.label:
            draw_text(p, QRectF(x, top, iw, rest), row.label, min(ih * 0.5, rest * 0.86),
                      TEXT, family=CONDENSED, log=log)
        else:
            words = {TILE_READY: "Siap melayani", TILE_PAUSED: "Istirahat",
                     TILE_CLOSED: "Tutup"}.get(row.state, "")
            draw_text(p, QRectF(x, top, iw, rest), words, ih * 0.24, MUTED, bold=False,
                      log=log)


class WaitingView(PagedGrid):
    """How many people wait, per agency. Tiles are as wide as the longest agency name needs at
    the smallest board text, so no name is ever cut."""

    title = "JUMLAH MENUNGGU"
    tile_aspect = 3.2
    max_tile_h = 0.085

    def __init__(self, model: WaitingModel, board_size: tuple[int, int],
                 parent: QWidget | None = None) -> None:
        super().__init__(model, board_size, parent)
        self.min_tile = (MIN_TILE_WIDTH * 1.25, MIN_TILE_HEIGHT * 0.45)
        self._name_font = font(10, bold=False)

    def _name_px(self) -> float:
        return min_text_px(*self.board_size) * 1.05

    def min_tile_size(self) -> tuple[float, float]:
        min_w, min_h = super().min_tile_size()
        f = font(self._name_px(), bold=False)
        longest = max((QFontMetricsF(f).horizontalAdvance(r.name)
                       for r in self.model.rows() if isinstance(r, AgencyWaiting)), default=0.0)
        # The name takes what the count (0.22 of the tile) and the paddings (0.2 of the
        # tile's height each side, at most max_tile_h) leave.
        max_h = min(self.board_size) * (self.max_tile_h or self.min_tile[1])
        return max(min_w, (longest + 0.4 * max_h) / 0.76), min_h

    def begin_page(self, rows: list[object], tile_w: float, tile_h: float) -> None:
        # One size for every name on the page: a long name shrinking alone looks like a fault.
        name_w = tile_w * 0.78 - tile_h * 0.4
        px = tile_h * 0.38
        for row in rows:
            assert isinstance(row, AgencyWaiting)
            px = min(px, fitted(row.name, px, name_w, bold=False).pixelSize())
        self._name_font = font(max(px, self._name_px()), bold=False)

    def paint_tile(self, p: QPainter, rect: QRectF, row: object) -> None:
        assert isinstance(row, AgencyWaiting)
        w, h = rect.width(), rect.height()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(PANEL)
        p.drawRoundedRect(rect, h * 0.15, h * 0.15)
        pad = h * 0.2
        count_w = w * 0.22
        name_rect = QRectF(rect.x() + pad, rect.y(), w - count_w - 2 * pad, h)
        p.setFont(self._name_font)
        p.setPen(TEXT)
        shown = elided(row.name, self._name_font, name_rect.width())
        p.drawText(name_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                   shown)
        self.texts.append(PaintedText(row.name, self._name_font.pixelSize(),
                                      elided=shown != row.name))
        draw_text(p, QRectF(rect.right() - count_w - pad, rect.y(), count_w, h),
                  str(row.waiting), h * 0.55, ACCENT, Qt.AlignmentFlag.AlignRight,
                  log=self.texts)


class RunningText(QWidget):
    """The MPP's running text line, scrolling right to left.

    The text is rendered once into a pixmap (per height) and each frame only blits it at a new
    offset: drawing a long line of anti-aliased text 25 times a second cost ~40% of a core
    offscreen, the blit a small fraction of that.
    """

    FRAME_MS = 40  # 25 frames a second: smooth enough from afar, light on an idle PC

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = " ".join(text.split())
        self.texts: list[PaintedText] = []
        self.offset = 0.0
        self._strip: QPixmap | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(self.FRAME_MS)
        self._timer.timeout.connect(self._step)
        self._timer.start()

    def _step(self) -> None:
        # About one screen height per 9 s, whatever the resolution.
        self.offset += self.height() * 0.08
        self.update()

    def _render_strip(self) -> QPixmap:
        h = self.height()
        f = font(h * 0.52, bold=True)
        self.texts = [PaintedText(self.text, f.pixelSize())]
        span = math.ceil(QFontMetricsF(f).horizontalAdvance(self.text) + h * 3)
        strip = QPixmap(span, h)
        strip.fill(ACCENT)
        p = QPainter(strip)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        p.setFont(f)
        p.setPen(ACCENT_TEXT)
        p.drawText(QRectF(0, 0, span, h),
                   int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), self.text)
        p.end()
        return strip

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._strip is None or self._strip.height() != self.height():
            self._strip = self._render_strip()
        span = self._strip.width()
        p = QPainter(self)
        p.fillRect(self.rect(), ACCENT)
        x = round(self.height() * 0.5 - (self.offset % span))
        while x < self.width():
            p.drawPixmap(x, 0, self._strip)
            x += span
        p.end()


class BoardWindow(QWidget):
    """The board: header, current call, last calls, counter tiles, waiting counts, running text
    and an optional media area. It only reflects `core`; it never queries the ledger."""

    def __init__(self, core: BoardCore, media: QWidget | None = None,
                 logo: QPixmap | None = None, size: tuple[int, int] = (1920, 1080),
                 history_rows: int = 5, page_seconds: float = PAGE_SECONDS,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.core = core
        self.config = core.config
        self.setWindowTitle(f"Antrean — {self.config.mpp.name}")
        self.setAutoFillBackground(True)
        pal = self.palette()
        pal.setColor(self.backgroundRole(), BG)
        self.setPalette(pal)

        self.calls_model = CallsModel(self)
        self.counters_model = CountersModel(self)
        self.waiting_model = WaitingModel(self)

        self.header = HeaderBar(self.config, logo, self)
        self.current_call = CurrentCallView(self)
        self.recent_calls = RecentCallsView(self.calls_model, history_rows, self)
        self.counter_grid = CounterGridView(self.counters_model, size, self)
        self.waiting = WaitingView(self.waiting_model, size, self)
        self.media = media
        self.staff_line = StaffLine(self)
        self.running_text = (
            RunningText(self.config.mpp.running_text, self)
            if self.config.mpp.running_text.strip() else None)
        self.setMinimumSize(*MIN_SIZE)

        self._root = QVBoxLayout(self)
        # The board is sized by the hall's screen, never by its contents; without this, Qt
        # asks the platform to resize the window whenever a label grows.
        self._root.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self._body = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self._left = QVBoxLayout()
        self._right = QVBoxLayout()
        self._root.addWidget(self.header)
        self._root.addLayout(self._body, 1)
        self._root.addWidget(self.staff_line)
        if self.running_text is not None:
            self._root.addWidget(self.running_text)
        self._portrait: bool | None = None
        self.resize(*size)
        self._arrange(size)

        core.current_changed.connect(self._on_current)
        core.history_changed.connect(self.calls_model.set_rows)
        core.counters_changed.connect(self.counters_model.set_rows)
        core.waiting_changed.connect(self.waiting_model.set_rows)
        core.online_changed.connect(self._on_online)
        core.voice_problem_changed.connect(self._on_voice_problem)
        core.alerts_changed.connect(self.staff_line.set_alerts)
        # Pick up whatever the core already knows (it may have started before us).
        self._on_current(core.current, False)
        self.calls_model.set_rows(core.history)
        self.counters_model.set_rows([core.tiles[n] for n in sorted(core.tiles)])
        self.waiting_model.set_rows(core.waiting)
        self._on_online(core.online)
        self._on_voice_problem(core.voice_problem)
        self.staff_line.set_alerts(core.alerts)

        self._clock_timer = QTimer(self)
        self._clock_timer.setInterval(1000)
        self._clock_timer.timeout.connect(self.tick_clock)
        self._clock_timer.start()
        self.tick_clock()
        self._page_timer = QTimer(self)
        self._page_timer.setInterval(round(page_seconds * 1000))
        self._page_timer.timeout.connect(self.next_page)
        self._page_timer.start()

    # --- reacting to the core -------------------------------------------------------------------

    def _on_current(self, call: CallEntry | None, fresh: bool) -> None:
        self.current_call.set_call(call, fresh)
        self.counter_grid.set_highlight(call.counter if call is not None else None)

    def _on_online(self, online: bool) -> None:
        self.staff_line.set_item("offline", None if online else "Papan terputus dari server")

    def _on_voice_problem(self, problem: str) -> None:
        self.staff_line.set_item("voice", "Suara papan bermasalah" if problem else None)

    def tick_clock(self) -> None:
        self.core.link.check_config()  # a version from today's date comes into force
        now = self.core.clock.now().astimezone(self.config.tz)
        self.header.set_moment(tanggal(now.date()), jam(now, self.config.mpp.timezone))
        self.core.tick()

    def next_page(self) -> None:
        self.counter_grid.next_page()
        self.waiting.next_page()

    # --- layout ---------------------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange((event.size().width(), event.size().height()))

    def _arrange(self, size: tuple[int, int]) -> None:
        w, h = size
        portrait = h > w
        unit = min(w, h) / 1080
        gap = round(16 * unit)
        self.counter_grid.board_size = self.waiting.board_size = (w, h)
        self.recent_calls.board_size = (w, h)
        # Two lines (three on a portrait board) no smaller than the smallest board text.
        self.header.portrait = portrait
        self.header.setFixedHeight(round((190 if portrait else 108) * unit))
        self.staff_line.setFixedHeight(round(54 * unit))
        if self.running_text is not None:
            self.running_text.setFixedHeight(round(64 * unit))
        for lay in (self._root, self._left, self._right):
            lay.setSpacing(gap)
        self._root.setContentsMargins(0, 0, 0, 0)
        self._body.setContentsMargins(gap, 0, gap, 0)
        self._body.setSpacing(gap)
        if portrait == self._portrait:
            return
        self._portrait = portrait
        for lay in (self._left, self._right):
            while lay.count():
                lay.takeAt(0)
        while self._body.count():
            self._body.takeAt(0)
        if portrait:
            # One column, top to bottom: call, last calls, media, tiles, waiting.
            self._body.setDirection(QBoxLayout.Direction.TopToBottom)
            self._left.addWidget(self.current_call, 30)
            self._left.addWidget(self.recent_calls, 18)
            if self.media is not None:
                self._left.addWidget(self.media, 20)
            self._left.addWidget(self.counter_grid, 34 if self.media is None else 24)
            self._left.addWidget(self.waiting, 12)
            self._body.addLayout(self._left, 1)
        else:
            self._body.setDirection(QBoxLayout.Direction.LeftToRight)
            self._left.addWidget(self.current_call, 62)
            self._left.addWidget(self.recent_calls, 38)
            if self.media is not None:
                self._right.addWidget(self.media, 42)
            self._right.addWidget(self.counter_grid, 58 if self.media is None else 40)
            self._right.addWidget(self.waiting, 20 if self.media is None else 18)
            self._body.addLayout(self._left, 44)
            self._body.addLayout(self._right, 56)


def load_logo(config: HallConfig, root: Path | None = None,
              hall_files: Path | None = None) -> QPixmap | None:
    """The MPP's logo from the config, looked up among the files the station fetched from
    the hub (`hall_files`), next to the config file, then the project."""
    if not config.mpp.logo:
        return None
    raw = Path(config.mpp.logo)
    candidates = [raw] if raw.is_absolute() else [
        *([hall_files / raw] if hall_files is not None else []),
        Path(config.source).parent / raw, (root or Path(__file__).resolve().parents[1]) / raw,
        Path.cwd() / raw,
    ]
    for path in candidates:
        if path.is_file():
            pix = QPixmap(str(path))
            if not pix.isNull():
                return pix
    log.warning("MPP logo %s not found; showing a plain emblem", config.mpp.logo)
    return None
