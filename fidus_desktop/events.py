"""The core's one event path: plain callbacks, moved to the GUI thread at the edge.

Services publish here (health, data changes, MT5 boards, settings, the outbox); front ends
subscribe. The window's generic bridge (``ui/event_bridge.py``) subscribes to every type at
once and re-delivers on the GUI thread; the CLI and tests subscribe directly.

Subscribers are held weakly, so a closed panel never receives a callback and never has to
unsubscribe. Publishing is synchronous on the caller's thread; one broken subscriber never
stops the others.
"""

from __future__ import annotations

import enum
import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class EventType(enum.Enum):
    #: payload: :class:`fidus_desktop.services.health.ServiceStatus`
    SERVICE_STATUS_CHANGED = "service_status_changed"
    #: payload: :class:`fidus_desktop.services.changes.Changes` (local writes, replays, other writers)
    DATA_CHANGED = "data_changed"
    #: payload: :class:`fidus_desktop.services.portfolio_service.PortfolioUpdate`: the core's
    #: portfolio took a change in (its figures, calendar and tables are current)
    PORTFOLIO_UPDATED = "portfolio_updated"
    #: payload: :class:`fidus_desktop.crm.pipeline_service.PipelineUpdate`: the CRM's pipeline
    #: index took a change in (the kanban and the table redraw from its snapshot)
    PIPELINE_UPDATED = "pipeline_updated"
    #: payload: :class:`fidus_desktop.services.mt5_monitor.Mt5Board`, one per poll
    MT5_BOARD = "mt5_board"
    #: payload: :class:`fidus_desktop.runtime.settings.SettingsChange` (old and new settings)
    SETTINGS_CHANGED = "settings_changed"
    #: payload: :class:`fidus_desktop.runtime.outbox.OutboxState` (writes waiting, held ones)
    OUTBOX_CHANGED = "outbox_changed"
    #: payload: :class:`fidus_desktop.runtime.notices.Notice`, for the status bar and the tray
    NOTICE = "notice"
    #: payload: :class:`fidus_desktop.services.google_service.GoogleUpdate`: the local copies of
    #: mail or calendar changed, a mail was queued or sent, the review queue or the account changed
    GOOGLE_CHANGED = "google_changed"


Callback = Callable[[Any], None]
AnyCallback = Callable[[EventType, Any], None]


class _Strong:
    __slots__ = ("_callback",)

    def __init__(self, callback: Callable[..., None]) -> None:
        self._callback = callback

    def __call__(self) -> Callable[..., None]:
        return self._callback


def _reference(callback: Callable[..., None]) -> Callable[[], Callable[..., None] | None]:
    if hasattr(callback, "__func__"):
        return weakref.WeakMethod(callback)  # type: ignore[arg-type]
    if hasattr(callback, "__self__") and not isinstance(callback.__self__, type(weakref)):
        # A bound built-in (``list.append``) is a temporary object: a weak reference to it
        # would die at once, so hold it for the bus's life.
        return _Strong(callback)
    try:
        return weakref.ref(callback)
    except TypeError:
        return _Strong(callback)


class EventBus:
    def __init__(self) -> None:
        self._subs: dict[EventType, list[Callable[[], Callback | None]]] = {t: [] for t in EventType}
        self._all: list[Callable[[], AnyCallback | None]] = []
        self._lock = threading.Lock()

    def subscribe(self, event: EventType, callback: Callback) -> None:
        with self._lock:
            self._subs[event].append(_reference(callback))

    def subscribe_all(self, callback: AnyCallback) -> None:
        """``callback(event_type, payload)`` for every event: the GUI's one generic bridge."""
        with self._lock:
            self._all.append(_reference(callback))

    def publish(self, event: EventType, payload: Any = None) -> None:
        with self._lock:
            refs = list(self._subs[event])
            self._subs[event] = [r for r in refs if r() is not None]
            everyone = list(self._all)
            self._all = [r for r in everyone if r() is not None]
        for ref in refs:
            callback = ref()
            if callback is not None:
                self._call(event, callback, payload)
        for ref in everyone:
            callback = ref()
            if callback is not None:
                self._call(event, lambda p, c=callback: c(event, p), payload)

    @staticmethod
    def _call(event: EventType, callback: Callable[[Any], None], payload: Any) -> None:
        try:
            callback(payload)
        except Exception:  # one broken subscriber must not stop the others
            log.exception("subscriber of %s failed", event.name)
