"""The officer's window: a thin shell over `CounterCore`.

Two layouts of the same widgets: the full window (a counter PC, or 1366×768 laptop) and a narrow
always-on-top side panel beside the officer's own agency application. Every action is a button
and a `QAction` with keyboard shortcuts, so a USB number pad or a one-key caller button can call
the next visitor. Refusals and news go to a message line, never to a dialog that blocks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from PySide6.QtCore import QSize, Qt, Slot
from PySide6.QtGui import QAction, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from counter_client import core as c
from counter_client.core import CounterCore, CounterState, TransferTarget, clock_text, minutes_text
from counter_client.models import PRIORITY_WORDS, WaitingLineModel
from shared.clock import from_ms, to_ms
from shared.config import Counter, HallConfig
from shared.indonesian import jam, tanggal
from shared.ledger import model as m
from shared.ledger.queries import Alert, TicketView

# Default keys. A USB number pad: Enter or '+' calls the next visitor, '.' or '-' recalls.
# Simple caller buttons usually send one of these, or an F-key. "Enter" means both Enter keys
# (see `key_sequences`); the number pad's keys match their main-keyboard twins.
DEFAULT_KEYS: dict[str, tuple[str, ...]] = {
    c.CALL_NEXT: ("F1", "Enter", "+"),
    c.RECALL: ("F2", ".", "-"),
    c.START: ("F3",),
    c.FINISH: ("F4",),
    c.NO_SHOW: ("F5",),
    c.TRANSFER: ("F6",),
    c.RETURN_NO_SHOW: ("F7",),
    c.PAUSE: ("F8",),
    c.OPEN: ("F9",),
    c.CLOSE: ("F10",),
}

LABELS = {
    c.CALL_NEXT: "Panggil berikutnya",
    c.RECALL: "Panggil ulang",
    c.START: "Mulai layani",
    c.FINISH: "Selesai",
    c.NO_SHOW: "Tidak hadir",
    c.TRANSFER: "Alihkan…",
    c.RETURN_NO_SHOW: "Kembalikan tidak hadir…",
    c.PAUSE: "Istirahat",
    c.OPEN: "Buka loket",
    c.CLOSE: "Tutup loket",
    c.SIGN_OUT: "Keluar",
}

# The side panel is ~360 px wide: shorter words, one key named per button.
PANEL_LABELS = {
    c.RETURN_NO_SHOW: "Kembalikan…",
    c.OPEN: "Buka",
    c.CLOSE: "Tutup",
}

SIGN_IN_PAGE, MAIN_PAGE, TRANSFER_PAGE, NO_SHOW_PAGE = range(4)
PANEL_WIDTH = 360  # the side panel's width at the screen's edge
NARROW_WIDTH = 1000  # a full window narrower than this leaves the services out of the line

# The window's sizes (fonts, paddings, minimum heights) are those of a 1366×768 counter PC; a
# window with less room gets all of them times 0.85 or 0.7 (a quarter of a 1920×1080 screen,
# the demo; a side panel on a laptop), whichever is the largest that fits (_fit_minimum).
SCALES = (1.0, 0.85, 0.7)
# What _fit_minimum measured, by (panel, counter, hall config, button texts): the same for
# every such window, and measuring costs a few hundred milliseconds.
_NEEDS: dict[tuple[object, ...], dict[float, list[QSize]]] = {}
MIN_FONT_PX = 11  # never smaller, whatever the scale
# The alert banner: how many alerts it lists (beyond, the rest are counted) and how many
# characters of each, in the full window and in the side panel.
ALERTS_SHOWN = {False: 2, True: 1}
ALERT_TEXT_MAX = {False: 120, True: 60}

STYLE = """
QWidget { font-family: 'DejaVu Sans'; font-size: 15px; color: #1d2430; }
#root { background: #eef1f5; }
#header { background: #17375e; }
#header QLabel { color: white; }
#counterName { font-size: 22px; font-weight: bold; }
#statusChip { border-radius: 6px; padding: 4px 12px; font-weight: bold; font-size: 16px; }
#offline { background: #b3261e; color: white; font-weight: bold; font-size: 16px;
           padding: 8px 12px; }
#alert { background: #fde7c8; color: #5c2e00; border-bottom: 2px solid #e07b00;
         font-weight: bold; font-size: 16px; padding: 6px 12px; }
#card { background: white; border: 1px solid #c9d1dc; border-radius: 10px; }
#ticketCaption { color: #4a5566; font-size: 16px; }
#ticketLabel { font-size: 64px; font-weight: bold; color: #17375e; }
#ticketService { font-size: 17px; }
#timers { font-size: 16px; color: #333; }
#sla { background: #fde7c8; color: #7a3e00; border: 2px solid #e07b00; border-radius: 6px;
       padding: 6px 10px; font-weight: bold; font-size: 16px; }
#message { border-radius: 6px; padding: 8px 12px; font-size: 16px; min-height: 24px; }
#message[kind="error"] { background: #fbe3e1; color: #8c1d18; border: 1px solid #d9776f; }
#message[kind="done"] { background: #e3f4e6; color: #14532d; border: 1px solid #8cc79a; }
#message[kind="info"] { background: #e6edf7; color: #17375e; border: 1px solid #9db3d3; }
#title { font-size: 26px; font-weight: bold; margin: 12px; }
#sectionTitle { font-size: 17px; font-weight: bold; color: #17375e; }
#figures { background: white; border: 1px solid #c9d1dc; border-radius: 8px; padding: 8px; }
QToolButton, QPushButton { background: white; border: 2px solid #17375e; border-radius: 8px;
    padding: 6px; font-size: 16px; font-weight: bold; color: #17375e; }
QToolButton:disabled, QPushButton:disabled { border-color: #c3c9d2; color: #9aa3ae;
    background: #f4f5f7; }
QToolButton:pressed, QPushButton:pressed { background: #dbe5f3; }
#signOut { padding: 4px 12px; font-size: 14px; }
#boundCounter { font-size: 18px; font-weight: bold; }
#callNext { background: #1b7f3b; border-color: #12602b; color: white; font-size: 26px; }
#callNext:disabled { background: #b9cfc0; border-color: #b9cfc0; color: #eef3ef; }
#primary { background: #17375e; color: white; }
#primary:disabled { background: #c3c9d2; border-color: #c3c9d2; color: white; }
QTableView { background: white; border: 1px solid #c9d1dc; font-size: 15px;
             selection-background-color: #dbe5f3; selection-color: #1d2430; }
QHeaderView::section { background: #e3e8ef; border: none; padding: 4px; font-weight: bold; }
QListWidget { background: white; border: 1px solid #c9d1dc; font-size: 16px; }
QListWidget::item { padding: 8px; border-bottom: 1px solid #eef1f5; }
QListWidget::item:selected { background: #dbe5f3; color: #1d2430; }
QLineEdit, QComboBox { background: white; border: 1px solid #9aa3ae; border-radius: 6px;
    padding: 6px; font-size: 18px; }
"""

PANEL_STYLE = """
QToolButton, QPushButton { font-size: 14px; padding: 3px; }
#callNext { font-size: 22px; }
#ticketLabel { font-size: 46px; }
#ticketCaption, #timers, #sla { font-size: 14px; }
#ticketService { font-size: 15px; }
#counterName { font-size: 19px; }
#title { font-size: 21px; }
"""

_STATUS_COLORS = {
    m.COUNTER_OPEN: ("#d8f3df", "#14532d"),
    m.COUNTER_PAUSED: ("#fde7c8", "#7a3e00"),
    m.COUNTER_CLOSED: ("#e3e8ef", "#39424e"),
}


class CounterWindow(QWidget):
    """Full window (`panel=False`) or narrow side panel (`panel=True`, always on top)."""

    def __init__(self, core: CounterCore, *, panel: bool = False,
                 keys: Mapping[str, Sequence[str]] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.core = core
        self.panel = panel
        self.setObjectName("root")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.scale = 1.0
        # Sizes at scale 1, for _apply_scale.
        self._base_min_height: dict[QWidget, int] = {}
        self._base_min_width: dict[QWidget, int] = {}
        self._needs: dict[float, list[QSize]] = {}  # scale -> least sizes, by width
        self.setStyleSheet(_scaled_style(STYLE + (PANEL_STYLE if panel else ""), 1.0))
        if panel:
            self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, True)
        self._keys = {**DEFAULT_KEYS, **(keys or {})}
        self._shown_page = SIGN_IN_PAGE

        self.actions_by_name: dict[str, QAction] = {}
        self.buttons: dict[str, QToolButton] = {}
        self._make_actions()

        self._offline_text = (
            "Tidak terhubung ke server antrean.\nTombol mati; menyambung lagi…"
            if panel else
            "Tidak terhubung ke server antrean. Tombol dimatikan sampai sambungan pulih; "
            "aplikasi menyambung kembali sendiri.")
        self.offline_banner = QLabel(self._offline_text)
        self.offline_banner.setObjectName("offline")
        self.offline_banner.setWordWrap(True)
        self.offline_banner.hide()
        # Stations' problems (a kiosk out of paper) until the station says it is fixed.
        self.alert_banner = QLabel("")
        self.alert_banner.setObjectName("alert")
        self.alert_banner.setWordWrap(True)
        self.alert_banner.hide()

        self.message_label = QLabel("")
        self.message_label.setObjectName("message")
        self.message_label.setWordWrap(True)
        self.message_label.setProperty("kind", c.INFO)

        self.stack = QStackedWidget()
        self.stack.addWidget(self._build_sign_in())
        self.stack.addWidget(self._build_main())
        self.stack.addWidget(self._build_transfer())
        self.stack.addWidget(self._build_no_shows())

        outer = self._outer = QVBoxLayout(self)
        # The pages differ in minimum size; letting the layout push each one onto the window
        # would resize a side panel under the officer's hands (and warns on some platforms).
        outer.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self.offline_banner)
        outer.addWidget(self.alert_banner)
        outer.addWidget(self.stack, 1)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(10, 6, 10, 10)
        bottom.addWidget(self.message_label)
        outer.addLayout(bottom)

        core.changed.connect(self._render)
        core.message.connect(self.show_message)
        self.show_message("Masukkan ID petugas dan PIN.", c.INFO)
        self._render()
        self._fit_minimum()

    # --- size --------------------------------------------------------------------------------

    def _min_height(self, widget: QWidget, px: int) -> None:
        self._base_min_height[widget] = px
        widget.setMinimumHeight(max(round(px * self.scale), widget.minimumSizeHint().height()))

    def _apply_scale(self, scale: float) -> None:
        """Every size in the style sheet and every minimum height times `scale`."""
        self.scale = scale
        self.setStyleSheet(_scaled_style(STYLE + (PANEL_STYLE if self.panel else ""), scale))
        for widget, px in self._base_min_height.items():
            # Never below what its text needs at this scale's font.
            widget.setMinimumHeight(0)
            widget.setMinimumHeight(max(round(px * scale), widget.minimumSizeHint().height()))
        for widget, px in self._base_min_width.items():
            widget.setMinimumWidth(round(px * scale))

    def _fit_minimum(self) -> None:
        """The window's minimum size: what its layout needs in the fullest state it can show
        (a priority ticket over its standard time, offline, alerts, the longest names of the
        hall), at the compact scale. Smaller, something would be clipped or cut; the tests walk
        every widget at this size. Where the window has room for the same at scale 1, it
        uses scale 1."""
        key = (self.panel, self.core.counter, self.core.config.digest,
               tuple(b.text() for b in self.buttons.values()))
        if key in _NEEDS:  # every window of this kind and hall measures the same
            self._needs = _NEEDS[key]
            self.setMinimumSize(self._needs[min(SCALES)][0])
            self._apply_scale(self._scale_for(self.size()))
            return
        worst = _worst_case(self.core)
        shown, message = self._shown_page, (self.message_label.text(),
                                            self.message_label.property("kind"))
        size = self.size()
        self._shown_page = MAIN_PAGE
        self.stack.setCurrentIndex(MAIN_PAGE)
        self._render(worst)
        self.show_message(_longest_message(self.core.config), c.ERROR)
        for scale in SCALES:
            self._apply_scale(scale)
            self._needs[scale] = self._measure(compact=scale == min(SCALES))
        self._shown_page = shown
        self.stack.setCurrentIndex(shown)
        self._render()
        self.show_message(*message)
        self.resize(size)
        _NEEDS[key] = self._needs
        self.setMinimumSize(self._needs[min(SCALES)][0])
        self._apply_scale(self._scale_for(self.size()))

    def _measure(self, compact: bool) -> list[QSize]:
        """The smallest sizes that fit: at the narrowest width the layout allows and, unless
        `compact`, at the widths of common screens (a wider window wraps less)."""
        # A new style changes the hints at once; each layout keeps its cached sizes until it
        # is told.
        lay_out(self)
        least = self._outer.totalMinimumSize()
        widths = [least.width()] + ([] if compact else [
            w for w in (PANEL_WIDTH, 1366, 1920) if w > least.width()])
        return [QSize(w, self._least_height(w, least.height())) for w in widths]

    def _least_height(self, width: int, low: int) -> int:
        """Bisect for the least height at which nothing is clipped (the same walk the tests
        do): Qt's own height-for-width sums are not exact across nested layouts."""
        high = max(low, 400)
        while clipped_widgets(self, (width, high)) and high < 4000:
            high *= 2
        while low < high:
            mid = (low + high) // 2
            if clipped_widgets(self, (width, mid)):
                low = mid + 1
            else:
                high = mid
        return high

    def _scale_for(self, size: QSize) -> float:
        for scale in sorted(SCALES, reverse=True):
            fits = [need for need in self._needs.get(scale, []) if need.width() <= size.width()]
            if fits and size.height() >= fits[-1].height():
                return scale
        return min(SCALES)

    def minimum_size_at(self, scale: float) -> QSize:
        """The least size at which everything fits at `scale`."""
        return QSize(self._needs[scale][0])

    def resizeEvent(self, event: QResizeEvent) -> None:
        scale = self._scale_for(event.size())
        if scale != self.scale and self._needs:
            self._apply_scale(scale)
        if not self.panel:
            # A narrow window's line shows numbers and waits; the services would be "…".
            self.line_view.setColumnHidden(WaitingLineModel.SERVICE,
                                           event.size().width() < NARROW_WIDTH)
        super().resizeEvent(event)

    # --- building ------------------------------------------------------------------------------

    def _make_actions(self) -> None:
        handlers = {
            c.CALL_NEXT: self.core.call_next,
            c.RECALL: self.core.recall,
            c.START: self.core.start,
            c.FINISH: self.core.finish,
            c.NO_SHOW: self.core.no_show,
            c.TRANSFER: self.open_transfer,
            c.RETURN_NO_SHOW: self.open_no_shows,
            c.PAUSE: self.core.pause,
            c.OPEN: self.core.open,
            c.CLOSE: self.core.close_counter,
            c.SIGN_OUT: self.core.sign_out,
        }
        for name, handler in handlers.items():
            keys = self._keys.get(name, ())
            text = LABELS[name]
            hint = " / ".join(_key_name(k) for k in keys)
            # The key goes on the button itself: officers learn the pad by reading it.
            shown = f"{text}\n{hint}" if hint else text
            if self.panel and name != c.CALL_NEXT:
                short = PANEL_LABELS.get(name, text)
                shown = f"{short} · {_key_name(keys[0])}" if keys else short
            elif name in (c.PAUSE, c.OPEN, c.CLOSE):
                # The counter's own buttons are one line: the ticket's keep the room.
                shown = f"{text} · {hint}" if hint else text
            action = QAction(shown, self)
            action.setShortcuts(key_sequences(keys))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            # A held key must not fire the action again and again.
            action.setAutoRepeat(False)
            action.triggered.connect(lambda _checked=False, h=handler: h())
            self.addAction(action)
            self.actions_by_name[name] = action
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setToolTip(f"{text} ({hint})" if hint else text)
            self.buttons[name] = button
        # Esc leaves the transfer and no-show pages (one action: two button shortcuts on the
        # same key would be ambiguous and neither would fire).
        self.back_action = QAction("Kembali", self)
        self.back_action.setShortcut(QKeySequence("Esc"))
        self.back_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.back_action.triggered.connect(self.show_main)
        self.addAction(self.back_action)
        call = self.buttons[c.CALL_NEXT]
        call.setObjectName("callNext")
        self._min_height(call, 76 if not self.panel else 66)

    def _build_sign_in(self) -> QWidget:
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(24, 24, 24, 24)
        lay.addStretch(1)
        cfg = self.core.config
        hall = QLabel(f"{cfg.mpp.name}\n{cfg.mpp.kabupaten}")
        hall.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hall.setObjectName("sectionTitle")
        hall.setWordWrap(True)
        lay.addWidget(hall)
        title = QLabel("Masuk petugas loket")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title.setObjectName("title")
        title.setWordWrap(True)
        lay.addWidget(title)
        form = QGridLayout()
        form.setVerticalSpacing(10)
        self.officer_edit = QLineEdit()
        self.officer_edit.setPlaceholderText("contoh: 198705122010")
        self.pin_edit = QLineEdit()
        self.pin_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin_edit.setPlaceholderText("PIN")
        self.counter_combo = QComboBox()
        # The longest "Loket 12 — Agency (queues)" must not set the window's width.
        self.counter_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.counter_combo.setMinimumContentsLength(16)
        for counter in self.core.counter_choices():
            agency = cfg.agencies[counter.agency].short_name
            self.counter_combo.addItem(
                f"{counter.name} — {agency} ({', '.join(counter.queues)})", counter.number)
        self.bound_counter_label = QLabel("")
        self.bound_counter_label.setObjectName("boundCounter")
        self.bound_counter_label.setWordWrap(True)
        if self.core.counter is not None:
            counter = cfg.counters[self.core.counter]
            self.bound_counter_label.setText(
                f"{counter.name} — {cfg.agencies[counter.agency].short_name}")
            self.counter_combo.setCurrentIndex(self.counter_combo.findData(counter.number))
            self.counter_combo.hide()
        else:
            self.bound_counter_label.hide()
        row = 0
        for text, widget in (("ID petugas", self.officer_edit), ("PIN", self.pin_edit)):
            form.addWidget(QLabel(text), row, 0)
            form.addWidget(widget, row, 1)
            row += 1
        form.addWidget(QLabel("Loket"), row, 0)
        form.addWidget(self.counter_combo, row, 1)
        form.addWidget(self.bound_counter_label, row, 1)
        form.setColumnStretch(1, 1)
        box = QWidget()
        box.setLayout(form)
        box.setMaximumWidth(560)
        lay.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        self.sign_in_button = QPushButton("Masuk")
        self.sign_in_button.setObjectName("primary")
        self._min_height(self.sign_in_button, 56)
        self._base_min_width[self.sign_in_button] = 300
        self.sign_in_button.clicked.connect(self._sign_in)
        self.pin_edit.returnPressed.connect(self._sign_in)
        self.officer_edit.returnPressed.connect(self.pin_edit.setFocus)
        lay.addSpacing(12)
        lay.addWidget(self.sign_in_button, 0, Qt.AlignmentFlag.AlignHCenter)
        self.sign_in_button.setSizePolicy(QSizePolicy.Policy.Expanding,
                                          QSizePolicy.Policy.Fixed)
        lay.addStretch(2)
        return page

    def _build_main(self) -> QWidget:
        page = QWidget()
        # Header: counter, its queues, status, officer.
        header = QFrame()
        header.setObjectName("header")
        header.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.counter_label = QLabel()
        self.counter_label.setObjectName("counterName")
        self.queues_label = QLabel()
        self.queues_label.setWordWrap(True)
        self.status_chip = QLabel()
        self.status_chip.setObjectName("statusChip")
        self.officer_label = QLabel()
        # In the narrow panel a long name takes two lines; the full window's header has room.
        self.officer_label.setWordWrap(self.panel)
        self.clock_label = QLabel()
        sign_out = self.buttons[c.SIGN_OUT]
        sign_out.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        sign_out.setObjectName("signOut")
        if self.panel:
            hl = QGridLayout(header)
            hl.setContentsMargins(10, 6, 10, 6)
            hl.setVerticalSpacing(2)
            hl.addWidget(self.counter_label, 0, 0)
            hl.addWidget(self.status_chip, 0, 1, Qt.AlignmentFlag.AlignRight)
            hl.addWidget(self.queues_label, 1, 0, 1, 2)
            hl.addWidget(self.officer_label, 2, 0)
            hl.addWidget(sign_out, 2, 1, Qt.AlignmentFlag.AlignRight)
        else:
            hl2 = QHBoxLayout(header)
            hl2.setContentsMargins(16, 8, 16, 8)
            names = QVBoxLayout()
            names.addWidget(self.counter_label)
            names.addWidget(self.queues_label)
            hl2.addLayout(names, 1)
            hl2.addWidget(self.status_chip)
            hl2.addSpacing(16)
            who = QVBoxLayout()
            who.addWidget(self.officer_label, 0, Qt.AlignmentFlag.AlignRight)
            who.addWidget(self.clock_label, 0, Qt.AlignmentFlag.AlignRight)
            hl2.addLayout(who)
            hl2.addSpacing(8)
            hl2.addWidget(sign_out)

        # The ticket at the counter.
        card = QFrame()
        card.setObjectName("card")
        cl = QVBoxLayout(card)
        if self.panel:
            cl.setContentsMargins(8, 4, 8, 6)
            cl.setSpacing(2)
        else:
            cl.setContentsMargins(16, 8, 16, 10)
        self.ticket_caption = QLabel()
        self.ticket_caption.setObjectName("ticketCaption")
        self.ticket_caption.setWordWrap(True)
        self.ticket_label = QLabel()
        self.ticket_label.setObjectName("ticketLabel")
        self.ticket_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.ticket_service = QLabel()
        self.ticket_service.setObjectName("ticketService")
        # Long names wrap: the window's minimum size leaves room for the longest (see
        # _fit_minimum), so nothing is cut.
        self.ticket_service.setWordWrap(True)
        self.ticket_service.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.timers_label = QLabel()
        self.timers_label.setObjectName("timers")
        self.timers_label.setWordWrap(True)
        self.timers_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.sla_label = QLabel()
        self.sla_label.setObjectName("sla")
        self.sla_label.setWordWrap(True)
        self.sla_label.hide()
        for w in (self.ticket_caption, self.ticket_label, self.ticket_service, self.timers_label,
                  self.sla_label):
            cl.addWidget(w)
        # A priority claim is checked by the officer once, with the visitor in front of them.
        self.priority_row = QWidget()
        pr = QHBoxLayout(self.priority_row)
        pr.setContentsMargins(0, 4, 0, 0)
        self.priority_question = QLabel("Prioritas sesuai?" if self.panel else
                                        "Apakah pengunjung termasuk kelompok prioritas ini?")
        self.priority_question.setObjectName("priorityQuestion")
        self.priority_question.setWordWrap(True)
        # Short words in the 360-px panel, so neither button is clipped.
        self.priority_yes = QPushButton("Sesuai" if self.panel else "Ya, sesuai")
        self.priority_yes.setObjectName("priorityYes")
        self.priority_no = QPushButton("Bukan" if self.panel else "Bukan prioritas")
        self.priority_no.setObjectName("priorityNo")
        for choice, valid in ((self.priority_yes, True), (self.priority_no, False)):
            choice.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            choice.clicked.connect(
                lambda _checked=False, v=valid: self.core.check_priority(v))
        pr.addWidget(self.priority_question, 1)
        pr.addWidget(self.priority_yes)
        pr.addWidget(self.priority_no)
        self.priority_row.hide()
        cl.addWidget(self.priority_row)
        # The ticket never gives up height; on a short screen the waiting line does.
        card.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

        # Actions.
        ticket_grid = QGridLayout()
        ticket_grid.setSpacing(8)
        cols = 2 if self.panel else 3
        for i, name in enumerate((c.RECALL, c.START, c.FINISH, c.NO_SHOW, c.TRANSFER,
                                  c.RETURN_NO_SHOW)):
            b = self.buttons[name]
            self._min_height(b, 36 if self.panel else 54)
            if self.panel:
                b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
            ticket_grid.addWidget(b, i // cols, i % cols)
        counter_grid = QGridLayout()
        counter_grid.setSpacing(8)
        for i, name in enumerate((c.PAUSE, c.OPEN, c.CLOSE)):
            b = self.buttons[name]
            self._min_height(b, 36 if self.panel else 40)
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
            if self.panel:
                counter_grid.addWidget(b, 0, i)
            else:  # under the waiting line, which has height to spare: two columns
                counter_grid.addWidget(b, i // 2, i % 2, 1, 2 if i == 2 else 1)

        # The waiting line.
        self.line_title = QLabel("Antrean menunggu")
        self.line_title.setObjectName("sectionTitle")
        self.line_summary = QLabel()
        self.line_summary.setWordWrap(True)
        self.line_model = WaitingLineModel(self.core.config, self)
        self.line_view = _LineView(compact=self.panel)
        self.line_view.setModel(self.line_model)
        self.line_view.verticalHeader().hide()
        self.line_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.line_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.line_view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.line_view.setAlternatingRowColors(False)
        hh = self.line_view.horizontalHeader()
        hh.setSectionResizeMode(WaitingLineModel.SERVICE, QHeaderView.ResizeMode.Stretch)
        for col in (WaitingLineModel.NUMBER, WaitingLineModel.WAITED, WaitingLineModel.PRIORITY):
            hh.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        if self.panel:
            self.line_view.setColumnHidden(WaitingLineModel.SERVICE, True)
            hh.setSectionResizeMode(WaitingLineModel.PRIORITY, QHeaderView.ResizeMode.Stretch)
        self.figures_label = QLabel()
        self.figures_label.setObjectName("figures")
        self.figures_label.setWordWrap(True)

        line_box = QVBoxLayout()
        line_box.setSpacing(4)
        if self.panel:
            self.line_title.hide()
            # It gives up its height first: the summary above it says how many wait.
            self.line_view.setMinimumHeight(1)
            self.buttons[c.CALL_NEXT].setSizePolicy(QSizePolicy.Policy.Expanding,
                                                   QSizePolicy.Policy.Minimum)
        line_box.addWidget(self.line_title)
        line_box.addWidget(self.line_summary)
        line_box.addWidget(self.line_view, 1)
        line_box.addWidget(self.figures_label)
        if not self.panel:
            # Opening, pausing and closing the counter belong with its day, not with the
            # ticket at the desk; and the ticket's column is the one that runs out of height.
            line_box.addSpacing(6)
            line_box.addLayout(counter_grid)

        lay = QVBoxLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(header)
        body = QWidget()
        lay.addWidget(body, 1)
        left = QVBoxLayout()
        left.setSpacing(6 if self.panel else 8)
        left.addWidget(card)
        left.addWidget(self.buttons[c.CALL_NEXT])
        left.addLayout(ticket_grid)
        if self.panel:
            left.addLayout(counter_grid)
        if self.panel:
            bl = QVBoxLayout(body)
            bl.setContentsMargins(8, 6, 8, 0)
            bl.setSpacing(6)
            bl.addLayout(left)
            bl.addLayout(line_box, 1)
        else:
            bh = QHBoxLayout(body)
            bh.setContentsMargins(16, 10, 16, 0)
            bh.setSpacing(18)
            left.addStretch(1)
            bh.addLayout(left, 3)
            bh.addLayout(line_box, 2)
        return page

    def _build_transfer(self) -> QWidget:
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(16, 14, 16, 0)
        self.transfer_title = QLabel()
        self.transfer_title.setObjectName("sectionTitle")
        self.transfer_title.setWordWrap(True)
        lay.addWidget(self.transfer_title)
        hint = QLabel("Pilih layanan tujuan. Angka menunjukkan jumlah orang yang sedang "
                      "menunggu di antrean itu.")
        hint.setWordWrap(True)
        lay.addWidget(hint)
        self.transfer_filter = QLineEdit()
        self.transfer_filter.setPlaceholderText("Cari layanan atau instansi…")
        self.transfer_filter.setClearButtonEnabled(True)
        self.transfer_filter.textChanged.connect(self._filter_targets)
        lay.addWidget(self.transfer_filter)
        self.transfer_list = QListWidget()
        self.transfer_list.setWordWrap(True)
        self.transfer_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.transfer_list.itemDoubleClicked.connect(lambda _item: self._do_transfer())
        self.transfer_list.currentRowChanged.connect(lambda _row: self._render_pages())
        lay.addWidget(self.transfer_list, 1)
        self.transfer_front = QCheckBox("Taruh di depan antrean tujuan")
        self.transfer_front.setChecked(self.core.config.rules.transfer_to_front)
        lay.addWidget(self.transfer_front)
        row = QHBoxLayout()
        self.transfer_cancel = QPushButton("Batal")
        self._min_height(self.transfer_cancel, 52)
        self.transfer_cancel.clicked.connect(self.show_main)
        self.transfer_ok = QPushButton("Alihkan")
        self.transfer_ok.setObjectName("primary")
        self._min_height(self.transfer_ok, 52)
        self.transfer_ok.clicked.connect(self._do_transfer)
        row.addWidget(self.transfer_cancel)
        row.addWidget(self.transfer_ok)
        lay.addLayout(row)
        return page

    def _build_no_shows(self) -> QWidget:
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(16, 14, 16, 0)
        title = QLabel("Kembalikan nomor yang tadi tidak hadir")
        title.setObjectName("sectionTitle")
        title.setWordWrap(True)
        lay.addWidget(title)
        hint = QLabel("Pengunjung yang datang kembali masuk lagi ke antrean loket ini.")
        hint.setWordWrap(True)
        lay.addWidget(hint)
        self.no_show_list = QListWidget()
        self.no_show_list.setWordWrap(True)
        self.no_show_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.no_show_list.itemDoubleClicked.connect(lambda _item: self._do_return())
        self.no_show_list.currentRowChanged.connect(lambda _row: self._render_pages())
        lay.addWidget(self.no_show_list, 1)
        row = QHBoxLayout()
        self.no_show_cancel = QPushButton("Batal")
        self._min_height(self.no_show_cancel, 52)
        self.no_show_cancel.clicked.connect(self.show_main)
        self.no_show_ok = QPushButton("Kembalikan ke antrean")
        self.no_show_ok.setObjectName("primary")
        self._min_height(self.no_show_ok, 52)
        self.no_show_ok.clicked.connect(self._do_return)
        row.addWidget(self.no_show_cancel)
        row.addWidget(self.no_show_ok)
        lay.addLayout(row)
        return page

    # --- pages ---------------------------------------------------------------------------------

    @Slot()
    def open_transfer(self) -> None:
        state = self.core.state
        if state.current is None or c.TRANSFER not in state.enabled:
            return
        self.transfer_title.setText(
            f"Alihkan {state.current.ticket.label} ({state.current.service_name}) ke:")
        self._targets = self.core.transfer_targets()
        self.transfer_filter.clear()
        self._fill_targets(self._targets)
        self._go(TRANSFER_PAGE)
        self.transfer_filter.setFocus()

    def _fill_targets(self, targets: Sequence[TransferTarget]) -> None:
        self.transfer_list.clear()
        for t in targets:
            text = (f"{t.agency_name} · {t.service_name}\n"
                    f"    {t.waiting} menunggu di antrean {t.queue}")
            if not t.open_today:
                text += " · tutup hari ini"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, t.service)
            if not t.open_today:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            self.transfer_list.addItem(item)

    @Slot(str)
    def _filter_targets(self, text: str) -> None:
        words = text.lower().split()
        targets = getattr(self, "_targets", [])
        self._fill_targets([t for t in targets if all(
            w in f"{t.agency_name} {t.agency} {t.service_name} {t.queue}".lower() for w in words)])

    @Slot()
    def _do_transfer(self) -> None:
        item = self.transfer_list.currentItem()
        if item is None or not item.flags() & Qt.ItemFlag.ItemIsEnabled:
            self.show_message("Pilih layanan tujuan dahulu.", c.ERROR)
            return
        service = item.data(Qt.ItemDataRole.UserRole)
        if self.core.transfer(service, self.transfer_front.isChecked()) is not None:
            self.show_main()

    @Slot()
    def open_no_shows(self) -> None:
        state = self.core.state
        if c.RETURN_NO_SHOW not in state.enabled:
            return
        self.no_show_list.clear()
        tz = self.core.config.mpp.timezone
        for t in state.no_shows:
            svc = self.core.config.services.get(t.service)
            when = jam(from_ms(t.ended_at).astimezone(self.core.config.tz), tz) \
                if t.ended_at else ""
            item = QListWidgetItem(
                f"{t.label} · {svc.name if svc else t.service}\n    tidak hadir {when}")
            item.setData(Qt.ItemDataRole.UserRole, t.ticket_id)
            self.no_show_list.addItem(item)
        self.no_show_list.setCurrentRow(0)
        self._go(NO_SHOW_PAGE)

    @Slot()
    def _do_return(self) -> None:
        item = self.no_show_list.currentItem()
        if item is None:
            self.show_message("Pilih nomor yang kembali dahulu.", c.ERROR)
            return
        if self.core.return_no_show(item.data(Qt.ItemDataRole.UserRole)) is not None:
            self.show_main()

    @Slot()
    def show_main(self) -> None:
        self._go(MAIN_PAGE if self.core.state.signed_in else SIGN_IN_PAGE)

    def _go(self, page: int) -> None:
        self._shown_page = page
        self.stack.setCurrentIndex(page)
        self._render()

    # --- rendering -----------------------------------------------------------------------------

    @Slot(str, str)
    def show_message(self, text: str, kind: str) -> None:
        self.message_label.setText(text)
        self.message_label.setProperty("kind", kind)
        # A dynamic property only restyles after an unpolish/polish.
        self.message_label.style().unpolish(self.message_label)
        self.message_label.style().polish(self.message_label)

    @Slot()
    def _render(self, state: CounterState | None = None) -> None:
        s = state or self.core.state
        _show(self.offline_banner, not s.online)
        if not s.online:
            # When retrying cannot help (refused, wrong certificate), say so instead.
            reason = s.offline_reason
            lead = "Terputus." if self.panel else "Tidak terhubung ke server antrean."
            _text(self.offline_banner, f"{lead} {reason}" if reason else self._offline_text)
        # The narrow panel has room for one banner: cut off, the offline one (the alerts it
        # knows may be old by now).
        alerts = bool(s.alerts) and (s.online or not self.panel)
        _show(self.alert_banner, alerts)
        if alerts:
            _text(self.alert_banner, alert_text(s.alerts, self.core.config,
                                                ALERTS_SHOWN[self.panel],
                                                ALERT_TEXT_MAX[self.panel]))
        # The page follows the sign-in state, whichever way it changed.
        if not s.signed_in and self._shown_page != SIGN_IN_PAGE:
            self._shown_page = SIGN_IN_PAGE
            self.stack.setCurrentIndex(SIGN_IN_PAGE)
        elif s.signed_in and self._shown_page == SIGN_IN_PAGE:
            self.pin_edit.clear()
            self._shown_page = MAIN_PAGE
            self.stack.setCurrentIndex(MAIN_PAGE)
        on_main = self._shown_page == MAIN_PAGE
        for name, action in self.actions_by_name.items():
            # On the transfer and no-show pages the ticket keys are off, so '.', '-' and '+'
            # can be typed in the search field.
            _enable(action, on_main and name in s.enabled)
        _show(self.priority_row, on_main and c.CHECK_PRIORITY in s.enabled)
        _enable(self.sign_in_button, s.online and s.busy is None)
        _text(self.sign_in_button, "Memeriksa…" if s.busy == c.SIGN_IN else "Masuk")
        self._render_pages(s)
        if s.counter is None or not s.signed_in:
            return
        self.setWindowTitle(f"Antrean — {s.counter.name}")
        _text(self.counter_label, f"{s.counter.name} · {s.agency_name}")
        if self.panel:
            _text(self.queues_label, "Melayani antrean " + ", ".join(p for p, _ in s.queue_names))
        else:
            _text(self.queues_label,
                "Melayani: " + ", ".join(f"{name} ({p})" for p, name in s.queue_names))
        bg, fg = _STATUS_COLORS.get(s.status, _STATUS_COLORS[m.COUNTER_CLOSED])
        _text(self.status_chip, c.STATUS_WORDS.get(s.status, s.status))
        chip = f"background: {bg}; color: {fg};"
        if self.status_chip.styleSheet() != chip:
            self.status_chip.setStyleSheet(chip)
        _text(self.officer_label, f"Petugas: {s.officer_shown}")
        now = from_ms(s.now_ms).astimezone(self.core.config.tz)
        zone = self.core.config.mpp.timezone
        _text(self.clock_label, f"{tanggal(now.date())}, {jam(now, zone)}")
        self._render_ticket(s)
        self._render_line(s)

    def _render_ticket(self, s: CounterState) -> None:
        cur = s.current
        if cur is None:
            _text(self.ticket_caption, "Tidak ada nomor di loket")
            _text(self.ticket_label, "—")
            if s.status == m.COUNTER_PAUSED:
                _text(self.ticket_service, "Loket sedang istirahat." if self.panel else
                      "Loket sedang istirahat. Tekan Buka loket untuk melayani lagi.")
            elif s.status == m.COUNTER_CLOSED:
                _text(self.ticket_service, "Loket tutup." if self.panel else
                      "Loket tutup. Tekan Buka loket untuk mulai.")
            elif s.waiting:
                _text(self.ticket_service, f"{s.waiting} orang menunggu." if self.panel else
                      f"{s.waiting} orang menunggu. Tekan Panggil berikutnya.")
            else:
                _text(self.ticket_service, "Belum ada yang menunggu.")
            _text(self.timers_label, "")
            _show(self.timers_label, True)
            _show(self.sla_label, False)
            return
        t = cur.ticket
        if t.status == m.SERVING:
            _text(self.ticket_caption, "Sedang dilayani")
        else:
            times = "" if t.call_count <= 1 else f" ({t.call_count}× dipanggil)"
            wait = "" if self.panel else " — menunggu pengunjung datang"
            _text(self.ticket_caption, f"Dipanggil{times}{wait}")
        _text(self.ticket_label, t.label)
        prio = f" · {PRIORITY_WORDS.get(t.priority, t.priority)}" if t.priority else ""
        moved = " · dialihkan" if t.transfers else ""
        _text(self.ticket_service, f"{cur.agency_name} · {cur.service_name}{prio}{moved}")
        now = (f"dipanggil {clock_text(cur.since_call_s)} lalu" if cur.serving_s is None
               else f"dilayani {clock_text(cur.serving_s)}")
        if self.panel:
            timers = (f"Tunggu {minutes_text(cur.waited_s)} · standar {cur.standard_minutes} "
                      f"menit\n{now[0].upper()}{now[1:]}")
            warning = f"⚠ Lewat standar {cur.standard_minutes} menit\n{now[0].upper()}{now[1:]}"
        else:
            waited = f"menunggu {minutes_text(cur.waited_s)} sebelum dipanggil"
            timers = (f"{waited[0].upper()}{waited[1:]} · {now} · "
                      f"standar {cur.standard_minutes} menit")
            warning = (f"⚠ Lewat standar {cur.standard_minutes} menit: sudah "
                       f"{minutes_text(cur.service_s)} · {now}")
        # Over the standard time the warning takes the timers' place: the same facts, in amber.
        _text(self.timers_label, timers)
        _show(self.timers_label, not cur.over_standard)
        _show(self.sla_label, cur.over_standard)
        if cur.over_standard:
            _text(self.sla_label, warning)

    def _render_line(self, s: CounterState) -> None:
        self.line_model.set_line(s.line, s.now_ms)
        if self.panel:
            parts = [f"{q.prefix}: {q.waiting}" for q in s.summaries]
        else:
            parts = [f"{q.name} ({q.prefix}): {q.waiting}" for q in s.summaries]
        longest = s.longest_wait_s
        head = f"{s.waiting} menunggu" if self.panel else f"{s.waiting} orang menunggu"
        if longest is not None:
            head += f" · terlama {minutes_text(longest)}"
        _text(self.line_summary, head + "\n" + " · ".join(parts))
        f = s.figures
        if f is not None:
            avg = f"{f.avg_service_min:.0f} menit" if f.avg_service_min is not None else "-"
            if self.panel:
                avg = f"{f.avg_service_min:.0f} mnt" if f.avg_service_min is not None else "-"
                _text(self.figures_label, f"<b>Hari ini</b>: {f.served} selesai · "
                      f"{f.no_show} tidak hadir · rata-rata {avg}")
            else:
                _text(self.figures_label,
                      f"<b>Hari ini Anda</b>: {f.served} selesai · {f.no_show} tidak hadir · "
                      f"rata-rata layanan {avg}")

    def _render_pages(self, state: CounterState | None = None) -> None:
        s = state or self.core.state
        ok = s.online and s.busy is None
        _enable(self.transfer_ok, ok and self.transfer_list.currentItem() is not None
                                    and c.TRANSFER in s.enabled)
        _enable(self.no_show_ok, ok and self.no_show_list.currentItem() is not None)
        if self._shown_page == TRANSFER_PAGE and c.TRANSFER not in s.enabled and s.busy is None:
            # The ticket left the counter (or the link dropped) while choosing: nothing to move.
            self._shown_page = MAIN_PAGE
            self.stack.setCurrentIndex(MAIN_PAGE)

    # --- sign-in -------------------------------------------------------------------------------

    @Slot()
    def _sign_in(self) -> None:
        number = self.core.counter
        if number is None:
            number = self.counter_combo.currentData()
        self.core.sign_in(self.officer_edit.text(), self.pin_edit.text(), number)


class _LineView(QTableView):
    """The waiting line's table. In the side panel it asks for little height, so the ticket and
    the buttons keep theirs and the line takes what is left (it scrolls)."""

    def __init__(self, compact: bool) -> None:
        super().__init__()
        self._compact = compact

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(hint.width(), 90) if self._compact else hint


# Qt tells the main keyboard's Enter (Key_Return) from the number pad's (Key_Enter); an officer
# does not, and the button and the guide say "Enter" for both.
_ENTER_KEYS = ("Enter", "Return")


def key_sequences(keys: Sequence[str]) -> list[QKeySequence]:
    """The shortcuts for an action's keys: "Enter" (or "Return") binds both Enter keys. A number
    pad key needs no binding of its own: Qt retries a key pressed with the keypad modifier
    without it, so the pad's '+' is '+'."""
    out: list[QKeySequence] = []
    for key in keys:
        for name in _ENTER_KEYS if key in _ENTER_KEYS else (key,):
            seq = QKeySequence(name)
            if seq not in out:
                out.append(seq)
    return out


def alert_text(alerts: Sequence[Alert], config: HallConfig, lines: int = 2,
               chars: int = 120) -> str:
    """The banner's lines: one per open problem, naming the station, with the time it began;
    beyond `lines`, how many more (the banner must not push the buttons off a small screen)."""
    listed = alerts if len(alerts) <= lines else alerts[: max(1, lines - 1)]
    out = []
    for a in listed:
        what = " ".join(a.message.split()) or a.kind
        if a.device not in what:  # a station's own words may not name it
            what = f"{a.device}: {what}"
        if len(what) > chars:
            what = what[: chars - 1].rstrip() + "…"
        since = jam(from_ms(a.since_ms).astimezone(config.tz), config.mpp.timezone)
        out.append(f"⚠ {what} (sejak {since})")
    more = len(alerts) - len(listed)
    if more and len(out) < lines:
        out.append(f"⚠ … dan {more} peringatan lain")
    elif more:
        out[-1] += f" · +{more} lagi"
    return "\n".join(out)


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


def _scaled_style(css: str, scale: float) -> str:
    """The style sheet with every pixel size times `scale`; fonts never below MIN_FONT_PX."""
    if scale == 1.0:
        return css

    def px(m: re.Match[str]) -> str:
        font, n = m.group(1) or "", int(m.group(2))
        return f"{font}{max(MIN_FONT_PX if font else 1, round(n * scale))}px"

    return re.sub(r"(font-size:\s*)?\b(\d+)px", px, css)


def _longest_message(config: HallConfig) -> str:
    """The longest message line the counter writes (a transfer to the longest service)."""
    svc = max(config.services.values(), key=lambda s: len(config.agencies[s.agency].short_name)
              + len(s.name))
    return f"WWWW-888 dialihkan ke {config.agencies[svc.agency].short_name} · {svc.name}."


def _worst_case(core: CounterCore) -> CounterState:
    """The fullest state this window can show: the counter with the longest names (or the
    bound one), a priority ticket with the longest service, label and timers, over its
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


def _key_name(key: str) -> str:
    """How a key is named on the button: the officer's number pad says 'Enter', '+', '.'."""
    return {"Enter": "Enter", "Return": "Enter", "+": "+", "-": "−", ".": "."}.get(key, key)


# Widgets are only touched when what they show changes: a redraw every second of the timers
# then costs a few calls, not dozens (and PySide6 6.12.0 on Python 3.11 leaks a reference to
# None on every void call into Qt, so fewer calls also keep a long-running counter PC alive).
def _text(label: QLabel | QPushButton, text: str) -> None:
    if label.text() != text:
        label.setText(text)


def _enable(widget: QWidget | QAction, on: bool) -> None:
    if widget.isEnabled() != on:
        widget.setEnabled(on)


def _show(widget: QWidget, on: bool) -> None:
    if widget.isVisibleTo(widget.parentWidget() or widget) != on:
        widget.setVisible(on)
