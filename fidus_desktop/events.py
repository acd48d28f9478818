"""Core events: plain callbacks the UI moves to its own thread at the edge (``ui/event_bridge.py``).

Subscribers are held weakly, so a closed panel never receives a callback and never has to
unsubscribe. Publishing is synchronous on the caller's thread.
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
    #: payload: :class:`fidus_desktop.services.changes.Changes`
    DATA_CHANGED = "data_changed"
    #: payload: str, a message for the status bar
    NOTICE = "notice"


Callback = Callable[[Any], None]


class _Strong:
    __slots__ = ("_callback",)

    def __init__(self, callback: Callback) -> None:
        self._callback = callback

    def __call__(self) -> Callback:
        return self._callback


class EventBus:
    def __init__(self) -> None:
        self._subs: dict[EventType, list[Callable[[], Callback | None]]] = {t: [] for t in EventType}
        self._lock = threading.Lock()

    def subscribe(self, event: EventType, callback: Callback) -> None:
        ref: Callable[[], Callback | None]
        if hasattr(callback, "__func__"):
            ref = weakref.WeakMethod(callback)  # type: ignore[arg-type]
        elif hasattr(callback, "__self__") and not isinstance(callback.__self__, type(weakref)):
            # A bound built-in (``list.append``) is a temporary object: a weak reference to it
            # would die at once, so hold it for the bus's life.
            ref = _Strong(callback)
        else:
            try:
                ref = weakref.ref(callback)
            except TypeError:
                ref = _Strong(callback)
        with self._lock:
            self._subs[event].append(ref)

    def publish(self, event: EventType, payload: Any = None) -> None:
        with self._lock:
            refs = list(self._subs[event])
            self._subs[event] = [r for r in refs if r() is not None]
        for ref in refs:
            callback = ref()
            if callback is None:
                continue
            try:
                callback(payload)
            except Exception:  # one broken subscriber must not stop the others
                log.exception("subscriber of %s failed", event.name)
