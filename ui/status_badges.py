"""One badge per outside service in the status bar: what the manager can trust right now."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from fidus_desktop.services.health import HealthRegistry, ServiceName, ServiceState, ServiceStatus

SERVICE_LABELS = {ServiceName.DATABASE: "Database", ServiceName.MT5: "MT5", ServiceName.GOOGLE: "Google"}

STATE_LABELS = {
    ServiceState.UNKNOWN: "unknown",
    ServiceState.CONNECTING: "connecting…",
    ServiceState.ONLINE: "online",
    ServiceState.STALE: "stale",
    ServiceState.OFFLINE: "offline",
    ServiceState.NOT_CONFIGURED: "not configured",
}


def local_time(status: ServiceStatus) -> str:
    """The since-time on the manager's clock (stored in UTC)."""
    return status.since.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def describe_status(status: ServiceStatus) -> str:
    lines = [f"{SERVICE_LABELS[status.service]}: {STATE_LABELS[status.state]}"]
    if status.source:
        lines.append(f"Source: {status.source}")
    if status.detail:
        lines.append(status.detail)
    lines.append(f"Since {local_time(status)}")
    return "\n".join(lines)


class ServiceBadge(QLabel):
    def __init__(self, status: ServiceStatus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("serviceBadge")
        self.service = status.service
        self.status = status
        self.update_status(status)

    def update_status(self, status: ServiceStatus) -> None:
        self.status = status
        self.setText(f"● {SERVICE_LABELS[status.service]}: {STATE_LABELS[status.state]}")
        self.setToolTip(describe_status(status))
        self.setAccessibleName(self.text())
        # The QSS colours the dot by state; re-polish so the new property takes effect.
        self.setProperty("state", status.state.value)
        self.style().unpolish(self)
        self.style().polish(self)


def make_badges(health: HealthRegistry, parent: QWidget) -> dict[ServiceName, ServiceBadge]:
    return {status.service: ServiceBadge(status, parent) for status in health.all()}
