"""What every kiosk screen is: a widget that redraws itself from the core."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QWidget

from kiosk.screens.common import button, keep_space_when_hidden, label, page_dots

if TYPE_CHECKING:
    from kiosk.core import KioskCore


class Screen(QWidget):
    """A page of the kiosk. `refresh` is called whenever the core changes while it is shown,
    and when the window turns between portrait and landscape."""

    def __init__(self, core: KioskCore) -> None:
        super().__init__()
        self.core = core
        self.setProperty("screen", True)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.portrait = True
        self.u = 1.0
        # A screen never widens the window: the window's size is the hall's screen, and the
        # screen fits its content into it (the stack would otherwise grow to the largest
        # screen's wish).
        self.setMinimumSize(1, 1)

    def refresh(self, portrait: bool, u: float) -> None:
        self.portrait, self.u = portrait, u
        self.update_content()

    def update_content(self) -> None:
        raise NotImplementedError

    def s(self, n: float) -> int:
        """Kiosk pixels (for a 1080-pixel short side) to real pixels."""
        return max(1, round(n * self.u))


class NavBar(QWidget):
    """Kembali, and for long lists  ‹ Sebelumnya   ● ○ ○ Halaman 1 dari 3   Berikutnya ›  —
    big and worded, because a first-time visitor does not know that a swipe turns a page.
    Landscape: one row. Portrait: page line, then the two page buttons, then Kembali."""

    def __init__(self, core: KioskCore) -> None:
        super().__init__()
        self.core = core
        self.back = button("", "secondary", core.back, "back")
        self.previous = button("", "secondary", core.previous_page, "previous_page")
        self.next = button("", "primary", core.next_page, "next_page")
        keep_space_when_hidden(self.previous)
        keep_space_when_hidden(self.next)
        self.dots = label("", "dots", wrap=False, name="page_dots")
        self.page = label("", "page", wrap=False, name="page_text")
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(16)
        self._portrait: bool | None = None

    def show_page(self, page: int, pages: int, portrait: bool) -> None:
        if portrait != self._portrait:
            self._arrange(portrait)
        paged = pages > 1
        self.back.setText(self.core.t("back"))
        self.previous.setText(self.core.t("previous"))
        self.next.setText(self.core.t("next"))
        self.previous.setVisible(paged and page > 0)
        self.next.setVisible(paged and page < pages - 1)
        self.dots.setVisible(paged)
        self.page.setVisible(paged)
        self.dots.setText(page_dots(page, pages))
        self.page.setText(self.core.t("page_of", page=page + 1, pages=pages))

    def _arrange(self, portrait: bool) -> None:
        self._portrait = portrait
        for w in (self.back, self.previous, self.next, self.dots, self.page):
            self.grid.removeWidget(w)
        for c in range(4):
            self.grid.setColumnStretch(c, 0)
        if portrait:
            self.grid.addWidget(self.dots, 0, 0, 1, 2)
            self.grid.addWidget(self.page, 1, 0, 1, 2)
            self.grid.addWidget(self.previous, 2, 0)
            self.grid.addWidget(self.next, 2, 1)
            self.grid.addWidget(self.back, 3, 0, 1, 2)
            self.grid.setColumnStretch(0, 1)
            self.grid.setColumnStretch(1, 1)
        else:
            self.grid.addWidget(self.back, 0, 0, 2, 1)
            self.grid.addWidget(self.previous, 0, 1, 2, 1)
            self.grid.addWidget(self.dots, 0, 2)
            self.grid.addWidget(self.page, 1, 2)
            self.grid.addWidget(self.next, 0, 3, 2, 1)
            for c, stretch in enumerate((3, 3, 2, 3)):
                self.grid.setColumnStretch(c, stretch)
