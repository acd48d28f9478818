"""The dashboard's revenue picture: from MT5 equity to what the fund keeps, line by line, and the
money managers' fees (the figures are the core's, ``services/revenue.py``)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QHeaderView, QLabel, QVBoxLayout, QWidget

from fidus_desktop.services.revenue import RevenuePicture

from ..widgets.format import money, percent
from ..widgets.table_model import Column, KeyedTableModel, list_data, table_view

MANAGER_COLUMNS: tuple[Column, ...] = (
    Column("Money manager", lambda f: f.name, sort="name"),
    Column("Fee rate", lambda f: percent(f.rate, ""), sort="rate", numeric=True),
    Column("Accounts", lambda f: ", ".join(str(a) for a in f.accounts)),
    Column("TRUE P&L", lambda f: money(f.true_pnl), sort="true_pnl", numeric=True),
    Column("Fee accrued this month", lambda f: money(f.fee_accrued), sort="fee", numeric=True,
           tooltip="The original's figure: TRUE P&L x rate, accrued daily, charged monthly, no high-water mark."),
    Column("Fee on this month's result", lambda f: money(f.month_fee), sort="month_fee", numeric=True,
           tooltip="What a monthly reset would charge: the fee on this month's result alone (for comparison)."),
    Column("Lots this month", lambda f: f"{f.month_lots:,.2f}", sort="lots", numeric=True),
    Column("Broker rebate", lambda f: money(f.rebate), sort="rebate", numeric=True),
)
NEGATIVE = "#B00020"


class RevenueBox(QFrame):
    """Equity, what is owed, commissions and fees due, and what is left."""

    LINES = (("equity", "MT5 equity (live accounts)", ""), ("principal", "Principal owed", "- "),
             ("interest", "Interest accrued, not paid", "- "), ("commissions", "Referral commissions due", "- "),
             ("fees", "Manager fees due this month", "- "), ("kept", "What the fund keeps", "= "),
             ("rebates", "Broker rebates this month (not in equity)", "+ "))

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kpiCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        title = QLabel("What the fund keeps", self)
        title.setObjectName("kpiTitle")
        layout.addWidget(title)
        grid = QGridLayout()
        self.values: dict[str, QLabel] = {}
        for row, (key, label, sign) in enumerate(self.LINES):
            name = QLabel(f"{sign}{label}", self)
            value = QLabel("…", self)
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            if key == "kept":
                for w in (name, value):
                    font = w.font()
                    font.setBold(True)
                    w.setFont(font)
            grid.addWidget(name, row, 0)
            grid.addWidget(value, row, 1)
            self.values[key] = value
        layout.addLayout(grid)
        self.note = QLabel("", self)
        self.note.setWordWrap(True)
        self.note.setObjectName("kpiNote")
        layout.addWidget(self.note)
        self.model = KeyedTableModel(MANAGER_COLUMNS, None, self)
        self.table = table_view(self, self.model, sort_column=None)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(False)
        layout.addWidget(self.table)

    def show_picture(self, r: RevenuePicture) -> None:
        figures = {"equity": r.equity, "principal": r.principal_owed, "interest": r.interest_accrued,
                   "commissions": r.commissions_due, "fees": r.fees_due, "kept": r.kept, "rebates": r.rebates}
        for key, value in figures.items():
            self.values[key].setText(money(value))
        self.values["kept"].setStyleSheet(f"color: {NEGATIVE}" if r.kept < 0 else "")
        self.note.setText(f"{r.note} Management fee: {money(r.management_fees)} (none in the original's overview).")
        self.model.set_data(list_data(r.managers, {
            "name": lambda f: f.name, "rate": lambda f: f.rate, "true_pnl": lambda f: f.true_pnl,
            "fee": lambda f: f.fee_accrued, "month_fee": lambda f: f.month_fee, "lots": lambda f: f.month_lots,
            "rebate": lambda f: f.rebate}))
        # a handful of managers: every row shown, no scroll bar inside the scrolling dashboard
        rows = sum(self.table.rowHeight(r) for r in range(self.model.rowCount()))
        self.table.setFixedHeight(self.table.horizontalHeader().sizeHint().height() + rows + 4)

    def show_failure(self, message: str) -> None:
        for label in self.values.values():
            label.setText("-")
        self.note.setText(message)
