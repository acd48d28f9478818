"""Writing a mail: new, reply, reply all, forward, or a template for a CRM person.

The window is not modal (the manager can look things up meanwhile). What is typed is saved as a
draft in the local cache a moment after each change, so a crash, a closed window or a refused
sign-in loses nothing; reopening the draft from the Drafts list continues it. Send hands the
mail to the Google service's outbox (it goes now, or when Google is back) and only then deletes
the draft; a mail the rules refuse (an address, the size) keeps the window open with the reason.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (QDialog, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget,
                               QPlainTextEdit, QPushButton, QVBoxLayout, QWidget)

from fidus_desktop.errors import FidusError, ValidationError
from fidus_desktop.google.drafts import Draft, delete_draft, new_key, outgoing, read_attachments, save_draft
from fidus_desktop.google.mail_parse import MailMessage
from fidus_desktop.google.mime import forward, reply_to

if TYPE_CHECKING:
    from fidus_desktop.app_context import AppContext
    from ui.tasks import TaskRunner

log = logging.getLogger(__name__)

#: Autosave this long after the last keystroke.
AUTOSAVE_MS = 800


def reply_draft(original: MailMessage, me: str, *, reply_all: bool = False) -> Draft:
    mail = reply_to(original, "", me=me, reply_all=reply_all)
    return Draft(new_key(me), to=", ".join(mail.to), cc=", ".join(mail.cc), subject=mail.subject,
                 text=mail.text, in_reply_to=mail.in_reply_to, references=mail.references, thread_id=mail.thread_id)


def forward_draft(original: MailMessage, me: str) -> Draft:
    mail = forward(original, [], "")
    return Draft(new_key(me), subject=mail.subject, text=mail.text, forward_of=original.id)


class ComposeDialog(QDialog):
    #: The mail is in the outbox (its ``Message-ID``).
    sent = Signal(str)

    def __init__(self, context: AppContext, tasks: TaskRunner, draft: Draft, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.tasks = tasks
        self.draft = draft
        self.finished_sending = False
        self._saving = False
        self.setWindowTitle(draft.subject or "New mail")
        self.setMinimumSize(620, 520)
        self.error = QLabel("", self)
        self.error.setObjectName("formError")
        self.error.setStyleSheet("color: #B00020")
        self.error.setWordWrap(True)
        self.error.hide()
        form = QFormLayout()
        self.to, self.cc, self.bcc, self.subject = (QLineEdit(v, self) for v in (draft.to, draft.cc, draft.bcc,
                                                                                  draft.subject))
        self.to.setPlaceholderText("name@example.com, another@example.com")
        for label, widget in (("To", self.to), ("Cc", self.cc), ("Bcc", self.bcc), ("Subject", self.subject)):
            form.addRow(label, widget)
        self.body = QPlainTextEdit(draft.text, self)
        self.attachments = QListWidget(self)
        self.attachments.setMaximumHeight(70)
        self.attachments.addItems(list(draft.attachments))
        attach, remove = QPushButton("Attach files…", self), QPushButton("Remove", self)
        attach.clicked.connect(self.choose_files)
        remove.clicked.connect(self._remove_selected)
        self.state = QLabel("", self)
        self.state.setObjectName("emptyNote")
        self.send_button = QPushButton("Send", self)
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self.send)
        discard = QPushButton("Discard", self)
        discard.clicked.connect(self.discard)
        close = QPushButton("Keep as draft", self)
        close.clicked.connect(self.close)
        files = QHBoxLayout()
        files.addWidget(self.attachments, 1)
        column = QVBoxLayout()
        column.addWidget(attach)
        column.addWidget(remove)
        files.addLayout(column)
        buttons = QHBoxLayout()
        buttons.addWidget(self.state, 1)
        for button in (discard, close, self.send_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.error)
        layout.addLayout(form)
        layout.addWidget(self.body, 1)
        layout.addLayout(files)
        layout.addLayout(buttons)
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(AUTOSAVE_MS)
        self._autosave.timeout.connect(self.save_now)
        for line in (self.to, self.cc, self.bcc, self.subject):
            line.textChanged.connect(self._changed)
        self.body.textChanged.connect(self._changed)
        self.file_dialog: QFileDialog | None = None

    # ---- the draft -----------------------------------------------------------------------------

    def current(self) -> Draft:
        paths = tuple(self.attachments.item(i).text() for i in range(self.attachments.count()))
        text = self.body.toPlainText()
        html = self.draft.html if text == self.draft.text else ""  # an edited template is sent as typed
        return dataclasses.replace(self.draft, to=self.to.text(), cc=self.cc.text(), bcc=self.bcc.text(),
                                   subject=self.subject.text(), text=text, html=html, attachments=paths)

    def _changed(self) -> None:
        if not self.finished_sending:
            self.state.setText("Editing…")
            self._autosave.start()

    def save_now(self) -> None:
        cache = self.context.cache
        if cache is None or self.finished_sending:
            return
        draft = self.current()
        self.tasks.run(save_draft(cache, draft), name="autosave the draft",
                       on_success=lambda _: self.state.setText("Draft saved on this computer."))

    def choose_files(self) -> QFileDialog:
        dialog = QFileDialog(self, "Attach files")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.filesSelected.connect(self.add_files)
        self.file_dialog = dialog
        dialog.open()
        return dialog

    def add_files(self, paths: list[str]) -> None:
        self.attachments.addItems([str(Path(p)) for p in paths])
        self._changed()

    def _remove_selected(self) -> None:
        for item in self.attachments.selectedItems():
            self.attachments.takeItem(self.attachments.row(item))
        self._changed()

    # ---- sending ------------------------------------------------------------------------------

    def send(self) -> None:
        from fidus_desktop.services.google_service import GoogleService

        self.error.hide()
        service = self.context.service(GoogleService)
        if service is None:
            self.show_failure(FidusError("Connect the Google account first; the draft is kept."))
            return
        self._autosave.stop()
        draft = self.current()
        self.send_button.setEnabled(False)
        self.state.setText("Sending…")

        async def work() -> str:
            files = await self.context.lanes.io.run(lambda: read_attachments(draft.attachments),
                                                    action="read the attachments")
            if draft.forward_of:
                original = await service.do(lambda g: g.mail.message(draft.forward_of))
                files = [*await service.do(lambda g: g.gmail.attachments_of(original)), *files]
            person = _person(draft.person)
            return await service.send(outgoing(draft, files), person=person, template=draft.template,
                                      review_key=draft.review_key, draft_key=draft.key)

        self.tasks.run(work(), name="send the mail", on_success=self._sent, on_failure=self.show_failure)

    def _sent(self, message_id: str) -> None:
        self.finished_sending = True
        self.state.setText("In the outbox: it goes as soon as Google answers.")
        self.sent.emit(message_id)
        self.accept()

    def show_failure(self, exc: BaseException) -> None:
        """Keep everything as typed and say why."""
        self.send_button.setEnabled(True)
        self.state.setText("")
        if isinstance(exc, FidusError):
            text = str(exc)
            fields = exc.fields if isinstance(exc, ValidationError) else {}
            for name, widget in (("to", self.to), ("cc", self.cc), ("bcc", self.bcc)):
                widget.setStyleSheet("border: 1px solid #B00020;" if name in fields else "")
        else:
            self.tasks.report(exc, "sending the mail")
            text = "The mail could not be prepared; it is kept as a draft."
        self.error.setText(text)
        self.error.show()

    def discard(self) -> None:
        self.finished_sending = True  # nothing more to save
        self._autosave.stop()
        if self.context.cache is not None:
            self.tasks.run(delete_draft(self.context.cache, self.draft.key), name="discard the draft")
        self.reject()

    def closeEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        if not self.finished_sending:
            self._autosave.stop()
            if not self.current().empty:
                self.save_now()
        super().closeEvent(event)

    def reject(self) -> None:
        if not self.finished_sending and not self.current().empty:
            self._autosave.stop()
            self.save_now()
        super().reject()


def _person(data: dict[str, str]) -> Any:
    from fidus_desktop.timeline import Person, PersonKind

    if not data or not data.get("id"):
        return None
    return Person(PersonKind(data["kind"]), data["id"], data.get("name", ""), data.get("email", ""))
