"""The one table model every table uses: row keys in, only the rows on screen formatted.

A table holds a :class:`TableData`: the keys of its rows in display order (a NumPy array, so
half a million rows cost a few megabytes), how to get the row for a key, and how to make a sort
key array for a column. ``data()`` formats a row the first time the view asks for it (the rows
on screen, and the sample a header fit reads) and caches it; nothing else is ever formatted.

Sorting runs off the GUI thread: the column's sort keys are computed and ordered in the ``cpu``
lane (NumPy sorts with the interpreter released), and the view keeps showing the previous order
until the new one is ready. Sorts are stable, so equal values keep the order the data came in
with, and exact: money sorts as money, dates as dates, text in reading order
(:mod:`fidus_desktop.collation`). Filtering is the owner's business: it computes new keys (in
the core, or as the store's indexed query) and calls :meth:`KeyedTableModel.set_data`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from fidus_desktop.collation import text_ranks

if TYPE_CHECKING:
    from ui.tasks import TaskRunner

Index = QModelIndex | QPersistentModelIndex
#: Rows a header fit reads when a view sizes its columns to their contents.
SIZE_SAMPLE_ROWS = 200
#: Formatted rows kept: a few screens' worth, scrolled back and forth.
CACHE_ROWS = 4096
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_DISPLAY, _ALIGNMENT, _FOREGROUND = (int(r) for r in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.TextAlignmentRole,
                                                      Qt.ItemDataRole.ForegroundRole))
_TOOLTIP, _DECORATION = int(Qt.ItemDataRole.ToolTipRole), int(Qt.ItemDataRole.DecorationRole)


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    text: Callable[[Any], str]
    #: Name handed to :attr:`TableData.sort_key`; ``None``: not sortable by a header click.
    sort: str | None = None
    numeric: bool = False
    #: A fixed text, or ``row -> text`` for a tooltip per row (the reason behind a status).
    tooltip: str | Callable[[Any], str] = ""
    #: ``row -> QIcon`` (or ``None``) shown before the text: a state marked by icon and words,
    #: never by colour alone.
    icon: Callable[[Any], Any] | None = None


@dataclass(frozen=True, slots=True)
class TableData:
    keys: np.ndarray
    #: Key -> the row object the columns format.
    row: Callable[[Any], Any]
    #: ``(column sort name, keys) -> array`` aligned with ``keys``; called in the cpu lane.
    sort_key: Callable[[str, np.ndarray], np.ndarray] | None = None
    #: Row -> a colour name for its text, or ``None``.
    tint: Callable[[Any], str | None] | None = None

    @staticmethod
    def empty() -> TableData:
        return TableData(np.zeros(0, dtype=np.int64), lambda key: None)


def sort_array(values: Sequence[Any]) -> np.ndarray:
    """An array whose order is the values' order: ranks for text, money and mixed values (so
    ``Decimal`` sorts exactly), numbers and days as they are. ``None`` sorts first."""
    present = [v for v in values if v is not None]
    if not present:
        return np.zeros(len(values), dtype=np.int64)
    sample = present[0]
    if isinstance(sample, str):
        return text_ranks([v or "" for v in values])
    if isinstance(sample, bool | int | float) and not any(isinstance(v, Decimal) for v in present):
        return np.array([float("-inf") if v is None else float(v) for v in values], dtype=np.float64)
    if isinstance(sample, datetime):
        return np.array([float("-inf") if v is None else v.timestamp() for v in values], dtype=np.float64)
    if isinstance(sample, date):
        return np.array([-1 if v is None else v.toordinal() for v in values], dtype=np.int64)
    # Decimal and other ordered values: exact ranks (tables of this kind are small lists).
    order = sorted(set(present))
    rank = {v: i + 1 for i, v in enumerate(order)}
    return np.array([0 if v is None else rank[v] for v in values], dtype=np.int64)


def list_data(rows: Sequence[Any], sort_keys: dict[str, Callable[[Any], Any]] | None = None,
              tint: Callable[[Any], str | None] | None = None) -> TableData:
    """A table over an in-memory list (accounts, positions, deals): keys are list positions."""
    rows = list(rows)
    keys_of = dict(sort_keys or {})

    def sort_key(name: str, keys: np.ndarray) -> np.ndarray:
        read = keys_of[name]
        return sort_array([read(rows[int(k)]) for k in keys])

    return TableData(np.arange(len(rows), dtype=np.int64), lambda key: rows[int(key)], sort_key, tint)


def stable_order(values: np.ndarray, descending: bool) -> np.ndarray:
    """Positions ordering ``values``; ties keep their current order in both directions."""
    if not descending:
        return np.argsort(values, kind="stable")
    positions = np.arange(len(values))
    return np.lexsort((-positions, values))[::-1]


class KeyedTableModel(QAbstractTableModel):
    #: Emitted on the GUI thread after a sort was applied (views re-select by key).
    sorted = Signal()

    def __init__(self, columns: Sequence[Column], tasks: TaskRunner | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.columns = tuple(columns)
        self._tasks = tasks
        self._data = TableData.empty()
        self._keys: np.ndarray = self._data.keys
        self._cache: OrderedDict[int, tuple[list[str], QBrush | None]] = OrderedDict()
        self._brushes: dict[str, QBrush] = {}
        self._sort: tuple[int, bool] | None = None
        self._generation = 0
        #: Rows formatted so far (tests check that only what is on screen was).
        self.formatted = 0

    # ---- data in -----------------------------------------------------------------------------

    def set_data(self, data: TableData) -> None:
        """Show ``data`` (new keys or rows), in the current sort order once it is computed."""
        self._generation += 1
        if self._sort is not None and data.sort_key is not None and self.columns[self._sort[0]].sort:
            self._data = data
            self._sort_off_thread(*self._sort, data, self._generation, reset=True)
            return
        self.beginResetModel()
        self._data, self._keys = data, data.keys
        self._cache.clear()
        self.endResetModel()

    def _apply_keys(self, keys: np.ndarray, generation: int, reset: bool) -> None:
        if generation != self._generation:
            return  # newer data or another sort came meanwhile
        if reset:
            self.beginResetModel()
        else:
            self.layoutAboutToBeChanged.emit()
        self._keys = keys
        self._cache.clear()
        if reset:
            self.endResetModel()
        else:
            self.layoutChanged.emit()
        self.sorted.emit()

    def _sort_off_thread(self, column: int, descending: bool, data: TableData, generation: int, *,
                         reset: bool) -> None:
        name = self.columns[column].sort
        assert name is not None and data.sort_key is not None
        sort_key, keys = data.sort_key, data.keys

        def order() -> np.ndarray:
            return keys[stable_order(np.asarray(sort_key(name, keys)), descending)]

        if self._tasks is None:  # tests and small tools: in place
            self._apply_keys(order(), generation, reset)
            return
        self._tasks.run(order, lane="cpu", name=f"sort by {self.columns[column].title}",
                        on_success=lambda sorted_keys: self._apply_keys(sorted_keys, generation, reset))

    # ---- reading -----------------------------------------------------------------------------

    @property
    def keys(self) -> np.ndarray:
        """Row keys in display order."""
        return self._keys

    def key(self, position: int) -> Any:
        return self._keys[position]

    def row(self, position: int) -> Any:
        return self._data.row(self._keys[position])

    def position_of(self, key: Any) -> int | None:
        hits = np.nonzero(self._keys == key)[0]
        return int(hits[0]) if len(hits) else None

    def _formatted(self, position: int) -> tuple[list[str], QBrush | None]:
        held = self._cache.get(position)
        if held is not None:
            return held
        row = self._data.row(self._keys[position])
        texts = [c.text(row) for c in self.columns]
        color = self._data.tint(row) if self._data.tint else None
        brush = self._brushes.setdefault(color, QBrush(QColor(color))) if color else None
        self.formatted += 1
        self._cache[position] = (texts, brush)
        if len(self._cache) > CACHE_ROWS:
            self._cache.popitem(last=False)
        return texts, brush

    # ---- Qt model ------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._keys)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Qt asks each painted cell for seven roles, one Python call each: the common ones are
        # answered first and without a look-up more than needed (a repaint of a full table went
        # from 37 to 32 ms here; the rest is the calls themselves).
        if role == _DISPLAY:
            position = index.row()
            held = self._cache.get(position)
            if held is None and position < 0:  # an invalid index
                return None
            return (held if held is not None else self._formatted(position))[0][index.column()]
        if role == _ALIGNMENT:
            return RIGHT if self.columns[index.column()].numeric else LEFT
        if role == _FOREGROUND:
            position = index.row()
            held = self._cache.get(position)
            if held is None and position < 0:
                return None
            return (held if held is not None else self._formatted(position))[1]
        if not index.isValid():
            return None
        if role == _TOOLTIP:
            tip = self.columns[index.column()].tooltip
            if not tip:
                return None
            return (tip(self._data.row(self._keys[index.row()])) or None) if callable(tip) else tip
        if role == _DECORATION:
            icon = self.columns[index.column()].icon
            return icon(self._data.row(self._keys[index.row()])) if icon is not None else None
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].title
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT if self.columns[section].numeric else LEFT
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            tip = self.columns[section].tooltip
            return None if callable(tip) else tip or None
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if self.columns[column].sort is None or self._data.sort_key is None:
            return
        self._sort = (column, order == Qt.SortOrder.DescendingOrder)
        self._generation += 1
        self._sort_off_thread(column, self._sort[1], TableData(self._keys, self._data.row, self._data.sort_key,
                                                              self._data.tint), self._generation, reset=False)


def table_view(parent: QWidget, model: KeyedTableModel, *, sort_column: int | None = 0,
               descending: bool = False, multi: bool = False) -> QTableView:
    """A read-only table over ``model``: whole-row selection, uniform row heights (so half a
    million rows scroll without measuring each), columns fitted to a sample of rows."""
    view = QTableView(parent)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection if multi
                          else QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    vertical = view.verticalHeader()
    vertical.hide()
    vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vertical.setDefaultSectionSize(22)
    header = view.horizontalHeader()
    header.setResizeContentsPrecision(SIZE_SAMPLE_ROWS)
    header.setStretchLastSection(True)
    header.setSortIndicatorShown(True)
    if sort_column is not None:
        view.setSortingEnabled(True)
        view.sortByColumn(sort_column, Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder)
    return view


def selected_positions(view: QTableView) -> list[int]:
    return sorted(index.row() for index in view.selectionModel().selectedRows())
