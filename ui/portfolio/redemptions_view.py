"""The Redemptions tab: the clients' requests, recorded, checked, approved or rejected, completed.

Every rule is the core's (``services/redemptions.py``); the request dialog asks it, as the
manager types, which rules the amount and day break, and lists each with its reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QDateEdit, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton,
                               QVBoxLayout, QWidget)

from fidus_desktop.domain.redemption_requests import TRANSITIONS, RedemptionRequest, RedemptionStatus
from fidus_desktop.errors import ValidationError
from fidus_desktop.services.investments import parse_amount
from fidus_desktop.services.redemptions import RedemptionCheck

from ..widgets.form_dialog import FormDialog
from ..widgets.format import day, from_qdate, local_moment, money, to_qdate
from ..widgets.table_model import Column, KeyedTableModel, list_data, selected_positions, table_view

OPEN = "open"
STATUS_COLORS = {RedemptionStatus.PENDING: "#8a5a00", RedemptionStatus.APPROVED: "#1f4e79",
                 RedemptionStatus.COMPLETED: "#2E7D32", RedemptionStatus.REJECTED: "#B00020"}


def _date_edit(parent: QWidget, value: date, *, minimum: date | None = None, maximum: date | None = None) -> QDateEdit:
    edit = QDateEdit(parent)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    if minimum:
        edit.setMinimumDate(to_qdate(minimum))
    if maximum:
        edit.setMaximumDate(to_qdate(maximum))
    edit.setDate(to_qdate(value))
    return edit


class RedemptionDialog(FormDialog):
    """A client's request: investment, amount, day; each rule's verdict shown as it is typed.
    Emits ``submitted((investment_id, amount, day, reason, notes))``."""

    def __init__(self, today: date, find: Callable[[str, Callable[[list[tuple[str, str]]], None]], None],
                 check: Callable[[str, Decimal, date, Callable[[Any], None]], None], parent: QWidget | None = None,
                 *, investment: tuple[str, str] | None = None) -> None:
        super().__init__("Record a redemption request", parent)
        self._find, self._check = find, check
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search a client or an investment id")
        self.investment = QComboBox(self)
        self.investment.setMinimumWidth(360)
        if investment is not None:
            self.investment.addItem(investment[0], investment[1])
        self.amount = QLineEdit(self)
        self.amount.setPlaceholderText("e.g. 1,500.00")
        self.day = _date_edit(self, today, minimum=today)
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText("the client's reason (optional)")
        self.notes = QLineEdit(self)
        self.rules = QLabel("Enter an amount to see what the rules say.", self)
        self.rules.setWordWrap(True)
        self.setMinimumWidth(560)
        self.fields = {"amount": self.amount, "requested_date": self.day, "investment": self.investment}
        self.form.addRow("Find", self.search)
        self.form.addRow("Investment", self.investment)
        self.form.addRow("Amount", self.amount)
        self.form.addRow("For the day", self.day)
        self.form.addRow("Reason", self.reason)
        self.form.addRow("Notes", self.notes)
        self.form.addRow(self.rules)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.recheck)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(lambda: self._find(self.search.text(), self.show_matches))
        self.search.textChanged.connect(self._search_timer.start)
        for signal in (self.amount.textChanged, self.day.dateChanged, self.investment.currentIndexChanged):
            signal.connect(self._timer.start)
        if investment is None:
            self._find("", self.show_matches)

    def show_matches(self, matches: list[tuple[str, str]]) -> None:
        current = self.investment.currentData()
        self.investment.blockSignals(True)
        self.investment.clear()
        for label, investment_id in matches:
            self.investment.addItem(label, investment_id)
        self.investment.setCurrentIndex(max(0, self.investment.findData(current)))
        self.investment.blockSignals(False)
        self._timer.start()

    def _asked(self) -> tuple[str, Decimal | None, date]:
        return self.investment.currentData() or "", parse_amount(self.amount.text()), from_qdate(self.day.date())

    def recheck(self) -> None:
        investment_id, amount, on = self._asked()
        if not investment_id or amount is None:
            self.rules.setText("Choose an investment and enter an amount to see what the rules say.")
            return
        self._check(investment_id, amount, on, self.show_check)

    def show_check(self, check: Any) -> None:
        if not isinstance(check, RedemptionCheck):
            self.rules.setText(str(check))
            return
        if (check.investment.investment_id, check.amount, check.on) != self._asked():
            return  # the manager typed on meanwhile
        q = check.quote
        lines = [f"Current value on {check.on.isoformat()}: {money(q.current_value)} (interest available "
                 f"{money(q.interest_available)}; principal from {q.principal_from.isoformat()})."]
        if check.already_requested:
            lines.append(f"Other open requests on it: {money(check.already_requested)}.")
        lines += [("\u2717 " + c.reason) for c in check.checks if c.blocks] or ["\u2713 Every rule allows it."]
        self.rules.setText("\n".join(lines))
        self.rules.setStyleSheet("" if check.allowed else "color: #B00020")
        self.adjustSize()  # every rule's line in sight

    def payload(self) -> tuple[str, Decimal, date, str, str]:
        investment_id, amount, on = self._asked()
        problems = {}
        if not investment_id:
            problems["investment"] = "Choose the investment to redeem from."
        if amount is None:
            problems["amount"] = "Enter an amount, e.g. 1500 or 1,500.00."
        if problems:
            raise ValidationError("The request is incomplete.", problems)
        assert amount is not None
        return investment_id, amount, on, self.reason.text(), self.notes.text()


class ReasonDialog(FormDialog):
    """Emits ``submitted(reason)``."""

    def __init__(self, title: str, prompt: str, parent: QWidget | None = None, *, required: bool = True) -> None:
        super().__init__(title, parent)
        self.required = required
        self.text = QPlainTextEdit(self)
        self.text.setMaximumHeight(90)
        self.fields = {"reason": self.text}
        self.form.addRow(prompt, self.text)

    def payload(self) -> str:
        text = self.text.toPlainText().strip()
        if self.required and not text:
            raise ValidationError("Say why.", {"reason": "Required."})
        return text


class CompleteDialog(FormDialog):
    """Emits ``submitted((paid_on, notes))``."""

    def __init__(self, request: RedemptionRequest, today: date, parent: QWidget | None = None) -> None:
        super().__init__("Complete the redemption", parent)
        note = QLabel(f"{money(request.requested_amount)} paid to the client: the interest payments it covers are "
                      "recorded as paid, the rest of the interest is paid ahead of the next payment, and any "
                      "principal is returned (all of it: the investment is then redeemed).", self)
        note.setWordWrap(True)
        self.form.addRow(note)
        self.paid_on = _date_edit(self, today, maximum=today)
        self.notes = QLineEdit(self)
        self.fields = {"paid_on": self.paid_on}
        self.form.addRow("Paid on", self.paid_on)
        self.form.addRow("Notes", self.notes)

    def payload(self) -> tuple[date, str]:
        return from_qdate(self.paid_on.date()), self.notes.text()


COLUMNS: tuple[Column, ...] = (
    Column("Requested", lambda r: local_moment(r[0].request_date), sort="requested"),
    Column("Client", lambda r: r[1], sort="client"),
    Column("Product", lambda r: r[0].fund_code, sort="product"),
    Column("Amount", lambda r: money(r[0].requested_amount), sort="amount", numeric=True),
    Column("For", lambda r: day(r[0].requested_redemption_date), sort="for"),
    Column("Status", lambda r: r[0].status.value, sort="status"),
    Column("Current value then", lambda r: money(r[0].current_value), numeric=True),
    Column("Possible from", lambda r: day(r[0].next_available_date)),
    Column("Notes", lambda r: r[0].admin_notes.replace("\n", " / ")),
    Column("Investment id", lambda r: r[0].investment_id, sort="investment"),
)


class RedemptionsView(QWidget):
    new_requested = Signal()
    #: ``(action, request)``: approve, reject, complete, cancel.
    action_requested = Signal(str, object)

    def __init__(self, tasks: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.status = QComboBox(self)
        self.status.addItem("Open (pending or approved)", OPEN)
        self.status.addItem("All", "")
        for s in RedemptionStatus:
            self.status.addItem(s.value.capitalize(), s.value)
        bar.addWidget(QLabel("Show", self))
        bar.addWidget(self.status)
        bar.addStretch(1)
        self.buttons = {name: QPushButton(label, self) for name, label in (
            ("new", "New request…"), ("approve", "Approve"), ("reject", "Reject…"), ("complete", "Complete…"),
            ("cancel", "Cancel request…"))}
        for button in self.buttons.values():
            bar.addWidget(button)
        layout.addLayout(bar)
        self.model = KeyedTableModel(COLUMNS, tasks, self)
        self.table = table_view(self, self.model, sort_column=None)
        layout.addWidget(self.table, 1)
        self.summary = QLabel("", self)
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self._all: list[tuple[RedemptionRequest, str]] = []
        self.buttons["new"].clicked.connect(self.new_requested)
        for name in ("approve", "reject", "complete", "cancel"):
            self.buttons[name].clicked.connect(lambda _=False, n=name: self._act(n))
        self.status.currentIndexChanged.connect(lambda _i: self._show())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        self._enable()

    def show_requests(self, requests: list[RedemptionRequest], names: dict[str, str]) -> None:
        self._all = [(r, names.get(r.client_id) or r.client_id) for r in requests]
        self._show()

    def _show(self) -> None:
        wanted = self.status.currentData()
        rows = [row for row in self._all if not wanted or (row[0].status.open if wanted == OPEN
                                                           else row[0].status.value == wanted)]
        self.model.set_data(list_data(rows, {
            "requested": lambda r: r[0].request_date, "client": lambda r: r[1], "product": lambda r: r[0].fund_code,
            "amount": lambda r: r[0].requested_amount, "for": lambda r: r[0].requested_redemption_date,
            "status": lambda r: r[0].status.value, "investment": lambda r: r[0].investment_id},
            tint=lambda r: STATUS_COLORS.get(r[0].status)))
        open_ = [r for r, _ in self._all if r.status.open]
        total = sum((r.requested_amount for r in open_), Decimal(0))
        self.summary.setText(f"{len(rows):,} request(s) shown; {len(open_):,} open, {money(total)} still to pay "
                             "out. Requests are stored in the web platform's redemptions collection.")
        self._enable()

    def selected(self) -> RedemptionRequest | None:
        positions = selected_positions(self.table)
        return self.model.row(positions[0])[0] if positions else None

    def _enable(self) -> None:
        request = self.selected()
        nexts = TRANSITIONS[request.status] if request else frozenset()
        self.buttons["approve"].setEnabled(RedemptionStatus.APPROVED in nexts)
        self.buttons["reject"].setEnabled(RedemptionStatus.REJECTED in nexts)
        self.buttons["complete"].setEnabled(RedemptionStatus.COMPLETED in nexts)
        self.buttons["cancel"].setEnabled(RedemptionStatus.CANCELLED in nexts)

    def _act(self, name: str) -> None:
        request = self.selected()
        if request is not None:
            self.action_requested.emit(name, request)

