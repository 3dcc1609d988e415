"""Staff only: the PIN pad behind the hidden corner long-press, and the admin menu."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QGridLayout, QVBoxLayout, QWidget

from kiosk.screens.base import Screen
from kiosk.screens.common import button, grid, label

if TYPE_CHECKING:
    from kiosk.core import KioskCore


class PinScreen(Screen):
    """Portrait: the title, the dots, the keypad, Batal, one under the other. Landscape has not
    the height for that: the keypad goes to the right."""

    def __init__(self, core: KioskCore) -> None:
        super().__init__(core)
        self.entered = ""
        self.outer = QGridLayout(self)
        self.outer.setContentsMargins(160, 48, 160, 48)
        self.outer.setSpacing(24)
        self.title = label("", "title", name="pin_title")
        self.dots = label("", "pin_dots", name="pin_dots")
        self.message = label("", "error", name="pin_message")
        self.keypad = QWidget()
        keys = grid(3)
        keys.setContentsMargins(0, 0, 0, 0)
        self.keypad.setLayout(keys)
        for i, key in enumerate("123456789"):
            keys.addWidget(button(key, "key", functools.partial(self._press, key), f"pin:{key}"),
                           i // 3, i % 3)
        self.clear = button("", "key", self._clear, "pin:clear")
        keys.addWidget(self.clear, 3, 0)
        keys.addWidget(button("0", "key", lambda: self._press("0"), "pin:0"), 3, 1)
        self.ok = button("", "key", self._submit, "pin:ok")
        keys.addWidget(self.ok, 3, 2)
        self.cancel = button("", "secondary", core.reset, "cancel")
        self._portrait: bool | None = None

    def _arrange(self) -> None:
        self._portrait = self.portrait
        g = self.outer
        parts = (self.title, self.dots, self.message, self.keypad, self.cancel)
        for w in parts:
            g.removeWidget(w)
        for i in range(8):
            g.setRowStretch(i, 0)
            g.setColumnStretch(i, 0)
        if self.portrait:
            # Above and below: room that grows, so the pad sits in the middle.
            for row, w in enumerate(parts, start=1):
                g.addWidget(w, row, 0)
            g.setRowStretch(0, 1)
            g.setRowStretch(len(parts) + 1, 1)
            g.setColumnStretch(0, 1)
        else:
            for row, w in enumerate((self.title, self.dots, self.message, self.cancel), start=1):
                g.addWidget(w, row, 0)
            g.addWidget(self.keypad, 0, 1, 6, 1)
            g.setRowStretch(0, 1)
            g.setRowStretch(5, 1)
            g.setColumnStretch(0, 2)
            g.setColumnStretch(1, 3)

    def _press(self, key: str) -> None:
        if len(self.entered) < 12:
            self.entered += key
        self.core.touch()
        self.dots.setText("●" * len(self.entered))

    def _clear(self) -> None:
        self.entered = ""
        self.core.touch()
        self.dots.setText("")

    def _submit(self) -> None:
        pin, self.entered = self.entered, ""
        self.core.enter_pin(pin)

    def update_content(self) -> None:
        core = self.core
        if self._portrait != self.portrait:
            self._arrange()
        self.title.setText(core.t("pin_title"))
        self.dots.setText("●" * len(self.entered))
        self.message.setText(core.pin_message)
        self.clear.setText(core.t("pin_clear"))
        self.ok.setText(core.t("pin_ok"))
        self.cancel.setText(core.t("cancel"))


class AdminScreen(Screen):
    def __init__(self, core: KioskCore) -> None:
        super().__init__(core)
        box = QVBoxLayout(self)
        box.setContentsMargins(120, 48, 120, 48)
        box.setSpacing(28)
        box.addStretch(1)
        self.title = label("", "title", name="admin_title")
        self.status = label("", "big", name="admin_printer_status")
        self.message = label("", "body", name="admin_message")
        self.test = button("", "primary", core.admin_test_print, "admin:test_print")
        self.exit = button("", "secondary", core.admin_exit, "admin:exit")
        self.close_button = button("", "secondary", core.admin_close, "admin:close")
        for w in (self.title, self.status, self.message, self.test, self.exit,
                  self.close_button):
            box.addWidget(w)
        box.addStretch(1)

    def update_content(self) -> None:
        core = self.core
        self.title.setText(core.t("admin_title"))
        self.status.setText(core.t("admin_printer_status", status=core.printer_status_text()))
        self.message.setText(core.admin_message)
        self.test.setText(core.t("admin_test_print"))
        self.exit.setText(core.t("admin_exit"))
        self.close_button.setText(core.t("admin_close"))
