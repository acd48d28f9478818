"""The Investments tab: every investment, filtered by product, status and a search, with the
selected one's payment schedule and what it may redeem today (both worked out by the portfolio
service; this view only draws)."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSplitter, QVBoxLayout, QWidget

from fidus_desktop.domain.investments import InvestmentStatus
from fidus_desktop.portfolio import holdings
from fidus_desktop.portfolio.book import PortfolioBook
from fidus_desktop.portfolio.figures import listed_codes
from fidus_desktop.services.portfolio_service import InvestmentDetail

from ..widgets.format import day, money, percent
from ..widgets.table_model import Column, KeyedTableModel, TableData, list_data, selected_positions, table_view

ALL = ""
#: Typing in the search box refilters once the manager pauses.
FILTER_DELAY_MS = 250
PENDING = "\u23f3 "

INVESTMENT_COLUMNS: tuple[Column, ...] = (
    Column("Client", lambda r: (PENDING if r.pending else "") + r.client_name, sort="client",
           tooltip="\u23f3: a change waiting to be saved to the database"),
    Column("Product", lambda r: r.product, sort="product"),
    Column("Principal", lambda r: money(r.principal), sort="principal", numeric=True),
    Column("Start", lambda r: day(r.start), sort="start"),
    Column("Status", lambda r: r.status, sort="status"),
    Column("Rate", lambda r: percent(r.rate), sort="rate", numeric=True),
    Column("Contract end", lambda r: day(r.contract_end), sort="contract_end"),
    Column("Next payment", lambda r: day(r.next_due), sort="next_due"),
    Column("Amount", lambda r: money(r.next_amount) if r.next_amount is not None else "", sort="next_amount",
           numeric=True),
    Column("Investment id", lambda r: r.investment_id, sort="investment_id"),
    Column("Stored shape", lambda r: r.shape, sort="shape",
           tooltip="Which of the original's document shapes holds it (A current, B referral seed, "
                   "C minimal, D API create); edits keep that shape."),
)

SCHEDULE_COLUMNS: tuple[Column, ...] = (
    Column("Due", lambda r: day(r.payment.due), sort="due"),
    Column("Payment", lambda r: "Principal" if r.payment.number == 0 else f"Interest #{r.payment.number}"),
    Column("Amount", lambda r: money(r.payment.amount), sort="amount", numeric=True),
    Column("State", lambda r: r.state, sort="state"),
)
SCHEDULE_TINT = {"paid": "#2E7D32", "overdue": "#B00020"}


class InvestmentsView(QWidget):
    new_requested = Signal()
    edit_requested = Signal(object)  # investment id
    status_requested = Signal(object)  # investment id
    redemption_requested = Signal(object)  # investment id
    #: The filter changed (after the typing pause): the panel selects the matching investments.
    filter_changed = Signal(object)
    #: An investment was selected: the panel fetches its detail.
    detail_requested = Signal(object)

    def __init__(self, tasks: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.book: PortfolioBook | None = None
        self.pending: set[str] = set()
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.product = QComboBox(self)
        self.status = QComboBox(self)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search client or investment id")
        self.search.setClearButtonEnabled(True)
        for label, widget in (("Product", self.product), ("Status", self.status)):
            bar.addWidget(QLabel(label, self))
            bar.addWidget(widget)
        bar.addWidget(self.search, 1)
        self.new_button = QPushButton("New investment…", self)
        self.edit_button = QPushButton("Edit…", self)
        self.status_button = QPushButton("Change status…", self)
        self.redeem_button = QPushButton("Request redemption…", self)
        for button in (self.new_button, self.edit_button, self.status_button, self.redeem_button):
            bar.addWidget(button)
        layout.addLayout(bar)

        self.model = KeyedTableModel(INVESTMENT_COLUMNS, tasks, self)
        self.table = table_view(self, self.model)
        self.schedule_model = KeyedTableModel(SCHEDULE_COLUMNS, tasks, self)
        self.schedule = table_view(self, self.schedule_model)
        self.detail = QLabel("Select an investment to see its schedule.", self)
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.count = QLabel("", self)
        side = QWidget(self)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.detail)
        side_layout.addWidget(self.schedule, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.table)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.count)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FILTER_DELAY_MS)
        self._timer.timeout.connect(lambda: self.filter_changed.emit(self.current_filter()))
        self.search.textChanged.connect(self._timer.start)
        for combo in (self.product, self.status):
            combo.currentIndexChanged.connect(lambda _i: self.filter_changed.emit(self.current_filter()))
        self.new_button.clicked.connect(self.new_requested)
        self.edit_button.clicked.connect(lambda: self._emit_selected(self.edit_requested))
        self.status_button.clicked.connect(lambda: self._emit_selected(self.status_requested))
        self.redeem_button.clicked.connect(lambda: self._emit_selected(self.redemption_requested))
        self.table.doubleClicked.connect(lambda _: self._emit_selected(self.edit_requested))
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.model.sorted.connect(self._reselect)
        self._selected_id: str | None = None
        self._select_buttons()
        _fill_combo(self.status, [(s.value, s.value) for s in InvestmentStatus], default="active")

    # ---- data ------------------------------------------------------------------------------

    def current_filter(self) -> holdings.HoldingsFilter:
        return holdings.HoldingsFilter(product=self.product.currentData() or "",
                                       status=self.status.currentData() or "", text=self.search.text())

    def prepare(self, book: PortfolioBook) -> None:
        """The product list of this book (kept as chosen when it still exists)."""
        _fill_combo(self.product, [(c, c) for c in listed_codes(book)])

    def show_slots(self, book: PortfolioBook, slots: np.ndarray, pending: set[str]) -> None:
        self.book, self.pending = book, pending
        self.model.set_data(TableData(
            slots, lambda slot: holdings.row(book, int(slot))._replace(pending=book.ids[int(slot)] in pending),
            lambda column, keys: holdings.sort_key(book, column, keys)))
        total = book.total(int(book.principal[slots].sum())) if len(slots) else 0
        self.count.setText(f"{len(slots):,} of {len(book):,} investments, principal {money(total)}")
        self._reselect()

    # ---- selection ---------------------------------------------------------------------------

    def selected_id(self) -> str | None:
        positions = selected_positions(self.table)
        if not positions or self.book is None:
            return None
        return self.book.ids[int(self.model.key(positions[0]))]

    def select(self, investment_id: str) -> bool:
        if self.book is None or investment_id not in self.book.index:
            return False
        position = self.model.position_of(self.book.index[investment_id])
        if position is None:
            return False
        index = self.model.index(position, 0)
        self.table.selectionModel().select(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index)
        return True

    def _reselect(self) -> None:
        if self._selected_id is not None and not self.select(self._selected_id):
            self.show_detail(None)

    def _emit_selected(self, signal: Any) -> None:
        investment_id = self.selected_id()
        if investment_id is not None:
            signal.emit(investment_id)

    def _select_buttons(self) -> None:
        has = self.selected_id() is not None
        self.edit_button.setEnabled(has)
        self.status_button.setEnabled(has)
        self.redeem_button.setEnabled(has)

    def _selection_changed(self, *_: object) -> None:
        self._select_buttons()
        investment_id = self.selected_id()
        if investment_id is not None and investment_id != self._selected_id:
            self._selected_id = investment_id
            self.detail.setText("Loading…")
            self.detail_requested.emit(investment_id)

    def show_detail(self, detail: InvestmentDetail | None, error: str = "") -> None:
        if detail is None:
            self.schedule_model.set_data(TableData.empty())
            self.detail.setText(html.escape(error) if error else "Select an investment to see its schedule.")
            return
        inv, product, quote = detail.investment, detail.product, detail.quote
        if detail.investment.investment_id != self._selected_id:
            return  # the manager moved on meanwhile
        self.schedule_model.set_data(list_data(detail.schedule, {
            "due": lambda r: r.payment.due, "amount": lambda r: r.payment.amount, "state": lambda r: r.state},
            tint=lambda r: SCHEDULE_TINT.get(r.state)))
        if product is None or quote is None:
            self.detail.setText(f"Product {html.escape(inv.product)} is unknown: no schedule.")
            return
        reading = "C (cash-flow code)" if product.schedule_reading.value == "C" else "D (documented)"
        name = html.escape(inv.client_name or inv.client_id)
        lines = [f"<b>{html.escape(inv.product)}</b> {money(inv.principal)} for {name}, schedule reading {reading}.",
                 f"Redeemable today: {money(quote.max_amount)} (interest earned and unpaid "
                 f"{money(quote.interest_available)}; principal from {day(quote.principal_from)})."]
        if quote.reasons:
            lines.append(html.escape(" ".join(quote.reasons)))
        if detail.pending:
            lines.append("<i>\u23f3 A change to this investment is waiting to be saved to the database.</i>")
        self.detail.setText("<br>".join(lines))


def _fill_combo(combo: QComboBox, items: list[tuple[str, str]], default: str = ALL) -> None:
    current = combo.currentData() if combo.count() else default
    combo.blockSignals(True)
    combo.clear()
    combo.addItem("All", ALL)
    for label, value in items:
        combo.addItem(label, value)
    combo.setCurrentIndex(max(0, combo.findData(current)))
    combo.blockSignals(False)

