"""Google Drive in the Workspace panel: a client's folder (``<name> - FIDUS Documents``), its files,
resumable upload with progress and Cancel, download, sharing at a role, open in the browser."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout,
                               QWidget)

from fidus_desktop.errors import FidusError, UserCancelled
from fidus_desktop.google.drive import DriveFile, DriveFolder
from fidus_desktop.google.media import CancelToken
from fidus_desktop.timeline import Person, PersonKind

from ..widgets.table_model import Column, KeyedTableModel, list_data, selected_positions, table_view
from .share_dialog import ShareDialog

if TYPE_CHECKING:
    from fidus_desktop.app_context import AppContext
    from fidus_desktop.services.google_service import GoogleService
    from ui.tasks import TaskRunner


def _size(f: DriveFile) -> str:
    if f.is_folder:
        return "folder"
    if f.size is None:
        return ""
    return f"{f.size / 1024 / 1024:.1f} MB" if f.size >= 1024 * 1024 else f"{max(1, f.size // 1024)} KB"


COLUMNS = (Column("Name", lambda f: f.name), Column("Size", _size, numeric=True),
           Column("Modified", lambda f: f.modified_time.astimezone().strftime("%Y-%m-%d %H:%M") if f.modified_time
                  else ""))


async def people(context: AppContext) -> list[Person]:
    """Prospects and clients with an address, by name (for the folder chooser)."""
    store = context.store
    if store is None:
        return []
    out = [Person(PersonKind.CLIENT, c.client_id, c.name, c.email) for c in await store.clients.find() if c.name]
    out += [Person(PersonKind.PROSPECT, p.prospect_id, p.name, p.email) for p in await store.prospects.find()
            if p.name and not p.converted_to_client]
    return sorted(out, key=lambda p: p.name.lower())


class DriveView(QWidget):
    def __init__(self, context: AppContext, tasks: TaskRunner, service: GoogleService,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context, self.tasks, self.service = context, tasks, service
        self.folder: DriveFolder | None = None
        self.person: Person | None = None
        self.files: list[DriveFile] = []
        self.cancel_token: CancelToken | None = None
        self.dialogs: list[QWidget] = []
        self.people = QComboBox(self)
        self.people.setEditable(True)
        self.people.setMinimumWidth(260)
        self.people.lineEdit().setPlaceholderText("Client or prospect…")
        open_folder = QPushButton("Open their folder", self)
        open_folder.clicked.connect(self.open_person)
        self.buttons: dict[str, QPushButton] = {}
        top = QHBoxLayout()
        top.addWidget(self.people)
        top.addWidget(open_folder)
        for key, text, slot in (("upload", "Upload…", self.choose_upload), ("download", "Download…", self.choose_download),
                                ("share", "Share…", self.share), ("browser", "Open in browser", self.open_in_browser),
                                ("refresh", "Refresh", self.list_files)):
            button = QPushButton(text, self)
            button.clicked.connect(slot)
            self.buttons[key] = button
            top.addWidget(button)
        top.addStretch(1)
        self.folder_label = QLabel("Pick a client or prospect to see their Drive folder.", self)
        self.folder_label.setObjectName("panelSubheading")
        self.model = KeyedTableModel(COLUMNS, tasks, self)
        self.table = table_view(self, self.model, sort_column=None)
        self.progress = QProgressBar(self)
        self.stop = QPushButton("Cancel", self)
        self.stop.clicked.connect(self.cancel_transfer)
        self.state = QLabel("", self)
        self.state.setObjectName("emptyNote")
        bottom = QHBoxLayout()
        bottom.addWidget(self.state, 1)
        bottom.addWidget(self.progress)
        bottom.addWidget(self.stop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.folder_label)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        self._transfer(False)
        self._people: list[Person] = []
        self.tasks.run(people(context), name="list the clients", on_success=self._show_people)

    def _show_people(self, found: list[Person]) -> None:
        self._people = found
        self.people.clear()
        for person in found:
            kind = "client" if person.kind is PersonKind.CLIENT else "prospect"
            self.people.addItem(f"{person.name} ({kind})", person)

    def refresh(self, what: frozenset[str]) -> None:
        """Drive has no local copy: it is read when a folder is opened or refreshed."""

    def open_person(self, person: Person | None = None) -> None:
        person = person or self.people.currentData()
        if person is None:
            return
        self.person = person
        self.state.setText(f"Opening the folder of {person.name}…")
        self.tasks.run(self.service.do(lambda g: g.drive.client_folder(person.name)), name="open the Drive folder",
                       on_success=self._opened, on_failure=self._failed)

    def _opened(self, folder: DriveFolder) -> None:
        self.folder = folder
        self.folder_label.setText(folder.folder_name)
        self.list_files()

    def list_files(self) -> None:
        folder = self.folder
        if folder is None:
            return
        self.tasks.run(self.service.do(lambda g: g.drive.list(folder.folder_id)), name="list the Drive folder",
                       on_success=self._listed, on_failure=self._failed)

    def _listed(self, files: list[DriveFile]) -> None:
        self.files = files
        self.model.set_data(list_data(files))
        self.table.resizeColumnsToContents()
        self.state.setText(f"{len(files)} item{'s' if len(files) != 1 else ''}")

    def selected(self) -> DriveFile | None:
        rows = selected_positions(self.table)
        return self.model.row(rows[0]) if rows else None

    # ---- transfers ------------------------------------------------------------------------------

    def _transfer(self, running: bool) -> None:
        self.progress.setVisible(running)
        self.stop.setVisible(running)
        for key in ("upload", "download"):
            self.buttons[key].setEnabled(not running)

    def _progress(self, done: int, total: int | None) -> None:
        if total:
            self.progress.setValue(round(100 * done / total))

    def choose_upload(self) -> QFileDialog | None:
        if self.folder is None:
            self.state.setText("Open a folder first.")
            return None
        dialog = QFileDialog(self, "Upload into the folder")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda path: self.upload(Path(path)))
        self.dialogs.append(dialog)
        dialog.open()
        return dialog

    def upload(self, path: Path, *, chunk_size: int | None = None) -> None:
        folder = self.folder
        assert folder is not None
        token = self.cancel_token = CancelToken()
        self.progress.setValue(0)
        self._transfer(True)
        self.state.setText(f"Uploading {path.name}…")
        self.tasks.run(self.service.do(lambda g: g.drive.upload(path, folder.folder_id, progress=self._progress,
                                                                  cancel=token, chunk_size=chunk_size)),
                       name="upload to Drive", on_success=lambda f: self._transferred(f"Uploaded {f.name}."),
                       on_failure=self._failed)

    def choose_download(self) -> QFileDialog | None:
        item = self.selected()
        if item is None or item.is_folder:
            return None
        dialog = QFileDialog(self, "Save as", item.name)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.fileSelected.connect(lambda path: self.download(item, Path(path)))
        self.dialogs.append(dialog)
        dialog.open()
        return dialog

    def download(self, item: DriveFile, target: Path) -> None:
        token = self.cancel_token = CancelToken()
        self.progress.setValue(0)
        self._transfer(True)
        self.state.setText(f"Downloading {item.name}…")
        self.tasks.run(self.service.do(lambda g: g.drive.download(item.id, target, progress=self._progress,
                                                                    cancel=token)),
                       name="download from Drive", on_success=lambda p: self._transferred(f"Saved {p}."),
                       on_failure=self._failed)

    def cancel_transfer(self) -> None:
        if self.cancel_token is not None:
            self.cancel_token.cancel()
            self.state.setText("Stopping after the piece in flight…")

    def _transferred(self, text: str) -> None:
        self._transfer(False)
        self.cancel_token = None
        self.state.setText(text)
        self.list_files()

    def _failed(self, exc: BaseException) -> None:
        self._transfer(False)
        self.cancel_token = None
        if isinstance(exc, UserCancelled):
            self.state.setText(str(exc) or "Cancelled.")
        elif isinstance(exc, FidusError):
            self.state.setText(str(exc))
        else:
            self.tasks.report(exc, "working with Drive")

    # ---- sharing and links --------------------------------------------------------------------------

    def share(self) -> ShareDialog | None:
        person = self.person or self.people.currentData()
        if person is None:
            return None
        dialog = ShareDialog(self.context, self.tasks, self.service, person, self)
        dialog.shared.connect(lambda result: (self._opened(result.folder),
                                              self.state.setText(f"Shared with {person.email} ({result.role}).")))
        self.dialogs.append(dialog)
        dialog.show()
        return dialog

    def open_in_browser(self) -> None:
        item: Any = self.selected() or self.folder
        url = getattr(item, "web_view_link", "") if item is not None else ""
        if url.startswith("https://"):
            QDesktopServices.openUrl(QUrl(url))
