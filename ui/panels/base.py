"""What a panel is: a named widget built from the runtime, that redraws only when it must.

The main window only hosts panels (navigation, menus, window state); each panel wires its own
widget to services. A panel never imports another panel.

Redraw policy, owned here so every panel gets it right: a change marks the panel stale
(:meth:`Panel.invalidate`); a visible panel redraws once after a burst of changes settles
(``COALESCE_MS``), a hidden one stays stale and redraws when it is shown again. Subclasses
implement :meth:`refresh` and say in :meth:`on_changes` which changes concern them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from fidus_desktop.runtime.watchdog import doing

if TYPE_CHECKING:
    from fidus_desktop.app_context import AppContext
    from ui.event_bridge import EventBridge
    from ui.tasks import TaskRunner

#: A burst of changes (a bulk "mark paid", a replayed outbox) becomes one redraw.
COALESCE_MS = 120


class Panel(QWidget):
    #: Stable id used in settings and the command palette ("crm", "portfolio", "mt5"...).
    NAME: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    #: Keyboard shortcut that shows this panel, e.g. "Ctrl+1".
    SHORTCUT: ClassVar[str] = ""
    #: Context attributes the panel cannot work without, e.g. ``("store",)``. While one is
    #: missing (database offline) the window shows why, with a retry, instead of the panel.
    REQUIRES: ClassVar[tuple[str, ...]] = ()

    def __init__(self, context: AppContext, tasks: TaskRunner, parent: QWidget | None = None, *,
                 bridge: EventBridge | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.tasks = tasks
        self.bridge = bridge
        self._stale = True
        self._why: set[str] = set()
        self._redraw = QTimer(self)
        self._redraw.setSingleShot(True)
        self._redraw.setInterval(COALESCE_MS)
        self._redraw.timeout.connect(self._refresh_now)

    @classmethod
    def warm_up(cls, parent: QWidget) -> Iterator[None]:
        """Steps (one per loop turn, cut at each ``yield``) that build and drop throwaway copies
        of the panel's costliest widgets while the fund opens, so their first-use cost is paid
        before the panel's first build (``PanelSlot.prepare``). None by default."""
        return iter(())

    # ---- redraw policy -----------------------------------------------------------------------

    @property
    def stale(self) -> bool:
        return self._stale

    @property
    def ready(self) -> bool:
        """Shows real data (not a "loading" state): what start-up is measured by."""
        return not self._stale

    def invalidate(self, why: str = "") -> None:
        """What this panel shows is out of date; redraw soon if visible, else when shown."""
        self._stale = True
        if why:
            self._why.add(why)
        if self.isVisible():
            self._redraw.start()

    def on_shown(self) -> None:
        """Called each time the panel becomes visible: redraws if something changed meanwhile."""
        if self._stale:
            self._refresh_now()

    def _refresh_now(self) -> None:
        self._redraw.stop()
        why, self._why = self._why, set()
        self._stale = False
        with doing(f"refresh {self.NAME}"):
            self.refresh(why)

    def refresh(self, why: set[str]) -> None:
        """Redraw what is stale (``why``: the reasons given to :meth:`invalidate`, empty on first show)."""

    # ---- what the window tells every panel --------------------------------------------------------

    def on_changes(self, changes: Any) -> None:
        """Data changed somewhere (a :class:`fidus_desktop.services.changes.Changes`)."""

    def on_status(self, status: Any) -> None:
        """A service's health changed (a :class:`fidus_desktop.services.health.ServiceStatus`)."""

    def on_closing(self) -> None:
        """The window is closing: stop timers; background work is cancelled by the window."""

    def actions(self) -> list[tuple[str, object]]:
        """``(label, callable)`` pairs for the command palette."""
        return []
