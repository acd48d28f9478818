"""The first-run wizard's window: it renders the step of
:class:`fidus_desktop.setup.wizard.FirstRunWizard` and passes the manager's input into its data;
where to go next, what may be skipped and what is refused are the state machine's.

Closing the window (or Escape) finishes with what was chosen on the steps passed, defaults
elsewhere: the app always starts. ``finished(plan)`` is emitted once.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QRadioButton, QStackedWidget, QVBoxLayout, QWidget)

from fidus_desktop.config import BridgeEndpoint
from fidus_desktop.errors import ValidationError
from fidus_desktop.lanes import Lanes
from fidus_desktop.secrets import SecretStore
from fidus_desktop.setup.checks import check_bridge, check_mongodb
from fidus_desktop.setup.wizard import BridgeDraft, FirstRunWizard, Step

from .. import file_dialogs
from ..tasks import TaskRunner
from .bridges import BridgeList, BridgeRow
from .page import show_result, status_label

TITLES = {
    Step.START: "Where does the fund live?",
    Step.MONGODB: "The web platform's MongoDB",
    Step.MT5: "Where do MT5 figures come from?",
    Step.MT5_DIRECT: "MetaTrader 5 on this computer",
    Step.MT5_BRIDGES: "MT5 bridges",
    Step.GOOGLE: "Google Workspace",
    Step.SUMMARY: "Ready",
}
START_CHOICES = (
    ("demo", "Try it with the demo fund", "A fund on this computer with made-up clients, investments and MT5 "
                                          "accounts, to look around first."),
    ("empty", "Start an empty fund on this computer", "The embedded database: nothing to install or run; the fund "
                                                      "stays on this computer (back it up with the rest of it)."),
    ("mongodb", "Connect the web platform's MongoDB", "The fund the web platform already holds (Atlas): the desktop "
                                                      "and the platform then work on the same records."),
)
MT5_CHOICES = (
    ("demo", "The demo terminal", "Made-up accounts that move: the MT5 panel works without a terminal."),
    ("direct", "MetaTrader 5 on this computer", "This Windows computer runs the MT5 terminal with the fund's "
                                                "accounts."),
    ("bridge", "MT5 bridges", "FIDUS bridges on the VPS next to the terminal (fidus-bridge serve), tried in order."),
)


def _choices(parent: QWidget, options: tuple[tuple[str, str, str], ...]) -> tuple[QWidget, QButtonGroup, dict]:
    box = QWidget(parent)
    column = QVBoxLayout(box)
    group = QButtonGroup(box)
    buttons = {}
    for value, title, text in options:
        button = QRadioButton(title, box)
        button.setObjectName(f"choice:{value}")
        group.addButton(button)
        buttons[value] = button
        note = QLabel(text, box)
        note.setObjectName("settingDescription")
        note.setWordWrap(True)
        note.setContentsMargins(24, 0, 0, 8)
        column.addWidget(button)
        column.addWidget(note)
    column.addStretch(1)
    return box, group, buttons


class WizardDialog(QDialog):
    finished_plan = Signal(object)

    def __init__(self, wizard: FirstRunWizard, tasks: TaskRunner, lanes: Lanes, secrets: SecretStore | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunWizard")
        self.setWindowTitle("FIDUS Desktop — first steps" if wizard.first_run else "FIDUS Desktop — setup assistant")
        self.resize(760, 560)
        self.wizard = wizard
        self.tasks = tasks
        self.lanes = lanes
        self.secrets = secrets
        self._done = False
        self.title = QLabel("", self)
        self.title.setObjectName("wizardTitle")
        self.position = QLabel("", self)
        self.position.setObjectName("settingDescription")
        self.problem = status_label(self)
        self.stack = QStackedWidget(self)
        self.views: dict[Step, QWidget] = {}
        self._build_views()
        self.back_button = QPushButton("Back", self)
        self.skip_button = QPushButton("Skip this step", self)
        self.next_button = QPushButton("Next", self)
        self.next_button.setDefault(True)
        self.back_button.clicked.connect(self.back)
        self.skip_button.clicked.connect(self.skip)
        self.next_button.clicked.connect(self.next)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.skip_button)
        buttons.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.position)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.problem)
        layout.addLayout(buttons)
        self.render()

    # ---- the views ---------------------------------------------------------------------------------

    def _build_views(self) -> None:
        d = self.wizard.data
        start, self.start_group, self.start_buttons = _choices(self, START_CHOICES)
        self.start_buttons[d.start].setChecked(True)
        mt5, self.mt5_group, self.mt5_buttons = _choices(self, MT5_CHOICES)
        self.mt5_buttons[d.mt5_source].setChecked(True)

        mongo = QWidget(self)
        form = QFormLayout(mongo)
        intro = QLabel("Give the address of the fund's MongoDB, as the web platform uses it (Atlas: Connect → "
                       "Drivers). It carries the database password: it is kept in this computer's keyring only, "
                       "and tested before FIDUS uses it.", mongo)
        intro.setWordWrap(True)
        form.addRow(intro)
        self.uri = QLineEdit(mongo)
        self.uri.setObjectName("mongoUri")
        self.uri.setEchoMode(QLineEdit.EchoMode.Password)
        self.uri.setPlaceholderText("Saved in the keyring: leave empty to keep it" if self._saved("mongodb-uri")
                                    else "mongodb+srv://user:password@cluster0.example.net/")
        self.test_button = QPushButton("Test", mongo)
        self.test_button.clicked.connect(lambda: self.test_uri(then_next=False))
        line = QHBoxLayout()
        line.addWidget(self.uri, 1)
        line.addWidget(self.test_button)
        form.addRow("Address", line)
        self.database = QLineEdit(d.mongo_database, mongo)
        form.addRow("Database", self.database)
        self.uri_result = status_label(mongo)
        form.addRow("", self.uri_result)

        direct = QWidget(self)
        form = QFormLayout(direct)
        self.found = QComboBox(direct)
        self.found.activated.connect(lambda i: self.path.setText(self.found.itemData(i) or self.path.text()))
        form.addRow("Installed", self.found)
        self.path = QLineEdit(d.terminal_path, direct)
        choose = QPushButton("Choose…", direct)
        choose.clicked.connect(lambda: file_dialogs.open_file(self, "terminal64.exe", "MetaTrader 5 (terminal64.exe)",
                                                              lambda p: self.path.setText(str(p))))
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(choose)
        form.addRow("Terminal path", row)
        note = QLabel("Required when several terminals are installed, or the wrong one may attach.", direct)
        note.setObjectName("settingDescription")
        form.addRow("", note)
        self.portable = QCheckBox("The terminal was installed /portable", direct)
        self.portable.setChecked(d.portable)
        form.addRow("", self.portable)
        self.login = QLineEdit(str(d.login or ""), direct)
        self.login.setPlaceholderText("empty: the account the terminal is on")
        form.addRow("Login", self.login)
        self.server = QLineEdit(d.server, direct)
        form.addRow("Trade server", self.server)
        self.password = QLineEdit(direct)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("kept in the keyring; empty: the one saved in the terminal")
        form.addRow("Password", self.password)

        bridges = QWidget(self)
        column = QVBoxLayout(bridges)
        intro = QLabel("The bridges in order of preference: the first that answers serves, and FIDUS returns to the "
                       "first when it is back. Each key is kept in this computer's keyring.", bridges)
        intro.setWordWrap(True)
        column.addWidget(intro)
        self.bridge_list = BridgeList(self.test_bridge, bridges)
        self.bridge_list.set_bridges(tuple(BridgeEndpoint(b.name, b.url, b.entry) for b in d.bridges), self._saved)
        if not d.bridges:
            self.bridge_list.add(BridgeEndpoint(), False)
        column.addWidget(self.bridge_list)
        column.addStretch(1)

        google = QWidget(self)
        column = QVBoxLayout(google)
        text = QLabel("Gmail, Calendar and Drive from a client's record need a Google account connected. That can "
                      "wait: it is done in Settings → Google, with an OAuth client file (\"Desktop app\") from the "
                      "Google Cloud console. Everything else works without it.", google)
        text.setWordWrap(True)
        column.addWidget(text)
        self.open_google = QCheckBox("Open the Google settings once the fund is open", google)
        self.open_google.setChecked(d.open_google)
        column.addWidget(self.open_google)
        column.addStretch(1)

        summary = QWidget(self)
        column = QVBoxLayout(summary)
        self.summary = QLabel("", summary)
        self.summary.setWordWrap(True)
        column.addWidget(self.summary)
        column.addStretch(1)

        for step, view in ((Step.START, start), (Step.MONGODB, mongo), (Step.MT5, mt5), (Step.MT5_DIRECT, direct),
                           (Step.MT5_BRIDGES, bridges), (Step.GOOGLE, google), (Step.SUMMARY, summary)):
            self.views[step] = view
            self.stack.addWidget(view)

    def _saved(self, entry: str) -> bool:
        return entry in self.wizard.saved

    def render(self) -> None:
        step = self.wizard.step
        self.title.setText(TITLES[step])
        self.position.setText("Every step can be skipped, and each choice changed later in Settings (Ctrl+,).")
        self.stack.setCurrentWidget(self.views[step])
        self.back_button.setEnabled(self.wizard.can_go_back)
        self.skip_button.setVisible(self.wizard.can_skip)
        self.next_button.setText("Finish" if self.wizard.is_last else "Next")
        show_result(self.problem, None, "")
        if step is Step.SUMMARY:
            self.summary.setText("<br><br>".join(self.wizard.summary()))
        if step is Step.MT5_DIRECT:
            self._fill_found()

    def _fill_found(self) -> None:
        def show(found: tuple[Path, ...]) -> None:
            self.found.clear()
            self.found.addItem(f"{len(found)} found" if found else "None found", "")
            for path in found:
                self.found.addItem(str(path), str(path))

        self.tasks.run(self.wizard.terminals, lane="io", on_success=show, name="find the MT5 terminals")

    # ---- input into the state machine ----------------------------------------------------------------

    def collect(self) -> None:
        d, step = self.wizard.data, self.wizard.step
        if step is Step.START:
            d.start = next(v for v, b in self.start_buttons.items() if b.isChecked())  # type: ignore[assignment]
        elif step is Step.MONGODB:
            d.mongo_uri, d.mongo_database = self.uri.text().strip(), self.database.text().strip()
        elif step is Step.MT5:
            d.mt5_source = next(v for v, b in self.mt5_buttons.items() if b.isChecked())  # type: ignore[assignment]
        elif step is Step.MT5_DIRECT:
            text = self.login.text().strip()
            if text and not text.isdigit():
                raise ValidationError("A login is a number.", {"mt5.login": "A login is a number."})
            d.terminal_path, d.portable, d.login = self.path.text().strip(), self.portable.isChecked(), int(text or 0)
            d.server, d.mt5_password = self.server.text().strip(), self.password.text()
        elif step is Step.MT5_BRIDGES:
            d.bridges = [BridgeDraft(name, url, key, entry) for name, url, entry, key in self.bridge_list.values()]
        elif step is Step.GOOGLE:
            d.open_google = self.open_google.isChecked()

    def next(self) -> None:
        if self.wizard.is_last:
            self.finish()
            return
        try:
            self.collect()
            d = self.wizard.data
            if self.wizard.step is Step.MONGODB and d.mongo_uri and d.mongo_uri != d.mongo_tested:
                self.test_uri(then_next=True)
                return
            self.wizard.next()
        except ValidationError as exc:
            show_result(self.problem, False, exc.message)
            if self.wizard.step is Step.MT5_BRIDGES:
                self.bridge_list.show_problems(exc.fields)
            return
        self.render()

    def skip(self) -> None:
        self.wizard.skip()
        self.render()

    def back(self) -> None:
        self.wizard.back()
        self.render()

    def test_uri(self, *, then_next: bool) -> None:
        self.collect()
        uri, database = self.wizard.data.mongo_uri, self.wizard.data.mongo_database
        if not uri:
            show_result(self.uri_result, False, "Enter the address first.")
            return
        show_result(self.uri_result, None, "Testing the address…")
        self.next_button.setEnabled(False)
        self.test_button.setEnabled(False)

        def done(result) -> None:
            self.next_button.setEnabled(True)
            self.test_button.setEnabled(True)
            show_result(self.uri_result, result.ok, result.message)
            if result.ok:
                self.wizard.mongo_checked(uri)
                if then_next:
                    self.next()

        self.tasks.run(check_mongodb(uri, database or "fidus_production",
                                     timeout_seconds=self.wizard.base.storage.timeout_seconds, lanes=self.lanes),
                       on_success=done, name="test the MongoDB address")

    def test_bridge(self, index: int, row: BridgeRow) -> None:
        name, url, entry, key = row.values()
        show_result(row.result, None, "Testing…")

        async def run():
            secret = key or (await self.lanes.io.run(lambda: self.secrets.get(entry)) if self.secrets and entry
                             else "")
            if not secret:
                from fidus_desktop.setup.checks import CheckResult

                return CheckResult(False, "Enter this bridge's API key first.")
            mt5 = self.wizard.base.mt5
            return await check_bridge(name, url, secret, connect_timeout=mt5.connect_timeout,
                                      read_timeout=mt5.read_timeout)

        self.tasks.run(run(), on_success=lambda r: show_result(row.result, r.ok, r.message), name="test a bridge")

    # ---- the end ---------------------------------------------------------------------------------------

    def finish(self) -> None:
        if not self._done:
            self._done = True
            self.finished_plan.emit(self.wizard.plan())
        self.accept()

    def reject(self) -> None:  # Escape: finish with what was chosen so far
        self.finish()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt naming)
        if not self._done:
            self._done = True
            self.finished_plan.emit(self.wizard.plan())
        super().closeEvent(event)
