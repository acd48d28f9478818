"""The Commissions tab: each salesperson with their clients and what is due, paid and next; the
selected salesperson's commissions, approved then paid with the payment method and reference."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QDateEdit, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSplitter,
                               QVBoxLayout, QWidget)

from fidus_desktop.domain.values import ZERO
from fidus_desktop.portfolio.calendar import CalendarSelection
from fidus_desktop.services.commissions import PAYMENT_METHODS, SalespersonSummary, status_of
from fidus_desktop.services.payment_calendar import CalendarRow, PaymentState

from ..widgets.form_dialog import FormDialog
from ..widgets.format import day, from_qdate, money, to_qdate
from ..widgets.table_model import Column, KeyedTableModel, TableData, list_data, selected_positions, table_view

PEOPLE_COLUMNS: tuple[Column, ...] = (
    Column("Salesperson", lambda s: s.name + ("" if s.known else " (no record)"), sort="name"),
    Column("Clients", lambda s: f"{s.clients:,}", sort="clients", numeric=True),
    Column("Investments", lambda s: f"{s.investments:,}", sort="investments", numeric=True),
    Column("Due now", lambda s: money(s.due.amount), sort="due", numeric=True,
           tooltip="Commissions whose client payment date has come, not yet paid (approved ones included)."),
    Column("Approved", lambda s: money(s.approved.amount), sort="approved", numeric=True),
    Column("Paid", lambda s: money(s.paid.amount), sort="paid", numeric=True),
    Column("Next", lambda s: day(s.next_due), sort="next"),
    Column("Next amount", lambda s: money(s.next_amount) if s.next_due else "", numeric=True),
    Column("Still to come", lambda s: money(s.upcoming.amount), sort="upcoming", numeric=True),
)
STATE_COLORS = {PaymentState.OVERDUE: "#B00020", PaymentState.PAID: "#2E7D32"}


class PayDialog(FormDialog):
    """Emits ``submitted((method, reference, paid_on, notes, payment_hash))``."""

    def __init__(self, rows: Sequence[CalendarRow], today: date, method: str = "", parent: QWidget | None = None) -> None:
        super().__init__("Pay referral commissions", parent)
        total = sum((r.amount for r in rows), ZERO)
        note = QLabel(f"{len(rows)} approved commission(s), {money(total)}, will be recorded as paid.", self)
        note.setWordWrap(True)
        self.form.addRow(note)
        self.method = QComboBox(self)
        for m in PAYMENT_METHODS:
            self.method.addItem(m.replace("_", " "), m)
        self.method.setCurrentIndex(max(0, self.method.findData(method)))
        self.reference = QLineEdit(self)
        self.reference.setPlaceholderText("bank transfer or wallet reference")
        self.payment_hash = QLineEdit(self)
        self.payment_hash.setPlaceholderText("transaction hash (crypto wallet, optional)")
        self.paid_on = QDateEdit(self)
        self.paid_on.setCalendarPopup(True)
        self.paid_on.setDisplayFormat("yyyy-MM-dd")
        self.paid_on.setMaximumDate(to_qdate(today))
        self.paid_on.setDate(to_qdate(today))
        self.notes = QLineEdit(self)
        self.fields = {"method": self.method, "reference": self.reference, "paid_on": self.paid_on}
        for label, widget in (("Paid by", self.method), ("Reference", self.reference), ("Hash", self.payment_hash),
                              ("Paid on", self.paid_on), ("Notes", self.notes)):
            self.form.addRow(label, widget)

    def payload(self) -> tuple[str, str, date, str, str]:
        return (self.method.currentData(), self.reference.text(), from_qdate(self.paid_on.date()),
                self.notes.text(), self.payment_hash.text())


class CommissionsView(QWidget):
    #: A salesperson was selected: the panel selects their commissions.
    salesperson_selected = Signal(str)
    #: ``(action, rows)``: approve, pay; ``write`` with no rows.
    action_requested = Signal(str, object)

    def __init__(self, tasks: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.people_model = KeyedTableModel(PEOPLE_COLUMNS, tasks, self)
        self.people = table_view(self, self.people_model, sort_column=None)
        self.rule = QLabel("10 % of each client interest payment of a referred investment, due on the client's "
                           "payment date, as each product's schedule reading gives the payments.", self)
        self.rule.setWordWrap(True)
        self.model = KeyedTableModel(self._columns(), tasks, self)
        self.table = table_view(self, self.model, multi=True)
        bar = QHBoxLayout()
        self.summary = QLabel("Select a salesperson.", self)
        self.summary.setWordWrap(True)
        bar.addWidget(self.summary, 1)
        self.buttons = {name: QPushButton(label, self) for name, label in (
            ("approve", "Approve"), ("pay", "Pay…"), ("write", "Write to the web platform"))}
        self.buttons["write"].setToolTip("Write a pending referral_commissions document for each commission that "
                                         "has none, so the web platform's referral screens list them too.")
        for button in self.buttons.values():
            bar.addWidget(button)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.people)
        bottom = QWidget(self)
        inner = QVBoxLayout(bottom)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(self.table, 1)
        inner.addLayout(bar)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(1, 3)
        layout.addWidget(self.rule)
        layout.addWidget(splitter, 1)
        self.selection: CalendarSelection | None = None
        self._people: list[SalespersonSummary] = []
        self.people.selectionModel().selectionChanged.connect(lambda *_: self._person_changed())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        for name in self.buttons:
            self.buttons[name].clicked.connect(lambda _=False, n=name: self._act(n))
        self._enable()

    def _columns(self) -> tuple[Column, ...]:
        def status(r: CalendarRow) -> str:
            book = self.selection.book if self.selection is not None else None
            return status_of(book, r).value if book is not None else ""

        return (Column("Due", lambda r: day(r.due), sort="due"), Column("Client", lambda r: r.client_name),
                Column("Product", lambda r: r.product), Column("Payment", lambda r: f"on interest #{r.number}"),
                Column("Amount", lambda r: money(r.amount), sort="amount", numeric=True),
                Column("State", lambda r: r.state.value), Column("Status", status),
                Column("Paid on", lambda r: day(r.paid_on)), Column("Investment id", lambda r: r.investment_id))

    def show_people(self, people: list[SalespersonSummary]) -> None:
        current = self.selected_person()
        self._people = people
        self.people_model.set_data(list_data(people, {
            "name": lambda s: s.name, "clients": lambda s: s.clients, "investments": lambda s: s.investments,
            "due": lambda s: s.due.amount, "approved": lambda s: s.approved.amount, "paid": lambda s: s.paid.amount,
            "next": lambda s: s.next_due, "upcoming": lambda s: s.upcoming.amount}))
        keys = [p.salesperson_id for p in people]
        if keys:
            self.people.selectRow(keys.index(current) if current in keys else 0)

    def selected_person(self) -> str:
        positions = selected_positions(self.people)
        return self.people_model.row(positions[0]).salesperson_id if positions else ""

    def _person_changed(self) -> None:
        key = self.selected_person()
        if key:
            self.salesperson_selected.emit(key)

    def show_commissions(self, key: str, selection: CalendarSelection) -> None:
        if key != self.selected_person():
            return
        self.selection = selection
        self.model.set_data(TableData(np.arange(len(selection), dtype=np.int64), lambda i: selection.row(int(i)),
                                      lambda column, keys: selection.due[keys] if column == "due"
                                      else selection.amount[keys], lambda r: STATE_COLORS.get(r.state)))
        person = next((p for p in self._people if p.salesperson_id == key), None)
        if person is not None:
            self.summary.setText(
                f"{person.name}: {person.clients:,} client(s), {person.investments:,} investment(s). Due now "
                f"{money(person.due.amount)} ({person.due.count}), of which approved {money(person.approved.amount)}; "
                f"paid {money(person.paid.amount)} ({person.paid.count}); next {day(person.next_due)} "
                f"{money(person.next_amount) if person.next_due else ''}.")
        self._enable()

    def selected_rows(self) -> list[CalendarRow]:
        return [self.model.row(i) for i in selected_positions(self.table)]

    def _enable(self) -> None:
        rows = [r for r in self.selected_rows() if r.state is not PaymentState.PAID]
        self.buttons["approve"].setEnabled(bool(rows))
        self.buttons["pay"].setEnabled(bool(rows))
        self.buttons["write"].setEnabled(bool(self.selected_person()))

    def _act(self, name: str) -> None:
        rows = [r for r in self.selected_rows() if r.state is not PaymentState.PAID]
        if name == "write" or rows:
            self.action_requested.emit(name, rows)
