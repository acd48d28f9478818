"""The review queue: workflow mails the rules prepared (a prospect entered a stage, a payment falls
due). Nothing goes without the manager: each is sent, edited then sent, or dropped, in one action."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QSplitter, QVBoxLayout, QWidget
from PySide6.QtCore import Qt

from fidus_desktop.google import workflow
from fidus_desktop.google.drafts import Draft, new_key
from fidus_desktop.google.templates import Template

from ..widgets.table_model import Column, KeyedTableModel, list_data, selected_positions, table_view
from .compose import ComposeDialog

if TYPE_CHECKING:
    from fidus_desktop.app_context import AppContext
    from fidus_desktop.services.google_service import GoogleService
    from ui.tasks import TaskRunner

COLUMNS = (Column("Prepared", lambda m: m.prepared_at.astimezone().strftime("%Y-%m-%d %H:%M")),
           Column("For", lambda m: f"{m.person.name} <{m.person.email}>"),
           Column("Template", lambda m: Template(m.template).label if m.template in Template._value2member_map_
                  else m.template),
           Column("Subject", lambda m: m.subject), Column("Why", lambda m: m.reason))


def review_draft(mail: workflow.ReviewMail, account: str) -> Draft:
    p = mail.person
    return Draft(new_key(account), to=p.email, subject=mail.subject, text=mail.text, html=mail.html,
                 person={"kind": p.kind.value, "id": p.id, "name": p.name, "email": p.email},
                 template=mail.template, review_key=mail.key)


class ReviewView(QWidget):
    def __init__(self, context: AppContext, tasks: TaskRunner, service: GoogleService,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context, self.tasks, self.service = context, tasks, service
        self.mails: list[workflow.ReviewMail] = []
        self.compose_windows: list[ComposeDialog] = []
        self.model = KeyedTableModel(COLUMNS, tasks, self)
        self.table = table_view(self, self.model, sort_column=None)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._preview())
        self.preview = QPlainTextEdit(self)
        self.preview.setReadOnly(True)
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        self.state = QLabel("Mails the workflow rules prepared wait here; none is sent until you send it.", self)
        self.state.setObjectName("emptyNote")
        row.addWidget(self.state, 1)
        for key, text, slot in (("drop", "Drop", self.drop), ("edit", "Edit…", self.edit), ("send", "Send", self.send)):
            button = QPushButton(text, self)
            button.clicked.connect(slot)
            self.buttons[key] = button
            row.addWidget(button)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.table)
        splitter.addWidget(self.preview)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter, 1)
        layout.addLayout(row)

    def load(self) -> None:
        if self.context.cache is not None:
            self.tasks.run(workflow.reviews(self.context.cache), name="read the review queue", on_success=self._show)

    def refresh(self, what: frozenset[str]) -> None:
        if "review" in what:
            self.load()

    def _show(self, mails: list[workflow.ReviewMail]) -> None:
        self.mails = mails
        self.model.set_data(list_data(mails))
        self.table.resizeColumnsToContents()
        for button in self.buttons.values():
            button.setEnabled(bool(mails))
        if mails:
            self.table.selectRow(0)
        else:
            self.preview.setPlainText("")

    def selected(self) -> workflow.ReviewMail | None:
        rows = selected_positions(self.table)
        return self.model.row(rows[0]) if rows else None

    def _preview(self) -> None:
        mail = self.selected()
        self.preview.setPlainText(f"To: {mail.person.email}\nSubject: {mail.subject}\n\n{mail.text}" if mail else "")

    def send(self) -> None:
        mail = self.selected()
        if mail is not None:
            self.buttons["send"].setEnabled(False)
            self.tasks.run(workflow.send_review(self.context, mail), name="send the workflow mail",
                           on_success=lambda _: self.state.setText(f"In the outbox: {mail.subject}"),
                           on_failure=self._failed)

    def edit(self) -> ComposeDialog | None:
        mail = self.selected()
        if mail is None:
            return None
        dialog = ComposeDialog(self.context, self.tasks, review_draft(mail, self.service.account_email), self)
        self.compose_windows = [w for w in self.compose_windows if w.isVisible()] + [dialog]
        dialog.show()
        return dialog

    def drop(self) -> None:
        mail = self.selected()
        if mail is not None:
            self.tasks.run(workflow.drop_review(self.context, mail.key), name="drop the workflow mail",
                           on_success=lambda _: self.state.setText(f"Dropped: {mail.subject}"))

    def _failed(self, exc: BaseException) -> None:
        self.buttons["send"].setEnabled(True)
        self.state.setText(str(exc))
