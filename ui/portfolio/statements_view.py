"""The Statements tab: pick a client (or all) and a period, preview, export PDF and/or CSV."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import QStringListModel, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDateEdit, QHBoxLayout, QLabel, QPushButton,
                               QTextBrowser, QVBoxLayout, QWidget)

from fidus_desktop.services.statements import Statement, statement_html

from .. import file_dialogs
from ..widgets.format import from_qdate, to_qdate

ALL_CLIENTS = "*"


def previous_month(today: date) -> tuple[date, date]:
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


class StatementsView(QWidget):
    #: client ids, first day, last day, folder, pdf?, csv?
    export_requested = Signal(object, object, object, object, bool, bool)
    #: client id, first day, last day: the panel builds the statement off the GUI thread
    preview_requested = Signal(object, object, object)

    def __init__(self, fund_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fund_name = fund_name
        self._ids: list[str] = []
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.client = QComboBox(self)
        self.client.setMinimumWidth(220)
        self._names = QStringListModel(self)
        self.client.setModel(self._names)
        self.first = QDateEdit(self)
        self.last = QDateEdit(self)
        for edit in (self.first, self.last):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.pdf = QCheckBox("PDF", self)
        self.pdf.setChecked(True)
        self.csv = QCheckBox("CSV", self)
        self.export_button = QPushButton("Export…", self)
        bar.addWidget(QLabel("Client", self))
        bar.addWidget(self.client)
        bar.addWidget(QLabel("Period", self))
        bar.addWidget(self.first)
        bar.addWidget(QLabel("to", self))
        bar.addWidget(self.last)
        bar.addStretch(1)
        bar.addWidget(self.pdf)
        bar.addWidget(self.csv)
        bar.addWidget(self.export_button)
        layout.addLayout(bar)
        self.preview = QTextBrowser(self)
        layout.addWidget(self.preview, 1)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self._dated = False

        self.client.currentIndexChanged.connect(self.refresh_preview)
        self.first.dateChanged.connect(self.refresh_preview)
        self.last.dateChanged.connect(self.refresh_preview)
        self.pdf.toggled.connect(self._formats_changed)
        self.csv.toggled.connect(self._formats_changed)
        self.export_button.clicked.connect(self._choose_folder)

    def set_clients(self, as_of: date, clients: list[tuple[str, str]]) -> None:
        """``(name, client id)`` of every client with investments, in reading order. The names go
        to the combo in one call (a string list model): thousands of clients fill at once."""
        current = self.current_client()
        self._ids = [ALL_CLIENTS] + [client_id for _, client_id in clients]
        self.client.blockSignals(True)
        self._names.setStringList([f"All clients with investments ({len(clients):,})"] + [n for n, _ in clients])
        index = self._ids.index(current) if current in self._ids else min(1, len(clients))
        self.client.setCurrentIndex(index)
        self.client.blockSignals(False)
        if not self._dated:
            self._dated = True
            first, last = previous_month(as_of)
            self.first.setDate(to_qdate(first))
            self.last.setDate(to_qdate(last))
        self.refresh_preview()

    def current_client(self) -> str:
        index = self.client.currentIndex()
        return self._ids[index] if 0 <= index < len(self._ids) else ""

    def period(self) -> tuple[date, date]:
        return from_qdate(self.first.date()), from_qdate(self.last.date())

    def client_ids(self) -> list[str]:
        chosen = self.current_client()
        if chosen == ALL_CLIENTS:
            return self._ids[1:]
        return [chosen] if chosen else []

    def refresh_preview(self) -> None:
        chosen = self.current_client()
        if not chosen:
            self.preview.clear()
            return
        if chosen == ALL_CLIENTS:
            self.preview.setHtml(f"<p>One statement per client ({len(self._ids) - 1:,}) will be written.</p>")
            return
        self.preview.setHtml("<p>Preparing the preview…</p>")
        self.preview_requested.emit(chosen, *self.period())

    def show_preview(self, client_id: str, statement: Statement | None, error: str = "") -> None:
        if client_id != self.current_client():
            return  # another client was picked meanwhile
        if statement is None:
            self.preview.setPlainText(error)
        else:
            self.preview.setHtml(statement_html(statement))

    def _formats_changed(self) -> None:
        self.export_button.setEnabled(self.pdf.isChecked() or self.csv.isChecked())

    def _choose_folder(self) -> None:
        ids = self.client_ids()
        if not ids:
            return
        first, last = self.period()
        pdf, csv = self.pdf.isChecked(), self.csv.isChecked()
        file_dialogs.choose_folder(self, "Folder for the statements",
                                   lambda folder: self.export_requested.emit(ids, first, last, folder, pdf, csv))

    def exported(self, paths: list[Path]) -> None:
        folder = paths[0].parent if paths else ""
        self.status.setText(f"{len(paths)} file(s) written to {folder}.")
