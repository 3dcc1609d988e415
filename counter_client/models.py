"""Qt models over the counter's domain lists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from shared.config import HallConfig
from shared.ledger.queries import TicketView

PRIORITY_WORDS = {
    "lansia": "Lansia",
    "disabilitas": "Disabilitas",
    "ibu_hamil": "Ibu hamil",
    "anak": "Anak",
    "korban_bencana": "Korban bencana",
}

_Index = QModelIndex | QPersistentModelIndex


class WaitingLineModel(QAbstractTableModel):
    """The waiting line of a counter's queues (reader.waiting_line), front of the line first.

    Columns: number, service, minutes waited, priority group. The wait column is relative to
    `now_ms`, which the core's ticking clock moves forward."""

    COLUMNS = ("Nomor", "Layanan", "Menunggu", "Prioritas")
    NUMBER, SERVICE, WAITED, PRIORITY = range(4)

    def __init__(self, config: HallConfig, parent: Any = None) -> None:
        super().__init__(parent)
        self._config = config
        self._tickets: list[TicketView] = []
        self._now_ms = 0

    def set_line(self, tickets: Sequence[TicketView], now_ms: int) -> None:
        ids = [t.ticket_id for t in tickets]
        if ids == [t.ticket_id for t in self._tickets]:
            # The same people in the same order: only the minutes move, keep the selection.
            minute_changed = now_ms // 60000 != self._now_ms // 60000
            self._tickets = list(tickets)
            self._now_ms = now_ms
            if self._tickets and minute_changed:
                self.dataChanged.emit(self.index(0, self.WAITED),
                                      self.index(len(self._tickets) - 1, self.WAITED))
            return
        self.beginResetModel()
        self._tickets = list(tickets)
        self._now_ms = now_ms
        self.endResetModel()

    def ticket_at(self, row: int) -> TicketView:
        return self._tickets[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._tickets)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._tickets):
            return None
        t = self._tickets[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == self.NUMBER:
                return t.label
            if col == self.SERVICE:
                svc = self._config.services.get(t.service)
                return svc.name if svc else t.service
            if col == self.WAITED:
                return f"{max(0, (self._now_ms - t.issued_at) // 60000)} mnt"
            if col == self.PRIORITY:
                return PRIORITY_WORDS.get(t.priority or "", t.priority or "")
        if role == Qt.ItemDataRole.ToolTipRole and t.transfers:
            return "Dialihkan dari loket lain"
        if role == Qt.ItemDataRole.ForegroundRole and col == self.PRIORITY and t.priority:
            return QBrush(QColor("#8a4b00"))
        if role == Qt.ItemDataRole.TextAlignmentRole and col == self.WAITED:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return t.ticket_id
        return None
