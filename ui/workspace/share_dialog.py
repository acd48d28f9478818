"""Sharing a client's documents: files to upload (optional), the role, the notification mail.

Runs :func:`fidus_desktop.google.crm_actions.share_documents`: the person's Drive folder is found
or made, the files uploaded into it (progress and Cancel between chunks), the folder shared at
the chosen role, the folder stored on the record, and the whole written on the timeline.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QListWidget, QProgressBar, QPushButton, QVBoxLayout, QWidget)

from fidus_desktop.errors import FidusError, UserCancelled
from fidus_desktop.google.drive import ROLES
from fidus_desktop.google.media import CancelToken

if TYPE_CHECKING:
    from fidus_desktop.app_context import AppContext
    from fidus_desktop.services.google_service import GoogleService
    from fidus_desktop.timeline import Person
    from ui.tasks import TaskRunner

ROLE_LABELS = {"reader": "Can view", "commenter": "Can comment", "writer": "Can edit"}


class ShareDialog(QDialog):
    shared = Signal(object)

    def __init__(self, context: AppContext, tasks: TaskRunner, service: GoogleService, person: Person,
                 parent: QWidget | None = None, *, files: list[str] | None = None) -> None:
        super().__init__(parent)
        self.context, self.tasks, self.service, self.person = context, tasks, service, person
        self.cancel_token: CancelToken | None = None
        self.setWindowTitle(f"Share documents with {person.name}")
        self.setMinimumWidth(520)
        self.error = QLabel("", self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #B00020")
        self.error.hide()
        self.files = QListWidget(self)
        self.files.addItems(files or [])
        add = QPushButton("Add files…", self)
        add.clicked.connect(self.choose_files)
        self.role = QComboBox(self)
        for role in ROLES:
            self.role.addItem(ROLE_LABELS[role], role)
        self.email = QLineEdit(person.email, self)
        self.notify = QCheckBox("Google mails them the link", self)
        self.notify.setChecked(True)
        self.message = QLineEdit(self)
        self.message.setPlaceholderText("A line for the notification (optional)")
        form = QFormLayout()
        form.addRow("Folder", QLabel(f"{' '.join(person.name.split())} - FIDUS Documents (made if missing)", self))
        form.addRow("Upload", self.files)
        form.addRow("", add)
        form.addRow("Share with", self.email)
        form.addRow("Access", self.role)
        form.addRow("", self.notify)
        form.addRow("Message", self.message)
        self.progress = QProgressBar(self)
        self.progress.hide()
        self.share = QPushButton("Share", self)
        self.share.setDefault(True)
        self.share.clicked.connect(self.submit)
        self.cancel = QPushButton("Cancel", self)
        self.cancel.clicked.connect(self.stop_or_close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress, 1)
        buttons.addWidget(self.cancel)
        buttons.addWidget(self.share)
        layout = QVBoxLayout(self)
        layout.addWidget(self.error)
        layout.addLayout(form)
        layout.addLayout(buttons)
        self.file_dialog: QFileDialog | None = None

    def choose_files(self) -> QFileDialog:
        dialog = QFileDialog(self, "Documents to upload")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.filesSelected.connect(lambda paths: self.files.addItems(paths))
        self.file_dialog = dialog
        dialog.open()
        return dialog

    def submit(self) -> None:
        import dataclasses

        from fidus_desktop.google.crm_actions import share_documents

        self.error.hide()
        self.share.setEnabled(False)
        self.cancel_token = CancelToken()
        self.progress.setValue(0)
        self.progress.show()
        person = dataclasses.replace(self.person, email=self.email.text().strip())
        files = [Path(self.files.item(i).text()) for i in range(self.files.count())]
        self.tasks.run(share_documents(self.context, self.service, person, files=files,
                                       role=str(self.role.currentData()), notify=self.notify.isChecked(),
                                       message=self.message.text(), progress=self._progress,
                                       cancel=self.cancel_token),
                       name="share the documents", on_success=self._done, on_failure=self._failed)

    def _progress(self, sent: int, total: int | None) -> None:
        if total:
            self.progress.setValue(round(100 * sent / total))

    def stop_or_close(self) -> None:
        if self.cancel_token is not None and not self.share.isEnabled():
            self.cancel_token.cancel()  # stops after the chunk in flight
            return
        self.reject()

    def _done(self, result: Any) -> None:
        self.shared.emit(result)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.share.setEnabled(True)
        self.progress.hide()
        self.cancel_token = None
        if isinstance(exc, UserCancelled):
            self.error.setText("Upload cancelled: what was already shared stays; nothing else was sent.")
        elif isinstance(exc, FidusError):
            self.error.setText(str(exc))
        else:
            self.tasks.report(exc, "sharing the documents")
            self.error.setText("The documents could not be shared.")
        self.error.show()
