"""The settings dialog: every option of ``fidus_desktop.config.Settings`` on five pages, each
with its declared description. Saving goes through the core's session (checks, a MongoDB test
off the window's thread, secrets to the keyring, then the settings announced and applied at
once); when something can only change at the next start, the dialog says so.

Opened with ``open()`` (non-modal for the loop): the window keeps running behind it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QListWidget, QPushButton, QScrollArea,
                               QStackedWidget, QVBoxLayout, QWidget)

from fidus_desktop.errors import ValidationError
from fidus_desktop.runtime.settings_change import SettingsChange
from fidus_desktop.setup.session import SettingsSession

from ..tasks import TaskRunner
from .alerts_page import AlertsPage
from .appearance_page import AppearancePage
from .crm_page import CrmPage
from .google_page import GooglePage
from .mt5_page import Mt5Page
from .page import SettingsPage, show_result
from .storage_page import StoragePage

PAGES: tuple[tuple[str, type[SettingsPage]], ...] = (
    ("storage", StoragePage), ("mt5", Mt5Page), ("google", GooglePage), ("alerts", AlertsPage), ("crm", CrmPage),
    ("appearance", AppearancePage))
#: Settings the app keeps for itself, not options the manager sets (the CRM's saved filters and
#: folded columns are made in its panel).
STATE_FIELDS = frozenset({"config_version", "ui.window_geometry", "ui.window_state", "ui.last_panel", "ui.last_folder",
                          "crm.saved_filters", "crm.folded_stages"})


class SettingsDialog(QDialog):
    #: Emitted after each save with the :class:`SettingsChange`.
    saved = Signal(object)

    def __init__(self, session: SettingsSession, tasks: TaskRunner, parent: QWidget | None = None, *,
                 page: str = "storage", run_wizard: Callable[[], None] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings — FIDUS Desktop")
        self.resize(1000, 700)
        self.session = session
        self.tasks = tasks
        self.nav = QListWidget(self)
        self.nav.setObjectName("settingsPages")
        self.nav.setFixedWidth(220)
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.stack = QStackedWidget(self)
        #: Pages are built when first shown: a page of editors takes tens of milliseconds to
        #: make, and five at once would hold the window for a quarter of a second.
        self.pages: dict[str, SettingsPage] = {}
        self._scrolls: dict[str, QScrollArea] = {}
        for name, cls in PAGES:
            scroll = QScrollArea(self)
            scroll.setWidgetResizable(True)
            self._scrolls[name] = scroll
            self.stack.addWidget(scroll)
            self.nav.addItem(cls.TITLE)
        self.nav.currentRowChanged.connect(self._row_shown)
        self.status = QLabel("Reading the keyring…", self)
        self.status.setObjectName("checkResult")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Apply
                                        | QDialogButtonBox.StandardButton.Cancel, parent=self)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.apply_button = self.buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.save_button.clicked.connect(lambda: self.submit(close=True))
        self.apply_button.clicked.connect(lambda: self.submit(close=False))
        self.buttons.rejected.connect(self.reject)
        self.wizard_button = QPushButton("First-run assistant…", self)
        self.wizard_button.setToolTip("The first-run steps again: where the fund lives, the MT5 source, Google.")
        self.wizard_button.setVisible(run_wizard is not None)
        if run_wizard is not None:
            self.wizard_button.clicked.connect(lambda: (self.reject(), run_wizard()))

        body = QHBoxLayout()
        body.addWidget(self.nav)
        body.addWidget(self.stack, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.wizard_button)
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addLayout(bottom)
        self._enable(False)
        self.ready = False
        self.show_page(page)
        tasks.run(session.load(), on_success=lambda _: self._loaded(), on_failure=self._load_failed,
                  name="open the settings")

    def _row_shown(self, row: int) -> None:
        if row >= 0:
            self.page(PAGES[row][0])
            self.stack.setCurrentIndex(row)

    def _loaded(self) -> None:
        for page in self.pages.values():
            page.load()
        self.ready = True
        self._enable(True)
        show_result(self.status, None, self.session.keyring_problem)

    def _load_failed(self, exc: BaseException) -> None:
        for page in self.pages.values():
            page.load()
        self.ready = True
        self._enable(True)
        show_result(self.status, False, f"The keyring could not be read ({exc}); saved secrets are shown as not set.")

    def show_page(self, name: str) -> None:
        self.nav.setCurrentRow([n for n, _ in PAGES].index(name))

    def page(self, name: str) -> SettingsPage:
        """The page ``name``, built (and filled, once the keyring was read) on first use."""
        if name not in self.pages:
            cls = dict(PAGES)[name]
            page = cls(self.session, self.tasks, self)
            self.pages[name] = page
            self._scrolls[name].setWidget(page)
            if self.ready:
                page.load()
        return self.pages[name]

    def covered(self) -> set[str]:
        return set().union(*(self.page(name).covered() for name, _ in PAGES))

    def _enable(self, on: bool) -> None:
        for button in (self.save_button, self.apply_button):
            button.setEnabled(on)

    # ---- saving ---------------------------------------------------------------------------------

    def submit(self, *, close: bool) -> None:
        try:
            for page in self.pages.values():
                page.collect()
        except ValidationError as exc:
            self._failed(exc)
            return
        self._enable(False)
        typed = self.session.typed_mongo_uri
        show_result(self.status, None, "Testing the MongoDB address, then saving…" if typed else "Saving…")
        self.tasks.run(self.session.save(), on_success=lambda change: self._saved(change, close),
                       on_failure=self._failed, name="save the settings")

    def _saved(self, change: SettingsChange, close: bool) -> None:
        self._enable(True)
        for page in self.pages.values():
            page.show_problems({})
            page.load()
        self.saved.emit(change)
        if change.restart_needed:
            show_result(self.status, True, "Saved. The database changes when FIDUS Desktop starts again: "
                                           "close it and open it when convenient.")
            return
        show_result(self.status, True, "Saved and applied." if change.sections else "Nothing changed.")
        if close:
            self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._enable(True)
        problems = exc.fields if isinstance(exc, ValidationError) else {}
        first = None
        for name, cls in PAGES:
            if any(k == p or k.startswith((p + ".", p + "[")) for k in problems for p in cls.PREFIXES):
                self.page(name)
        for name, page in self.pages.items():
            if page.show_problems(problems) and first is None:
                first = name
        if first is not None:
            self.show_page(first)
        show_result(self.status, False, str(exc) or type(exc).__name__)
