"""Appearance, exports and statements: the window's colours, how CSV files are written for Excel,
and how client statements look."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from fidus_desktop.config import ExportSettings, StatementSettings, UiSettings
from fidus_desktop.exports import system_numbers

from .page import SettingsPage


class AppearancePage(SettingsPage):
    TITLE = "Appearance, exports and statements"
    PREFIXES = ("ui", "exports", "statements")

    def __init__(self, session, tasks, parent: QWidget | None = None) -> None:
        super().__init__(session, tasks, parent)
        look = self.form("Window")
        look.field("ui.theme", UiSettings)
        note = QLabel("Charts already drawn take the new colours when FIDUS Desktop next starts.", self)
        note.setObjectName("settingDescription")
        look.row("", note)
        files = self.form("CSV files")
        files.field("exports.csv_encoding", ExportSettings)
        files.field("exports.csv_separator", ExportSettings)
        numbers = system_numbers()
        here = QLabel(f"On this computer the list separator is '{numbers.list_separator}' and the decimal sign "
                      f"'{numbers.decimal}'; amounts are written with the decimal sign that goes with the separator.",
                      self)
        here.setObjectName("settingDescription")
        here.setWordWrap(True)
        files.row("", here)
        statements = self.form("Client statements")
        for name in ("paper", "logo_path", "email_from", "note"):
            statements.field(f"statements.{name}", StatementSettings)
        self.layout_.addStretch(1)
