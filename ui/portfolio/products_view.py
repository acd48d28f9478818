"""The Products tab: the fund's products as stored, which schedule reading is in force, and what
the other reading would pay; editing goes through :class:`ProductDialog` (checked and audited)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from fidus_desktop.domain.funds import FundProduct, PaymentFrequency, ScheduleReading
from fidus_desktop.errors import ValidationError
from fidus_desktop.services.products import READING_LABELS, reading_previews

from ..widgets.form_dialog import FormDialog
from ..widgets.format import money, percent
from ..widgets.table_model import Column, KeyedTableModel, list_data, selected_positions, table_view

COLUMNS: tuple[Column, ...] = (
    Column("Code", lambda p: p.code),
    Column("Name", lambda p: p.name),
    Column("Rate", lambda p: percent(p.monthly_rate) if p.monthly_rate is not None else
           f"{percent(p.performance_share, '')} of performance"),
    Column("Minimum", lambda p: money(p.minimum), numeric=True),
    Column("Pays", lambda p: p.payment_frequency.value),
    Column("First payment", lambda p: "" if p.first_payment_days is None else f"day {p.first_payment_days}"),
    Column("Every", lambda p: "" if p.interval_days is None else f"{p.interval_days} days"),
    Column("Payments", lambda p: str(p.regular_payments), numeric=True),
    Column("Incubation", lambda p: f"{p.incubation_days} days"),
    Column("Contract", lambda p: f"{p.contract_days} days ({p.contract_months} months)"),
    Column("New money", lambda p: "open" if p.open_to_new_money else "closed"),
    Column("Schedule reading in force", lambda p: READING_LABELS[p.schedule_reading]),
)


def reading_comparison(product: FundProduct, principal: Decimal, start: date) -> str:
    """The two readings of the final payment, side by side, for the manager to compare."""
    previews = reading_previews(product, principal, start)
    if not previews:
        return f"{product.code} pays no fixed interest: both readings return the principal alone at contract end."
    lines = [f"<b>{p.reading.value}</b> ({'in force' if p.in_force else 'not in force'}): {p.interest_payments} "
             f"interest payments, total {money(p.total_interest)}; contract end {p.contract_end.isoformat()} pays "
             f"{money(p.final_payment)}." for p in previews]
    return f"{product.code}, {money(principal)} starting {start.isoformat()}:<br>" + "<br>".join(lines)


class ProductsView(QWidget):
    edit_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.as_of = date.today()
        layout = QVBoxLayout(self)
        self.model = KeyedTableModel(COLUMNS, parent=self)
        self.table = table_view(self, self.model, sort_column=None)  # products keep the fund's order
        layout.addWidget(self.table, 1)
        self.comparison = QLabel("Select a product to compare the two readings of its final payment.", self)
        self.comparison.setWordWrap(True)
        layout.addWidget(self.comparison)
        bar = QHBoxLayout()
        bar.addStretch(1)
        self.edit_button = QPushButton("Edit product…", self)
        bar.addWidget(self.edit_button)
        layout.addLayout(bar)
        self.edit_button.clicked.connect(self._edit)
        self.table.doubleClicked.connect(lambda _: self._edit())
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self._selected()

    def set_products(self, products: Sequence[FundProduct], as_of: date) -> None:
        current = self.selected()
        self.as_of = as_of
        ordered = sorted(products, key=lambda p: (p.internal, p.minimum, p.code))
        self.model.set_data(list_data(ordered))
        self.table.resizeColumnsToContents()
        for n, p in enumerate(ordered):
            if current is not None and p.code == current.code:
                self.table.selectRow(n)
        self._selected()

    def selected(self) -> FundProduct | None:
        positions = selected_positions(self.table)
        return self.model.row(positions[0]) if positions else None

    def _selected(self, *_: object) -> None:
        product = self.selected()
        self.edit_button.setEnabled(product is not None)
        if product is not None:
            self.comparison.setText(reading_comparison(product, product.minimum or Decimal(10_000), self.as_of))

    def _edit(self) -> None:
        product = self.selected()
        if product is not None:
            self.edit_requested.emit(product)


def _spin(parent: QWidget, value: int | None, maximum: int = 3650) -> QSpinBox:
    spin = QSpinBox(parent)
    spin.setRange(0, maximum)
    spin.setValue(value or 0)
    return spin


def _decimal(text: str, field: str, scale: int = 1) -> Decimal | None:
    text = text.strip().replace(",", "").replace("%", "")
    if not text:
        return None
    try:
        return Decimal(text) / scale
    except InvalidOperation as exc:
        raise ValidationError(f"'{text}' is not a number.", {field: "Not a number."}) from exc


class ProductDialog(FormDialog):
    """Edit one product's terms; emits the edited ``FundProduct``."""

    def __init__(self, product: FundProduct, parent: QWidget | None = None) -> None:
        super().__init__(f"Edit product {product.code}", parent)
        self.product = product
        self.name = QLineEdit(product.name, self)
        self.rate = QLineEdit("" if product.monthly_rate is None else f"{(product.monthly_rate * 100).normalize():f}",
                              self)
        self.rate.setPlaceholderText("percent per month; empty = no fixed rate")
        self.minimum = QLineEdit(f"{product.minimum:.2f}", self)
        self.frequency = QComboBox(self)
        for freq in PaymentFrequency:
            self.frequency.addItem(freq.value, freq)
        self.frequency.setCurrentIndex(self.frequency.findData(product.payment_frequency))
        self.first = _spin(self, product.first_payment_days)
        self.interval = _spin(self, product.interval_days)
        self.payments = _spin(self, product.regular_payments, 120)
        self.incubation = _spin(self, product.incubation_days)
        self.contract = _spin(self, product.contract_days)
        self.months = _spin(self, product.contract_months, 240)
        self.open_box = QCheckBox("open to new money", self)
        self.open_box.setChecked(product.open_to_new_money)
        self.invitation = QCheckBox("by invitation only", self)
        self.invitation.setChecked(product.invitation_only)
        self.share = QLineEdit("" if product.performance_share is None else
                               f"{(product.performance_share * 100).normalize():f}", self)
        self.share.setPlaceholderText("percent of performance paid to clients (UNLIMITED)")
        self.reading = QComboBox(self)
        for reading, label in READING_LABELS.items():
            self.reading.addItem(label, reading)
        self.reading.setCurrentIndex(self.reading.findData(product.schedule_reading))
        self.fields = {"name": self.name, "monthly_rate": self.rate, "minimum": self.minimum,
                       "payment_frequency": self.frequency, "first_payment_days": self.first,
                       "interval_days": self.interval, "regular_payments": self.payments,
                       "incubation_days": self.incubation, "contract_days": self.contract,
                       "contract_months": self.months, "performance_share": self.share,
                       "schedule_reading": self.reading}
        for label, widget in (("Name", self.name), ("Monthly rate %", self.rate), ("Minimum (USD)", self.minimum),
                              ("Interest paid", self.frequency), ("First payment (days after start)", self.first),
                              ("Days between payments", self.interval), ("Regular payments", self.payments),
                              ("Incubation (days)", self.incubation), ("Contract (days)", self.contract),
                              ("Contract (months)", self.months), ("Performance share %", self.share),
                              ("Final payment reading", self.reading)):
            self.form.addRow(label, widget)
        self.form.addRow("", self.open_box)
        self.form.addRow("", self.invitation)

    def payload(self) -> FundProduct:
        # Qt returns str-enum item data as plain str
        frequency = PaymentFrequency(self.frequency.currentData())
        paying = bool(frequency.months)
        return self.product.evolve(
            name=self.name.text().strip(), monthly_rate=_decimal(self.rate.text(), "monthly_rate", 100),
            minimum=_decimal(self.minimum.text(), "minimum") or Decimal(0),
            payment_frequency=frequency,
            first_payment_days=self.first.value() if paying else None,
            interval_days=self.interval.value() if paying else None,
            regular_payments=self.payments.value() if paying else 0,
            incubation_days=self.incubation.value(), contract_days=self.contract.value(),
            contract_months=self.months.value(), open_to_new_money=self.open_box.isChecked(),
            invitation_only=self.invitation.isChecked(),
            performance_share=_decimal(self.share.text(), "performance_share", 100),
            schedule_reading=ScheduleReading(self.reading.currentData()))
