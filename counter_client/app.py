"""The officer's window: a thin shell over `CounterCore`.

Two looks of the same parts (widgets.py): the full window (a counter PC, or 1366×768 laptop)
and a narrow always-on-top side panel beside the officer's own agency application. Every
action is a button and a `QAction` with keyboard shortcuts, so a USB number pad or a one-key
caller button can call the next visitor. Refusals and news go to a message line, never to a
dialog that blocks. The window's minimum size and scale are `Sizing`'s (sizing.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QHBoxLayout,
    QLayout,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from counter_client import core as c
from counter_client.activity import ActivityWatch
from counter_client.core import CounterCore, CounterState
from counter_client.look import FULL, PANEL
from counter_client.scanner import ScanCatcher
from counter_client.sizing import PANEL_WIDTH as PANEL_WIDTH
from counter_client.sizing import SCALES as SCALES
from counter_client.sizing import Sizing, base_min_height, longest_message, worst_case
from counter_client.widgets import (
    AlertBanner,
    ButtonGrid,
    DayFigures,
    HeaderBar,
    MessageLine,
    NoShowPage,
    OfflineBanner,
    SignInForm,
    TicketCard,
    TransferPage,
    WaitingLine,
    set_enabled,
)
from shared import counter_rules

DEFAULT_KEYS = counter_rules.DEFAULT_KEYS  # the browser counter (web/petugas) reads it too

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

TICKET_ACTIONS = (c.RECALL, c.START, c.FINISH, c.NO_SHOW, c.TRANSFER, c.RETURN_NO_SHOW)
COUNTER_ACTIONS = (c.PAUSE, c.OPEN, c.CLOSE)

SIGN_IN_PAGE, MAIN_PAGE, TRANSFER_PAGE, NO_SHOW_PAGE = range(4)


class CounterWindow(QWidget):
    """Full window (`panel=False`) or narrow side panel (`panel=True`, always on top)."""

    def __init__(self, core: CounterCore, *, panel: bool = False,
                 keys: Mapping[str, Sequence[str]] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.core = core
        self.look = look = PANEL if panel else FULL
        cfg = core.config
        self.setObjectName("root")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.sizing = Sizing(self, look.style)
        if look.on_top:
            self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, True)
        self._keys = {**DEFAULT_KEYS, **(keys or {})}
        self._shown_page = SIGN_IN_PAGE

        self.actions_by_name: dict[str, QAction] = {}
        self.buttons: dict[str, QToolButton] = {}
        self._make_actions()

        self.offline_banner = OfflineBanner(look)
        self.alert_banner = AlertBanner(look, cfg)
        self.message_label = MessageLine()
        self.sign_in_form = SignInForm(cfg, core.counter_choices(), core.counter)
        self.header = HeaderBar(look, cfg, self.buttons[c.SIGN_OUT])
        self.card = TicketCard(look)
        self.line = WaitingLine(look, cfg)
        self.figures_label = DayFigures(look)
        self.transfer_page = TransferPage(cfg.rules.transfer_to_front)
        self.no_show_page = NoShowPage(cfg)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.sign_in_form)
        self.stack.addWidget(self._arrange_main())
        self.stack.addWidget(self.transfer_page)
        self.stack.addWidget(self.no_show_page)

        outer = QVBoxLayout(self)
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

        self.sign_in_form.submitted.connect(self._sign_in)
        self.sign_in_form.new_pin_submitted.connect(self.core.change_pin)
        self.sign_in_form.pin_change_cancelled.connect(self.core.cancel_pin_change)
        self.card.priority.answered.connect(self.core.check_priority)
        self.transfer_page.chosen.connect(self._do_transfer)
        self.transfer_page.cancelled.connect(self.show_main)
        self.no_show_page.chosen.connect(self._do_return)
        self.no_show_page.cancelled.connect(self.show_main)
        self._name_parts()

        # A scanned ticket (its QR), typed by a USB scanner: see scanner.py.
        self.scanner = ScanCatcher(self)
        self.scanner.scanned.connect(self._on_scanned)

        # Any key, click or touch in the window postpones the idle sign-out.
        self.activity = ActivityWatch(self, core.activity)

        core.changed.connect(self._render)
        core.message.connect(self.show_message)
        self.show_message("Masukkan ID petugas dan PIN.", c.INFO)
        self._render()
        kind = (look.name, core.counter, cfg.digest, tuple(b.text() for b in self.buttons.values()))
        self.sizing.fit(kind, self._showing_fullest)

    def _name_parts(self) -> None:
        """The parts' widgets by the names the demo, the screenshot tool and the tests read."""
        form, head, card, line = self.sign_in_form, self.header, self.card, self.line
        transfer, no_show = self.transfer_page, self.no_show_page
        self.officer_edit, self.pin_edit = form.officer_edit, form.pin_edit
        self.counter_combo, self.bound_counter_label = form.counter_combo, form.bound_counter_label
        self.sign_in_button = form.sign_in_button
        self.counter_label, self.queues_label = head.counter_label, head.queues_label
        self.status_chip, self.officer_label = head.status_chip, head.officer_label
        self.ticket_caption, self.ticket_label = card.caption, card.label
        self.ticket_service, self.timers_label, self.sla_label = card.service, card.timers, card.sla
        self.priority_row, self.priority_no = card.priority, card.priority.no
        self.line_summary, self.line_model, self.line_view = line.summary, line.model, line.view
        self.transfer_list, self.transfer_filter = transfer.list, transfer.filter
        self.transfer_ok = transfer.ok
        self.no_show_list, self.no_show_ok = no_show.list, no_show.ok

    # --- size --------------------------------------------------------------------------------

    @property
    def scale(self) -> float:
        return self.sizing.scale

    @contextmanager
    def _showing_fullest(self) -> Iterator[None]:
        """The main page in the fullest state this window can show, with the longest message,
        until the block ends (what `Sizing.fit` measures)."""
        shown, message = self._shown_page, (self.message_label.text(),
                                            self.message_label.property("kind"))
        self._shown_page = MAIN_PAGE
        self.stack.setCurrentIndex(MAIN_PAGE)
        self._render(worst_case(self.core))
        self.show_message(longest_message(self.core.config), c.ERROR)
        try:
            yield
        finally:
            self._shown_page = shown
            self.stack.setCurrentIndex(shown)
            self._render()
            self.show_message(*message)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.sizing.resized(event.size())
        self.line.fit_width(event.size().width())
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
            if self.look.terse and name != c.CALL_NEXT:
                short = PANEL_LABELS.get(name, text)
                shown = f"{short} · {_key_name(keys[0])}" if keys else short
            elif name in COUNTER_ACTIONS:
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
        base_min_height(call, self.look.call_height)

    def _arrange_main(self) -> QWidget:
        """The main page: the header over the ticket's column (the card, the call button, the
        ticket's buttons) and the line's (the waiting line, the officer's figures), side by
        side or one over the other, as the look says."""
        look = self.look
        call = self.buttons[c.CALL_NEXT]
        if not look.buttons_grow:
            call.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        ticket_buttons = ButtonGrid([self.buttons[n] for n in TICKET_ACTIONS],
                                    look.ticket_columns, look.ticket_button_height,
                                    look.buttons_grow)
        counter_buttons = ButtonGrid([self.buttons[n] for n in COUNTER_ACTIONS],
                                     look.counter_columns, look.counter_button_height, False)
        ticket = QVBoxLayout()
        ticket.setSpacing(look.column_spacing)
        ticket.addWidget(self.card)
        ticket.addWidget(call)
        ticket.addWidget(ticket_buttons)
        line = QVBoxLayout()
        line.setSpacing(4)
        line.addWidget(self.line, 1)
        line.addWidget(self.figures_label)

        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.header)
        body = QWidget()
        lay.addWidget(body, 1)
        direction = (QBoxLayout.Direction.LeftToRight if look.side_by_side
                     else QBoxLayout.Direction.TopToBottom)
        columns = QBoxLayout(direction, body)
        columns.setContentsMargins(*look.body_margins)
        columns.setSpacing(look.body_spacing)
        if look.side_by_side:
            # Opening, pausing and closing the counter belong with its day, not with the
            # ticket at the desk; and the ticket's column is the one that runs out of height.
            line.addSpacing(6)
            line.addWidget(counter_buttons)
            ticket.addStretch(1)
            columns.addLayout(ticket, 3)
            columns.addLayout(line, 2)
        else:
            ticket.addWidget(counter_buttons)
            columns.addLayout(ticket)
            columns.addLayout(line, 1)
        return page

    # --- pages ---------------------------------------------------------------------------------

    @Slot()
    def open_transfer(self) -> None:
        state = self.core.state
        if state.current is None or c.TRANSFER not in state.enabled:
            return
        self.transfer_page.offer(state.current.ticket.label, state.current.service_name,
                                 self.core.transfer_targets())
        self._go(TRANSFER_PAGE)
        self.transfer_page.filter.setFocus()

    def _do_transfer(self, service: str | None) -> None:
        if service is None:
            self.show_message("Pilih layanan tujuan dahulu.", c.ERROR)
            return
        if self.core.transfer(service, self.transfer_page.to_front()) is not None:
            self.show_main()

    @Slot()
    def open_no_shows(self) -> None:
        state = self.core.state
        if c.RETURN_NO_SHOW not in state.enabled:
            return
        self.no_show_page.offer(state.no_shows)
        self._go(NO_SHOW_PAGE)

    def _do_return(self, ticket_id: str | None) -> None:
        if ticket_id is None:
            self.show_message("Pilih nomor yang kembali dahulu.", c.ERROR)
            return
        if self.core.return_no_show(ticket_id) is not None:
            self.show_main()

    @Slot(str)
    def _on_scanned(self, text: str) -> None:
        scanned = self.core.scan(text)
        if not (scanned.can_return and scanned.ticket is not None and self.core.state.signed_in
                and c.RETURN_NO_SHOW in self.core.state.enabled):
            return
        # A visitor back after missing their call: the list opens on their ticket, and the
        # officer puts it back with one press (OK), as when picking it by hand.
        if self._shown_page != NO_SHOW_PAGE:
            self.open_no_shows()
        self.no_show_page.select(scanned.ticket.ticket_id)

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
        self.message_label.say(text, kind)

    @Slot()
    def _render(self, state: CounterState | None = None) -> None:
        s = state or self.core.state
        self.offline_banner.update_from(s)
        self.alert_banner.update_from(s)
        # The page follows the sign-in state, whichever way it changed.
        if not s.signed_in and self._shown_page != SIGN_IN_PAGE:
            self._shown_page = SIGN_IN_PAGE
            self.stack.setCurrentIndex(SIGN_IN_PAGE)
        elif s.signed_in and self._shown_page == SIGN_IN_PAGE:
            self.sign_in_form.forget_pin()
            self._shown_page = MAIN_PAGE
            self.stack.setCurrentIndex(MAIN_PAGE)
        on_main = self._shown_page == MAIN_PAGE
        for name, action in self.actions_by_name.items():
            # On the transfer and no-show pages the ticket keys are off, so '.', '-' and '+'
            # can be typed in the search field.
            set_enabled(action, on_main and name in s.enabled)
        self.card.priority.set_asked(on_main and c.CHECK_PRIORITY in s.enabled)
        self.sign_in_form.update_from(s)
        self._render_pages(s)
        if s.counter is None or not s.signed_in:
            return
        self.setWindowTitle(f"Antrean — {s.counter.name}")
        self.header.update_from(s)
        self.card.update_from(s)
        self.line.update_from(s)
        self.figures_label.update_from(s)

    def _render_pages(self, s: CounterState) -> None:
        ok = s.online and s.busy is None
        self.transfer_page.update_from(ok and c.TRANSFER in s.enabled)
        self.no_show_page.update_from(ok)
        if self._shown_page == TRANSFER_PAGE and c.TRANSFER not in s.enabled and s.busy is None:
            # The ticket left the counter (or the link dropped) while choosing: nothing to move.
            self._shown_page = MAIN_PAGE
            self.stack.setCurrentIndex(MAIN_PAGE)

    # --- sign-in -------------------------------------------------------------------------------

    def _sign_in(self, officer: str, pin: str, chosen: int | None) -> None:
        number = self.core.counter
        if number is None:
            number = chosen
        self.core.sign_in(officer, pin, number)


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


def _key_name(key: str) -> str:
    """How a key is named on the button: the officer's number pad says 'Enter', '+', '.'."""
    return {"Enter": "Enter", "Return": "Enter", "+": "+", "-": "−", ".": "."}.get(key, key)
