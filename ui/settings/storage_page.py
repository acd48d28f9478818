"""Fund and storage: the fund's name, where it lives (this computer or MongoDB), the MongoDB
address entered hidden and tested before it is saved, the fund file's place."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QWidget

from fidus_desktop.config import Settings, StorageSettings
from fidus_desktop.errors import ValidationError
from fidus_desktop.storage.location import assess_location
from fidus_desktop.storage.relocate import copy_fund

from .. import file_dialogs
from .page import SettingsPage, show_result, status_label


class StoragePage(SettingsPage):
    TITLE = "Fund and database"
    PREFIXES = ("fund_name", "storage")

    def __init__(self, session, tasks, parent: QWidget | None = None) -> None:
        super().__init__(session, tasks, parent)
        top = self.form()
        top.field("fund_name", Settings)
        self.backend = top.field("storage.backend", StorageSettings).widget
        embedded = self.form("On this computer")
        path = embedded.field("storage.sqlite_path", StorageSettings)
        browse = QPushButton("Choose…", self)
        browse.clicked.connect(self._choose_file)
        self.move_button = QPushButton("Move the fund…", self)
        self.move_button.setObjectName("moveFund")
        self.move_button.clicked.connect(self._move_fund)
        buttons = QWidget(self)
        row = QHBoxLayout(buttons)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(browse)
        row.addWidget(self.move_button)
        row.addStretch(1)
        embedded.row("", buttons)
        self.location = status_label(self)
        embedded.row("", self.location)
        embedded.field("storage.demo_on_first_run", StorageSettings)
        self.path_editor = path

        mongo = self.form("MongoDB")
        self.uri = QLineEdit(self)
        self.uri.setObjectName("mongoUri")
        self.uri.setEchoMode(QLineEdit.EchoMode.Password)  # it carries the database password
        self.uri.setPlaceholderText("mongodb+srv://user:password@cluster0.example.net/")
        self.test_button = QPushButton("Test", self)
        self.test_button.setObjectName("testMongo")
        self.test_button.clicked.connect(self.test_uri)
        uri_row = QWidget(self)
        line = QHBoxLayout(uri_row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.uri, 1)
        line.addWidget(self.test_button)
        mongo.row("Address", uri_row)
        self.uri_result = status_label(self)
        self.uri_result.setText("Kept in the keyring only, never in a file; tested before it is saved.")
        mongo.row("", self.uri_result)
        mongo.field("storage.mongo_database", StorageSettings)
        mongo.field("storage.timeout_seconds", StorageSettings)
        advanced = self.form("Advanced")
        advanced.field("storage.backups_kept", StorageSettings)
        advanced.field("storage.mongo_uri_secret", StorageSettings)
        self.layout_.addStretch(1)
        self._move_folder: Path | None = None

    # ---- the address ------------------------------------------------------------------------------

    def load_extra(self) -> None:
        entry = self.session.settings.storage.mongo_uri_secret
        self.uri.clear()
        self.uri.setPlaceholderText("Saved in the keyring: leave empty to keep it" if self.session.has_secret(entry)
                                    else "mongodb+srv://user:password@cluster0.example.net/")
        self.check_location()

    def collect_extra(self) -> None:
        self.session.set_mongo_uri(self.uri.text())

    def show_extra_problems(self, problems: dict[str, str]) -> None:
        if reason := problems.get("storage.mongo_uri"):
            show_result(self.uri_result, False, reason)

    def extra_covered(self) -> set[str]:
        return {"storage.mongo_uri"}

    def test_uri(self) -> None:
        try:
            self.collect()
        except ValidationError as exc:
            show_result(self.uri_result, False, exc.message)
            return
        show_result(self.uri_result, None, "Testing the address…")
        self.test_button.setEnabled(False)

        def done(result) -> None:
            self.test_button.setEnabled(True)
            show_result(self.uri_result, result.ok, result.message)

        def failed(exc: BaseException) -> None:
            self.test_button.setEnabled(True)
            show_result(self.uri_result, False, str(exc))

        self.tasks.run(self.session.test_mongodb(self.uri.text()), on_success=done, on_failure=failed,
                       name="test the MongoDB address")

    # ---- the fund file's place ----------------------------------------------------------------------

    def _fund_file(self) -> Path:
        text = self.path_editor.value()
        return Path(text).expanduser() if text else self.session.context.paths.fund_db

    def check_location(self) -> None:
        path = self._fund_file()

        def said(risk) -> None:
            self.move_button.setVisible(risk is not None)
            show_result(self.location, None if risk is None else False,
                        "" if risk is None else risk.message)

        self.tasks.run(lambda: assess_location(path), lane="io", on_success=said, name="check the fund's folder")

    def _choose_file(self) -> None:
        def chosen(path: Path) -> None:
            self.path_editor.set_value(str(path))
            self.check_location()

        file_dialogs.save_file(self, "The fund's file", "fund.sqlite3", "FIDUS fund (*.sqlite3)", chosen,
                               suffix="sqlite3")

    def _move_fund(self) -> None:
        source = self._fund_file()

        def chosen(folder: Path) -> None:
            def moved(target: Path) -> None:
                self.path_editor.set_value(str(target))
                show_result(self.location, True, f"The fund was copied to {target}. Save, then restart FIDUS Desktop "
                                                 f"to open it there; the old file stays at {source} until you delete it.")
                self.move_button.hide()

            def failed(exc: BaseException) -> None:
                show_result(self.location, False, str(exc))

            self.tasks.run(lambda: copy_fund(source, folder), lane="io", on_success=moved, on_failure=failed,
                           name="move the fund")

        file_dialogs.choose_folder(self, "Move the fund to this folder", chosen,
                                   folder=self.session.context.paths.data_dir)
