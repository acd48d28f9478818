"""Core events re-emitted as Qt signals on the GUI thread.

The core's :class:`EventBus` calls subscribers on whatever thread published (a worker polling
MT5, an aiosqlite thread). Widgets may only be touched from the GUI thread, so the bridge hops:
a publish from another thread goes through a queued signal into this object's (GUI) thread.
A publish already on the GUI thread is delivered at once, keeping order simple.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from fidus_desktop.events import EventBus, EventType


class EventBridge(QObject):
    #: :class:`fidus_desktop.services.health.ServiceStatus`
    service_status_changed = Signal(object)
    #: :class:`fidus_desktop.services.changes.Changes`
    data_changed = Signal(object)
    #: a short message for the status bar
    notice = Signal(str)

    # Internal hop; Qt queues it automatically when emitted from a thread other than ours.
    _relay = Signal(object, object)

    def __init__(self, events: EventBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._relay.connect(self._dispatch)
        # The bus holds subscribers weakly: these bound methods live exactly as long as the bridge.
        events.subscribe(EventType.SERVICE_STATUS_CHANGED, self._on_status)
        events.subscribe(EventType.DATA_CHANGED, self._on_data)
        events.subscribe(EventType.NOTICE, self._on_notice)

    def _on_status(self, payload: Any) -> None:
        self._forward(EventType.SERVICE_STATUS_CHANGED, payload)

    def _on_data(self, payload: Any) -> None:
        self._forward(EventType.DATA_CHANGED, payload)

    def _on_notice(self, payload: Any) -> None:
        self._forward(EventType.NOTICE, payload)

    def _forward(self, event: EventType, payload: Any) -> None:
        if QThread.currentThread() == self.thread():
            self._dispatch(event, payload)
        else:
            self._relay.emit(event, payload)

    @Slot(object, object)
    def _dispatch(self, event: EventType, payload: Any) -> None:
        if event is EventType.SERVICE_STATUS_CHANGED:
            self.service_status_changed.emit(payload)
        elif event is EventType.DATA_CHANGED:
            self.data_changed.emit(payload)
        else:
            self.notice.emit(str(payload))
