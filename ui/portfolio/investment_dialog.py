"""Dialogs that create or edit an investment, or change its status (see :mod:`.form_dialog` for
how a failed save keeps the input)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QStringListModel
from PySide6.QtWidgets import QComboBox, QDateEdit, QLabel, QLineEdit, QWidget

from fidus_desktop.collation import collation_key
from fidus_desktop.domain.funds import FundProduct
from fidus_desktop.domain.investments import Investment, InvestmentStatus
from fidus_desktop.domain.people import Client
from fidus_desktop.errors import ValidationError
from fidus_desktop.services.investments import InvestmentDraft, parse_amount

from ..widgets.form_dialog import FormDialog
from ..widgets.format import from_qdate, money, percent, to_qdate

NEW_STATUSES = (InvestmentStatus.ACTIVE, InvestmentStatus.PENDING_MT5_VALIDATION, InvestmentStatus.INCUBATION)


def _rate_from_percent(text: str) -> Decimal | None:
    """``1.5`` (percent a month) -> ``0.015``; empty -> ``None`` (the product's rate)."""
    text = text.strip().replace("%", "")
    if not text:
        return None
    try:
        return Decimal(text) / 100
    except InvalidOperation as exc:
        raise ValidationError("The rate is not a number.", {"interest_rate": "A percentage, e.g. 1.5"}) from exc


def _accounts(text: str) -> tuple[int, ...]:
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    if not all(p.isdigit() for p in parts):
        raise ValidationError("MT5 accounts are numbers.", {"mt5_accounts": "Logins separated by commas."})
    return tuple(int(p) for p in parts)


class InvestmentDialog(FormDialog):
    """Create (``investment is None``) or edit an investment. Emits an ``InvestmentDraft`` or the
    edited ``Investment``."""

    def __init__(self, clients: Sequence[Client], products: Iterable[FundProduct],
                 investment: Investment | None = None, parent: QWidget | None = None, *,
                 today=None) -> None:
        super().__init__("New investment" if investment is None else "Edit investment", parent)
        self.investment = investment
        self.products = {p.code: p for p in products if not p.internal}
        self.client = QComboBox(self)
        # One string list for the combo: a fund's thousands of clients fill it in one call.
        ordered = sorted(clients, key=lambda c: collation_key(c.name))
        self._client_ids = [c.client_id for c in ordered]
        self._client_names = QStringListModel([f"{c.name}" + ("" if c.kyc_cleared else f" (KYC {c.kyc_status.value})")
                                               for c in ordered], self)
        self.client.setModel(self._client_names)
        self.product = QComboBox(self)
        for p in self.products.values():
            state = "open" if p.open_to_new_money else "closed"
            self.product.addItem(f"{p.code} - min {money(p.minimum)}, {percent(p.monthly_rate)}, {state}", p.code)
        self.amount = QLineEdit(self)
        self.amount.setPlaceholderText("e.g. 25000 or 25,000.00")
        self.start = QDateEdit(self)
        self.start.setCalendarPopup(True)
        self.start.setDisplayFormat("yyyy-MM-dd")
        self.rate = QLineEdit(self)
        self.salesperson = QLineEdit(self)
        self.salesperson.setPlaceholderText("sp_... (optional)")
        self.accounts = QLineEdit(self)
        self.accounts.setPlaceholderText("MT5 logins, comma separated (optional)")
        self.status = QComboBox(self)
        for status in NEW_STATUSES:
            self.status.addItem(status.value, status)
        self.fields = {"client_id": self.client, "product": self.product, "principal": self.amount,
                       "start_date": self.start, "interest_rate": self.rate, "salesperson_id": self.salesperson,
                       "mt5_accounts": self.accounts}
        self.form.addRow("Client", self.client)
        self.form.addRow("Product", self.product)
        self.form.addRow("Amount (USD)", self.amount)
        self.form.addRow("Start date (UTC)", self.start)
        self.form.addRow("Monthly rate %", self.rate)
        self.form.addRow("Salesperson", self.salesperson)
        self.form.addRow("MT5 accounts", self.accounts)
        if investment is None:
            self.form.addRow("Status", self.status)
            if today is not None:
                self.start.setDate(to_qdate(today))
        else:
            self._load(investment)
        self.product.currentIndexChanged.connect(self._product_changed)
        self._product_changed()

    def client_id(self) -> str:
        index = self.client.currentIndex()
        return self._client_ids[index] if 0 <= index < len(self._client_ids) else ""

    def _load(self, inv: Investment) -> None:
        if inv.client_id not in self._client_ids:
            self._client_ids.append(inv.client_id)
            self._client_names.setStringList([*self._client_names.stringList(), inv.client_name or inv.client_id])
        self.client.setCurrentIndex(self._client_ids.index(inv.client_id))
        self.client.setEnabled(False)
        self.product.setCurrentIndex(max(0, self.product.findData(inv.product)))
        self.product.setEnabled(False)
        self.amount.setText(f"{inv.principal:.2f}")
        self.start.setDate(to_qdate(inv.start_date.date()))
        if inv.interest_rate is not None:
            self.rate.setText(f"{(inv.interest_rate * 100).normalize():f}")
        self.salesperson.setText(inv.salesperson_id)
        self.accounts.setText(", ".join(str(a) for a in inv.mt5_accounts))

    def _product_changed(self) -> None:
        product = self.products.get(self.product.currentData())
        rate = percent(product.monthly_rate, "") if product else "-"
        self.rate.setPlaceholderText(f"empty = the product's ({rate})")

    def payload(self) -> InvestmentDraft | Investment:
        rate = _rate_from_percent(self.rate.text())
        accounts = _accounts(self.accounts.text())
        start = from_qdate(self.start.date())
        if self.investment is None:
            return InvestmentDraft(client_id=self.client_id(), product=self.product.currentData() or "",
                                   principal=self.amount.text(), start_date=start, status=InvestmentStatus(self.status.currentData()),
                                   interest_rate=rate, salesperson_id=self.salesperson.text().strip(),
                                   mt5_accounts=accounts)
        amount = parse_amount(self.amount.text())
        if amount is None:
            raise ValidationError("Enter an amount.", {"principal": "Enter an amount, e.g. 25000 or 25,000.00."})
        start_at = self.investment.start_date.replace(year=start.year, month=start.month, day=start.day)
        return self.investment.evolve(principal=amount, start_date=start_at, interest_rate=rate,
                                      salesperson_id=self.salesperson.text().strip(), mt5_accounts=accounts)


class StatusDialog(FormDialog):
    """Move an investment to another status, with a reason for the audit trail."""

    def __init__(self, investment: Investment, parent: QWidget | None = None) -> None:
        super().__init__("Change investment status", parent)
        self.investment = investment
        self.status = QComboBox(self)
        for status in InvestmentStatus:
            self.status.addItem(status.value, status)
        self.status.setCurrentIndex(max(0, self.status.findData(investment.status)))
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText("why (kept in the audit trail)")
        self.fields = {"status": self.status, "reason": self.reason}
        self.form.addRow("Investment", QLabel(f"{investment.product} {money(investment.principal)} - "
                                              f"{investment.client_name or investment.client_id}", self))
        self.form.addRow("Current status", QLabel(str(investment.status), self))
        self.form.addRow("New status", self.status)
        self.form.addRow("Reason", self.reason)

    def payload(self) -> tuple[InvestmentStatus, str]:
        status = InvestmentStatus(self.status.currentData())
        if status == self.investment.status:
            raise ValidationError("Pick a different status.", {"status": "This is the current status."})
        return status, self.reason.text().strip()
