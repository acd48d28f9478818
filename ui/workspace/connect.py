"""Connecting the Google account from the window: the client file, then the browser sign-in.

The OAuth client file ("Desktop app") is picked once and kept in the keyring. The sign-in is the
core's installed-app flow (PKCE, state, a loopback listener on 127.0.0.1): the system browser
opens, the address is also shown to copy, and Cancel really stops it (the listener is closed at
once; a late answer from the browser finds nobody). Used for the first connection and for
"Reconnect" after Google refused the saved sign-in.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QDialog, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout,
                               QWidget)

from fidus_desktop.errors import FidusError, UserCancelled

if TYPE_CHECKING:
    from fidus_desktop.app_context import AppContext
    from fidus_desktop.google.consent import ConsentFlow
    from ui.tasks import TaskHandle, TaskRunner

log = logging.getLogger(__name__)


class ConnectDialog(QDialog):
    #: The running :class:`GoogleService`, once connected.
    connected = Signal(object)

    def __init__(self, context: AppContext, tasks: TaskRunner, parent: QWidget | None = None, *,
                 reconnect: bool = False, open_browser: Callable[[str], Any] | None = None) -> None:
        super().__init__(parent)
        self.context, self.tasks = context, tasks
        self.reconnecting = reconnect
        self.open_browser = open_browser
        self.flow: ConsentFlow | None = None
        self.handle: TaskHandle | None = None
        self.client_name = ""
        self.account: Any = None
        self._account_lock = asyncio.Lock()
        self.setWindowTitle("Reconnect the Google account" if reconnect else "Connect a Google account")
        self.setMinimumWidth(560)
        intro = QLabel("FIDUS uses your Google account for Gmail, Calendar and Drive. You need the OAuth client "
                       "file of type \"Desktop app\" from the Google Cloud console (once); then sign in in your "
                       "browser. Nothing is stored in a file: the client and the sign-in go to the keyring.", self)
        intro.setWordWrap(True)
        self.client_label = QLabel("Client file: checking the keyring…", self)
        self.choose = QPushButton("Choose the client file…", self)
        self.choose.clicked.connect(self.choose_client_file)
        self.url = QLineEdit(self)
        self.url.setReadOnly(True)
        self.url.setPlaceholderText("The sign-in address appears here once started")
        copy = QPushButton("Copy address", self)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.url.text()))
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        self.connect_button = QPushButton("Sign in with Google", self)
        self.connect_button.setDefault(True)
        self.connect_button.setEnabled(False)  # until the keyring says a client file was given
        self.connect_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.cancel)
        row = QHBoxLayout()
        row.addWidget(self.client_label, 1)
        row.addWidget(self.choose)
        url_row = QHBoxLayout()
        url_row.addWidget(self.url, 1)
        url_row.addWidget(copy)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.connect_button)
        layout = QVBoxLayout(self)
        for part in (intro, row, url_row, self.status, buttons):
            (layout.addLayout if isinstance(part, QHBoxLayout) else layout.addWidget)(part)
        self.file_dialog: QFileDialog | None = None
        self.tasks.run(self._read_client(), name="read the OAuth client", on_failure=self._failed,
                       on_success=lambda name: self.client_name or self._show_client(name))

    # ---- the client file -------------------------------------------------------------------------

    async def _account(self) -> Any:
        from fidus_desktop.services.google_service import GoogleService, new_account

        async with self._account_lock:  # one account for the reads and the sign-in of this window
            if self.account is None:
                service = self.context.service(GoogleService)
                self.account = service.account if service is not None and service.account is not None else None
            if self.account is None:
                self.account = await self.context.lanes.io.run(lambda: new_account(self.context),
                                                               action="load Google")
        if self.open_browser is not None:
            self.account.open_browser = self.open_browser
        return self.account

    async def _read_client(self) -> str:
        account = await self._account()
        client = await self.context.lanes.io.run(account.oauth_client, action="read the keyring")
        return client.project_id or client.client_id if client else ""

    def _show_client(self, name: str) -> None:
        self.client_name = name
        self.client_label.setText(f"Client: {name}" if name else "No client file given yet.")
        self.connect_button.setEnabled(bool(name))

    def choose_client_file(self) -> QFileDialog:
        dialog = QFileDialog(self, "The OAuth client file (Desktop app)", "", "Client files (*.json);;All files (*)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.use_client_file)
        self.file_dialog = dialog
        dialog.open()
        return dialog

    def use_client_file(self, path: str) -> None:
        async def work() -> str:
            account = await self._account()
            client = await self.context.lanes.io.run(lambda: account.use_client_file(path), action="read the file")
            return client.project_id or client.client_id

        self.status.setText("Reading the client file…")
        self.tasks.run(work(), name="use the OAuth client file", on_success=self._client_kept, on_failure=self._failed)

    def _client_kept(self, name: str) -> None:
        self._show_client(name)
        self.status.setText("The client is kept in the keyring. Now sign in with Google.")

    # ---- the sign-in -------------------------------------------------------------------------------

    def start(self) -> None:
        self.connect_button.setEnabled(False)
        self.choose.setEnabled(False)
        self.status.setText("Opening the browser…")
        self.handle = self.tasks.run(self._connect(), name="connect the Google account", on_success=self._done,
                                     on_failure=self._failed)

    async def _connect(self) -> Any:
        from fidus_desktop.services.google_service import GoogleService, ensure_google_service

        account = await self._account()
        flow = await self.context.lanes.io.run(account.consent_flow, action="prepare the sign-in")
        self.flow = flow
        service = self.context.service(GoogleService)
        if service is not None and service.running:
            await service.reconnect(flow, on_url=self._show_url)
            return service
        grant = await account.connect(flow, on_url=self._show_url)
        if grant.account_email and grant.account_email != self.context.settings.google.account_email:
            google = dataclasses.replace(self.context.settings.google, account_email=grant.account_email)
            self.context.update_settings(self.context.settings.replace(google=google))
        return await ensure_google_service(self.context, account)

    def _show_url(self, url: str) -> None:
        self.url.setText(url)
        self.url.setCursorPosition(0)
        timeout = self.context.settings.google.consent_timeout_seconds
        self.status.setText(f"Waiting for Google in your browser (up to {timeout / 60:.0f} min). If it did not "
                            "open, copy the address into it.")

    def cancel(self) -> None:
        """Stop the sign-in now (the listener closes), or close the window if none runs."""
        if self.flow is not None and self.handle is not None and not self.handle.done():
            self.flow.cancel()
            self.status.setText("Sign-in cancelled.")
            self._ready_again()
            return
        self.reject()

    def _done(self, service: Any) -> None:
        self.status.setText(f"Connected: {service.account_email}.")
        self.connected.emit(service)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._ready_again()
        if isinstance(exc, UserCancelled):
            self.status.setText("Sign-in cancelled.")
        elif isinstance(exc, FidusError):
            self.status.setText(str(exc))
        else:
            self.status.setText("The connection failed unexpectedly; details are in the log.")
            self.tasks.report(exc, "connecting the Google account")

    def _ready_again(self) -> None:
        self.flow = None
        self.connect_button.setEnabled(bool(self.client_name))
        self.choose.setEnabled(True)
