"""The CRM panel: the pipeline (kanban and table over the core's pipeline index, one filter for
both), the selected record with its timeline, and the clients.

The panel wires views to the core: views render and emit, the actions (``pipeline_actions``,
``client_actions``, ``import_export``) call the CRM services through the task runner, and every
redraw comes from the :class:`PipelineService`'s snapshot (``EventType.PIPELINE_UPDATED``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QButtonGroup, QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSplitter,
                               QStackedWidget, QTabWidget, QVBoxLayout, QWidget)

from fidus_desktop.crm.filters import PipelineFilter, Sort, from_setting
from fidus_desktop.crm.pipeline_service import PipelineService, PipelineUpdate
from fidus_desktop.domain.prospects import Stage
from fidus_desktop.events import EventType
from fidus_desktop.services.changes import Changes

from ..panels.base import Panel
from .client_actions import ClientActions
from .clients_view import ClientsView
from .filter_bar import FilterBar
from .import_export import ImportExport
from .kanban import KanbanBoard
from .pipeline_actions import PipelineActions
from .record_pane import ProspectPane
from .table import PipelineTable


class CrmPanel(PipelineActions, ClientActions, ImportExport, Panel):
    NAME = "crm"
    TITLE = "CRM"
    SHORTCUT = "Ctrl+1"
    REQUIRES = ("store",)

    def __init__(self, context, tasks, parent: QWidget | None = None, *, bridge=None) -> None:
        super().__init__(context, tasks, parent, bridge=bridge)
        self.service: PipelineService | None = context.service(PipelineService)
        crm = context.settings.crm
        self.page_size = max(5, crm.kanban_page_size)
        self.filter = PipelineFilter()
        self.sort = Sort("created_at", True)
        self.limits = {stage: self.page_size for stage in Stage}
        self._generation = 0
        self._drafts: dict[str, Any] = {}
        #: A key to select once the views show it (a portal lead migrated by a move).
        self.follow = ""
        #: The pipeline has been drawn once (what start-up waits for).
        self.drawn = False
        self._choices: tuple[list[str], list[str]] = ([], [])
        self._dialog: Any = None
        #: The slots the table shows (in order), for the export of the current selection.
        self.slots = np.zeros(0, dtype=np.int64)

        # Built top-down, every widget in its final parent: under the app's style sheet each
        # re-parenting re-polishes the whole subtree, and the panel opened in 0.8 s instead.
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        self.tabs = QTabWidget(self)
        layout.addWidget(self.tabs)
        pipeline, clients_page = QWidget(), QWidget()
        self.tabs.addTab(pipeline, "Pipeline")
        self.tabs.addTab(clients_page, "Clients")
        column = QVBoxLayout(pipeline)
        column.setContentsMargins(0, 0, 0, 0)
        # The tools scroll sideways in a narrow window instead of holding it wide.
        toolbar = QScrollArea(pipeline)
        toolbar.setWidgetResizable(True)
        toolbar.setFrameShape(QFrame.Shape.NoFrame)
        toolbar.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        column.addWidget(toolbar)
        tools = QWidget(toolbar.viewport())
        toolbar.setWidget(tools)
        rows = QVBoxLayout(tools)
        rows.setContentsMargins(0, 0, 0, 0)
        self.filters = FilterBar(tools)
        rows.addWidget(self.filters)
        bar = QHBoxLayout()
        rows.addLayout(bar)
        self.board_button, self.table_button = QPushButton("Kanban", tools), QPushButton("Table", tools)
        group = QButtonGroup(self)
        for button in (self.board_button, self.table_button):
            button.setCheckable(True)
            group.addButton(button)
        self.board_button.setChecked(True)
        self.new_button = QPushButton("New prospect", tools)
        self.import_button = QPushButton("Import CSV…", tools)
        self.export_button = QPushButton("Export CSV…", tools)
        for widget in (self.board_button, self.table_button, self.new_button, self.import_button, self.export_button):
            bar.addWidget(widget)
        bar.addStretch(1)
        toolbar.setFixedHeight(tools.sizeHint().height() + toolbar.horizontalScrollBar().sizeHint().height() + 2)
        self.state = QLabel("Loading the pipeline…", pipeline)
        self.state.setObjectName("panelSubheading")
        self.state.setWordWrap(True)
        column.addWidget(self.state)
        split = QSplitter(pipeline)
        column.addWidget(split, 1)
        self.views = QStackedWidget(split)
        split.addWidget(self.views)
        self.kanban = KanbanBoard(crm.folded_stages, self.views)
        self.views.addWidget(self.kanban)
        # The table and the Clients tab are built when first shown (each costs tens of ms).
        self._table: PipelineTable | None = None
        self._clients: ClientsView | None = None
        self._clients_page = clients_page
        #: The record pane is built after the board is first drawn, in a loop turn of its own.
        self._pane: ProspectPane | None = None
        self._split = split
        page = QVBoxLayout(clients_page)
        page.setContentsMargins(0, 0, 0, 0)

        self.filters.set_saved([from_setting(s) for s in crm.saved_filters])
        self.filters.filter_changed.connect(self.set_filter)
        self.filters.save_requested.connect(self.save_filter)
        self.filters.saved_chosen.connect(self.use_saved_filter)
        self.board_button.clicked.connect(lambda: self.show_view("kanban"))
        self.table_button.clicked.connect(lambda: self.show_view("table"))
        self.new_button.clicked.connect(self.new_prospect)
        self.import_button.clicked.connect(self.choose_import_file)
        self.export_button.clicked.connect(self.choose_export_file)
        self.kanban.selected.connect(self.open_record)
        self.kanban.move_requested.connect(self.move)
        self.kanban.create_requested.connect(self.quick_create)
        self.kanban.more_requested.connect(self.show_more)
        self.kanban.fold_changed.connect(self._save_folds)
        self.tabs.currentChanged.connect(lambda _i: self.invalidate("tab"))
        if bridge is not None:
            bridge.on(EventType.PIPELINE_UPDATED, self._on_pipeline)

    @classmethod
    def warm_up(cls, parent: QWidget) -> Iterator[None]:
        # Measured first builds against later ones: filter bar 28 vs 6 ms, board 36 vs 11 ms,
        # record pane 46 vs 13 ms; each step stays under the 50 ms a turn may take.
        for make in (FilterBar, lambda p: KanbanBoard((), p), ProspectPane):
            holder = QWidget(parent)
            holder.hide()
            make(holder).ensurePolished()
            holder.deleteLater()
            yield

    @property
    def table(self) -> PipelineTable:
        if self._table is None:
            self._table = PipelineTable(self.tasks, self.views)
            self.views.addWidget(self._table)
            self._table.sort = self.sort
            self._table.selected.connect(self.open_record)
            self._table.sort_changed.connect(self.set_sort)
        return self._table

    @property
    def pane(self) -> ProspectPane:
        if self._pane is None:
            self._pane = ProspectPane(self._split)
            self._split.addWidget(self._pane)
            self._split.setStretchFactor(0, 3)
            self._split.setStretchFactor(1, 2)
            self._split.setSizes([1000, 560])
            self.connect_pane()
        return self._pane

    @property
    def open_key(self) -> str:
        """The key of the record in the pane ("" when none is, or the pane is not built yet)."""
        return self._pane.key if self._pane is not None else ""

    @property
    def clients(self) -> ClientsView:
        if self._clients is None:
            self._clients = ClientsView(self._clients_page)
            self._clients_page.layout().addWidget(self._clients)
            self.connect_clients()
        return self._clients

    # ---- redrawing ---------------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        # The record pane too: a card can be opened (and the services held back at start-up,
        # which wait for this, no longer compete with the pane's first build for the interpreter).
        return (self.service is not None and self.service.snapshot is not None and not self.stale and self.drawn
                and self._pane is not None)

    def _on_pipeline(self, update: PipelineUpdate) -> None:
        self.invalidate("pipeline")

    def on_changes(self, changes: Changes) -> None:
        self.take_external_change(changes)

    def refresh(self, why: set[str]) -> None:
        service = self.service
        if service is None:
            self.state.setText("The CRM service is not running.")
            return
        if service.snapshot is None:
            self.state.setText(service.error or "Loading the pipeline…")
            if service.error:
                return
        self._generation += 1
        generation = self._generation
        flt, sort, limits = self.filter, self.sort, dict(self.limits)
        # Only the view in sight is computed and drawn; the other is redrawn when shown.
        table = self._table is not None and self.views.currentWidget() is self._table

        async def load() -> Any:
            snapshot = await service.ready()

            def compute() -> Any:
                board = None if table else snapshot.board(flt, sort, limits)
                slots = snapshot.select(flt, sort) if table else None
                return snapshot, board, slots, snapshot.choices("source"), snapshot.choices("owner")

            return await self.context.lanes.cpu.run(compute, action="draw the pipeline")

        self.tasks.run(load(), name="draw the pipeline", on_success=lambda r: self._draw(generation, *r),
                       on_failure=self._failed)
        if self.tabs.currentIndex() == 1:
            self.clients.show_clients(service.client_rows())

    def _draw(self, generation: int, snapshot: Any, board: Any, slots: Any, sources: list, owners: list) -> None:
        if generation != self._generation:
            return  # a newer filter or change came meanwhile
        shown = 0
        if board is not None:
            self.kanban.show_board(board)
            shown = sum(c.count for c in board.columns.values())
        if slots is not None:
            self.slots = slots
            self.table.show_slots(snapshot, slots, len(snapshot))
            shown = len(slots)
        self.drawn = True
        if self._pane is None:
            QTimer.singleShot(0, lambda: self.pane)
        if (sources, owners) != self._choices:
            self._choices = (sources, owners)
            self.filters.set_choices(sources, owners)
        if self.follow and (self.kanban.select(self.follow) or (self._table is not None
                                                                and self._table.select(self.follow))):
            self.follow = ""
        pending = f"; {len(snapshot.pending)} change(s) waiting to be saved" if snapshot.pending else ""
        self.state.setText(f"{shown:,} of {len(snapshot):,} records ({self.filter.describe()}){pending}.")

    def _failed(self, exc: BaseException) -> None:
        self.state.setText(getattr(exc, "message", "") or "The pipeline could not be shown.")
        if not hasattr(exc, "message"):
            self.tasks.report(exc, "draw the pipeline")

    # ---- what the manager chooses -------------------------------------------------------------------

    def set_filter(self, flt: PipelineFilter) -> None:
        self.filter = flt
        self.limits = {stage: self.page_size for stage in Stage}
        self.invalidate("filter")

    def set_sort(self, sort: Sort) -> None:
        self.sort = sort
        self.invalidate("sort")

    def show_view(self, which: str) -> None:
        widget = self.table if which == "table" else self.kanban
        (self.table_button if which == "table" else self.board_button).setChecked(True)
        self.views.setCurrentWidget(widget)
        if self.open_key:
            (self.table if which == "table" else self.kanban).select(self.open_key)
        self.invalidate("view")

    def show_more(self, stage: Stage) -> None:
        self.limits[stage] += self.page_size
        self.invalidate("more")

    def _save_folds(self, folded: set[Stage]) -> None:
        crm = dataclasses.replace(self.context.settings.crm, folded_stages=tuple(s.value for s in Stage if s in folded))
        self._update_settings(crm)

    def _update_settings(self, crm: Any) -> None:
        try:
            self.context.update_settings(self.context.settings.replace(crm=crm))
        except OSError as exc:
            self.state.setText(f"The setting was not saved: {exc}")

    def open_other_panel(self, name: str) -> None:
        window = self.window()
        show = getattr(window, "show_panel", None)
        if show is not None:
            show(name)

    def actions(self) -> list[tuple[str, object]]:
        return [("New prospect", self.new_prospect),
                ("Import prospects from CSV…", self.choose_import_file),
                ("Export the pipeline to CSV…", self.choose_export_file),
                ("Show the pipeline as a kanban", lambda: self.show_view("kanban")),
                ("Show the pipeline as a table", lambda: self.show_view("table")),
                ("Move the selected card to the next stage (Alt+Right)", lambda: self.kanban.move_selected(1)),
                ("Move the selected card to the previous stage (Alt+Left)", lambda: self.kanban.move_selected(-1)),
                ("Convert the selected prospect to a client", self.convert),
                ("Record the AML/KYC decision of the selected prospect", self.kyc_decision),
                ("Save the current filter…", lambda: self.save_filter(self.filter)),
                ("New client", self.new_client)]

    def on_closing(self) -> None:
        self._dialog = None
