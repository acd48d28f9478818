"""A read-only table model over precomputed rows, for tables of any size.

Display strings and sort keys are computed once per column when rows are set; sorting orders an
index list by those keys (one key per row, never a Python call per comparison), and ``data()``
only indexes lists. Large tables therefore stay responsive.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QTableView

Row = TypeVar("Row")
Index = QModelIndex | QPersistentModelIndex

#: Rows read when a view fits its columns to their contents.
SIZE_SAMPLE_ROWS = 200
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


@dataclass(frozen=True, slots=True)
class Column(Generic[Row]):
    title: str
    text: Callable[[Row], str]
    #: Sort key; the text when not given.
    key: Callable[[Row], Any] | None = None
    numeric: bool = False
    tooltip: str = ""


class RowsModel(QAbstractTableModel, Generic[Row]):
    def __init__(self, columns: Sequence[Column[Row]], parent=None,
                 tint: Callable[[Row], str | None] | None = None) -> None:
        super().__init__(parent)
        self.columns = tuple(columns)
        self._tint = tint
        self._rows: list[Row] = []
        self._order: list[int] = []
        self._texts: list[list[str]] = [[] for _ in self.columns]
        self._colors: list[QBrush | None] = []
        self._sort: tuple[int, Qt.SortOrder] | None = None

    # ---- data in -----------------------------------------------------------------------

    def set_rows(self, rows: Sequence[Row]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._texts = [[c.text(r) for r in self._rows] for c in self.columns]
        brushes: dict[str, QBrush] = {}
        self._colors = []
        for r in self._rows:
            color = self._tint(r) if self._tint else None
            self._colors.append(brushes.setdefault(color, QBrush(QColor(color))) if color else None)
        self._order = list(range(len(self._rows)))
        if self._sort is not None:
            self._apply_sort(*self._sort)
        self.endResetModel()

    def attach(self, view: QTableView, sort_column: int = 0) -> None:
        """Show this model in ``view``, sortable by header click, first sorted by ``sort_column``."""
        view.setModel(self)
        # Fitting columns reads cells through data(); a sample of rows is enough and keeps a
        # 10,000-row table from paying for every cell.
        view.horizontalHeader().setResizeContentsPrecision(SIZE_SAMPLE_ROWS)
        view.setSortingEnabled(True)
        view.sortByColumn(sort_column, Qt.SortOrder.AscendingOrder)

    def row(self, view_row: int) -> Row:
        return self._rows[self._order[view_row]]

    def rows(self) -> list[Row]:
        """All rows in the order shown."""
        return [self._rows[i] for i in self._order]

    # ---- Qt model --------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._order)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        source = self._order[index.row()]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._texts[index.column()][source]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT if column.numeric else LEFT
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._colors[source]
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip:
            return column.tooltip
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].title
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT if self.columns[section].numeric else LEFT
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        self._sort = (column, order)
        self._apply_sort(column, order)
        self.layoutChanged.emit()

    def _apply_sort(self, column: int, order: Qt.SortOrder) -> None:
        spec = self.columns[column]
        keys = [spec.key(r) for r in self._rows] if spec.key else self._texts[column]
        self._order.sort(key=keys.__getitem__, reverse=order == Qt.SortOrder.DescendingOrder)
