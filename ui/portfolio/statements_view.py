"""The Statements tab: pick a client (or all) and a period, see the statement as it will print,
export PDF, CSV and e-mails ready to send, for one client or every client (with progress and
cancel). The pages are drawn off the GUI thread; here they are only shown."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDateEdit, QHBoxLayout, QLabel, QPushButton,
                               QScrollArea, QVBoxLayout, QWidget)

from .. import file_dialogs
from ..widgets.format import from_qdate, to_qdate

ALL_CLIENTS = "*"


def previous_month(today: date) -> tuple[date, date]:
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


class StatementsView(QWidget):
    #: client ids, first day, last day, folder, pdf?, csv?, e-mail?
    export_requested = Signal(object, object, object, object, bool, bool, bool)
    #: client id, first day, last day: the panel builds and draws the statement off the GUI thread
    preview_requested = Signal(object, object, object)

    def __init__(self, fund_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fund_name = fund_name
        self._ids: list[str] = []
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.client = QComboBox(self)
        self.client.setMinimumWidth(220)
        # thousands of clients: the combo must not measure every name to size itself
        self.client.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.client.setMinimumContentsLength(28)
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
        self.email = QCheckBox("E-mail ready to send", self)
        self.email.setToolTip("An .eml file beside each PDF, addressed to the client, the statement attached.")
        self.export_button = QPushButton("Export…", self)
        bar.addWidget(QLabel("Client", self))
        bar.addWidget(self.client)
        bar.addWidget(QLabel("Period", self))
        bar.addWidget(self.first)
        bar.addWidget(QLabel("to", self))
        bar.addWidget(self.last)
        bar.addStretch(1)
        for widget in (self.pdf, self.csv, self.email, self.export_button):
            bar.addWidget(widget)
        layout.addLayout(bar)
        self.message = QLabel("", self)
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.pages = QWidget(self.scroll)
        self.pages.setObjectName("statementPages")
        self._pages_layout = QVBoxLayout(self.pages)
        self._pages_layout.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.scroll.setWidget(self.pages)
        layout.addWidget(self.scroll, 1)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self._dated = False
        self.page_labels: list[QLabel] = []

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
            for edit, value in ((self.first, first), (self.last, last)):
                edit.blockSignals(True)
                edit.setDate(to_qdate(value))
                edit.blockSignals(False)
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

    def _clear_pages(self) -> None:
        for label in self.page_labels:
            label.deleteLater()
        self.page_labels = []

    def refresh_preview(self) -> None:
        chosen = self.current_client()
        self._clear_pages()
        if not chosen:
            self.message.setText("")
            return
        if chosen == ALL_CLIENTS:
            self.message.setText(f"One statement per client ({len(self._ids) - 1:,}) will be written; pick a client "
                                 "to see theirs.")
            return
        self.message.setText("Preparing the preview…")
        self.preview_requested.emit(chosen, *self.period())

    def show_preview(self, client_id: str, images: list[QImage] | None, error: str = "") -> None:
        if client_id != self.current_client():
            return  # another client was picked meanwhile
        self._clear_pages()
        if not images:
            self.message.setText(error)
            return
        self.message.setText(f"{len(images)} page(s), as they will print.")
        for image in images:
            label = QLabel(self.pages)
            label.setPixmap(QPixmap.fromImage(image))
            label.setStyleSheet("border: 1px solid #c8ced6; background: white;")
            self._pages_layout.addWidget(label)
            self.page_labels.append(label)

    def _formats_changed(self) -> None:
        self.export_button.setEnabled(self.pdf.isChecked() or self.csv.isChecked())
        self.email.setEnabled(self.pdf.isChecked())

    def _choose_folder(self) -> None:
        ids = self.client_ids()
        if not ids:
            return
        first, last = self.period()
        pdf, csv, email = self.pdf.isChecked(), self.csv.isChecked(), self.email.isChecked() and self.pdf.isChecked()
        file_dialogs.choose_folder(self, "Folder for the statements",
                                   lambda folder: self.export_requested.emit(ids, first, last, folder, pdf, csv, email))

    def exported(self, result: object) -> None:
        paths = getattr(result, "paths", [])
        folder = paths[0].parent if paths else ""
        cancelled = " (cancelled: the rest was not written)" if getattr(result, "cancelled", False) else ""
        failed = getattr(result, "failed", ())
        problems = f"; {len(failed)} could not be made: {failed[0][1]}" if failed else ""
        recorded = getattr(result, "write", None)
        timeline = " Each is recorded on the client's timeline." if recorded is not None else ""
        self.status.setText(f"{len(paths)} file(s) written to {folder}{cancelled}{problems}.{timeline}")
