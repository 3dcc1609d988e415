"""What the hall board shows, as plain rows, and the Qt list models the board's views paint.

`BoardCore` produces the rows (`CallEntry`, `CounterTile`, `AgencyWaiting`); the models only hold
them for the views, so a view never queries the ledger itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from shared.ledger import model as m


@dataclass(frozen=True)
class CallEntry:
    """One call (or recall) as the board shows it."""

    seq: int
    kind: str
    ticket_id: str
    label: str
    counter: int
    counter_name: str  # "Loket 3" or the counter's own name from the config
    agency: str
    agency_name: str  # the short name people know ("Dukcapil")
    at_ms: int

    @property
    def is_recall(self) -> bool:
        return self.kind == m.TICKET_RECALLED


# Counter tile states, in the words the hall reads.
TILE_SERVING = "serving"  # a ticket is called or being served
TILE_READY = "ready"  # open, nobody at the desk yet
TILE_PAUSED = "paused"
TILE_CLOSED = "closed"


@dataclass(frozen=True)
class CounterTile:
    number: int
    name: str
    agency: str
    agency_name: str
    state: str  # one of TILE_*
    label: str | None  # the ticket being called or served


@dataclass(frozen=True)
class AgencyWaiting:
    code: str
    name: str
    waiting: int


Row = TypeVar("Row")


class RowsModel(QAbstractListModel, Generic[Row]):
    """A list model over frozen rows; `set_rows` reports only the rows that changed, so a view
    repaints one tile when one counter calls rather than the whole grid."""

    RowRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex | None = None) -> int:
        if parent is not None and parent.isValid():
            return 0
        return len(self._rows)

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == self.RowRole:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display_text(row)
        return None

    def display_text(self, row: Row) -> str:
        return str(row)

    def rows(self) -> list[Row]:
        return list(self._rows)

    def set_rows(self, rows: Sequence[Row]) -> None:
        new = list(rows)
        if len(new) != len(self._rows):
            self.beginResetModel()
            self._rows = new
            self.endResetModel()
            return
        changed = [i for i, (a, b) in enumerate(zip(self._rows, new, strict=True)) if a != b]
        self._rows = new
        if changed:
            self.dataChanged.emit(self.index(changed[0]), self.index(changed[-1]))


class CallsModel(RowsModel[CallEntry]):
    def display_text(self, row: CallEntry) -> str:
        return f"{row.label} {row.counter_name}"


class CountersModel(RowsModel[CounterTile]):
    def display_text(self, row: CounterTile) -> str:
        return f"{row.name}: {row.label or row.state}"


class WaitingModel(RowsModel[AgencyWaiting]):
    def display_text(self, row: AgencyWaiting) -> str:
        return f"{row.name}: {row.waiting}"
