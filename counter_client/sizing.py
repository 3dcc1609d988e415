"""The counter window's sizes: its minimum size, measured in the fullest state it can show, and
the scale of its fonts, paddings and minimum heights for the room it gets.

The sizes in the style sheet and the parts' minimum heights are those of a 1366×768 counter PC
(scale 1); a window with less room gets all of them times 0.85 or 0.7 (a quarter of a
1920×1080 screen, the demo; a side panel on a laptop), whichever is the largest that fits.
A part states a minimum height at scale 1 with `base_min_height`; `Sizing` scales it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from contextlib import AbstractContextManager

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

from counter_client import core as c
from counter_client.core import CounterCore, CounterState
from counter_client.models import PRIORITY_WORDS
from shared.clock import from_ms, to_ms
from shared.config import Counter, HallConfig
from shared.ledger import model as m
from shared.ledger.queries import Alert, TicketView

SCALES = (1.0, 0.85, 0.7)
MIN_FONT_PX = 11  # never smaller, whatever the scale
PANEL_WIDTH = 360  # the side panel's width at the screen's edge
SCREEN_WIDTHS = (PANEL_WIDTH, 1366, 1920)  # a side panel, a counter PC, a 1080p screen
# What `Sizing.fit` measured, by kind of window (look, counter, hall config, button texts): the
# same for every such window, and measuring costs a few hundred milliseconds.
_NEEDS: dict[Hashable, dict[float, list[QSize]]] = {}
# The sizes at scale 1, kept on the widget itself (a Qt dynamic property).
_MIN_HEIGHT = "minHeightAtScale1"
_MIN_WIDTH = "minWidthAtScale1"


def base_min_height(widget: QWidget, px: int) -> None:
    """`widget`'s minimum height at scale 1 (never less than its text needs)."""
    widget.setProperty(_MIN_HEIGHT, px)
    widget.setMinimumHeight(max(px, widget.minimumSizeHint().height()))


def base_min_width(widget: QWidget, px: int) -> None:
    """`widget`'s minimum width at scale 1; it takes effect at the window's first scaling."""
    widget.setProperty(_MIN_WIDTH, px)


class Sizing:
    """One window's style sheet and minimum sizes at its scale, and its minimum size."""

    def __init__(self, window: QWidget, style: str) -> None:
        self._window = window
        self._style = style
        self.scale = 1.0
        self._needs: dict[float, list[QSize]] = {}  # scale -> least sizes, by width
        window.setStyleSheet(scaled_style(style, 1.0))

    def apply(self, scale: float) -> None:
        """Every size in the style sheet and every minimum height times `scale`."""
        self.scale = scale
        self._window.setStyleSheet(scaled_style(self._style, scale))
        for widget in self._window.findChildren(QWidget):
            px = widget.property(_MIN_HEIGHT)
            if px is not None:
                # Never below what its text needs at this scale's font.
                widget.setMinimumHeight(0)
                widget.setMinimumHeight(max(round(px * scale),
                                            widget.minimumSizeHint().height()))
            px = widget.property(_MIN_WIDTH)
            if px is not None:
                widget.setMinimumWidth(round(px * scale))

    def fit(self, kind: Hashable,
            fullest: Callable[[], AbstractContextManager[object]]) -> None:
        """The window's minimum size: what its layout needs in the fullest state it can show
        (`fullest()` shows it until the block ends), at the compact scale. Smaller, something
        would be clipped or cut; the tests walk every widget at this size. Where the window has
        room for the same at scale 1, it uses scale 1. Windows of the same `kind` (and hall)
        measure the same, so each kind is measured once."""
        window = self._window
        if kind not in _NEEDS:
            size = window.size()
            with fullest():
                for scale in SCALES:
                    self.apply(scale)
                    self._needs[scale] = self._measure(compact=scale == min(SCALES))
            window.resize(size)
            _NEEDS[kind] = self._needs
        self._needs = _NEEDS[kind]
        window.setMinimumSize(self._needs[min(SCALES)][0])
        self.apply(self.scale_for(window.size()))

    def resized(self, size: QSize) -> None:
        scale = self.scale_for(size)
        if scale != self.scale and self._needs:
            self.apply(scale)

    def scale_for(self, size: QSize) -> float:
        for scale in sorted(SCALES, reverse=True):
            fits = [need for need in self._needs.get(scale, []) if need.width() <= size.width()]
            if fits and size.height() >= fits[-1].height():
                return scale
        return min(SCALES)

    def _measure(self, compact: bool) -> list[QSize]:
        """The smallest sizes that fit: at the narrowest width the layout allows and, unless
        `compact`, at the widths of common screens (a wider window wraps less)."""
        # A new style changes the hints at once; each layout keeps its cached sizes until it
        # is told.
        lay_out(self._window)
        layout = self._window.layout()
        assert layout is not None
        least = layout.totalMinimumSize()
        widths = [least.width()] + ([] if compact else [
            w for w in SCREEN_WIDTHS if w > least.width()])
        return [QSize(w, self._least_height(w, least.height())) for w in widths]

    def _least_height(self, width: int, low: int) -> int:
        """Bisect for the least height at which nothing is clipped (the same walk the tests
        do): Qt's own height-for-width sums are not exact across nested layouts."""
        high = max(low, 400)
        while clipped_widgets(self._window, (width, high)) and high < 4000:
            high *= 2
        while low < high:
            mid = (low + high) // 2
            if clipped_widgets(self._window, (width, mid)):
                low = mid + 1
            else:
                high = mid
        return high


def scaled_style(css: str, scale: float) -> str:
    """The style sheet with every pixel size times `scale`; fonts never below MIN_FONT_PX."""
    if scale == 1.0:
        return css

    def px(m: re.Match[str]) -> str:
        font, n = m.group(1) or "", int(m.group(2))
        return f"{font}{max(MIN_FONT_PX if font else 1, round(n * scale))}px"

    return re.sub(r"(font-size:\s*)?\b(\d+)px", px, css)


def lay_out(window: QWidget) -> None:
    """Lay the window out now, shown or not. A hidden widget that its parent's layout resizes
    gets no resize event, so its own layout must be run by hand, parents first."""
    for widget in [window, *window.findChildren(QWidget)]:
        layout = widget.layout()
        if layout is not None and widget.window() is window:
            layout.invalidate()
            layout.activate()


def clipped_widgets(window: QWidget, size: tuple[int, int] | None = None) -> list[str]:
    """The labels and buttons of the shown page that get less room than they need (narrower or
    lower than their minimum size hint, lower than their wrapped text, or past the window's
    edge), at the window's size or laid out at `size`. Empty when nothing is cut."""
    if size is not None:
        window.resize(*size)
        lay_out(window)
    bottom, right = window.height(), window.width()
    out = []
    shown: list[QLabel | QAbstractButton] = [
        *window.findChildren(QLabel), *window.findChildren(QAbstractButton)]
    for w in shown:
        if not w.isVisibleTo(window) or not w.text():
            continue
        need = w.minimumSizeHint()
        height = need.height()
        if isinstance(w, QLabel) and w.wordWrap():
            height = max(height, w.heightForWidth(w.width()))
        corner = w.mapTo(window, w.rect().bottomRight())
        if (w.width() < need.width() or w.height() < height or corner.y() >= bottom
                or corner.x() >= right):
            out.append(f"{type(w).__name__} {w.text()!r}: {w.width()}×{w.height()}, "
                       f"needs {need.width()}×{height}")
    return out


def longest_message(config: HallConfig) -> str:
    """The longest message line the counter writes (a transfer to the longest service)."""
    svc = max(config.services.values(), key=lambda s: len(config.agencies[s.agency].short_name)
              + len(s.name))
    return f"WWWW-888 dialihkan ke {config.agencies[svc.agency].short_name} · {svc.name}."


def worst_case(core: CounterCore) -> CounterState:
    """The fullest state a window of `core` can show: the counter with the longest names (or
    the bound one), a priority ticket with the longest service, label and timers, over its
    standard time, called many times, offline with a reason, and alerts on the banner."""
    cfg = core.config
    counters = ([cfg.counters[core.counter]] if core.counter is not None
                else list(cfg.counters.values()))

    def header(counter: Counter) -> int:
        queues = sum(len(cfg.queues[q].name) + len(q) for q in counter.queues)
        return len(counter.name) + len(cfg.agencies[counter.agency].short_name) + queues

    counter = max(counters, key=header)
    services = [svc for q in counter.queues for svc in cfg.services_in_queue(q)] or list(
        cfg.services.values())
    svc = max(services, key=lambda x: len(cfg.agencies[x.agency].short_name) + len(x.name))
    agency = cfg.agencies[svc.agency].short_name
    prefix = max(counter.queues, key=len)
    label = f"{'W' * len(prefix)}-888"  # the widest letters and digits of its length
    group = max(PRIORITY_WORDS, key=lambda g: len(PRIORITY_WORDS[g]))
    long_s = 10 * 3600 - 1
    ticket = TicketView(
        ticket_id="worst", label=label, queue=prefix, number=888, service=svc.code,
        agency=svc.agency, priority=group, status=m.CALLED, service_day="2026-12-31",
        issued_at=0, called_at=0, last_called_at=0, call_count=9, counter=counter.number,
        officer="x", started_at=None, ended_at=None, transfers=8, rank=0, priority_ok=None)
    current = c.CurrentTicket(ticket, svc.name, agency, 120, long_s, long_s, None)
    summaries = tuple(c.QueueSummary(q, cfg.queues[q].name, 888, long_s)
                      for q in counter.queues)
    words = "Kiosk kiosk-88: tiket WWWW-888 gagal dicetak (printer tidak menjawab: periksa "
    words += "kabel, daya dan kertas, lalu coba cetak ulang)"
    alert = Alert("worst", "kiosk-88", "printer", words, 0, 0, 0)
    sample_day = from_ms(0).replace(year=2026, month=9, day=30, hour=23, minute=59)
    return c.CounterState(
        counter=counter, agency_name=cfg.agencies[counter.agency].short_name,
        queue_names=tuple((q, cfg.queues[q].name) for q in counter.queues),
        officer="198501012010011001", online=False, status=m.COUNTER_OPEN, busy=None,
        current=current, line=(), summaries=summaries,
        figures=c.OfficerFigures(8888, 8888, 0, 888.0), no_shows=(),
        enabled=frozenset({c.CHECK_PRIORITY}), now_ms=to_ms(sample_day),
        offline_reason="Perangkat ini ditolak server antrean. Hubungi petugas TI.",
        officer_name="Dra. Sri Wahyuningsih Kusumawardhani", alerts=(alert,) * 3)
