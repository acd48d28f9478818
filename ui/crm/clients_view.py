"""The Clients tab: the users of type client and the referral module's clients, searchable, with
the selected client's record (contact data, KYC, readiness, investments, timeline)."""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QPlainTextEdit, QPushButton, QSplitter, QVBoxLayout, QWidget)

from fidus_desktop.collation import collation_key
from fidus_desktop.crm.pipeline_service import ClientRow
from fidus_desktop.crm.records import ClientRecord
from fidus_desktop.domain.people import KycStatus

from ..widgets.format import local_moment, money
from ..widgets.table_model import Column, KeyedTableModel, list_data, selected_positions, table_view
from .style import FieldMarks, show_message
from .record_frame import RecordFrame

COLUMNS = (
    Column("Name", lambda c: c.name + ("" if c.active else " (inactive)"), sort="name"),
    Column("E-mail", lambda c: c.email, sort="email"),
    Column("Phone", lambda c: c.phone, sort="phone"),
    Column("AML/KYC", lambda c: c.kyc.value.replace("_", " "), sort="kyc"),
    Column("Record", lambda c: c.kind, sort="kind"),
    Column("Created", lambda c: local_moment(c.created), sort="created"),
)


class ClientPane(RecordFrame):
    save_requested = Signal(object)  # dict of edited values
    active_requested = Signal(bool)
    delete_requested = Signal()
    readiness_requested = Signal(bool, bool, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Select a client.", parent)
        self.record: ClientRecord | None = None
        top, column = self.top, self.column
        self.name, self.email, self.phone = QLineEdit(top), QLineEdit(top), QLineEdit(top)
        self.kyc = QComboBox(top)
        for status in KycStatus:
            self.kyc.addItem(status.value.replace("_", " "), status)
        self.notes = QPlainTextEdit(top)
        self.notes.setMaximumHeight(70)
        self.fields = {"name": self.name, "email": self.email, "phone": self.phone, "kyc_status": self.kyc,
                       "notes": self.notes}
        self.marks = FieldMarks(self.fields)
        form = QFormLayout()
        column.addLayout(form)
        for label, widget in (("Name", self.name), ("E-mail", self.email), ("Phone", self.phone),
                              ("AML/KYC", self.kyc), ("Notes", self.notes)):
            form.addRow(label, widget)
        buttons = QHBoxLayout()
        column.addLayout(buttons)
        self.save = QPushButton("Save", top)
        self.active = QPushButton("Deactivate", top)
        self.delete = QPushButton("Delete…", top)
        for button in (self.save, self.active, self.delete):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.readiness = QGroupBox("Readiness to invest", top)
        column.addWidget(self.readiness)
        box = QVBoxLayout(self.readiness)
        self.kyc_done = QCheckBox("AML/KYC completed", self.readiness)
        self.signed = QCheckBox("Agreement signed", self.readiness)
        self.readiness_notes = QLineEdit(self.readiness)
        self.readiness_notes.setPlaceholderText("notes")
        self.ready_state = QLabel("", self.readiness)
        self.save_readiness = QPushButton("Save readiness", self.readiness)
        for widget in (self.kyc_done, self.signed, self.readiness_notes, self.ready_state, self.save_readiness):
            box.addWidget(widget)
        self.links = QLabel("", top)
        self.links.setWordWrap(True)
        self.links.setTextFormat(Qt.TextFormat.RichText)
        self.links.linkActivated.connect(self.open_panel)
        column.addWidget(self.links)
        self.save.clicked.connect(lambda: self.save_requested.emit(self.values()))
        self.active.clicked.connect(lambda: self.active_requested.emit(not (self.record and self.record.client.active)))
        self.delete.clicked.connect(self.delete_requested)
        self.save_readiness.clicked.connect(lambda: self.readiness_requested.emit(
            self.kyc_done.isChecked(), self.signed.isChecked(), self.readiness_notes.text()))
        self.setEnabled(False)

    def values(self) -> dict[str, object]:
        return {"name": self.name.text(), "email": self.email.text(), "phone": self.phone.text(),
                "kyc_status": KycStatus(self.kyc.currentData()), "notes": self.notes.toPlainText()}

    def show_record(self, record: ClientRecord, note: str = "") -> None:
        self.record = record
        c = record.client
        self.setEnabled(True)
        origin = "referral client" if c.origin == "clients" else f"client, username {c.username or '-'}"
        self.title.setText(f"{html.escape(c.name)} <small>({html.escape(origin)}; {'active' if c.active else 'inactive'})"
                           f"</small>")
        self.name.setText(c.name)
        self.email.setText(c.email)
        self.phone.setText(c.phone)
        self.kyc.setCurrentIndex(max(0, self.kyc.findData(c.kyc_status)))
        self.notes.setPlainText(c.notes)
        self.active.setText("Deactivate" if c.active else "Reactivate")
        r = record.readiness
        self.kyc_done.setChecked(bool(r and r.aml_kyc_completed))
        self.signed.setChecked(bool(r and r.agreement_signed))
        self.readiness_notes.setText(r.notes if r else "")
        self.ready_state.setText(("Ready to invest." if r and r.investment_ready else "Not ready to invest yet.")
                                 + (f" Last updated by {r.updated_by}." if r and r.updated_by else ""))
        links = [f"<a href='portfolio'>{html.escape(i.product)} {money(i.principal)} ({html.escape(i.status)})</a>"
                 for i in record.investments[:8]]
        links += [f"<a href='mt5'>MT5 {login}</a>" for login in record.mt5_accounts[:6]]
        self.links.setText("Investments: " + (", ".join(links) if links else "none"))
        self.show_failure(note, {}, error=False)
        self.timeline.clear()

    def show_failure(self, message: str, fields: dict[str, str], *, error: bool = True) -> None:
        self.marks.show(fields)
        show_message(self.message, message, error=error)


class ClientsView(QWidget):
    new_requested = Signal()
    selected = Signal(object)  # ClientRow

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[ClientRow] = []
        self.shown: list[ClientRow] = []
        self._fitted = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        layout.addWidget(split)
        left = QWidget(split)
        split.addWidget(left)
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        column.addLayout(bar)
        self.search = QLineEdit(left)
        self.search.setPlaceholderText("Search clients")
        self.search.setClearButtonEnabled(True)
        self.inactive = QCheckBox("Show inactive", left)
        self.new = QPushButton("New client…", left)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.inactive)
        bar.addWidget(self.new)
        self.model = KeyedTableModel(COLUMNS, None, self)
        self.table = table_view(left, self.model)
        column.addWidget(self.table, 1)
        self.pane = ClientPane(split)
        split.addWidget(self.pane)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self._refill)
        self.search.textChanged.connect(self._timer.start)
        self.inactive.toggled.connect(lambda _on: self._refill())
        self.new.clicked.connect(self.new_requested)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)

    def show_clients(self, rows: Sequence[ClientRow]) -> None:
        self.rows = sorted(rows, key=lambda c: collation_key(c.name))
        self._refill()

    def _refill(self) -> None:
        text = self.search.text().strip().casefold()
        self.shown = [c for c in self.rows if (self.inactive.isChecked() or c.active)
                      and (not text or text in f"{c.name}\x1f{c.email}\x1f{c.phone}".casefold())]
        self.model.set_data(list_data(self.shown, {"name": lambda c: c.name, "email": lambda c: c.email,
                                                   "phone": lambda c: c.phone, "kyc": lambda c: c.kyc.value,
                                                   "kind": lambda c: c.kind, "created": lambda c: c.created}))
        if self.shown and not self._fitted:
            self.table.resizeColumnsToContents()
            self._fitted = True

    def _row_changed(self, current, _previous) -> None:  # noqa: ANN001
        if current.isValid():
            self.selected.emit(self.model.row(current.row()))

    def selected_row(self) -> ClientRow | None:
        positions = selected_positions(self.table)
        return self.model.row(positions[0]) if positions else None
