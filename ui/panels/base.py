"""What a panel is: a named widget built from the app context, told about data changes.

The main window only hosts panels (navigation, menus, window state); each panel wires its own
widget to services. A panel never imports another panel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from fidus_desktop.app_context import AppContext
    from ui.tasks import TaskRunner


class Panel(QWidget):
    #: Stable id used in settings and the command palette ("crm", "portfolio", "mt5"...).
    NAME: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    #: Keyboard shortcut that shows this panel, e.g. "Ctrl+1".
    SHORTCUT: ClassVar[str] = ""
    #: Context attributes the panel cannot work without, e.g. ``("store",)``. While one is
    #: missing (database offline) the window shows why, with a retry, instead of the panel.
    REQUIRES: ClassVar[tuple[str, ...]] = ()

    def __init__(self, context: AppContext, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.tasks = tasks

    def on_shown(self) -> None:
        """Called each time the panel becomes visible: refresh what is stale, not everything."""

    def on_changes(self, changes: object) -> None:
        """Data changed somewhere (a :class:`fidus_desktop.services.changes.Changes`)."""

    def on_status(self, status: object) -> None:
        """A service's health changed (a :class:`fidus_desktop.services.health.ServiceStatus`)."""

    def on_closing(self) -> None:
        """The window is closing: stop timers; background work is cancelled by the window."""

    def actions(self) -> list[tuple[str, object]]:
        """``(label, callable)`` pairs for the command palette."""
        return []
