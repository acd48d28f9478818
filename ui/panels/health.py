"""The Health panel: every outside service's state, live; the changes waiting in the outbox (with
retry and discard for the ones that need the manager); records left out of the figures."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QFormLayout, QHBoxLayout, QHeaderView, QLabel, QListWidget,
                               QListWidgetItem, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from fidus_desktop.events import EventType
from fidus_desktop.runtime.outbox import OutboxService, OutboxState
from fidus_desktop.services.health import ServiceName, ServiceState, ServiceStatus

from ..status_badges import SERVICE_LABELS, STATE_LABELS, local_time
from .base import Panel

#: The same colours as the status-bar badges (resources/style/light.qss).
STATE_COLOURS = {ServiceState.ONLINE: "#1e7b45", ServiceState.STALE: "#a4660f", ServiceState.OFFLINE: "#b42318",
                 ServiceState.CONNECTING: "#2456a6"}
COLUMNS = ("Service", "State", "Source", "Detail", "Since")
PROBLEM_COLUMNS = ("Collection", "Record", "Field", "Why it is left out")


class HealthPanel(Panel):
    NAME = "health"
    TITLE = "Health"
    SHORTCUT = "Ctrl+5"

    def __init__(self, context, tasks, parent: QWidget | None = None, *, bridge=None) -> None:
        super().__init__(context, tasks, parent, bridge=bridge)
        self.outbox = context.service(OutboxService)
        self._rows = {name: row for row, name in enumerate(ServiceName)}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        heading = QLabel("Service health", self)
        heading.setObjectName("panelHeading")
        layout.addWidget(heading)

        self.table = QTableWidget(len(self._rows), len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table)

        facts = QFormLayout()
        self.outbox_label = QLabel("…", self)
        self.store_label = QLabel("", self)
        self.folder_label = QLabel(str(context.paths.data_dir), self)
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        facts.addRow("Changes waiting to be sent:", self.outbox_label)
        facts.addRow("Fund data:", self.store_label)
        facts.addRow("Data folder:", self.folder_label)
        layout.addLayout(facts)

        self.problems_label = QLabel("", self)
        self.problems_label.setWordWrap(True)
        layout.addWidget(self.problems_label)
        self.problems_table = QTableWidget(0, len(PROBLEM_COLUMNS), self)
        self.problems_table.setHorizontalHeaderLabels(PROBLEM_COLUMNS)
        self.problems_table.verticalHeader().hide()
        self.problems_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.problems_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        problem_header = self.problems_table.horizontalHeader()
        problem_header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        problem_header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.problems_table.hide()
        layout.addWidget(self.problems_table, 1)

        buttons = QHBoxLayout()
        self.reconnect_button = QPushButton("Reconnect database", self)
        self.reconnect_button.clicked.connect(self.reconnect)
        buttons.addWidget(self.reconnect_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)

        held = QLabel("Changes that could not be saved (they wait for you):", self)
        layout.addWidget(held)
        self.held = QListWidget(self)
        self.held.setMaximumHeight(120)
        layout.addWidget(self.held)
        held_buttons = QHBoxLayout()
        self.retry_button = QPushButton("Try again", self)
        self.discard_button = QPushButton("Discard…", self)
        self.retry_button.clicked.connect(self.retry_held)
        self.discard_button.clicked.connect(self.discard_held)
        held_buttons.addWidget(self.retry_button)
        held_buttons.addWidget(self.discard_button)
        held_buttons.addStretch(1)
        layout.addLayout(held_buttons)
        layout.addStretch(1)

        for status in context.health.all():
            self.on_status(status)
        if bridge is not None:
            bridge.on(EventType.OUTBOX_CHANGED, self.show_outbox)
            bridge.on(EventType.PORTFOLIO_UPDATED, lambda _update: self.invalidate("problems"), owner=self)
        self.show_outbox(self.outbox.state if self.outbox is not None else None)

    # ---- live state ---------------------------------------------------------------------

    def on_status(self, status: ServiceStatus) -> None:
        row = self._rows[status.service]
        cells = (SERVICE_LABELS[status.service], STATE_LABELS[status.state], status.source, status.detail,
                 local_time(status))
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            self.table.setItem(row, column, item)
        self.table.item(row, 1).setForeground(QColor(STATE_COLOURS.get(status.state, "#4a5868")))
        self.table.resizeRowsToContents()
        self._fit_table_height()
        if status.service is ServiceName.DATABASE:
            self.reconnect_button.setEnabled(status.state in (ServiceState.OFFLINE, ServiceState.STALE))
            store = self.context.store
            self.store_label.setText(f"{status.source} ({STATE_LABELS[status.state]})" if store is None
                                     else f"{status.source}: {store.location}")

    def _fit_table_height(self) -> None:
        # Three services: show them all, no scrolling and no empty area below.
        rows = sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
        self.table.setFixedHeight(rows + self.table.horizontalHeader().sizeHint().height()
                                  + 2 * self.table.frameWidth())

    def state_text(self, service: ServiceName) -> str:
        item = self.table.item(self._rows[service], 1)
        return item.text() if item else ""

    def refresh(self, why: set[str]) -> None:
        self.refresh_problems()

    def on_changes(self, changes: object) -> None:
        self.invalidate("problems")  # a reload may have found (or cleared) a bad record

    def refresh_problems(self) -> None:
        """Show what the store's reads left out; reads happen elsewhere (no I/O here)."""
        store = self.context.store
        problems = store.problems.all() if store is not None else []
        if not problems:
            self.problems_label.setText("Records left out of the figures: none.")
            self.problems_table.hide()
            return
        self.problems_label.setText(
            f"Records left out of the figures: {len(problems)}. The app cannot trust a value in each (an "
            "amount that is not a number, a date out of range, an unknown status...), so every figure is "
            "computed without them. Correct them in the database; 'fidus-desktop doctor' lists them all.")
        self.problems_table.setRowCount(len(problems))
        for row, problem in enumerate(problems):
            for column, text in enumerate((problem.collection, problem.key, problem.field, problem.reason)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.problems_table.setItem(row, column, item)
        self.problems_table.show()

    def problem_rows(self) -> list[tuple[str, ...]]:
        table = self.problems_table
        return [tuple(table.item(r, c).text() for c in range(table.columnCount())) for r in range(table.rowCount())
                ] if not table.isHidden() else []

    def show_outbox(self, state: OutboxState | None) -> None:
        if self.context.cache is None:
            self.outbox_label.setText("local cache not available: changes made offline cannot be kept")
            return
        state = state or OutboxState()
        self.outbox_label.setText("none" if not state.total else state.describe())
        self.held.clear()
        for item in state.held:
            entry = QListWidgetItem(f"{item.summary}: {item.reason}")
            entry.setData(Qt.ItemDataRole.UserRole, item.item_id)
            self.held.addItem(entry)
        self.retry_button.setEnabled(bool(state.held))
        self.discard_button.setEnabled(bool(state.held))

    def _held_id(self) -> int | None:
        item = self.held.currentItem() or (self.held.item(0) if self.held.count() else None)
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))

    def retry_held(self) -> None:
        item_id = self._held_id()
        if item_id is not None and self.outbox is not None:
            self.tasks.run(self.outbox.retry(item_id), name="retry a held change")

    def discard_held(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        item_id = self._held_id()
        if item_id is None or self.outbox is None:
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "Discard this change?",
                          "The change will never be saved to the database. Discard it?",
                          QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel, self)
        outbox = self.outbox

        def answered(button: int) -> None:
            if button == QMessageBox.StandardButton.Discard:
                self.tasks.run(outbox.discard(item_id), name="discard a held change")

        box.finished.connect(answered)
        box.open()  # not exec(): the loop keeps running while the manager decides

    def reconnect(self) -> None:
        self.reconnect_button.setEnabled(False)
        self.tasks.run(self.context.reconnect(), name="reconnect database")

    def actions(self) -> list[tuple[str, object]]:
        return [("Reconnect database", self.reconnect)]
