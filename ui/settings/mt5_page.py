"""MT5: where the data comes from (the demo terminal, the terminal on this computer, bridges),
with what each needs, and the broker's clock."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QPushButton, QWidget

from fidus_desktop.config import Mt5Settings, account_intervals_text, describe, read_account_intervals
from fidus_desktop.errors import ValidationError

from .. import file_dialogs
from .bridges import BridgeList, BridgeRow
from .page import SettingsPage, show_result


class Mt5Page(SettingsPage):
    TITLE = "MT5"
    PREFIXES = ("mt5",)

    def __init__(self, session, tasks, parent: QWidget | None = None) -> None:
        super().__init__(session, tasks, parent)
        top = self.form()
        self.source = top.field("mt5.source", Mt5Settings).widget
        self.demo = self.form("Demo terminal")
        self.demo.field("mt5.demo_seed", Mt5Settings)

        self.direct = self.form("MetaTrader 5 on this computer (Windows)")
        self.found = QComboBox(self)
        self.found.setObjectName("foundTerminals")
        self.found.activated.connect(self._pick_found)
        self.direct.row("Installed", self.found)
        path = self.direct.field("mt5.terminal_path", Mt5Settings)
        browse = QPushButton("Choose…", self)
        browse.clicked.connect(lambda: file_dialogs.open_file(self, "terminal64.exe of the terminal",
                                                              "MetaTrader 5 (terminal64.exe)", self._chose_path))
        line = QWidget(self)
        row = QHBoxLayout(line)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(browse)
        row.addStretch(1)
        self.direct.row("", line)
        self.path_editor = path
        self.direct.field("mt5.portable", Mt5Settings)
        self.direct.field("mt5.login", Mt5Settings)
        self.direct.field("mt5.server", Mt5Settings)
        self.password = QLineEdit(self)
        self.password.setObjectName("mt5Password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.direct.row("Password", self.password)
        self.direct.field("mt5.accounts", Mt5Settings)
        other = QWidget(self)
        line = QHBoxLayout(other)
        line.setContentsMargins(0, 0, 0, 0)
        self.other_login = QLineEdit(self)
        self.other_login.setPlaceholderText("login")
        self.other_password = QLineEdit(self)
        self.other_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.other_password.setPlaceholderText("its password (kept in the keyring)")
        line.addWidget(self.other_login)
        line.addWidget(self.other_password, 1)
        self.direct.row("Password of another login", other)

        self.bridges_form = self.form("Bridges (the first that answers, in this order)")
        self.bridges = BridgeList(self.test_bridge, self)
        self.bridges_form.row("", self.bridges)

        clock = self.form("The broker's clock")
        clock.field("mt5.server_utc_offset", Mt5Settings)
        clock.field("mt5.server_dst", Mt5Settings)
        timing = self.form("Timing")
        for name in ("poll_seconds", "connect_timeout", "read_timeout", "poll_concurrency", "call_deadline_seconds",
                     "backoff_max_seconds", "deal_sync_seconds"):
            timing.field(f"mt5.{name}", Mt5Settings)
        self.intervals = QLineEdit(self)
        self.intervals.setPlaceholderText("e.g. 88001001: 2, 88001002: 30")
        self.intervals.setToolTip(describe(Mt5Settings, "account_intervals"))
        timing.row("Accounts at their own interval", self.intervals)
        advanced = self.form("Advanced")
        advanced.field("mt5.password_secret", Mt5Settings)
        self.layout_.addStretch(1)
        self.source.currentIndexChanged.connect(self._source_changed)

    def _source_changed(self) -> None:
        source = self.source.currentData()
        for form, name in ((self.demo, "demo"), (self.direct, "direct"), (self.bridges_form, "bridge")):
            form.box.setVisible(source == name)  # type: ignore[attr-defined]

    # ---- direct ------------------------------------------------------------------------------------

    def _fill_found(self) -> None:
        def show(found: tuple[Path, ...]) -> None:
            self.found.clear()
            if not found:
                self.found.addItem("None found (give the path, or it is found when the terminal runs)", "")
            for path in found:
                self.found.addItem(str(path), str(path))
            if len(found) > 1 and not self.path_editor.value():
                self.path_editor.set_problem(f"{len(found)} terminals are installed: choose which one FIDUS uses.")

        self.tasks.run(self.session.terminals, lane="io", on_success=show, name="find the MT5 terminals")

    def _pick_found(self, index: int) -> None:
        if value := self.found.itemData(index):
            self.path_editor.set_value(value)
            self.path_editor.set_problem("")

    def _chose_path(self, path: Path) -> None:
        self.path_editor.set_value(str(path))

    # ---- bridges -----------------------------------------------------------------------------------

    def test_bridge(self, index: int, row: BridgeRow) -> None:
        try:
            self.collect()
        except ValidationError as exc:
            show_result(row.result, False, exc.message)
            return
        show_result(row.result, None, "Testing…")

        def failed(exc: BaseException) -> None:
            show_result(row.result, False, str(exc))

        self.tasks.run(self.session.test_bridge(index), on_success=lambda r: show_result(row.result, r.ok, r.message),
                       on_failure=failed, name="test a bridge")

    # ---- to and from the session -----------------------------------------------------------------------

    def load_extra(self) -> None:
        mt5 = self.session.settings.mt5
        self.password.clear()
        self.password.setPlaceholderText("Saved in the keyring: leave empty to keep it"
                                         if self.session.has_secret(mt5.password_secret)
                                         else "The login's password (kept in the keyring)")
        self.bridges.set_bridges(mt5.bridges, self.session.has_secret)
        self.intervals.setText(account_intervals_text(mt5.account_intervals))
        self._source_changed()
        self._fill_found()

    def collect_extra(self) -> None:
        mt5 = self.session.settings.mt5
        self.session.set_secret(mt5.password_secret, self.password.text())
        login = self.other_login.text().strip()
        if login and self.other_password.text():
            if not login.isdigit():
                raise ValidationError("A login is a number.", {"mt5.accounts": "A login is a number."})
            self.session.set_secret(f"{mt5.password_secret}-{int(login)}", self.other_password.text())
        try:
            intervals = read_account_intervals(self.intervals.text())
        except ValueError as exc:
            raise ValidationError(str(exc), {"mt5.account_intervals": str(exc)}) from None
        self.session.edit("mt5", account_intervals=intervals)
        self.session.set_bridges(self.bridges.values())
        for row, bridge in zip(self.bridges.rows, self.session.settings.mt5.bridges, strict=True):
            row.entry = bridge.api_key_secret

    def show_extra_problems(self, problems: dict[str, str]) -> None:
        self.bridges.show_problems(problems)

    def extra_covered(self) -> set[str]:
        return {"mt5.bridges", "mt5.account_intervals"}
