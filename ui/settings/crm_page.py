"""CRM: who new prospects belong to, how often reminders are looked for, the kanban's page size.
Saved filters and folded columns are kept from the CRM panel itself (where they are made)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from fidus_desktop.config import CrmSettings

from .page import SettingsPage


class CrmPage(SettingsPage):
    TITLE = "CRM"
    PREFIXES = ("crm",)

    def __init__(self, session, tasks, parent: QWidget | None = None) -> None:
        super().__init__(session, tasks, parent)
        pipeline = self.form("Pipeline")
        for name in ("default_owner", "reminder_check_seconds", "kanban_page_size"):
            pipeline.field(f"crm.{name}", CrmSettings)
        note = QLabel("Saved filters and folded columns are made and removed in the CRM panel.", self)
        note.setObjectName("settingDescription")
        note.setWordWrap(True)
        pipeline.row("", note)
        self.layout_.addStretch(1)
