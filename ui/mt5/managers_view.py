"""The Money managers tab: each manager with its accounts, TRUE P&L, the performance fee of this
month and the broker rebates (figures from :mod:`fidus_desktop.services.mt5_managers`)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from fidus_desktop.mt5.managers import AccountResult, ManagerResult
from fidus_desktop.services.mt5_managers import FEE_NOTE, ManagersView as Figures

from ..widgets.format import local_moment, money, signed_money
from ..widgets.table_model import Column, KeyedTableModel, TableData, list_data, selected_positions
from .tables import mt5_table


def _rate(result: ManagerResult) -> str:
    rate = result.manager.performance_fee_rate
    return "not set" if rate is None else f"{rate * 100:.0f} %"


MANAGER_COLUMNS = (
    Column("Manager", lambda r: r.manager.label, sort="name"),
    Column("Status", lambda r: r.manager.status, sort="status"),
    Column("Execution", lambda r: r.manager.execution_type, sort="execution"),
    Column("Fee rate", _rate, sort="rate", numeric=True),
    Column("Accounts", lambda r: str(len(r.accounts)), sort="accounts", numeric=True),
    Column("TRUE P&L", lambda r: signed_money(r.true_pnl), sort="true_pnl", numeric=True,
           tooltip="Equity + transfers out - initial allocation, summed over the manager's accounts"),
    Column("This month's P&L", lambda r: signed_money(r.month_pnl), sort="month_pnl", numeric=True),
    Column("Fee this month", lambda r: money(r.month_fee), sort="month_fee", numeric=True,
           tooltip="Accrued on this month's gain per account; no high-water mark (as the original)"),
    Column("Fee on TRUE P&L", lambda r: money(r.fee_on_true_pnl), sort="fee_true", numeric=True,
           tooltip="What the original stores as current_month_fee_accrued"),
    Column("Lots this month", lambda r: f"{r.month_lots.normalize():f}", sort="lots", numeric=True),
    Column("Rebates this month", lambda r: money(r.month_rebate), sort="rebate", numeric=True),
)

ACCOUNT_COLUMNS = (
    Column("Account", lambda a: str(a.account), sort="account"),
    Column("Name", lambda a: a.name, sort="name"),
    Column("Equity", lambda a: money(a.equity), sort="equity", numeric=True),
    Column("Initial allocation", lambda a: money(a.initial_allocation), sort="allocation", numeric=True),
    Column("Transfers out", lambda a: money(a.transfers_out), sort="transfers", numeric=True,
           tooltip="Withdrawals commented \"Transfer to #…\": profit moved out, part of TRUE P&L"),
    Column("TRUE P&L", lambda a: signed_money(a.true_pnl), sort="true_pnl", numeric=True),
    Column("This month's P&L", lambda a: signed_money(a.month_pnl), sort="month_pnl", numeric=True,
           tooltip=lambda a: ("Equity now - equity at the month's start - deposits + withdrawals"
                              if a.month_basis == "equity" else
                              "No equity sample from the month's start: the realized result of the month's deals")),
    Column("Basis", lambda a: "equity" if a.month_basis == "equity" else "realized deals", sort="basis"),
    Column("Fee this month", lambda a: money(a.month_fee), sort="month_fee", numeric=True),
    Column("Lots", lambda a: f"{a.month_lots.normalize():f}", sort="lots", numeric=True),
    Column("Rebate", lambda a: money(a.month_rebate), sort="rebate", numeric=True),
)


def managers_data(results: tuple[ManagerResult, ...]) -> TableData:
    return list_data(results, {
        "name": lambda r: r.manager.label, "status": lambda r: r.manager.status,
        "execution": lambda r: r.manager.execution_type, "rate": lambda r: r.manager.performance_fee_rate,
        "accounts": lambda r: len(r.accounts), "true_pnl": lambda r: r.true_pnl, "month_pnl": lambda r: r.month_pnl,
        "month_fee": lambda r: r.month_fee, "fee_true": lambda r: r.fee_on_true_pnl, "lots": lambda r: r.month_lots,
        "rebate": lambda r: r.month_rebate})


def accounts_data(accounts: tuple[AccountResult, ...]) -> TableData:
    return list_data(accounts, {
        "account": lambda a: a.account, "name": lambda a: a.name, "equity": lambda a: a.equity,
        "allocation": lambda a: a.initial_allocation, "transfers": lambda a: a.transfers_out,
        "true_pnl": lambda a: a.true_pnl, "month_pnl": lambda a: a.month_pnl, "basis": lambda a: a.month_basis,
        "month_fee": lambda a: a.month_fee, "lots": lambda a: a.month_lots, "rebate": lambda a: a.month_rebate})


class ManagersView(QWidget):
    refresh_requested = Signal()

    def __init__(self, tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.figures: Figures | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        bar = QHBoxLayout()
        self.state = QLabel("Loading the money managers…", self)
        self.state.setObjectName("panelSubheading")
        refresh = QPushButton("Recompute", self)
        refresh.clicked.connect(self.refresh_requested.emit)
        bar.addWidget(self.state, 1)
        bar.addWidget(refresh)
        layout.addLayout(bar)
        note = QLabel(FEE_NOTE, self)
        note.setWordWrap(True)
        note.setObjectName("feeNote")
        layout.addWidget(note)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.model = KeyedTableModel(MANAGER_COLUMNS, tasks, self)
        self.table = mt5_table(splitter, self.model)
        self.table.selectionModel().selectionChanged.connect(self._show_accounts)
        self.accounts = KeyedTableModel(ACCOUNT_COLUMNS, tasks, self)
        splitter.addWidget(self.table)
        splitter.addWidget(mt5_table(splitter, self.accounts))
        layout.addWidget(splitter, 1)

    def show_figures(self, figures: Figures) -> None:
        self.figures = figures
        self.model.set_data(managers_data(figures.results))
        stale = f" · {len(figures.not_live)} account(s) not live (equity from the cache or the last sync)" \
            if figures.not_live else ""
        self.state.setText(f"{len(figures.results)} managers, computed {local_moment(figures.as_of)}; rebates at "
                           f"{figures.per_lot} per lot{stale}")
        if self.model.rowCount():
            self.table.selectRow(0)
        self._show_accounts()

    def show_failure(self, message: str) -> None:
        self.state.setText(message)

    def _show_accounts(self, *_args: object) -> None:
        chosen = selected_positions(self.table)
        self.accounts.set_data(accounts_data(self.model.row(chosen[0]).accounts) if chosen else TableData.empty())
