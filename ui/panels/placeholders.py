"""Stand-ins for the panels later issues build: each says what it will hold and already shows
what the fund store has for it, so the shell is exercised end to end (store, tasks, changes).

Replace one in ``ui/panels/registry.py`` by pointing its entry at the real class.
"""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtWidgets import QVBoxLayout, QWidget

from ..widgets.empty_state import EmptyState
from .base import Panel


class SummaryPlaceholder(Panel):
    """An empty state whose note is a live count from the store."""

    DESCRIPTION: ClassVar[str] = ""
    #: Aggregates whose changes make the summary stale.
    WATCHES: ClassVar[tuple[str, ...]] = ()
    REQUIRES = ("store",)

    def __init__(self, context, tasks, parent: QWidget | None = None, *, bridge=None) -> None:
        super().__init__(context, tasks, parent, bridge=bridge)
        self.empty = EmptyState(self.TITLE, self.DESCRIPTION, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty)
        self._stale = True
        self.summary = ""

    def on_shown(self) -> None:
        if self._stale:
            self._stale = False
            self.tasks.run(self.load_summary(), on_success=self._show_summary, name=f"{self.NAME} summary")

    def on_changes(self, changes) -> None:
        if any(getattr(changes, name, None) for name in self.WATCHES):
            self._stale = True
            if self.isVisible():
                self.on_shown()

    def _show_summary(self, summary: str) -> None:
        self.summary = summary
        self.empty.set_note(summary)

    async def load_summary(self) -> str:
        raise NotImplementedError


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class CrmPlaceholder(SummaryPlaceholder):
    NAME = "crm"
    TITLE = "CRM"
    SHORTCUT = "Ctrl+1"
    DESCRIPTION = ("The prospect pipeline (lead to won), client records with KYC status, and each "
                   "person's activity timeline will be managed here.")
    WATCHES = ("prospects", "clients")

    async def load_summary(self) -> str:
        store = self.context.store
        prospects, clients = await store.prospects.count(), await store.clients.count()
        return f"The fund holds {_plural(prospects, 'prospect')} and {_plural(clients, 'client')}."
