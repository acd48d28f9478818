"""The one generic bridge from the core's event bus to the GUI thread.

The core's :class:`EventBus` calls subscribers on whatever thread published (a lane, the loop).
Widgets may only be touched from the GUI thread, so every event, whatever its type, takes the
same hop: a queued signal into this object's (GUI) thread, then to the handlers registered for
that type with :meth:`EventBridge.on`. An event published on the GUI thread is delivered at once,
keeping order simple. A handler lives as long as its owner (the ``QObject`` it belongs to: the
bound method's object, or the ``owner`` given): once the owner is destroyed it is never called again.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from fidus_desktop.events import EventBus, EventType

log = logging.getLogger(__name__)

Handler = Callable[[Any], None]


class _Entry:
    __slots__ = ("handler", "__weakref__")

    def __init__(self, handler: Handler) -> None:
        self.handler: Handler | None = handler

    def drop(self, *_args: object) -> None:
        self.handler = None


class EventBridge(QObject):
    #: ``(EventType, payload)``, on the GUI thread, for every event.
    delivered = Signal(object, object)
    # Internal hop; Qt queues it automatically when emitted from a thread other than ours.
    _relay = Signal(object, object)

    def __init__(self, events: EventBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._handlers: dict[EventType, list[_Entry]] = {t: [] for t in EventType}
        self._relay.connect(self._dispatch)
        # The bus holds subscribers weakly: this bound method lives exactly as long as the bridge.
        events.subscribe_all(self._forward)

    def on(self, event: EventType, handler: Handler, owner: QObject | None = None) -> None:
        """Call ``handler(payload)`` on the GUI thread for each ``event``, until ``owner`` (by
        default the object a bound-method handler belongs to) is destroyed."""
        owner = owner if owner is not None else getattr(handler, "__self__", None)
        entry = _Entry(handler)
        self._handlers[event].append(entry)
        if isinstance(owner, QObject):
            owner.destroyed.connect(entry.drop)

    def _forward(self, event: EventType, payload: Any) -> None:
        if QThread.currentThread() == self.thread():
            self._dispatch(event, payload)
        else:
            self._relay.emit(event, payload)

    @Slot(object, object)
    def _dispatch(self, event: EventType, payload: Any) -> None:
        for entry in list(self._handlers[event]):
            handler = entry.handler
            if handler is None:
                continue
            try:
                handler(payload)
            except Exception:  # one broken handler must not stop the others (it is reported)
                log.exception("handler of %s failed", event.name)
                self.failed.emit(event, sys.exc_info()[1])
        self._handlers[event] = [e for e in self._handlers[event] if e.handler is not None]
        self.delivered.emit(event, payload)

    #: ``(EventType, exception)`` when a handler raised (the window shows it).
    failed = Signal(object, object)
