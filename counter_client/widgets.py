"""The parts of the officer's window, each a widget with one way in (`update_from`, from the
core's `CounterState`) and signals out. `CounterWindow` (app.py) makes and arranges them; what
makes the full window or the side panel of the same parts is a `Look` (look.py), given to
each part.

Widgets are only touched when what they show changes (`set_text`, `set_enabled`, `set_shown`):
a redraw every second of the timers then costs a few calls, not dozens (and PySide6 6.12.0 on
Python 3.11 leaks a reference to None on every void call into Qt, so fewer calls also keep a
long-running counter PC alive).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from counter_client import core as c
from counter_client.core import CounterState, TransferTarget, clock_text, minutes_text
from counter_client.look import NARROW_WIDTH, STATUS_COLORS, Look
from counter_client.models import PRIORITY_WORDS, WaitingLineModel
from counter_client.sizing import base_min_height, base_min_width
from shared.clock import from_ms
from shared.config import Counter, HallConfig
from shared.indonesian import jam, tanggal
from shared.ledger import model as m
from shared.ledger.queries import Alert, TicketView


def set_text(label: QLabel | QPushButton, text: str) -> None:
    if label.text() != text:
        label.setText(text)


def set_enabled(widget: QWidget | QAction, on: bool) -> None:
    if widget.isEnabled() != on:
        widget.setEnabled(on)


def set_shown(widget: QWidget, on: bool) -> None:
    if widget.isVisibleTo(widget.parentWidget() or widget) != on:
        widget.setVisible(on)


def _label(name: str = "", wrap: bool = False, text: str = "") -> QLabel:
    label = QLabel(text)
    if name:
        label.setObjectName(name)
    label.setWordWrap(wrap)
    return label


# --- banners and lines ---------------------------------------------------------------------


class OfflineBanner(QLabel):
    """Red, over everything, while the link is down: the buttons are off until it is back."""

    def __init__(self, look: Look) -> None:
        self._usual = (
            "Tidak terhubung ke server antrean.\nTombol mati; menyambung lagi…"
            if look.terse else
            "Tidak terhubung ke server antrean. Tombol dimatikan sampai sambungan pulih; "
            "aplikasi menyambung kembali sendiri.")
        super().__init__(self._usual)
        self._lead = "Terputus." if look.terse else "Tidak terhubung ke server antrean."
        self.setObjectName("offline")
        self.setWordWrap(True)
        self.hide()

    def update_from(self, s: CounterState) -> None:
        set_shown(self, not s.online)
        if not s.online:
            # When retrying cannot help (refused, wrong certificate), say so instead.
            reason = s.offline_reason
            set_text(self, f"{self._lead} {reason}" if reason else self._usual)


class AlertBanner(QLabel):
    """Stations' problems (a kiosk out of paper) until the station says it is fixed."""

    def __init__(self, look: Look, config: HallConfig) -> None:
        super().__init__("")
        self._look = look
        self._config = config
        self.setObjectName("alert")
        self.setWordWrap(True)
        self.hide()

    def update_from(self, s: CounterState) -> None:
        # With room for one banner, the offline one wins: the alerts it knows may be old.
        shown = bool(s.alerts) and (s.online or self._look.alerts_offline)
        set_shown(self, shown)
        if shown:
            set_text(self, alert_text(s.alerts, self._config, self._look.alerts_shown,
                                      self._look.alert_chars))


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


class MessageLine(QLabel):
    """The answer to the last action, or news: refusals go here, never to a blocking dialog."""

    def __init__(self) -> None:
        super().__init__("")
        self.setObjectName("message")
        self.setWordWrap(True)
        self.setProperty("kind", c.INFO)

    def say(self, text: str, kind: str) -> None:
        self.setText(text)
        self.setProperty("kind", kind)
        # A dynamic property only restyles after an unpolish/polish.
        self.style().unpolish(self)
        self.style().polish(self)


# --- the sign-in page ------------------------------------------------------------------------


class SignInForm(QWidget):
    """The officer's ID and PIN, and the counter unless this PC is bound to one."""

    # officer ID, PIN, the counter picked in the list (None where the PC is bound to one)
    submitted = Signal(str, str, object)
    # the officer's own new PIN and its repetition, for the temporary one (after a reset)
    new_pin_submitted = Signal(str, str)
    pin_change_cancelled = Signal()

    def __init__(self, config: HallConfig, choices: Sequence[Counter],
                 bound: int | None) -> None:
        super().__init__()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 24, 24, 24)
        lay.addStretch(1)
        hall = _label("sectionTitle", True, f"{config.mpp.name}\n{config.mpp.kabupaten}")
        hall.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(hall)
        title = self.title_label = _label("title", True, "Masuk petugas loket")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
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
        for counter in choices:
            agency = config.agencies[counter.agency].short_name
            self.counter_combo.addItem(
                f"{counter.name} — {agency} ({', '.join(counter.queues)})", counter.number)
        self.bound_counter_label = _label("boundCounter", True)
        if bound is not None:
            counter = config.counters[bound]
            self.bound_counter_label.setText(
                f"{counter.name} — {config.agencies[counter.agency].short_name}")
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
        base_min_height(self.sign_in_button, 56)
        base_min_width(self.sign_in_button, 300)
        self.sign_in_button.clicked.connect(self.submit)
        self.pin_edit.returnPressed.connect(self.submit)
        self.officer_edit.returnPressed.connect(self.pin_edit.setFocus)
        lay.addSpacing(12)
        lay.addWidget(self.sign_in_button, 0, Qt.AlignmentFlag.AlignHCenter)
        self.sign_in_button.setSizePolicy(QSizePolicy.Policy.Expanding,
                                          QSizePolicy.Policy.Fixed)
        self.sign_in_box = box
        self._change_box = self._pin_change_part(lay)
        lay.addStretch(2)

    def _pin_change_part(self, lay: QVBoxLayout) -> QWidget:
        """Shown instead of the ID and PIN when the officer signed in with a temporary PIN."""
        part = QWidget()
        inner = QVBoxLayout(part)
        inner.setContentsMargins(0, 0, 0, 0)
        form = QGridLayout()
        form.setVerticalSpacing(10)
        self.new_pin_edit, self.again_pin_edit = QLineEdit(), QLineEdit()
        for row, (text, edit) in enumerate((("PIN baru", self.new_pin_edit),
                                            ("Ulangi PIN baru", self.again_pin_edit))):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setPlaceholderText("4–12 angka")
            form.addWidget(QLabel(text), row, 0)
            form.addWidget(edit, row, 1)
        form.setColumnStretch(1, 1)
        inner.addLayout(form)
        self.save_pin_button = QPushButton("Simpan PIN")
        self.save_pin_button.setObjectName("primary")
        base_min_height(self.save_pin_button, 56)
        self.cancel_pin_button = QPushButton("Batal dan keluar")
        inner.addSpacing(12)
        inner.addWidget(self.save_pin_button)
        inner.addWidget(self.cancel_pin_button)
        part.setMaximumWidth(560)
        self.new_pin_edit.returnPressed.connect(self.again_pin_edit.setFocus)
        self.again_pin_edit.returnPressed.connect(self.submit_new_pin)
        self.save_pin_button.clicked.connect(self.submit_new_pin)
        self.cancel_pin_button.clicked.connect(self.pin_change_cancelled)
        lay.addWidget(part, 0, Qt.AlignmentFlag.AlignHCenter)
        part.hide()
        return part

    @Slot()
    def submit_new_pin(self) -> None:
        new, again = self.new_pin_edit.text(), self.again_pin_edit.text()
        self.new_pin_edit.clear()  # typed again whatever the answer: never left on screen
        self.again_pin_edit.clear()
        self.new_pin_edit.setFocus()
        self.new_pin_submitted.emit(new, again)

    @Slot()
    def submit(self) -> None:
        self.submitted.emit(self.officer_edit.text(), self.pin_edit.text(),
                            self.counter_combo.currentData())

    def forget_pin(self) -> None:
        self.pin_edit.clear()

    def update_from(self, s: CounterState) -> None:
        set_enabled(self.sign_in_button, s.online and s.busy is None)
        set_text(self.sign_in_button, "Memeriksa…" if s.busy == c.SIGN_IN else "Masuk")
        changing = s.pin_change
        if self._change_box.isHidden() == changing:  # only when it turns: keeps the focus
            self.sign_in_box.setVisible(not changing)
            self.sign_in_button.setVisible(not changing)
            self._change_box.setVisible(changing)
            self.title_label.setText("Buat PIN baru" if changing else "Masuk petugas loket")
            if changing:
                self.pin_edit.clear()
                self.new_pin_edit.setFocus()
        set_enabled(self.save_pin_button, s.online and s.busy is None)
        set_enabled(self.cancel_pin_button, s.busy is None)
        set_text(self.save_pin_button,
                 "Menyimpan…" if s.busy == c.CHANGE_PIN else "Simpan PIN")


# --- the main page -----------------------------------------------------------------------------


class HeaderBar(QFrame):
    """The counter, its queues and status, the officer (and, with room, the date and time),
    and the sign-out button."""

    def __init__(self, look: Look, config: HallConfig, sign_out: QToolButton) -> None:
        super().__init__()
        self._look = look
        self._config = config
        self.setObjectName("header")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.counter_label = _label("counterName")
        self.queues_label = _label(wrap=True)
        self.status_chip = _label("statusChip")
        # On three rows (the narrow panel) a long name takes two lines; one row has room.
        self.officer_label = _label(wrap=look.header_rows)
        self.clock_label: QLabel | None = None
        sign_out.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        sign_out.setObjectName("signOut")
        if look.header_rows:
            grid = QGridLayout(self)
            grid.setContentsMargins(10, 6, 10, 6)
            grid.setVerticalSpacing(2)
            grid.addWidget(self.counter_label, 0, 0)
            grid.addWidget(self.status_chip, 0, 1, Qt.AlignmentFlag.AlignRight)
            grid.addWidget(self.queues_label, 1, 0, 1, 2)
            grid.addWidget(self.officer_label, 2, 0)
            grid.addWidget(sign_out, 2, 1, Qt.AlignmentFlag.AlignRight)
            return
        self.clock_label = QLabel()
        row = QHBoxLayout(self)
        row.setContentsMargins(16, 8, 16, 8)
        names = QVBoxLayout()
        names.addWidget(self.counter_label)
        names.addWidget(self.queues_label)
        row.addLayout(names, 1)
        row.addWidget(self.status_chip)
        row.addSpacing(16)
        who = QVBoxLayout()
        who.addWidget(self.officer_label, 0, Qt.AlignmentFlag.AlignRight)
        who.addWidget(self.clock_label, 0, Qt.AlignmentFlag.AlignRight)
        row.addLayout(who)
        row.addSpacing(8)
        row.addWidget(sign_out)

    def update_from(self, s: CounterState) -> None:
        assert s.counter is not None
        set_text(self.counter_label, f"{s.counter.name} · {s.agency_name}")
        if self._look.terse:
            set_text(self.queues_label, "Melayani antrean " + ", ".join(
                p for p, _ in s.queue_names))
        else:
            set_text(self.queues_label, "Melayani: " + ", ".join(
                f"{name} ({p})" for p, name in s.queue_names))
        bg, fg = STATUS_COLORS.get(s.status, STATUS_COLORS[m.COUNTER_CLOSED])
        set_text(self.status_chip, c.STATUS_WORDS.get(s.status, s.status))
        chip = f"background: {bg}; color: {fg};"
        if self.status_chip.styleSheet() != chip:
            self.status_chip.setStyleSheet(chip)
        set_text(self.officer_label, f"Petugas: {s.officer_shown}")
        if self.clock_label is not None:
            now = from_ms(s.now_ms).astimezone(self._config.tz)
            zone = self._config.mpp.timezone
            set_text(self.clock_label, f"{tanggal(now.date())}, {jam(now, zone)}")


class PriorityCheck(QWidget):
    """A priority claim, checked by the officer once, with the visitor in front of them."""

    answered = Signal(bool)  # True: the visitor belongs to the claimed group

    def __init__(self, look: Look) -> None:
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 4, 0, 0)
        self.question = _label("priorityQuestion", True, "Prioritas sesuai?" if look.terse else
                               "Apakah pengunjung termasuk kelompok prioritas ini?")
        # Short words in the 360-px panel, so neither button is clipped.
        self.yes = QPushButton("Sesuai" if look.terse else "Ya, sesuai")
        self.yes.setObjectName("priorityYes")
        self.no = QPushButton("Bukan" if look.terse else "Bukan prioritas")
        self.no.setObjectName("priorityNo")
        for choice, valid in ((self.yes, True), (self.no, False)):
            choice.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            choice.clicked.connect(lambda _checked=False, v=valid: self.answered.emit(v))
        row.addWidget(self.question, 1)
        row.addWidget(self.yes)
        row.addWidget(self.no)
        self.hide()

    def set_asked(self, asked: bool) -> None:
        set_shown(self, asked)


class TicketCard(QFrame):
    """The ticket at the counter: its number, service, how long it waited and is being served
    (amber once over the service's standard time), and the priority check."""

    def __init__(self, look: Look) -> None:
        super().__init__()
        self._terse = look.terse
        self.setObjectName("card")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(*look.card_margins)
        if look.card_spacing is not None:
            lay.setSpacing(look.card_spacing)
        self.caption = _label("ticketCaption", True)
        self.label = _label("ticketLabel")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # Long names wrap: the window's minimum size leaves room for the longest (see
        # Sizing.fit), so nothing is cut.
        self.service = _label("ticketService", True)
        self.service.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.timers = _label("timers", True)
        self.timers.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.sla = _label("sla", True)
        self.sla.hide()
        self.priority = PriorityCheck(look)
        for w in (self.caption, self.label, self.service, self.timers, self.sla,
                  self.priority):
            lay.addWidget(w)
        # The ticket never gives up height; on a short screen the waiting line does.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

    def update_from(self, s: CounterState) -> None:
        terse = self._terse
        cur = s.current
        if cur is None:
            set_text(self.caption, "Tidak ada nomor di loket")
            set_text(self.label, "—")
            if s.status == m.COUNTER_PAUSED:
                set_text(self.service, "Loket sedang istirahat." if terse else
                         "Loket sedang istirahat. Tekan Buka loket untuk melayani lagi.")
            elif s.status == m.COUNTER_CLOSED:
                set_text(self.service, "Loket tutup." if terse else
                         "Loket tutup. Tekan Buka loket untuk mulai.")
            elif s.waiting:
                set_text(self.service, f"{s.waiting} orang menunggu." if terse else
                         f"{s.waiting} orang menunggu. Tekan Panggil berikutnya.")
            else:
                set_text(self.service, "Belum ada yang menunggu.")
            set_text(self.timers, "")
            set_shown(self.timers, True)
            set_shown(self.sla, False)
            return
        t = cur.ticket
        if t.status == m.SERVING:
            set_text(self.caption, "Sedang dilayani")
        else:
            times = "" if t.call_count <= 1 else f" ({t.call_count}× dipanggil)"
            wait = "" if terse else " — menunggu pengunjung datang"
            set_text(self.caption, f"Dipanggil{times}{wait}")
        set_text(self.label, t.label)
        prio = f" · {PRIORITY_WORDS.get(t.priority, t.priority)}" if t.priority else ""
        moved = " · dialihkan" if t.transfers else ""
        set_text(self.service, f"{cur.agency_name} · {cur.service_name}{prio}{moved}")
        now = (f"dipanggil {clock_text(cur.since_call_s)} lalu" if cur.serving_s is None
               else f"dilayani {clock_text(cur.serving_s)}")
        if terse:
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
        set_text(self.timers, timers)
        set_shown(self.timers, not cur.over_standard)
        set_shown(self.sla, cur.over_standard)
        if cur.over_standard:
            set_text(self.sla, warning)


class ButtonGrid(QWidget):
    """Action buttons in rows of `columns`; the last one spans what its row has left."""

    def __init__(self, buttons: Sequence[QToolButton], columns: int, min_height: int,
                 grow: bool) -> None:
        super().__init__()
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(8)
        for i, b in enumerate(buttons):
            base_min_height(b, min_height)
            if not grow:
                b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
            row, col = divmod(i, columns)
            span = columns - col if i == len(buttons) - 1 else 1
            grid.addWidget(b, row, col, 1, span)


class LineTable(QTableView):
    """The waiting line's table. Compact, it asks for little height, so the ticket and the
    buttons keep theirs and the line takes what is left (it scrolls)."""

    def __init__(self, compact: bool) -> None:
        super().__init__()
        self._compact = compact

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(hint.width(), 90) if self._compact else hint


class WaitingLine(QWidget):
    """Who waits in the counter's queues: how many and the longest wait, per queue, and the
    line itself (a table over `WaitingLineModel`)."""

    def __init__(self, look: Look, config: HallConfig) -> None:
        super().__init__()
        self._look = look
        self.title = _label("sectionTitle", text="Antrean menunggu")
        self.summary = _label(wrap=True)
        self.model = WaitingLineModel(config, self)
        self.view = LineTable(compact=look.line_compact)
        self.view.setModel(self.model)
        self.view.verticalHeader().hide()
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.view.setAlternatingRowColors(False)
        hh = self.view.horizontalHeader()
        hh.setSectionResizeMode(WaitingLineModel.SERVICE, QHeaderView.ResizeMode.Stretch)
        for col in (WaitingLineModel.NUMBER, WaitingLineModel.WAITED, WaitingLineModel.PRIORITY):
            hh.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        if look.line_compact:
            self.view.setColumnHidden(WaitingLineModel.SERVICE, True)
            hh.setSectionResizeMode(WaitingLineModel.PRIORITY, QHeaderView.ResizeMode.Stretch)
            self.title.hide()
            # It gives up its height first: the summary above it says how many wait.
            self.view.setMinimumHeight(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        lay.addWidget(self.title)
        lay.addWidget(self.summary)
        lay.addWidget(self.view, 1)

    def fit_width(self, width: int) -> None:
        if not self._look.line_compact:
            # A narrow window's line shows numbers and waits; the services would be "…".
            self.view.setColumnHidden(WaitingLineModel.SERVICE, width < NARROW_WIDTH)

    def update_from(self, s: CounterState) -> None:
        self.model.set_line(s.line, s.now_ms)
        terse = self._look.terse
        if terse:
            parts = [f"{q.prefix}: {q.waiting}" for q in s.summaries]
        else:
            parts = [f"{q.name} ({q.prefix}): {q.waiting}" for q in s.summaries]
        longest = s.longest_wait_s
        head = f"{s.waiting} menunggu" if terse else f"{s.waiting} orang menunggu"
        if longest is not None:
            head += f" · terlama {minutes_text(longest)}"
        set_text(self.summary, head + "\n" + " · ".join(parts))


class DayFigures(QLabel):
    """The officer's day so far: served, no-shows, the average service time."""

    def __init__(self, look: Look) -> None:
        super().__init__()
        self._terse = look.terse
        self.setObjectName("figures")
        self.setWordWrap(True)

    def update_from(self, s: CounterState) -> None:
        f = s.figures
        if f is None:
            return
        if self._terse:
            avg = f"{f.avg_service_min:.0f} mnt" if f.avg_service_min is not None else "-"
            set_text(self, f"<b>Hari ini</b>: {f.served} selesai · "
                     f"{f.no_show} tidak hadir · rata-rata {avg}")
        else:
            avg = f"{f.avg_service_min:.0f} menit" if f.avg_service_min is not None else "-"
            set_text(self, f"<b>Hari ini Anda</b>: {f.served} selesai · {f.no_show} tidak "
                     f"hadir · rata-rata layanan {avg}")


# --- the transfer and no-show pages -----------------------------------------------------------


class ChoicePage(QWidget):
    """A page that picks one entry of a list: a title, a hint, the list (with a subclass's own
    widgets `above` and `below` it), Batal and OK."""

    chosen = Signal(object)  # the entry's data; None when no usable entry is chosen
    cancelled = Signal()

    def __init__(self, title: str, hint: str, ok_text: str,
                 above: Sequence[QWidget] = (), below: Sequence[QWidget] = ()) -> None:
        super().__init__()
        self._allowed = False
        lay = QVBoxLayout(self)
        lay.setContentsMargins(16, 14, 16, 0)
        self.title = _label("sectionTitle", True, title)
        lay.addWidget(self.title)
        lay.addWidget(_label(wrap=True, text=hint))
        for widget in above:
            lay.addWidget(widget)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.itemDoubleClicked.connect(lambda _item: self.confirm())
        self.list.currentRowChanged.connect(lambda _row: self._enable_ok())
        lay.addWidget(self.list, 1)
        for widget in below:
            lay.addWidget(widget)
        row = QHBoxLayout()
        self.cancel = QPushButton("Batal")
        base_min_height(self.cancel, 52)
        self.cancel.clicked.connect(lambda: self.cancelled.emit())
        self.ok = QPushButton(ok_text)
        self.ok.setObjectName("primary")
        base_min_height(self.ok, 52)
        self.ok.clicked.connect(self.confirm)
        row.addWidget(self.cancel)
        row.addWidget(self.ok)
        lay.addLayout(row)

    def _add_entry(self, text: str, data: object, usable: bool = True) -> None:
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, data)
        if not usable:
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
        self.list.addItem(item)

    @Slot()
    def confirm(self) -> None:
        item = self.list.currentItem()
        usable = item is not None and bool(item.flags() & Qt.ItemFlag.ItemIsEnabled)
        self.chosen.emit(item.data(Qt.ItemDataRole.UserRole) if item and usable else None)

    def update_from(self, allowed: bool) -> None:
        """`allowed`: the choice can be sent now (online, nothing pending, still possible)."""
        self._allowed = allowed
        self._enable_ok()

    def _enable_ok(self) -> None:
        set_enabled(self.ok, self._allowed and self.list.currentItem() is not None)


class TransferPage(ChoicePage):
    """Where the ticket at the counter goes: every service, with how many wait there."""

    def __init__(self, to_front: bool) -> None:
        search = QLineEdit()
        search.setPlaceholderText("Cari layanan atau instansi…")
        search.setClearButtonEnabled(True)
        front = QCheckBox("Taruh di depan antrean tujuan")
        front.setChecked(to_front)
        super().__init__("", "Pilih layanan tujuan. Angka menunjukkan jumlah orang yang sedang "
                         "menunggu di antrean itu.", "Alihkan", above=[search], below=[front])
        self.filter, self.front = search, front
        self._targets: Sequence[TransferTarget] = []
        search.textChanged.connect(self._filter_targets)

    def offer(self, label: str, service_name: str, targets: Sequence[TransferTarget]) -> None:
        self.title.setText(f"Alihkan {label} ({service_name}) ke:")
        self._targets = targets
        self.filter.clear()
        self._fill(targets)

    def to_front(self) -> bool:
        return self.front.isChecked()

    def _fill(self, targets: Sequence[TransferTarget]) -> None:
        self.list.clear()
        for t in targets:
            text = (f"{t.agency_name} · {t.service_name}\n"
                    f"    {t.waiting} menunggu di antrean {t.queue}")
            if not t.open_today:
                text += " · tutup hari ini"
            self._add_entry(text, t.service, t.open_today)

    @Slot(str)
    def _filter_targets(self, text: str) -> None:
        words = text.lower().split()
        self._fill([t for t in self._targets if all(
            w in f"{t.agency_name} {t.agency} {t.service_name} {t.queue}".lower() for w in words)])


class NoShowPage(ChoicePage):
    """Today's no-shows of the counter's queues: one who came back joins the line again."""

    def __init__(self, config: HallConfig) -> None:
        super().__init__("Kembalikan nomor yang tadi tidak hadir",
                         "Pengunjung yang datang kembali masuk lagi ke antrean loket ini.",
                         "Kembalikan ke antrean")
        self._config = config

    def offer(self, no_shows: Sequence[TicketView]) -> None:
        self.list.clear()
        cfg = self._config
        for t in no_shows:
            svc = cfg.services.get(t.service)
            when = jam(from_ms(t.ended_at).astimezone(cfg.tz), cfg.mpp.timezone) \
                if t.ended_at else ""
            self._add_entry(f"{t.label} · {svc.name if svc else t.service}\n"
                            f"    tidak hadir {when}", t.ticket_id)
        self.list.setCurrentRow(0)

    def select(self, ticket_id: str) -> bool:
        """Make a ticket of the list the chosen one (a scanned ticket); False if not listed."""
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == ticket_id:
                self.list.setCurrentRow(row)
                return True
        return False
