"""The pipeline as a table: the shared keyed table model over the index's slots.

Filtering and sorting are the core's (the panel asks :class:`PipelineService` for the slots in
order and hands them over); a header click asks for the new order, it is never a Qt sort over
Python ``data()`` calls. Only the rows on screen are formatted.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from fidus_desktop.crm.filters import Sort
from fidus_desktop.crm.index import PipelineRow, PipelineSnapshot

from ..widgets.format import local_moment, money
from ..widgets.table_model import Column, KeyedTableModel, TableData, selected_positions, table_view

PENDING = "\u23f3 "


def _due(row: PipelineRow) -> str:
    if row.due is None:
        return ""
    text = row.due.astimezone().strftime("%Y-%m-%d")
    return ("overdue " if row.due < datetime.now(UTC) else "") + text


COLUMNS: tuple[Column, ...] = (
    Column("Name", lambda r: (PENDING if r.pending else "") + r.name + (" (portal lead)" if r.is_lead else ""),
           sort="name", tooltip="\u23f3: a change waiting to be saved to the database"),
    Column("E-mail", lambda r: r.email, sort="email"),
    Column("Phone", lambda r: r.phone, sort="phone"),
    Column("Stage", lambda r: r.stage.label, sort="stage"),
    Column("Source", lambda r: r.source, sort="source"),
    Column("Owner", lambda r: r.owner, sort="owner"),
    Column("AML/KYC", lambda r: r.kyc.value.replace("_", " "), sort="kyc_status"),
    Column("Value", lambda r: money(r.value) if r.value is not None else "", sort="estimated_value", numeric=True),
    Column("Next action", lambda r: r.next_action),
    Column("Due", _due, sort="next_action_due"),
    Column("Created", lambda r: local_moment(r.created), sort="created_at"),
    Column("Updated", lambda r: local_moment(r.updated), sort="updated_at"),
)
_TINT = {"overdue": "#B00020"}


class PipelineTable(QWidget):
    #: The manager clicked a header: ``Sort`` wanted (the panel asks the core for the order).
    sort_changed = Signal(object)
    selected = Signal(str)  # key
    activated = Signal(str)  # key (double click / Enter)

    def __init__(self, tasks: object = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = KeyedTableModel(COLUMNS, None, self)
        self.view = table_view(self, self.model, sort_column=None)
        self.view.setSortingEnabled(False)
        header = self.view.horizontalHeader()
        header.setSortIndicatorShown(True)
        header.setSectionsClickable(True)
        header.sectionClicked.connect(self._header_clicked)
        self.count = QLabel("", self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.count)
        self.snapshot: PipelineSnapshot | None = None
        self.sort = Sort()
        self._selected = ""
        self._fitted = False
        self.view.selectionModel().currentRowChanged.connect(self._row_changed)
        self.view.doubleClicked.connect(lambda index: self.activated.emit(self._key_at(index.row())))
        self._show_indicator()

    def _header_clicked(self, section: int) -> None:
        name = COLUMNS[section].sort
        if name is None:
            self._show_indicator()
            return
        descending = not self.sort.descending if self.sort.field == name else name in (
            "estimated_value", "created_at", "updated_at")
        self.sort = Sort(name, descending)
        self._show_indicator()
        self.sort_changed.emit(self.sort)

    def _show_indicator(self) -> None:
        section = next((i for i, c in enumerate(COLUMNS) if c.sort == self.sort.field), -1)
        order = Qt.SortOrder.DescendingOrder if self.sort.descending else Qt.SortOrder.AscendingOrder
        self.view.horizontalHeader().setSortIndicator(section, order)

    def show_slots(self, snapshot: PipelineSnapshot, slots: np.ndarray, total: int) -> None:
        self.snapshot = snapshot
        self.model.set_data(TableData(np.asarray(slots, dtype=np.int64), lambda slot: snapshot.row(int(slot)),
                                      tint=lambda r: _TINT.get(r.due_state(datetime.now(UTC)))))
        self.count.setText(f"{len(slots):,} of {total:,} records")
        if not self._fitted and len(slots):
            self.view.resizeColumnsToContents()  # a sample of rows (the shared model's header fit)
            self._fitted = True
        if self._selected:
            self.select(self._selected)

    def _key_at(self, position: int) -> str:
        if self.snapshot is None or not 0 <= position < self.model.rowCount():
            return ""
        return self.snapshot.keys[int(self.model.key(position))]

    def _row_changed(self, current, _previous) -> None:  # noqa: ANN001
        key = self._key_at(current.row()) if current.isValid() else ""
        if key:
            self._selected = key
            self.selected.emit(key)

    def selected_key(self) -> str:
        positions = selected_positions(self.view)
        return self._key_at(positions[0]) if positions else ""

    def select(self, key: str) -> bool:
        if self.snapshot is None or key not in self.snapshot.slot_of:
            return False
        position = self.model.position_of(self.snapshot.slot_of[key])
        if position is None:
            return False
        index = self.model.index(position, 0)
        self.view.selectionModel().blockSignals(True)
        self.view.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.view.selectionModel().blockSignals(False)
        self.view.scrollTo(index)
        self._selected = key
        return True
