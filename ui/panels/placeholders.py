"""Stand-ins for the panels later issues build: each says what it will hold.

Replace one in ``ui/panels/registry.py`` by pointing its entry at the real class.
"""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from fidus_desktop.services.health import ServiceName

from ..widgets.empty_state import EmptyState
from .base import Panel


class WorkspacePlaceholder(Panel):
    NAME = "workspace"
    TITLE = "Workspace"
    SHORTCUT = "Ctrl+4"

    def __init__(self, context, tasks, parent: QWidget | None = None, *, bridge=None) -> None:
        super().__init__(context, tasks, parent, bridge=bridge)
        self.empty = EmptyState(self.TITLE, "Gmail, Calendar and Drive of the fund's Google account, linked "
                                "to clients and prospects, will be here.", self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty)
        self.on_status(context.health.get(ServiceName.GOOGLE))

    def on_status(self, status) -> None:
        if status.service is ServiceName.GOOGLE:
            self.empty.set_note(status.detail or f"Google account: {status.source or 'not connected'}.")
