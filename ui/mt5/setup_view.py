"""The Setup tab: which fund and manager each account serves (``mt5_accounts``), and the accounts the
bridge logs into (``mt5_account_config``). Edits go through the core's services and the one write
path; MT5 passwords go to the keyring only."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSplitter,
                               QVBoxLayout, QWidget)

from fidus_desktop.domain.money_managers import MoneyManager
from fidus_desktop.domain.mt5_accounts import Mt5AccountLink
from fidus_desktop.domain.mt5_config import Mt5AccountConfig
from fidus_desktop.services.mt5_accounts import FUND_CODES, STATUSES, Assignment, ConfigDraft

from ..widgets.form_dialog import FormDialog
from ..widgets.format import money
from ..widgets.table_model import Column, KeyedTableModel, list_data, selected_positions
from .tables import mt5_table

PASSWORD_NOTE = ("The MT5 password is kept in this computer's keyring only (entry mt5-password-<login>), never in "
                 "the database. A bridge on a VPS reads the keyring of the VPS: run "
                 "'fidus-bridge set-password <login>' there (see docs/bridge.md).")


@dataclass(frozen=True, slots=True)
class LinkRow:
    login: int
    name: str
    link: Mt5AccountLink | None
    served: bool

    @property
    def last_update(self) -> str:
        raw = self.link.raw if self.link is not None else {}
        return str(raw.get("last_allocation_update", ""))[:19].replace("T", " ")


LINK_COLUMNS = (
    Column("Login", lambda r: str(r.login), sort="login"),
    Column("Name", lambda r: r.name, sort="name"),
    Column("Fund", lambda r: r.link.fund_type if r.link else "(no record)", sort="fund"),
    Column("Manager", lambda r: r.link.manager_name if r.link else "", sort="manager"),
    Column("Status", lambda r: r.link.status if r.link else "", sort="status"),
    Column("Type", lambda r: r.link.account_type if r.link else "", sort="type"),
    Column("Served by the source", lambda r: "yes" if r.served else "no", sort="served",
           tooltip="Whether the configured MT5 source (bridge, terminal or demo) serves this account"),
    Column("Last assignment (UTC)", lambda r: r.last_update, sort="updated"),
)

CONFIG_COLUMNS = (
    Column("Login", lambda c: str(c.account), sort="login"),
    Column("Name", lambda c: c.name, sort="name"),
    Column("Server", lambda c: c.server, sort="server"),
    Column("Broker", lambda c: c.broker_name, sort="broker"),
    Column("Fund", lambda c: c.fund_type, sort="fund"),
    Column("Initial allocation", lambda c: money(c.initial_allocation), sort="allocation", numeric=True),
    Column("Logged into", lambda c: "yes" if c.is_active else "no (removed)", sort="active"),
)


def links_data(rows: list[LinkRow]):  # noqa: ANN201
    return list_data(rows, {"login": lambda r: r.login, "name": lambda r: r.name,
                            "fund": lambda r: r.link.fund_type if r.link else "",
                            "manager": lambda r: r.link.manager_name if r.link else "",
                            "status": lambda r: r.link.status if r.link else "",
                            "type": lambda r: r.link.account_type if r.link else "",
                            "served": lambda r: r.served, "updated": lambda r: r.last_update},
                     tint=lambda r: "#6b7785" if r.link is None or r.link.status != "active" else None)


def configs_data(configs: list[Mt5AccountConfig]):  # noqa: ANN201
    return list_data(configs, {"login": lambda c: c.account, "name": lambda c: c.name, "server": lambda c: c.server,
                               "broker": lambda c: c.broker_name, "fund": lambda c: c.fund_type,
                               "allocation": lambda c: c.initial_allocation, "active": lambda c: c.is_active},
                     tint=lambda c: None if c.is_active else "#6b7785")


class LinkDialog(FormDialog):
    """Fund, manager and status of one account; emits an :class:`Assignment`."""

    def __init__(self, row: LinkRow, managers: list[MoneyManager], parent: QWidget | None = None) -> None:
        super().__init__(f"MT5 account {row.login}: fund and manager", parent)
        self.row = row
        link = row.link
        self.fund = QComboBox(self)
        self.fund.addItem("(none)", "")
        for code in FUND_CODES:
            self.fund.addItem(code, code)
        self.fund.setCurrentIndex(max(0, self.fund.findData(link.fund_type if link else "")))
        self.manager = QComboBox(self)
        self.manager.setEditable(True)
        self.manager.addItem("")
        for manager in managers:
            self.manager.addItem(manager.name)
        self.manager.setCurrentText(link.manager_name if link else "")
        self.status = QComboBox(self)
        for status in STATUSES:
            self.status.addItem(status, status)
        self.status.setCurrentIndex(max(0, self.status.findData(link.status if link else "active")))
        self.fields = {"fund_type": self.fund, "manager_name": self.manager, "status": self.status}
        self.form.addRow("Fund", self.fund)
        self.form.addRow("Money manager", self.manager)
        self.form.addRow("Status", self.status)
        note = QLabel("Only active, non-demo accounts count toward the fund's equity and revenue.", self)
        note.setWordWrap(True)
        self.form.addRow("", note)

    def payload(self) -> Assignment:
        return Assignment(self.row.login, self.fund.currentData(), self.manager.currentText(), self.status.currentData())


class ConfigDialog(FormDialog):
    """A new account for the bridge to log into; emits ``(ConfigDraft, password)``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Add an account for the bridge to log into", parent)
        self.account = QLineEdit(self)
        self.account.setPlaceholderText("MT5 login, e.g. 886557")
        self.name = QLineEdit(self)
        self.server = QLineEdit(self)
        self.server.setPlaceholderText("e.g. MEXAtlantic-Real")
        self.broker = QLineEdit(self)
        self.fund = QComboBox(self)
        self.fund.addItem("(none)", "")
        for code in FUND_CODES:
            self.fund.addItem(code, code)
        self.allocation = QLineEdit(self)
        self.allocation.setPlaceholderText("what TRUE P&L starts from, e.g. 250,000")
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("optional: kept in this computer's keyring only")
        self.fields = {"account": self.account, "name": self.name, "server": self.server, "broker_name": self.broker,
                       "fund_type": self.fund, "initial_allocation": self.allocation}
        for label, widget in (("Login", self.account), ("Name", self.name), ("Server", self.server),
                              ("Broker", self.broker), ("Fund", self.fund), ("Initial allocation", self.allocation),
                              ("MT5 password", self.password)):
            self.form.addRow(label, widget)
        note = QLabel(PASSWORD_NOTE, self)
        note.setWordWrap(True)
        self.form.addRow("", note)

    def payload(self) -> tuple[ConfigDraft, str]:
        draft = ConfigDraft(self.account.text(), self.name.text(), self.server.text(), self.broker.text(),
                            self.fund.currentData(), self.allocation.text() or None)
        return draft, self.password.text()


class SetupView(QWidget):
    edit_link_requested = Signal(object)
    add_config_requested = Signal()
    remove_config_requested = Signal(object, bool)

    def __init__(self, tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.managers: list[MoneyManager] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        self.state = QLabel("Loading the account records…", self)
        self.state.setObjectName("panelSubheading")
        self.state.setWordWrap(True)
        layout.addWidget(self.state)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        top = QWidget(splitter)
        column = QVBoxLayout(top)
        column.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Fund and manager of each account (the Portfolio's fund revenue follows)", top), 1)
        edit = QPushButton("Edit fund and manager…", top)
        edit.clicked.connect(self._edit_link)
        bar.addWidget(edit)
        column.addLayout(bar)
        self.links = KeyedTableModel(LINK_COLUMNS, tasks, self)
        self.links_table = mt5_table(top, self.links)
        self.links_table.doubleClicked.connect(lambda _i: self._edit_link())
        column.addWidget(self.links_table, 1)
        bottom = QWidget(splitter)
        column = QVBoxLayout(bottom)
        column.setContentsMargins(0, 4, 0, 0)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Accounts the bridge logs into (mt5_account_config)", bottom), 1)
        add = QPushButton("Add…", bottom)
        add.clicked.connect(self.add_config_requested.emit)
        self.forget = QCheckBox("and forget its password here", bottom)
        remove = QPushButton("Remove", bottom)
        remove.clicked.connect(self._remove_config)
        for widget in (add, remove, self.forget):
            bar.addWidget(widget)
        column.addLayout(bar)
        self.configs = KeyedTableModel(CONFIG_COLUMNS, tasks, self)
        self.configs_table = mt5_table(bottom, self.configs)
        column.addWidget(self.configs_table, 1)
        note = QLabel(PASSWORD_NOTE, bottom)
        note.setWordWrap(True)
        column.addWidget(note)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        layout.addWidget(splitter, 1)

    def show_records(self, rows: list[LinkRow], configs: list[Mt5AccountConfig], managers: list[MoneyManager]) -> None:
        self.managers = managers
        self.links.set_data(links_data(rows))
        self.configs.set_data(configs_data(configs))
        unlinked = sum(1 for r in rows if r.link is None)
        self.state.setText(f"{len(rows)} accounts, {unlinked} without a fund record; "
                           f"{sum(1 for c in configs if c.is_active)} logged into by the bridge.")

    def link_rows(self) -> list[LinkRow]:
        return [self.links.row(i) for i in range(self.links.rowCount())]

    def _edit_link(self) -> None:
        chosen = selected_positions(self.links_table)
        if chosen:
            self.edit_link_requested.emit(self.links.row(chosen[0]))

    def _remove_config(self) -> None:
        chosen = selected_positions(self.configs_table)
        if chosen:
            self.remove_config_requested.emit(self.configs.row(chosen[0]), self.forget.isChecked())
