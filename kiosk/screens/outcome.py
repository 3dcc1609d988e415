"""What the visitor ends up seeing: the ticket, a plain "come back when" message, a wait, or
"this kiosk is not connected"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from kiosk import i18n
from kiosk.screens.base import Screen
from kiosk.screens.common import NUMBER_FONT, button, fit_font_px, label, qr_pixmap, restyle
from kiosk.ticket import qr_opens_a_page

if TYPE_CHECKING:
    from kiosk.core import KioskCore


class TicketScreen(Screen):
    """The number in very large type, where to go, how many are ahead, the wait, the time, the
    QR code, and what the printer did. When printing failed, this screen *is* the ticket."""

    def __init__(self, core: KioskCore) -> None:
        super().__init__(core)
        self.outer = QBoxLayout(QBoxLayout.Direction.TopToBottom, self)
        self.outer.setContentsMargins(48, 24, 48, 36)
        self.outer.setSpacing(12)
        self.left = QVBoxLayout()
        self.right = QVBoxLayout()
        self.outer.addLayout(self.left, 3)
        self.outer.addLayout(self.right, 2)
        self.heading = label("", "big", name="ticket_heading")
        self.number = label("", "number", wrap=False, name="ticket_number")
        self.priority = label("", "priority_badge", wrap=False, name="ticket_priority")
        self.agency = label("", "big", name="ticket_agency")
        self.service = label("", "body", name="ticket_service")
        self.ahead = label("", "big", name="ticket_ahead")
        self.wait = label("", "body", name="ticket_wait")
        self.pause = label("", "body", name="ticket_pause")
        self.counters = label("", "body", name="ticket_counters")
        self.when = label("", "hint", name="ticket_when")
        for w in (self.heading, self.number):
            self.left.addWidget(w)
        self.left.addWidget(self.priority, 0, Qt.AlignmentFlag.AlignHCenter)
        for w in (self.agency, self.service, self.ahead, self.wait, self.pause, self.counters,
                  self.when):
            self.left.addWidget(w)
        self.qr = label("", "body", wrap=False, name="ticket_qr")
        self.qr_hint = label("", "hint")
        self.status = label("", "status_busy", name="print_status")
        self.staff = label("", "body", name="staff_told")
        self.done = button("", "primary", core.finish, "done")
        self.right.addStretch(1)
        for w in (self.qr, self.qr_hint, self.status, self.staff):
            self.right.addWidget(w)
        self.right.addStretch(1)
        self.right.addWidget(self.done)

    def update_content(self) -> None:
        core, t = self.core, self.core.ticket
        if t is None:
            return
        self.outer.setDirection(QBoxLayout.Direction.TopToBottom if self.portrait
                                else QBoxLayout.Direction.LeftToRight)
        self.heading.setText(core.t("your_number"))
        self.number.setText(t.label)
        # As large as the width allows: ≥ 200 px for "KTP-023" on a 1080-wide screen.
        room = (self.width() - 96) if self.portrait else int((self.width() - 96) * 0.6)
        size = fit_font_px(t.label, NUMBER_FONT, self.s(300), max(100, room))
        self.number.setStyleSheet(f'font-family: "{NUMBER_FONT}"; font-size: {size}px;')
        self.priority.setVisible(t.priority is not None)
        if t.priority:
            self.priority.setText(core.t("priority_label",
                                         group=i18n.priority_text(core.language, t.priority)))
        self.agency.setText(t.agency_name)
        self.service.setText(t.service_name)
        self.ahead.setText(core.t("people_ahead", n=t.people_ahead))
        self.wait.setText(core.t("estimated_wait",
                                 wait=i18n.wait_text(core.language, t.wait_minutes)))
        if t.paused_until is not None:
            self.pause.setText(core.t(f"pause_{t.pause_kind}", time=f"{t.paused_until:%H:%M}"))
        self.pause.setVisible(t.paused_until is not None)
        self.counters.setText(core.t("served_at", counters=t.counters_hint)
                              if t.counters_hint else "")
        self.counters.setVisible(bool(t.counters_hint))
        when = (f"{i18n.date_text(core.language, t.issued_at.date())}, "
                f"{i18n.time_text(t.issued_at, core.config.mpp.timezone)}")
        self.when.setText(f"{core.t('issued_at', when=when)}\n{core.t('valid_today')}")
        self.qr.setPixmap(qr_pixmap(t.qr_payload, self.s(300 if self.portrait else 360)))
        self.qr_hint.setText(core.t("scan_qr"))
        self.qr_hint.setVisible(qr_opens_a_page(t.qr_payload))
        # A margin, not stylesheet padding: Qt measures wrapped text with the margin right.
        self.status.setMargin(self.s(20) if t.print_state == "failed" else 0)
        if t.print_state == "failed":
            restyle(self.status, "status_failed")
            self.status.setText(core.t("print_failed"))
            self.staff.setText(core.t("staff_told"))
        elif t.print_state == "printed":
            restyle(self.status, "status_ok")
            self.status.setText(core.t("printed"))
            self.staff.setText("")
        else:
            restyle(self.status, "status_busy")
            self.status.setText(core.t("printing"))
            self.staff.setText("")
        self.staff.setVisible(bool(self.staff.text()))
        self.done.setText(core.t("done"))


def sentence_column(screen: Screen, name: str, spacing: int = 36
                    ) -> tuple[QVBoxLayout, QLabel, QLabel]:
    """The layout of the screens that say one thing: a title and a large sentence, centred,
    with room below for buttons."""
    box = QVBoxLayout(screen)
    box.setContentsMargins(72, 48, 72, 48)
    box.setSpacing(spacing)
    box.addStretch(1)
    title = label("", "title", name=f"{name}_title")
    body = label("", "huge", name=f"{name}_body")
    box.addWidget(title)
    box.addWidget(body)
    return box, title, body


class MessageScreen(Screen):
    """A plain sentence: why no number now, and when to come back. One button: back."""

    def __init__(self, core: KioskCore) -> None:
        super().__init__(core)
        box, self.title, self.body = sentence_column(self, "message")
        box.addStretch(1)
        self.back = button("", "primary", core.back, "back")
        box.addWidget(self.back)

    def update_content(self) -> None:
        core = self.core
        message = core.message
        self.title.setText(core.t(message.title_key) if message else "")
        self.body.setText(message.body(core.language) if message else "")
        self.back.setText(core.t("back"))


class OfflineScreen(Screen):
    """Shown instead of the welcome screen while the hub cannot be reached: no button that
    would promise a number."""

    def __init__(self, core: KioskCore) -> None:
        super().__init__(core)
        box, self.title, self.body = sentence_column(self, "offline", spacing=40)
        box.addStretch(2)

    def update_content(self) -> None:
        self.title.setText(self.core.t("offline_title"))
        self.body.setText(self.core.t("offline_body"))


class IssuingScreen(Screen):
    """The second between the tap and the number."""

    def __init__(self, core: KioskCore) -> None:
        super().__init__(core)
        box = QVBoxLayout(self)
        box.addStretch(1)
        self.text = label("", "title", name="issuing_text")
        box.addWidget(self.text)
        box.addStretch(1)

    def update_content(self) -> None:
        self.text.setText(self.core.t("issuing"))


class SlowScreen(Screen):
    """The hub has not answered in time: wait, or try again with the same command."""

    def __init__(self, core: KioskCore) -> None:
        super().__init__(core)
        box, self.title, self.body = sentence_column(self, "slow")
        box.addStretch(1)
        row = QHBoxLayout()
        self.cancel = button("", "secondary", core.reset, "cancel")
        self.retry = button("", "primary", core.retry, "retry")
        row.addWidget(self.cancel, 1)
        row.addWidget(self.retry, 2)
        holder = QWidget()
        holder.setLayout(row)
        box.addWidget(holder)

    def update_content(self) -> None:
        core = self.core
        self.title.setText(core.t("please_wait"))
        self.body.setText(core.t("slow_body"))
        self.cancel.setText(core.t("cancel"))
        self.retry.setText(core.t("retry"))
