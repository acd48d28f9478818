"""The Overview tab: every account at a glance, then the totals per fund and overall."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from fidus_desktop.mt5.board import Mt5Board, fund_totals

from ..widgets.table_model import KeyedTableModel, selected_positions
from .tables import OVERVIEW_COLUMNS, TOTAL_COLUMNS, mt5_table, overview_data, overview_rows, totals_data


class OverviewView(QWidget):
    #: The manager picked an account (its login).
    account_chosen = Signal(int)

    def __init__(self, tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.selected: int | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.model = KeyedTableModel(OVERVIEW_COLUMNS, tasks, self)
        self.table = mt5_table(splitter, self.model, sort_column=3)
        self.table.setObjectName("mt5Overview")
        # The status says "Stale: cache, 3 min old" or "Alert: ..." later on; fitted to "Live" it would be cut.
        self.model.modelReset.connect(lambda: self.table.setColumnWidth(0, max(self.table.columnWidth(0), 230)))
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.model.sorted.connect(self._reselect)
        totals = QWidget(splitter)
        column = QVBoxLayout(totals)
        column.setContentsMargins(0, 4, 0, 0)
        title = QLabel("Totals per fund (accounts counted for the fund: active, not demo)", totals)
        title.setObjectName("panelSubheading")
        self.totals = KeyedTableModel(TOTAL_COLUMNS, None, self)
        self.totals_table = mt5_table(totals, self.totals, sort_column=None)
        column.addWidget(title)
        column.addWidget(self.totals_table, 1)
        splitter.addWidget(self.table)
        splitter.addWidget(totals)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        layout.addWidget(splitter, 1)

    def show_board(self, board: Mt5Board) -> None:
        self.model.set_data(overview_data(overview_rows(board.accounts, board.alerts)))
        self.totals.set_data(totals_data(fund_totals(board.accounts, board.alerts)))
        self._reselect()

    def rows(self) -> list:
        return [self.model.row(i) for i in range(self.model.rowCount())]

    def select(self, login: int) -> None:
        self.selected = login
        self._reselect()

    def _reselect(self) -> None:
        """Keep the manager's selection across boards (by login, whatever the order)."""
        count = self.model.rowCount()
        if not count:
            return
        logins = [self.model.row(i).view.login for i in range(count)]
        target = logins.index(self.selected) if self.selected in logins else 0
        current = selected_positions(self.table)
        if current != [target]:
            self.table.selectRow(target)

    def _selection_changed(self, *_args: object) -> None:
        chosen = selected_positions(self.table)
        if not chosen:
            return
        login = self.model.row(chosen[0]).view.login
        if login != self.selected:
            self.selected = login
            self.account_chosen.emit(login)
