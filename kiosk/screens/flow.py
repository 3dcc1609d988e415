"""The visitor's choices: welcome → agency → service → priority."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QSizePolicy, QVBoxLayout, QWidget

from kiosk import i18n
from kiosk.screens.base import NavBar, Screen
from kiosk.screens.common import Tile, button, clear_layout, grid, label, logo_widget

if TYPE_CHECKING:
    from kiosk.core import AgencyTile, KioskCore, ServiceTile


class WelcomeScreen(Screen):
    """The MPP's name and logo, today's date and time, and one giant button. When no service
    issues numbers (a holiday, before opening, after the cut-off) it says so and when to come
    back, and there is no button to lead nowhere; when the printer cannot print it says so
    before anyone taps (the number will be on the screen)."""

    def __init__(self, core: KioskCore) -> None:
        super().__init__(core)
        box = QVBoxLayout(self)
        box.setContentsMargins(60, 40, 60, 60)
        self.box = box
        self.logo = label("", "body")
        self.greeting = label("", "hint", name="welcome_greeting")
        self.mpp = label(core.config.mpp.name, "huge", name="welcome_mpp")
        self.kabupaten = label(core.config.mpp.kabupaten, "big")
        self.date = label("", "big", name="welcome_date")
        self.time = label("", "title", name="welcome_time")
        self.closed_title = label("", "title", name="closed_title")
        self.closed_body = label("", "big", name="hall_notice")
        self.printer = label("", "visitor_notice", name="printer_notice")
        self.take = button("", "giant", core.start, "take_number")
        self.hint = label("", "hint", name="touch_hint")
        box.addStretch(2)
        for w in (self.logo, self.greeting, self.mpp, self.kabupaten):
            box.addWidget(w)
        box.addStretch(1)
        box.addWidget(self.date)
        box.addWidget(self.time)
        box.addStretch(1)
        box.addWidget(self.closed_title)
        box.addWidget(self.closed_body)
        box.addWidget(self.printer)
        box.addWidget(self.take)
        box.addWidget(self.hint)
        box.addStretch(2)
        self._minute: tuple[int, int] | None = None

    def update_content(self) -> None:
        core = self.core
        logo = core._logo(core.config.mpp.logo)
        pix = QPixmap(str(logo)) if logo else QPixmap()
        if not pix.isNull():
            size = self.s(220 if self.portrait else 140)  # landscape has little height
            self.logo.setPixmap(pix.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.SmoothTransformation))
        self.greeting.setText(core.t("welcome"))
        self.take.setText(core.t("take_number"))
        self.hint.setText(core.t("touch_to_start"))
        notice = core.hall_notice()
        closed = notice is not None
        self.closed_title.setText(core.t("closed_title"))
        self.closed_body.setText(notice.body(core.language) if notice else "")
        self.closed_title.setVisible(closed)
        self.closed_body.setVisible(closed)
        self.take.setVisible(not closed)
        self.hint.setVisible(not closed)
        printer = "" if closed else core.printer_notice()
        # A landscape screen has no height to spare: the printer's news matters more than the
        # logo.
        self.logo.setVisible(not pix.isNull() and (self.portrait or not printer))
        self.printer.setText(printer)
        # A margin, not stylesheet padding: Qt measures wrapped text with the margin right.
        self.printer.setMargin(self.s(20))
        self.printer.setVisible(bool(printer))
        self.tick()

    def tick(self) -> None:
        now = self.core.now()
        minute = (now.hour, now.minute)
        if self._minute is not None and minute != self._minute:
            # Opening time, the cut-off, midnight: what the screen offers changes by the clock.
            self._minute = minute
            self.update_content()
            return
        self._minute = minute
        self.date.setText(i18n.date_text(self.core.language, now.date()))
        self.time.setText(i18n.time_text(now, self.core.config.mpp.timezone))


def _title_block(box: QVBoxLayout, title_name: str) -> tuple:
    title = label("", "title", name=title_name)
    hint = label("", "hint")
    box.addWidget(title)
    box.addWidget(hint)
    return title, hint


class AgencyScreen(Screen):
    """All agencies, 12 a page with logos, in the hall's own order.

    Paging rather than alphabetical groups: a visitor knows "Dukcapil" or "Samsat" by the logo
    and the everyday name, not by the first letter of the official name ("Dinas Kependudukan…",
    "Badan Pendapatan…"), and three pages with a big worded "Berikutnya" and "Halaman 1 dari 3"
    are understood without explanation. The hall lists its busiest agencies first, so most
    visitors never turn a page. Tiles show the short name the hall chose for the kiosk button.
    """

    def __init__(self, core: KioskCore) -> None:
        super().__init__(core)
        box = QVBoxLayout(self)
        box.setContentsMargins(36, 20, 36, 24)
        box.setSpacing(14)
        self.title, self.hint = _title_block(box, "agency_title")
        self.grid_host, self.grid, self.nav = _paged_grid(box, core, 3)

    def update_content(self) -> None:
        core = self.core
        self.title.setText(core.t("choose_agency"))
        self.hint.setText(core.t("agency_hint"))
        self.nav.show_page(core.agency_page, core.agency_pages(), self.portrait)
        columns = 3 if self.portrait else 4
        tiles = core.agency_tiles()
        _fill_grid(self.grid, [self._tile(t) for t in tiles], columns,
                   core.settings.agencies_per_page)

    def _tile(self, tile: AgencyTile) -> Tile:
        code = tile.code
        closed = not tile.availability.is_open
        w = Tile(f"agency:{code}", lambda: self.core.choose_agency(code), closed,
                 horizontal=not self.portrait)
        logo = logo_widget(tile.logo, tile.initials, self.s(110 if self.portrait else 96))
        w.add(logo)
        if self.portrait:
            w.box.setAlignment(logo, Qt.AlignmentFlag.AlignHCenter)
            texts = w.box
        else:
            texts = QVBoxLayout()
            w.box.addLayout(texts, 1)
        w.add(label(tile.short_name, "tile_name"), into=texts)
        if closed:
            w.add(label(tile.availability.badge(self.core.language), "badge"), into=texts)
        return w


def _fill_grid(layout: QGridLayout, tiles: list[QWidget], columns: int, per_page: int) -> None:
    """Lay tiles out row by row; a short last page keeps full-page tile sizes."""
    clear_layout(layout)
    rows = -(-per_page // columns)
    for c in range(6):
        layout.setColumnStretch(c, 1 if c < columns else 0)
    for r in range(12):
        layout.setRowStretch(r, 1 if r < rows else 0)
    for i in range(columns * rows):
        if i < len(tiles):
            w = tiles[i]
        else:
            w = QWidget()
            w.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        layout.addWidget(w, i // columns, i % columns)


class ServiceScreen(Screen):
    """The agency's services with their standard time and how many wait; closed or full ones
    say so on the tile, and a tap explains when to come back. The requirements follow on the
    next screen, where there is room to list them."""

    def __init__(self, core: KioskCore) -> None:
        super().__init__(core)
        box = QVBoxLayout(self)
        box.setContentsMargins(36, 20, 36, 24)
        box.setSpacing(14)
        self.agency = label("", "big", name="service_agency")
        box.addWidget(self.agency)
        self.title, self.hint = _title_block(box, "service_title")
        self.grid_host, self.grid, self.nav = _paged_grid(box, core, 1)

    def update_content(self) -> None:
        core = self.core
        self.agency.setText(core.agency.name if core.agency else "")
        self.title.setText(core.t("choose_service"))
        self.hint.setText(core.t("service_hint"))
        self.nav.show_page(core.service_page, core.service_pages(), self.portrait)
        columns = 1 if self.portrait else 2
        _fill_grid(self.grid, [self._tile(t) for t in core.service_tiles()], columns,
                   core.settings.services_per_page)

    def _tile(self, tile: ServiceTile) -> Tile:
        core, code = self.core, tile.code
        found = tile.availability
        w = Tile(f"service:{code}", lambda: core.choose_service(code), not found.is_open)
        top = QHBoxLayout()
        w.box.addLayout(top)
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        w.add(label(tile.name, "tile_name", align=left), 1, into=top)
        if not found.is_open:
            w.add(label(found.badge(core.language), "badge", wrap=False), into=top)
        facts = [core.t("standard_time", minutes=tile.standard_minutes)]
        if found.is_open:
            facts.append(core.t("people_waiting", n=tile.waiting))
            if found.remaining is not None:
                facts.append(core.t("quota_left", n=found.remaining))
        else:
            facts.append(core.t("tap_for_reason"))
        w.add(label("  ·  ".join(facts), "tile_text", align=left))
        return w


class PriorityScreen(Screen):
    """What to bring, then "Apakah Anda termasuk prioritas?" with "Tidak" as the biggest,
    first answer."""

    def __init__(self, core: KioskCore) -> None:
        super().__init__(core)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(48, 24, 48, 24)
        self.grid.setSpacing(16)
        self.service = label("", "big", name="priority_service")
        self.requirements = label("", "requirements", align=Qt.AlignmentFlag.AlignLeft
                                  | Qt.AlignmentFlag.AlignTop, name="priority_requirements")
        self.question = label("", "title", name="priority_question")
        self.hint = label("", "hint")
        self.no = button("", "giant", lambda: core.choose_priority(None), "priority:none")
        self.no.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.group_buttons = {
            g: button("", "choice", functools.partial(core.choose_priority, g), f"priority:{g}")
            for g in core.priority_groups()
        }
        self.back = button("", "secondary", core.back, "back")
        self._portrait: bool | None = None

    def _arrange(self) -> None:
        self._portrait = self.portrait
        g = self.grid
        for w in (self.service, self.requirements, self.question, self.hint, self.no,
                  self.back, *self.group_buttons.values()):
            g.removeWidget(w)
        for i in range(20):
            g.setRowStretch(i, 0)
        if self.portrait:
            row = 0
            for w in (self.service, self.requirements, self.question, self.hint, self.no):
                g.addWidget(w, row, 0, 1, 2)
                row += 1
            g.setRowMinimumHeight(row, self.s(12))
            row += 1
            for b in self.group_buttons.values():
                g.addWidget(b, row, 0, 1, 2)
                row += 1
            g.setRowStretch(row, 1)
            g.addWidget(self.back, row + 1, 0, 1, 2)
        else:
            g.addWidget(self.service, 0, 0, 1, 2)
            g.addWidget(self.question, 1, 0, 1, 2)
            g.addWidget(self.hint, 2, 0, 1, 2)
            # Left: "Tidak", what to bring, back; right: the five groups, one per row.
            n = len(self.group_buttons)
            g.addWidget(self.no, 3, 0, 2, 1)
            g.addWidget(self.requirements, 5, 0, n - 3, 1)
            g.addWidget(self.back, 2 + n, 0)
            for i, b in enumerate(self.group_buttons.values()):
                g.addWidget(b, 3 + i, 1)
            g.setRowStretch(3 + n, 1)
        g.setColumnStretch(0, 1)
        g.setColumnStretch(1, 1)

    def update_content(self) -> None:
        core = self.core
        if self._portrait != self.portrait:
            self._arrange()
        service = core.service
        self.service.setText(service.name if service else "")
        needs = service.requirements if service else ()
        self.requirements.setText(
            core.t("requirements_title") + "\n" + "\n".join(f"•  {r}" for r in needs))
        self.requirements.setVisible(bool(needs))
        self.question.setText(core.t("priority_question"))
        self.hint.setText(core.t("priority_hint"))
        self.no.setText(core.t("priority_no"))
        self.back.setText(core.t("back"))
        for group, b in self.group_buttons.items():
            b.setText(i18n.priority_text(core.language, group))


def _paged_grid(box: QVBoxLayout, core: KioskCore, columns: int
                ) -> tuple[QWidget, QGridLayout, NavBar]:
    """The tiles of a paged choice (agencies, services) above their page navigation."""
    host = QWidget()
    tiles = grid(columns)
    tiles.setContentsMargins(0, 0, 0, 0)
    host.setLayout(tiles)
    box.addWidget(host, 1)
    nav = NavBar(core)
    box.addWidget(nav)
    return host, tiles, nav
