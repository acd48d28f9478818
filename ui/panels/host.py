"""One navigation slot: builds its panel the first time it is shown, once the fund is open and
the panel's requirements are met; until then it says why the panel is not there yet."""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QStackedWidget, QWidget

from fidus_desktop.runtime.watchdog import doing
from fidus_desktop.services.health import ServiceName

from ..status_badges import STATE_LABELS
from ..widgets.empty_state import EmptyState
from ..widgets.next_turn import in_turns
from .base import Panel
from .registry import PanelEntry

if TYPE_CHECKING:
    from fidus_desktop.app_context import AppContext

    from ..event_bridge import EventBridge
    from ..tasks import TaskRunner

log = logging.getLogger(__name__)


class PanelSlot(QStackedWidget):
    def __init__(self, entry: PanelEntry, tasks: TaskRunner, on_error: Callable[[BaseException, str], None],
                 parent: QWidget | None = None, *, bridge: EventBridge | None = None) -> None:
        super().__init__(parent)
        self.entry = entry
        self.tasks = tasks
        self.bridge = bridge
        self._on_error = on_error
        self.context: AppContext | None = None
        self.panel: Panel | None = None
        #: Set when the panel's class could not be loaded or built (shown, never retried silently).
        self.failed: BaseException | None = None
        self.notice = EmptyState(entry.title, "Opening the fund…", self)
        self.addWidget(self.notice)
        self._importing = False

    def set_context(self, context: AppContext) -> None:
        self.context = context

    def activate(self) -> None:
        """The slot became visible: build the panel if it can be, then let it refresh."""
        if self.panel is not None:
            self._refresh()
            return
        if self.context is None or self.failed is not None or self._importing:
            return
        if self.entry.module not in sys.modules:
            self._then_activate(self._import, f"load the {self.entry.title} panel", lane="io")
            return
        if self.context.held_for(self.entry.name):  # its service was held back at start-up
            self._then_activate(self.context.start_held(), f"start the {self.entry.title} services")
            return
        try:
            cls = self.entry.load()
            missing = [name for name in cls.REQUIRES if getattr(self.context, name, None) is None]
            if missing:
                self._show_unavailable(missing)
                return
            with doing(f"open the {self.entry.title} panel"):
                panel = cls(self.context, self.tasks, self, bridge=self.bridge)
        except Exception as exc:  # a broken panel must not take the window down with it
            self._failed(exc)
            return
        self.panel = panel
        self.addWidget(panel)
        self.setCurrentWidget(panel)
        self._refresh()

    def prepare(self) -> None:
        """While the fund opens (the window idle, no data loading yet): import the panel's module
        in the ``io`` lane, then let the panel class pay its widgets' first-use cost (the style
        sheet's rules, font metrics: several times what a second build costs) one step per loop
        turn (``Panel.warm_up``). Otherwise that cost fell in the panel's first build, which runs
        while the first data loads compete with it for the interpreter."""
        def warm(_module: object) -> None:
            if self.panel is not None:  # the fund opened first: the cost is paid already
                return
            try:
                in_turns(self, self.entry.load().warm_up(self))
            except Exception:  # a warm-up is an optimisation: the build itself reports errors
                log.debug("warming up the %s panel failed", self.entry.name, exc_info=True)

        if self.entry.module in sys.modules:
            warm(None)
        else:
            self.tasks.run(self._import, lane="io", on_success=warm,
                           on_failure=lambda exc: log.debug("could not load %s early: %s", self.entry.module, exc),
                           name=f"load the {self.entry.title} panel")

    def _import(self) -> object:
        """The panel's module, imported (run in the ``io`` lane)."""
        return importlib.import_module(self.entry.module)

    def _then_activate(self, work: Any, name: str, *, lane: str | None = None) -> None:
        """Run ``work`` (the panel's module import in the ``io`` lane, or the start of the services
        it shows), then build the panel if it is still the one shown. On the GUI thread, a
        panel's first import (its module, the modules it pulls in, and PySide reading each new
        module's source to check it for PySide use) froze the window for half a second."""
        self._importing = True
        self.notice.set_content(self.entry.title, f"Opening {self.entry.title}…")

        def done(_result: object) -> None:
            self._importing = False
            stack = self.parentWidget()
            if not isinstance(stack, QStackedWidget) or stack.currentWidget() is self:
                self.activate()

        def failed(exc: BaseException) -> None:
            self._importing = False
            self._failed(exc)

        self.tasks.run(work, lane=lane, name=name, on_success=done, on_failure=failed)

    def _failed(self, exc: BaseException) -> None:
        self.failed = exc
        self.notice.set_content(self.entry.title, f"The {self.entry.title} panel could not be opened.",
                                note=f"{type(exc).__name__}: {exc}")
        self._on_error(exc, f"opening the {self.entry.title} panel")

    def _refresh(self) -> None:
        assert self.panel is not None
        try:
            self.panel.on_shown()
        except Exception as exc:  # the panel stays; its refresh failed and says so
            self._on_error(exc, f"refreshing the {self.entry.title} panel")

    def _show_unavailable(self, missing: list[str]) -> None:
        assert self.context is not None
        if "store" in missing:
            status = self.context.health.get(ServiceName.DATABASE)
            reason = status.detail or STATE_LABELS[status.state]
            self.notice.set_content(
                self.entry.title, f"{self.entry.title} needs the fund database, which is "
                f"{STATE_LABELS[status.state]} ({status.source or 'not set up'}).",
                note=reason, button=("Try again", self.retry))
        else:
            self.notice.set_content(self.entry.title, f"Not available yet: {', '.join(missing)}.")

    def retry(self) -> None:
        assert self.context is not None
        self.notice.set_content(self.entry.title, "Connecting to the fund database…")
        self.tasks.run(self.context.reconnect(), on_success=lambda _: self.requirements_changed(),
                       name="reconnect database")

    def requirements_changed(self) -> None:
        """Something the panel may need came back (database online); called for the shown slot."""
        if self.panel is None:
            self.activate()
