"""The Health panel: every outside service's state, live, what waits in the local outbox, and the
records left out of the figures because the app cannot trust them."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QFormLayout, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from fidus_desktop.services.health import ServiceName, ServiceState, ServiceStatus

from ..status_badges import SERVICE_LABELS, STATE_LABELS, local_time
from .base import Panel

#: The same colours as the status-bar badges (resources/style/light.qss).
STATE_COLOURS = {ServiceState.ONLINE: "#1e7b45", ServiceState.STALE: "#a4660f", ServiceState.OFFLINE: "#b42318",
                 ServiceState.CONNECTING: "#2456a6"}
COLUMNS = ("Service", "State", "Source", "Detail", "Since")
PROBLEM_COLUMNS = ("Collection", "Record", "Field", "Why it is left out")
#: The outbox changes without events (the sync worker drains it); a slow poll while visible.
OUTBOX_POLL_MS = 5000


class HealthPanel(Panel):
    NAME = "health"
    TITLE = "Health"
    SHORTCUT = "Ctrl+5"

    def __init__(self, context, tasks, parent: QWidget | None = None) -> None:
        super().__init__(context, tasks, parent)
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
        layout.addStretch(1)

        self._poll = QTimer(self)
        self._poll.setInterval(OUTBOX_POLL_MS)
        self._poll.timeout.connect(self.refresh_outbox)
        for status in context.health.all():
            self.on_status(status)

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

    def on_shown(self) -> None:
        self.refresh_outbox()
        self._poll.start()

    def on_changes(self, changes: object) -> None:
        self.refresh_problems()  # a panel's reload may have found (or cleared) a bad record

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

    def hideEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        self._poll.stop()  # no polling for a panel nobody looks at
        super().hideEvent(event)

    def on_closing(self) -> None:
        self._poll.stop()

    def refresh_outbox(self) -> None:
        self.refresh_problems()  # on the same slow poll: reads by other panels may have found some
        cache = self.context.cache
        if cache is None:
            self.outbox_label.setText("local cache not available")
            return
        self.tasks.run(cache.pending_count(), on_success=self._show_outbox, name="count outbox")

    def _show_outbox(self, count: int) -> None:
        self.outbox_label.setText("none" if count == 0 else f"{count} change{'s' if count != 1 else ''}")

    def reconnect(self) -> None:
        self.reconnect_button.setEnabled(False)
        self.tasks.run(self.context.reconnect(), name="reconnect database")

    def actions(self) -> list[tuple[str, object]]:
        return [("Reconnect database", self.reconnect), ("Refresh outbox count", self.refresh_outbox)]
