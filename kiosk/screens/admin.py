"""Staff only: the PIN pad behind the hidden corner long-press, and the admin menu."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QVBoxLayout

from kiosk.screens.base import Screen
from kiosk.screens.common import button, grid, label

if TYPE_CHECKING:
    from kiosk.core import KioskCore


class PinScreen(Screen):
    def __init__(self, core: KioskCore) -> None:
        super().__init__(core)
        self.entered = ""
        box = QVBoxLayout(self)
        box.setContentsMargins(160, 48, 160, 48)
        box.setSpacing(24)
        box.addStretch(1)
        self.title = label("", "title", name="pin_title")
        self.dots = label("", "pin_dots", name="pin_dots")
        self.message = label("", "error", name="pin_message")
        for w in (self.title, self.dots, self.message):
            box.addWidget(w)
        keys = grid(3)
        for i, key in enumerate("123456789"):
            keys.addWidget(button(key, "key", functools.partial(self._press, key), f"pin:{key}"),
                           i // 3, i % 3)
        self.clear = button("", "key", self._clear, "pin:clear")
        keys.addWidget(self.clear, 3, 0)
        keys.addWidget(button("0", "key", lambda: self._press("0"), "pin:0"), 3, 1)
        self.ok = button("", "key", self._submit, "pin:ok")
        keys.addWidget(self.ok, 3, 2)
        box.addLayout(keys)
        self.cancel = button("", "secondary", core.reset, "cancel")
        box.addWidget(self.cancel)
        box.addStretch(1)

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
