"""The Investments tab: every investment, filtered by client, product and status, with the
selected one's payment schedule and what it may redeem today."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QSplitter, QTableView, QVBoxLayout, QWidget)

from fidus_desktop.domain.investments import Investment, InvestmentStatus
from fidus_desktop.domain.redemptions import redemption_quote
from fidus_desktop.domain.schedules import ScheduledPayment, contract_end, monthly_rate_of, payment_schedule
from fidus_desktop.domain.values import ZERO
from fidus_desktop.services.portfolio import PortfolioData, product_codes

from .format import day, money, percent
from .table_model import Column, RowsModel

ALL = ""


class InvestmentRow(NamedTuple):
    investment: Investment
    client_name: str
    rate: Decimal | None
    contract_end: date | None
    next_due: date | None
    next_amount: Decimal | None


class ScheduleRow(NamedTuple):
    payment: ScheduledPayment
    state: str


def investment_rows(data: PortfolioData) -> list[InvestmentRow]:
    rows = []
    as_of, paid = data.as_of, data.paid
    with_paid = {key[0] for key in paid}
    for inv in data.investments:
        product = data.products.get(inv.product)
        check_paid = inv.investment_id in with_paid
        next_due, next_amount = None, ZERO
        for p in data.schedules.get(inv.investment_id, ()):  # in date order
            if p.due < as_of or (check_paid and p.key in paid):
                continue
            if next_due is not None and p.due != next_due:
                break
            next_due = p.due
            next_amount += p.amount  # interest and principal on the same day are one transfer
        rows.append(InvestmentRow(
            inv, data.client_name(inv.client_id, inv.client_name),
            monthly_rate_of(inv, product) if product else inv.interest_rate,
            contract_end(inv, product) if product else None,
            next_due, next_amount if next_due else None))
    return rows


INVESTMENT_COLUMNS: tuple[Column[InvestmentRow], ...] = (
    Column("Client", lambda r: r.client_name),
    Column("Product", lambda r: r.investment.product),
    Column("Principal", lambda r: money(r.investment.principal), key=lambda r: r.investment.principal, numeric=True),
    Column("Start", lambda r: day(r.investment.start_date.date())),
    Column("Status", lambda r: str(r.investment.status)),
    Column("Rate", lambda r: percent(r.rate), key=lambda r: r.rate or ZERO, numeric=True),
    Column("Contract end", lambda r: day(r.contract_end)),
    Column("Next payment", lambda r: day(r.next_due)),
    Column("Amount", lambda r: money(r.next_amount) if r.next_amount is not None else "",
           key=lambda r: r.next_amount or ZERO, numeric=True),
    Column("Investment id", lambda r: r.investment.investment_id),
    Column("Stored shape", lambda r: r.investment.shape.value,
           tooltip="Which of the original's document shapes holds it (A current, B referral seed, "
                   "C minimal, D API create); edits keep that shape."),
)

SCHEDULE_COLUMNS: tuple[Column[ScheduleRow], ...] = (
    Column("Due", lambda r: day(r.payment.due)),
    Column("Payment", lambda r: "Principal" if r.payment.number == 0 else f"Interest #{r.payment.number}"),
    Column("Amount", lambda r: money(r.payment.amount), key=lambda r: r.payment.amount, numeric=True),
    Column("State", lambda r: r.state),
)


def _table(parent: QWidget, model: RowsModel) -> QTableView:
    table = QTableView(parent)
    model.attach(table)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(22)
    table.horizontalHeader().setStretchLastSection(True)
    table.setAlternatingRowColors(True)
    return table


class InvestmentsView(QWidget):
    new_requested = Signal()
    edit_requested = Signal(object)
    status_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data: PortfolioData | None = None
        self._all: list[InvestmentRow] = []
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.client = QComboBox(self)
        self.product = QComboBox(self)
        self.status = QComboBox(self)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search client or investment id")
        self.search.setClearButtonEnabled(True)
        for label, widget in (("Client", self.client), ("Product", self.product), ("Status", self.status)):
            bar.addWidget(QLabel(label, self))
            bar.addWidget(widget)
        bar.addWidget(self.search, 1)
        self.new_button = QPushButton("New investment…", self)
        self.edit_button = QPushButton("Edit…", self)
        self.status_button = QPushButton("Change status…", self)
        for button in (self.new_button, self.edit_button, self.status_button):
            bar.addWidget(button)
        layout.addLayout(bar)

        self.model: RowsModel[InvestmentRow] = RowsModel(INVESTMENT_COLUMNS, self)
        self.table = _table(self, self.model)
        self.schedule_model: RowsModel[ScheduleRow] = RowsModel(
            SCHEDULE_COLUMNS, self, tint=lambda r: {"paid": "#2E7D32", "overdue": "#B00020"}.get(r.state))
        self.schedule = _table(self, self.schedule_model)
        self.detail = QLabel("Select an investment to see its schedule.", self)
        self.detail.setWordWrap(True)
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

        self.new_button.clicked.connect(self.new_requested)
        self.edit_button.clicked.connect(lambda: self._emit_selected(self.edit_requested))
        self.status_button.clicked.connect(lambda: self._emit_selected(self.status_requested))
        self.table.doubleClicked.connect(lambda _: self._emit_selected(self.edit_requested))
        for combo in (self.client, self.product, self.status):
            combo.currentIndexChanged.connect(self.apply_filter)
        self.search.textChanged.connect(self.apply_filter)
        self.table.selectionModel().selectionChanged.connect(self._show_selected)
        self._select_buttons()

    # ---- data ------------------------------------------------------------------------------

    def set_data(self, data: PortfolioData) -> None:
        selected = self.selected()
        self.data = data
        self._all = investment_rows(data)
        self._fill_combo(self.client, sorted({(r.client_name, r.investment.client_id) for r in self._all}))
        self._fill_combo(self.product, [(c, c) for c in product_codes(data)])
        self._fill_combo(self.status, [(s.value, s.value) for s in InvestmentStatus], default="active")
        first_fill = self.model.rowCount() == 0
        self.apply_filter()
        if first_fill:
            self.table.resizeColumnsToContents()
        if selected is not None:
            self.select(selected.investment_id)

    def _fill_combo(self, combo: QComboBox, items: Sequence[tuple[str, str]], default: str = ALL) -> None:
        current = combo.currentData() if combo.count() else default
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("All", ALL)
        for label, value in items:
            combo.addItem(label, value)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.blockSignals(False)

    def apply_filter(self) -> None:
        client, product, status = self.client.currentData(), self.product.currentData(), self.status.currentData()
        needle = self.search.text().strip().lower()
        rows = [r for r in self._all
                if (not client or r.investment.client_id == client) and (not product or r.investment.product == product)
                and (not status or str(r.investment.status) == status)
                and (not needle or needle in r.client_name.lower() or needle in r.investment.investment_id.lower())]
        self.model.set_rows(rows)
        total = sum((r.investment.principal for r in rows), ZERO)
        self.count.setText(f"{len(rows)} of {len(self._all)} investments, principal {money(total)}")
        self._show_selected()

    # ---- selection ---------------------------------------------------------------------------

    def selected(self) -> Investment | None:
        indexes = self.table.selectionModel().selectedRows()
        return self.model.row(indexes[0].row()).investment if indexes else None

    def select(self, investment_id: str) -> bool:
        for n, row in enumerate(self.model.rows()):
            if row.investment.investment_id == investment_id:
                self.table.selectionModel().select(
                    self.model.index(n, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows)
                self.table.scrollTo(self.model.index(n, 0))
                return True
        return False

    def _emit_selected(self, signal) -> None:
        inv = self.selected()
        if inv is not None:
            signal.emit(inv)

    def _select_buttons(self) -> None:
        has = self.selected() is not None
        self.edit_button.setEnabled(has)
        self.status_button.setEnabled(has)

    def _show_selected(self, *_: object) -> None:
        self._select_buttons()
        inv, data = self.selected(), self.data
        product = data.products.get(inv.product) if inv and data else None
        if inv is None or data is None or product is None:
            self.schedule_model.set_rows([])
            self.detail.setText("Select an investment to see its schedule." if inv is None else
                                f"Product {inv.product} is unknown: no schedule.")
            return
        schedule = data.schedules.get(inv.investment_id) or payment_schedule(inv, product)
        self.schedule_model.set_rows([ScheduleRow(p, "paid" if p.key in data.paid else
                                                  "overdue" if p.due < data.as_of else "due") for p in schedule])
        paid_interest = sum((p.amount for p in schedule if p.number and p.key in data.paid), ZERO)
        quote = redemption_quote(inv, product, data.as_of, interest_paid=paid_interest)
        reading = "C (cash-flow code)" if product.schedule_reading.value == "C" else "D (documented)"
        name = html.escape(data.client_name(inv.client_id, inv.client_name))
        lines = [f"<b>{inv.product}</b> {money(inv.principal)} for {name}, "
                 f"schedule reading {reading}.",
                 f"Redeemable today: {money(quote.max_amount)} (interest earned and unpaid "
                 f"{money(quote.interest_available)}; principal from {day(quote.principal_from)})."]
        if quote.reasons:
            lines.append(" ".join(quote.reasons))
        self.detail.setText("<br>".join(lines))
