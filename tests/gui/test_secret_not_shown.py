"""A ticket's web secret is in every replica, but no screen shows it: everything the board and
the counter window show (labels, buttons, list and table models) and everything the board
says, after the ticket was issued and called."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget
from pytestqt.qtbot import QtBot

from counter_client import core as c
from display.board import BoardWindow
from display.core import AnnouncedStore, BoardCore
from shared.clock import ManualClock
from shared.config import HallConfig
from tests.helpers.counter_hall import activate, click, idle, open_hall
from tests.helpers.display_hall import Hall
from tests.helpers.stubs import RecordingAnnouncer


def shown_text(window: QWidget) -> str:
    parts = [w.text() for w in window.findChildren(QLabel)]
    parts += [w.text() + w.toolTip() for w in window.findChildren(QAbstractButton)]
    for model in window.findChildren(QAbstractItemModel):
        parts += model_text(model, QModelIndex())
    return "\n".join(parts)


def model_text(model: QAbstractItemModel, parent: QModelIndex) -> list[str]:
    out = []
    try:
        columns = max(1, model.columnCount(parent))
    except TypeError:  # a list model keeps columnCount private: one column
        columns = 1
    for row in range(model.rowCount(parent)):
        for col in range(columns):
            index = model.index(row, col, parent)
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                         Qt.ItemDataRole.UserRole):
                value = model.data(index, role)
                if value is not None:
                    out.append(repr(value))
            out += model_text(model, index)
    return out


def test_the_board_neither_shows_nor_says_the_secret(
        qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock) -> None:
    hall = Hall(qtbot, tmp_path / "hall.db", small_config, clock)
    try:
        hall.open(1)
        secret = hall.run(hall.kiosk, "issue_ticket", service="ktp-baru").value["secret"]
        voice = RecordingAnnouncer()
        core = BoardCore(hall.local.link("display-1"), small_config, voice,
                         AnnouncedStore(tmp_path / "board.db"))
        core.start()
        window = BoardWindow(core, size=(1920, 1080))
        qtbot.addWidget(window)
        assert hall.call(1) == "KTP-001"
        qtbot.waitUntil(lambda: any(t.label == "KTP-001" for t in window.counters_model.rows()))
        text = shown_text(window)
        assert "KTP-001" in text  # the board does show the ticket
        assert secret not in text
        assert voice.calls and all(secret not in said for _, said in voice.calls)
    finally:
        hall.local.close()


def test_the_counter_does_not_show_the_secret(
        qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock) -> None:
    with open_hall("embedded", qtbot, tmp_path, small_config, clock) as hall:
        hall.issue("ktp-baru", 2)
        core, window, link = hall.signed_in(1)
        activate(qtbot, window)
        click(qtbot, window, c.CALL_NEXT)
        idle(qtbot, core)
        secrets = [link.reader.ticket_secret(f"20261130-KTP-00{n}") for n in (1, 2)]
        text = shown_text(window)
        assert "KTP-001" in text and "KTP-002" in text  # called, and waiting in the line
        assert all(s and s not in text for s in secrets)
