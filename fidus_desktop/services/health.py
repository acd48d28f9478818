"""The state of each outside service, as the status bar and the Health panel show it."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from ..domain.values import utc_now
from ..events import EventBus, EventType


class ServiceState(enum.StrEnum):
    UNKNOWN = "unknown"
    CONNECTING = "connecting"
    ONLINE = "online"
    #: Reachable earlier; what is shown comes from the local cache.
    STALE = "stale"
    OFFLINE = "offline"
    #: Configured but not set up (no Google account yet, no bridge configured).
    NOT_CONFIGURED = "not_configured"


class ServiceName(enum.StrEnum):
    DATABASE = "database"
    MT5 = "mt5"
    GOOGLE = "google"


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    service: ServiceName
    state: ServiceState
    #: Which source or where ("SQLite on this computer", "bridge VPS-2", "demo terminal").
    source: str = ""
    detail: str = ""
    since: datetime = field(default_factory=utc_now)


class HealthRegistry:
    """Last known status per service; publishes only real changes."""

    def __init__(self, events: EventBus) -> None:
        self._events = events
        self._status = {name: ServiceStatus(name, ServiceState.UNKNOWN) for name in ServiceName}

    def get(self, service: ServiceName) -> ServiceStatus:
        return self._status[service]

    def all(self) -> list[ServiceStatus]:
        return list(self._status.values())

    def report(self, service: ServiceName, state: ServiceState, source: str = "", detail: str = "") -> None:
        old = self._status[service]
        if (old.state, old.source, old.detail) == (state, source, detail):
            return
        since = old.since if old.state == state else utc_now()
        status = ServiceStatus(service, state, source, detail, since)
        self._status[service] = status
        self._events.publish(EventType.SERVICE_STATUS_CHANGED, status)
