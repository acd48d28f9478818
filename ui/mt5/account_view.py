"""The Account tab: the chosen account's open positions and pending orders (live, from each board),
its deal history with a date range and filters, the balance operations listed apart, and the
per-symbol breakdown of the trades closed in the range. Filtering runs in the core, in the cpu lane."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (QComboBox, QDateEdit, QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget)

from bridge_link.models import Deal, DealsSnapshot
from fidus_desktop.mt5.board import Mt5AccountView
from fidus_desktop.mt5.ledger import (DIRECTIONS, KINDS, DealFilter, SymbolRow, is_balance_operation, select_deals,
                                      symbol_breakdown, symbols_of)
from fidus_desktop.mt5.trades import closed_trades

from ..widgets.format import from_qdate, local_moment, to_qdate
from ..widgets.table_model import KeyedTableModel, TableData
from .deal_tables import DEAL_COLUMNS, SYMBOL_COLUMNS, deals_data, symbols_data
from .tables import ORDER_COLUMNS, POSITION_COLUMNS, mt5_table, orders_data, positions_data

KIND_LABELS = {"all": "All types", "buy": "Buy", "sell": "Sell", "balance": "Balance operations", "other": "Other"}
DIRECTION_LABELS = {"all": "In and out", "in": "In (opening)", "out": "Out (closing)"}


@dataclass(frozen=True, slots=True)
class Selection:
    deals: tuple[Deal, ...]
    balance: tuple[Deal, ...]
    symbols: list[SymbolRow]
    known_symbols: list[str]


def select(deals: tuple[Deal, ...], what: DealFilter) -> Selection:
    """Everything the tab shows for ``what`` (runs in the cpu lane)."""
    period = DealFilter(what.date_from, what.date_to)
    return Selection(select_deals(deals, what),
                     tuple(d for d in select_deals(deals, period) if is_balance_operation(d)),
                     symbol_breakdown(closed_trades(deals, what.date_from, what.date_to)), symbols_of(deals))


def _midnight(day) -> datetime:  # noqa: ANN001 - a date
    return datetime.combine(day, time(0)).astimezone().astimezone(UTC)


class AccountView(QWidget):
    def __init__(self, tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.history: DealsSnapshot | None = None
        self.selection: Selection | None = None
        self._generation = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        self.heading = QLabel("Choose an account in the overview.", self)
        self.heading.setObjectName("panelSubheading")
        layout.addWidget(self.heading)
        self.tabs = QTabWidget(self)
        self.positions = KeyedTableModel(POSITION_COLUMNS, tasks, self)
        self.orders = KeyedTableModel(ORDER_COLUMNS, tasks, self)
        self.deals = KeyedTableModel(DEAL_COLUMNS, tasks, self)
        self.balance = KeyedTableModel(DEAL_COLUMNS, tasks, self)
        self.symbols = KeyedTableModel(SYMBOL_COLUMNS, tasks, self)
        self.tabs.addTab(mt5_table(self.tabs, self.positions, sort_column=10), "Positions")
        self.tabs.addTab(mt5_table(self.tabs, self.orders, sort_column=7), "Pending orders")
        self.tabs.addTab(self._deals_page(), "Deals")
        self.tabs.addTab(mt5_table(self.tabs, self.balance, descending=True), "Balance operations")
        self.tabs.addTab(mt5_table(self.tabs, self.symbols, sort_column=8, descending=True), "By symbol")
        layout.addWidget(self.tabs, 1)
        self.state = QLabel("", self)
        layout.addWidget(self.state)

    def _deals_page(self) -> QWidget:
        page = QWidget(self.tabs)
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 4, 0, 0)
        row = QHBoxLayout()
        today = datetime.now().date()
        self.date_from = QDateEdit(to_qdate(today - timedelta(days=90)), page)
        self.date_to = QDateEdit(to_qdate(today), page)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.dateChanged.connect(self.refilter)
        self.symbol = QComboBox(page)
        self.symbol.addItem("All symbols", "")
        self.kind = QComboBox(page)
        for kind in KINDS:
            self.kind.addItem(KIND_LABELS[kind], kind)
        self.direction = QComboBox(page)
        for direction in DIRECTIONS:
            self.direction.addItem(DIRECTION_LABELS[direction], direction)
        for combo in (self.symbol, self.kind, self.direction):
            combo.currentIndexChanged.connect(self.refilter)
        for label, widget in (("From", self.date_from), ("to", self.date_to), ("Symbol", self.symbol),
                              ("Type", self.kind), ("Direction", self.direction)):
            row.addWidget(QLabel(label, page))
            row.addWidget(widget)
        row.addStretch(1)
        column.addLayout(row)
        column.addWidget(mt5_table(page, self.deals, descending=True), 1)
        return page

    # ---- live ------------------------------------------------------------------------------

    def show_live(self, view: Mt5AccountView | None) -> None:
        if view is None:
            self.heading.setText("Choose an account in the overview.")
            self.positions.set_data(TableData.empty())
            self.orders.set_data(TableData.empty())
            return
        when = local_moment(view.account.fetched_at) if view.account else "never"
        stale = " (STALE: last known values)" if view.stale else ""
        self.heading.setText(f"{view.name} ({view.login}) · {view.fund or 'no fund'} · "
                             f"{view.manager or 'no manager'} · read {when}{stale}")
        self.positions.set_data(positions_data(view.positions.positions) if view.positions else TableData.empty())
        self.orders.set_data(orders_data(view.orders.orders) if view.orders else TableData.empty())

    # ---- history -----------------------------------------------------------------------------

    def filter(self) -> DealFilter:
        return DealFilter(date_from=_midnight(from_qdate(self.date_from.date())),
                          date_to=_midnight(from_qdate(self.date_to.date()) + timedelta(days=1)),
                          symbol=self.symbol.currentData() or "", kind=self.kind.currentData(),
                          direction=self.direction.currentData())

    def show_history(self, snap: DealsSnapshot) -> None:
        self.history = snap
        self.refilter()

    def clear_history(self, message: str) -> None:
        self.history = None
        self._generation += 1
        for model in (self.deals, self.balance, self.symbols):
            model.set_data(TableData.empty())
        self.state.setText(message)

    def refilter(self, *_args: object) -> None:
        if self.history is None:
            return
        self._generation += 1
        generation, deals, what = self._generation, self.history.deals, self.filter()
        self.tasks.run(lambda: select(deals, what), lane="cpu", name="filter the deals",
                       on_success=lambda chosen: self._show(generation, chosen))

    def _show(self, generation: int, chosen: Selection) -> None:
        if generation != self._generation:
            return  # another filter or account meanwhile
        self.selection = chosen
        self.deals.set_data(deals_data(chosen.deals))
        self.balance.set_data(deals_data(chosen.balance))
        self.symbols.set_data(symbols_data(chosen.symbols))
        current = self.symbol.currentData()
        if [self.symbol.itemData(i) for i in range(1, self.symbol.count())] != chosen.known_symbols:
            self.symbol.blockSignals(True)
            self.symbol.clear()
            self.symbol.addItem("All symbols", "")
            for name in chosen.known_symbols:
                self.symbol.addItem(name, name)
            self.symbol.setCurrentIndex(max(0, self.symbol.findData(current)))
            self.symbol.blockSignals(False)
        snap = self.history
        origin = f"synced {local_moment(snap.fetched_at)}" if snap else ""
        self.state.setText(f"{len(chosen.deals)} of {len(snap.deals) if snap else 0} deals shown · "
                           f"{len(chosen.balance)} balance operations in the period · {origin}")

    def set_range(self, start: QDate, end: QDate) -> None:
        self.date_from.setDate(start)
        self.date_to.setDate(end)
