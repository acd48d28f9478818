"""Google Workspace: the OAuth client file, Connect (the browser sign-in) and Disconnect, through
``fidus_desktop/google/account.py``; the connection's finer settings below."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from fidus_desktop.config import GoogleSettings, WorkflowRule, describe
from fidus_desktop.errors import ValidationError
from fidus_desktop.setup import google_link

from .. import file_dialogs
from .alerts_page import RuleRow
from .page import SettingsPage, show_result, status_label

ADVANCED = ("max_requests_per_second", "gmail_units_per_second", "request_timeout_seconds", "consent_timeout_seconds",
            "retry_attempts", "retry_base_seconds", "retry_max_seconds", "gmail_sync_limit", "calendar_sync_days_back",
            "time_zone", "ca_bundle", "gmail_api_root", "calendar_api_root", "drive_api_root", "revoke_uri",
            "client_secret_entry", "token_entry")

#: Two lines per workflow rule: when, for which stage, which template; days ahead and its switch.
WORKFLOW_LAYOUT = (("trigger", "stage", "template"), ("days_before", "enabled"))


class GooglePage(SettingsPage):
    TITLE = "Google"
    PREFIXES = ("google",)

    def __init__(self, session, tasks, parent: QWidget | None = None) -> None:
        super().__init__(session, tasks, parent)
        account = self.form("Account")
        self.state = QLabel("…", self)
        self.state.setObjectName("googleState")
        self.state.setWordWrap(True)
        account.row("State", self.state)
        buttons = QWidget(self)
        row = QHBoxLayout(buttons)
        row.setContentsMargins(0, 0, 0, 0)
        self.client_button = QPushButton("OAuth client file…", self)
        self.client_button.setToolTip("The file of a \"Desktop app\" OAuth client from the Google Cloud console "
                                      "(Gmail, Calendar and Drive APIs enabled). Its content goes to the keyring.")
        self.connect_button = QPushButton("Connect…", self)
        self.connect_button.setObjectName("googleConnect")
        self.cancel_button = QPushButton("Cancel sign-in", self)
        self.disconnect_button = QPushButton("Disconnect", self)
        self.disconnect_button.setObjectName("googleDisconnect")
        for button in (self.client_button, self.connect_button, self.cancel_button, self.disconnect_button):
            row.addWidget(button)
        row.addStretch(1)
        account.row("", buttons)
        self.result = status_label(self)
        account.row("", self.result)
        self.email = account.field("google.account_email", GoogleSettings)
        self.email.widget.setReadOnly(True)  # type: ignore[attr-defined]
        sync = self.form("Mail and calendar on this computer")
        sync.field("google.sync_interval_seconds", GoogleSettings)
        rules = self.form("Mails prepared for review")
        intro = QLabel(describe(GoogleSettings, "workflow_rules"), self)
        intro.setObjectName("settingDescription")
        intro.setWordWrap(True)
        rules.row("", intro)
        self.rules_box = QWidget(self)
        self.rules_layout = QVBoxLayout(self.rules_box)
        self.rules_layout.setContentsMargins(0, 0, 0, 0)
        rules.row("", self.rules_box)
        add = QPushButton("Add a rule", self)
        add.clicked.connect(lambda: self._add_rule(WorkflowRule()))
        rules.row("", add)
        self.rule_rows: list[RuleRow] = []
        advanced = self.form("Connection (change only when told to)")
        for name in ADVANCED:
            advanced.field(f"google.{name}", GoogleSettings)
        self.layout_.addStretch(1)
        self.client_button.clicked.connect(self.choose_client_file)
        self.connect_button.clicked.connect(self.connect)
        self.cancel_button.clicked.connect(self.cancel)
        self.disconnect_button.clicked.connect(self.disconnect)
        self.cancel_button.hide()
        self._flow: Any = None

    def _account(self):
        return google_link.account_for(self.session.context)

    def refresh_state(self) -> None:
        def show(state: google_link.GoogleState) -> None:
            if state.connected:
                self.state.setText(f"Connected as {state.account_email or '(account not known)'}.")
            elif state.has_client:
                self.state.setText("Not connected. The OAuth client file is in the keyring: Connect signs in.")
            else:
                self.state.setText("Not connected. Choose the OAuth client file first (a \"Desktop app\" client "
                                   "of the Google Cloud console), then Connect. Connecting can wait: everything "
                                   "else works without Google.")
            self.connect_button.setEnabled(state.has_client and self._flow is None)
            self.disconnect_button.setEnabled(state.connected)

        async def read() -> google_link.GoogleState:
            return await google_link.state(self.session.context, await self._account())

        self.tasks.run(read(), on_success=show, on_failure=lambda exc: self.state.setText(str(exc)),
                       name="read the Google sign-in")

    def choose_client_file(self) -> None:
        async def use(path: Path) -> None:
            await google_link.use_client_file(self.session.context, await self._account(), path)

        def chosen(path: Path) -> None:
            self.tasks.run(use(path),
                           on_success=lambda _: (show_result(self.result, True, "The client file is in the keyring."),
                                                 self.refresh_state()),
                           on_failure=lambda exc: show_result(self.result, False, str(exc)),
                           name="read the OAuth client file")

        file_dialogs.open_file(self, "OAuth client file (client_secret_….json)", "JSON files (*.json)", chosen)

    def connect(self) -> None:
        self.connect_button.setEnabled(False)
        self.cancel_button.show()
        show_result(self.result, None, "Sign in with Google in your browser…")

        def url_shown(url: str) -> None:
            show_result(self.result, None, f"Sign in with Google in your browser. If it did not open, open "
                                           f"<a href=\"{url}\">this address</a>.")
            self.result.setOpenExternalLinks(True)

        def finished(email: Any = None, error: BaseException | None = None) -> None:
            self._flow = None
            self.cancel_button.hide()
            if error is not None:
                show_result(self.result, False, str(error) or "The sign-in did not finish.")
            else:
                show_result(self.result, True, f"Connected as {email or '(account not known)'}.")
                self._adopt()
            self.refresh_state()

        async def signing_in() -> str:
            account = await google_link.account_for(self.session.context,
                                                    open_browser=lambda url: QDesktopServices.openUrl(QUrl(url)))
            self._flow = account.consent_flow()
            return await google_link.connect(self.session.context, account, self._flow, on_url=url_shown)

        self._flow = True  # a sign-in is under way (the flow itself once it is made)
        self.tasks.run(signing_in(), on_success=finished, on_failure=lambda exc: finished(error=exc),
                       name="connect Google")

    def cancel(self) -> None:
        if self._flow not in (None, True):
            self._flow.cancel()

    def disconnect(self) -> None:
        def done(result) -> None:
            show_result(self.result, result.revoked or None, result.message)
            self._adopt()
            self.refresh_state()

        async def disconnecting():
            return await google_link.disconnect(self.session.context, await self._account())

        self.tasks.run(disconnecting(), on_success=done,
                       on_failure=lambda exc: show_result(self.result, False, str(exc)), name="disconnect Google")

    def _adopt(self) -> None:
        """The account's address was saved by the connect: the dialog's copy takes it in."""
        self.session.adopt(self.session.context.settings)
        self.email.set_value(self.session.settings.google.account_email)

    # ---- workflow rules --------------------------------------------------------------------------

    def _add_rule(self, rule: WorkflowRule) -> RuleRow:
        row = RuleRow(rule, self.rules_box, kind=WorkflowRule, layout=WORKFLOW_LAYOUT)
        row.remove.clicked.connect(lambda: self._remove_rule(row))
        self.rule_rows.append(row)
        self.rules_layout.addWidget(row)
        return row

    def _remove_rule(self, row: RuleRow) -> None:
        self.rule_rows.remove(row)
        row.deleteLater()

    def load_extra(self) -> None:
        self.refresh_state()
        for row in self.rule_rows:
            row.deleteLater()
        self.rule_rows = []
        for rule in self.session.settings.google.workflow_rules:
            self._add_rule(rule)

    def collect_extra(self) -> None:
        try:
            rules = tuple(row.rule() for row in self.rule_rows)
        except ValidationError as exc:
            raise ValidationError(exc.message, {"google.workflow_rules": exc.message}) from None
        self.session.edit("google", workflow_rules=rules)

    def extra_covered(self) -> set[str]:
        return {"google.workflow_rules"}

