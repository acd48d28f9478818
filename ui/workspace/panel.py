"""The Workspace panel: the fund's Google account (Gmail, Calendar, Drive) and the workflow mails
waiting for review.

Everything shown comes from the core's Google service (:mod:`fidus_desktop.services.google_service`)
and the local copies it keeps: the mail list opens from the cache at once, also offline, while the
client library loads in the I/O lane. When Google refuses the saved sign-in, a bar says so with
"Reconnect"; nothing open is closed meanwhile (compose windows, the mail being read).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QStackedWidget, QTabWidget, QVBoxLayout, QWidget

from fidus_desktop.events import EventType
from fidus_desktop.services.google_service import GoogleService
from fidus_desktop.services.health import ServiceName, ServiceState

from ..panels.base import Panel
from ..status_badges import STATE_LABELS
from ..widgets.empty_state import EmptyState

if TYPE_CHECKING:
    from fidus_desktop.services.google_service import GoogleUpdate

    from .connect import ConnectDialog

log = logging.getLogger(__name__)

TABS = (("mail", "Mail"), ("calendar", "Calendar"), ("drive", "Drive"), ("review", "Review queue"))


class WorkspacePanel(Panel):
    NAME = "workspace"
    TITLE = "Workspace"
    SHORTCUT = "Ctrl+4"

    def __init__(self, context, tasks, parent: QWidget | None = None, *, bridge=None) -> None:
        super().__init__(context, tasks, parent, bridge=bridge)
        self.service: GoogleService | None = None
        self.views: dict[str, Any] = {}
        self.connect_dialog: ConnectDialog | None = None
        self._pending: set[str] = set()

        self.account_label = QLabel("", self)
        self.account_label.setObjectName("panelHeading")
        self.state_label = QLabel("", self)
        self.state_label.setObjectName("emptyNote")
        self.state_label.setWordWrap(True)
        self.sync_button = QPushButton("Sync now", self)
        self.sync_button.clicked.connect(self.sync_now)
        self.disconnect_button = QPushButton("Disconnect", self)
        self.disconnect_button.clicked.connect(self.disconnect)
        header = QHBoxLayout()
        header.addWidget(self.account_label)
        header.addWidget(self.state_label, 1)
        header.addWidget(self.sync_button)
        header.addWidget(self.disconnect_button)

        self.reconnect_bar = QFrame(self)
        self.reconnect_bar.setObjectName("banner")
        self.reconnect_bar.setProperty("level", "error")
        bar = QHBoxLayout(self.reconnect_bar)
        bar.setContentsMargins(12, 6, 6, 6)
        self.reconnect_text = QLabel("", self.reconnect_bar)
        self.reconnect_text.setWordWrap(True)
        self.reconnect_button = QPushButton("Reconnect…", self.reconnect_bar)
        self.reconnect_button.clicked.connect(lambda: self.open_connect(reconnect=True))
        bar.addWidget(self.reconnect_text, 1)
        bar.addWidget(self.reconnect_button)
        self.reconnect_bar.hide()

        self.stack = QStackedWidget(self)
        self.empty = EmptyState("Google Workspace", "Connect the fund's Google account to read and send mail, "
                                "book meetings with Google Meet and share clients' documents on Drive, all "
                                "recorded on each person's timeline.", self)
        self.empty.set_content("Google Workspace", self.empty.text.text(),
                               button=("Connect a Google account…", self.open_connect))
        self.tabs = QTabWidget(self)
        self.tabs.currentChanged.connect(self._tab_shown)
        self._pages: dict[str, QWidget] = {}
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.tabs)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(header)
        layout.addWidget(self.reconnect_bar)
        layout.addWidget(self.stack, 1)
        if bridge is not None:
            bridge.on(EventType.GOOGLE_CHANGED, self._on_google)
        self.attach(context.service(GoogleService))

    # ---- the account --------------------------------------------------------------------------

    def attach(self, service: GoogleService | None) -> None:
        """Show the views of ``service`` (the account just connected), or the connect prompt."""
        if service is not None and service is self.service and self.views:
            self._show_state()
            return
        self.service = service if service is not None and service.running else None
        self.tabs.clear()
        for page in self._pages.values():
            page.deleteLater()  # the old account's views go with their pages
        self.views.clear()
        self._pages = {}
        if self.service is not None:
            # Only the mail view is built now; the others when their tab is first shown (each
            # costs a few milliseconds of widgets the manager may not open this session).
            for key, title in TABS:
                page = QWidget(self.tabs)
                QVBoxLayout(page).setContentsMargins(0, 0, 0, 0)
                self._pages[key] = page
                self.tabs.addTab(page, title)
            self.view("mail")
        self.stack.setCurrentWidget(self.tabs if self.service else self.empty)
        self._show_state()

    def view(self, key: str) -> Any:
        """The tab's view, built (and loaded from the local copy) on first use."""
        if key not in self.views:
            from .calendar_view import CalendarView
            from .drive_view import DriveView
            from .mail_view import MailView
            from .review_view import ReviewView

            cls = {"mail": MailView, "calendar": CalendarView, "drive": DriveView, "review": ReviewView}[key]
            page = self._pages[key]
            view = self.views[key] = cls(self.context, self.tasks, self.service, page)
            page.layout().addWidget(view)
            if hasattr(view, "load"):
                view.load()
        return self.views[key]

    def _tab_shown(self, index: int) -> None:
        if self.service is not None and 0 <= index < len(TABS):
            self.view(TABS[index][0])

    def _show_state(self) -> None:
        status = self.context.health.get(ServiceName.GOOGLE)
        connected = self.service is not None
        self.account_label.setText(self.service.account_email if connected else "No Google account")
        self.state_label.setText(f"{STATE_LABELS[status.state]} — {status.detail}" if status.detail
                                 else STATE_LABELS[status.state])
        self.sync_button.setVisible(connected)
        self.disconnect_button.setVisible(connected)
        reason = self.service.reconnect_needed if connected else ""
        self.reconnect_bar.setVisible(bool(reason))
        if reason:  # the bar says it all; the header only names the state
            self.state_label.setText(f"{STATE_LABELS[status.state]} — reconnect needed")
            self.reconnect_text.setText(f"{reason} Your mails wait in the outbox and what you are writing is "
                                        "kept; reconnect to carry on.")

    @property
    def ready(self) -> bool:
        """Shows real data: the connect prompt, or the first lines of the mail list."""
        mail = self.views.get("mail")
        return self.service is None or (mail is not None and mail.loaded)

    def on_status(self, status: Any) -> None:
        if status.service is ServiceName.GOOGLE:
            if self.service is None and status.state is not ServiceState.NOT_CONFIGURED:
                self.attach(self.context.service(GoogleService))
            self._show_state()

    def _on_google(self, update: GoogleUpdate) -> None:
        if "account" in update.what:
            self.attach(self.context.service(GoogleService))
        self._pending |= set(update.what)
        self.invalidate("google")

    def refresh(self, why: set[str]) -> None:
        what, self._pending = frozenset(self._pending), set()
        for view in self.views.values():
            view.refresh(what)
        self._show_state()

    def sync_now(self) -> None:
        if self.service is not None:
            self.service.sync_now()
            self.state_label.setText("Syncing…")

    def open_connect(self, reconnect: bool = False) -> ConnectDialog:
        from .connect import ConnectDialog

        dialog = ConnectDialog(self.context, self.tasks, self, reconnect=reconnect)
        dialog.connected.connect(self.attach)
        self.connect_dialog = dialog
        dialog.show()
        return dialog

    def disconnect(self) -> None:
        service = self.service
        if service is None:
            return
        self.state_label.setText("Disconnecting…")
        self.tasks.run(service.disconnect(), name="disconnect the Google account", on_success=self._disconnected)

    def _disconnected(self, message: str) -> None:
        self.attach(None)
        self.state_label.setText(message)

    def actions(self) -> list[tuple[str, object]]:
        out: list[tuple[str, object]] = [("Sync mail and calendar now", self.sync_now)]
        mail = self.views.get("mail")
        if mail is not None:
            out.append(("Compose a mail", mail.compose))
        return out

    def on_closing(self) -> None:
        mail = self.views.get("mail")
        for window in getattr(mail, "compose_windows", []):
            window.close()  # saves what is being written
