"""The Payment calendar tab: every interest payment and principal return, filtered, marked paid
and exported. The portfolio service selects the payments (``filter_changed``); this view only
draws the rows on screen of that selection."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDateEdit, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QVBoxLayout, QWidget)

from fidus_desktop.domain.schedules import PaymentKind
from fidus_desktop.domain.values import ZERO
from fidus_desktop.portfolio.calendar import CalendarSelection, name_ranks
from fidus_desktop.services.payment_calendar import CalendarFilter, CalendarRow, PaymentState

from .. import file_dialogs
from ..widgets.form_dialog import FormDialog
from ..widgets.format import day, from_qdate, money, to_qdate
from ..widgets.table_model import Column, KeyedTableModel, TableData, selected_positions, table_view

#: Typing in the search box refilters once the manager pauses.
FILTER_DELAY_MS = 250
DEFAULT_DAYS_AHEAD = 90

COLUMNS: tuple[Column, ...] = (
    Column("Due", lambda r: day(r.due), sort="due"),
    Column("Client", lambda r: r.client_name, sort="client"),
    Column("Product", lambda r: r.product, sort="product"),
    Column("Payment", lambda r: r.label, sort="payment"),
    Column("Amount", lambda r: money(r.amount), sort="amount", numeric=True),
    Column("State", lambda r: r.state.value, sort="state"),
    Column("Paid on", lambda r: day(r.paid_on), sort="paid_on"),
    Column("Investment id", lambda r: r.investment_id, sort="investment_id"),
)
STATE_COLORS = {PaymentState.OVERDUE: "#B00020", PaymentState.PAID: "#2E7D32"}
COMMISSION_COLOR = "#6A3D9A"
#: The kind filter's "client payments" (interest and principal, no commissions).
CLIENT_PAYMENTS = "client"


def selection_sort_key(selection: CalendarSelection, column: str, keys: np.ndarray) -> np.ndarray:
    """Sort keys of the selection's rows ``keys`` (positions in it), from its arrays."""
    book = selection.book
    if column == "due":
        return selection.due[keys]
    if column == "amount":
        return selection.amount[keys]
    if column == "client":
        return name_ranks(book)[selection.slots[keys]]
    if column == "investment_id":
        from fidus_desktop.portfolio.calendar import id_ranks

        return id_ranks(book)[selection.slots[keys]]
    if column == "product":
        return book.product[selection.slots[keys]]
    if column == "payment":  # interest #1, #2 ... then the principal
        numbers = selection.numbers[keys].astype(np.int64)
        return np.where(numbers == 0, 10_000, numbers)
    if column == "state":
        return selection.state[keys]
    rows = [selection.row(int(k)) for k in keys]  # paid on: only paid rows have one
    return np.array([r.paid_on.toordinal() if r.paid_on else 0 for r in rows], dtype=np.int64)


def _date_edit(parent: QWidget) -> QDateEdit:
    edit = QDateEdit(parent)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit


class MarkPaidDialog(FormDialog):
    """Confirm the payments, the day they were made and a bank reference; emits ``(date, str)``."""

    def __init__(self, rows: Sequence[CalendarRow], today: date, parent: QWidget | None = None) -> None:
        super().__init__("Mark payments as paid", parent)
        total = sum((r.amount for r in rows), ZERO)
        note = QLabel(f"{len(rows)} payment(s), total {money(total)}, will be recorded as paid, each with "
                      "an entry in the audit trail.", self)
        note.setWordWrap(True)
        self.form.addRow(note)
        self.paid_on = _date_edit(self)
        self.paid_on.setDate(to_qdate(today))
        self.paid_on.setMaximumDate(to_qdate(today))
        self.reference = QLineEdit(self)
        self.reference.setPlaceholderText("bank or wallet reference (optional)")
        self.fields = {"paid_on": self.paid_on, "reference": self.reference}
        self.form.addRow("Paid on", self.paid_on)
        self.form.addRow("Reference", self.reference)

    def payload(self) -> tuple[date, str]:
        return from_qdate(self.paid_on.date()), self.reference.text().strip()


class CalendarView(QWidget):
    filter_changed = Signal(object)
    mark_paid_requested = Signal(object)
    export_requested = Signal(object, object)  # rows, path

    def __init__(self, tasks: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.first = _date_edit(self)
        self.last = _date_edit(self)
        self.all_past = QCheckBox("from the first unpaid", self)
        self.all_past.setChecked(True)
        self.product = QComboBox(self)
        self.kind = QComboBox(self)
        self.kind.addItem("All payments", None)
        self.kind.addItem("Client payments", CLIENT_PAYMENTS)
        self.kind.addItem("Interest", PaymentKind.INTEREST)
        self.kind.addItem("Principal", PaymentKind.PRINCIPAL)
        self.kind.addItem("Referral commissions", PaymentKind.COMMISSION)
        self.states = {state: QCheckBox(state.value.capitalize(), self) for state in PaymentState}
        self.states[PaymentState.DUE].setChecked(True)
        self.states[PaymentState.OVERDUE].setChecked(True)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search client or investment id")
        self.search.setClearButtonEnabled(True)
        bar.addWidget(QLabel("From", self))
        bar.addWidget(self.first)
        bar.addWidget(self.all_past)
        bar.addWidget(QLabel("to", self))
        bar.addWidget(self.last)
        bar.addWidget(self.product)
        bar.addWidget(self.kind)
        for box in self.states.values():
            bar.addWidget(box)
        bar.addWidget(self.search, 1)
        layout.addLayout(bar)

        self.selection: CalendarSelection | None = None
        self.model = KeyedTableModel(COLUMNS, tasks, self)
        self.table = table_view(self, self.model, multi=True)
        layout.addWidget(self.table, 1)

        bottom = QHBoxLayout()
        self.summary = QLabel("", self)
        bottom.addWidget(self.summary, 1)
        self.mark_button = QPushButton("Mark paid…", self)
        self.export_button = QPushButton("Export CSV…", self)
        bottom.addWidget(self.mark_button)
        bottom.addWidget(self.export_button)
        layout.addLayout(bottom)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FILTER_DELAY_MS)
        self._timer.timeout.connect(lambda: self.filter_changed.emit(self.current_filter()))
        for signal in (self.first.dateChanged, self.last.dateChanged, self.all_past.toggled,
                       self.product.currentIndexChanged, self.kind.currentIndexChanged, self.search.textChanged,
                       *(box.toggled for box in self.states.values())):
            signal.connect(self._timer.start)
        self.all_past.toggled.connect(lambda on: self.first.setEnabled(not on))
        self.first.setEnabled(False)
        self.mark_button.clicked.connect(self._mark_selected)
        self.export_button.clicked.connect(self._choose_export_file)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self._selection_changed()
        self._initialized = False

    # ---- filter ------------------------------------------------------------------------------

    def prepare(self, as_of: date, products: Sequence[str]) -> None:
        """Set the date range around ``as_of`` once, and the product list every load."""
        current = self.product.currentData()
        self.product.blockSignals(True)
        self.product.clear()
        self.product.addItem("All products", "")
        for code in products:
            self.product.addItem(code, code)
        self.product.setCurrentIndex(max(0, self.product.findData(current)))
        self.product.blockSignals(False)
        if not self._initialized:
            self._initialized = True
            for edit in (self.first, self.last):
                edit.blockSignals(True)
            self.first.setDate(to_qdate(as_of))
            self.last.setDate(to_qdate(as_of + timedelta(days=DEFAULT_DAYS_AHEAD)))
            for edit in (self.first, self.last):
                edit.blockSignals(False)

    def current_filter(self) -> CalendarFilter:
        kind = self.kind.currentData()
        return CalendarFilter(
            first=None if self.all_past.isChecked() else from_qdate(self.first.date()),
            last=from_qdate(self.last.date()), product=self.product.currentData() or "",
            kind=PaymentKind(kind) if kind and kind != CLIENT_PAYMENTS else None, text=self.search.text(),
            states=frozenset(s for s, box in self.states.items() if box.isChecked()),
            commissions=kind != CLIENT_PAYMENTS)

    def show_selection(self, selection: CalendarSelection) -> None:
        self.selection = selection
        self.model.set_data(TableData(np.arange(len(selection), dtype=np.int64), lambda i: selection.row(int(i)),
                                      lambda column, keys: selection_sort_key(selection, column, keys),
                                      lambda r: STATE_COLORS.get(r.state) or (
                                          COMMISSION_COLOR if not r.is_client_payment else None)))
        overdue = selection.count(PaymentState.OVERDUE)
        self.summary.setText(f"{len(selection):,} payments shown; still to pay {money(selection.still_to_pay())}"
                             + (f"; {overdue:,} overdue" if overdue else ""))
        self.export_button.setEnabled(len(selection) > 0)
        self._selection_changed()

    # ---- actions ----------------------------------------------------------------------------

    def selected_rows(self) -> list[CalendarRow]:
        return [self.model.row(i) for i in selected_positions(self.table)]

    def _unpaid_client_payments(self) -> list[CalendarRow]:
        """Commissions are paid on the Commissions tab (with a method and reference), not here."""
        return [r for r in self.selected_rows() if r.state is not PaymentState.PAID and r.is_client_payment]

    def _selection_changed(self, *_: object) -> None:
        self.mark_button.setEnabled(bool(self._unpaid_client_payments()))

    def _mark_selected(self) -> None:
        rows = self._unpaid_client_payments()
        if rows:
            self.mark_paid_requested.emit(rows)

    def _choose_export_file(self) -> None:
        selection = self.selection
        if selection is None:
            return
        keys = self.model.keys.copy()

        def rows() -> list[CalendarRow]:  # in the order shown, built in the io lane
            return [selection.row(int(k)) for k in keys]

        file_dialogs.save_file(self, "Export payment calendar", "payment_calendar.csv", "CSV files (*.csv)",
                               lambda path: self.export_requested.emit(rows, path), suffix="csv")
