"""The CRM panel: the pipeline (kanban and table over the core's pipeline index, one filter for
both), the selected record with its timeline, and the clients.

The panel wires views to the core: views render and emit, the actions (``pipeline_actions``,
``client_actions``, ``import_export``) call the CRM services through the task runner, and every
redraw comes from the :class:`PipelineService`'s snapshot (``EventType.PIPELINE_UPDATED``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
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
        self._dialog: Any = None
        #: The slots the table shows (in order), for the export of the current selection.
        self.slots = np.zeros(0, dtype=np.int64)

        self.filters = FilterBar(self)
        self.kanban = KanbanBoard(crm.folded_stages, self)
        self.table = PipelineTable(tasks, self)
        self.views = QStackedWidget(self)
        self.views.addWidget(self.kanban)
        self.views.addWidget(self.table)
        self.pane = ProspectPane(self)
        self.state = QLabel("Loading the pipeline…", self)
        self.state.setObjectName("panelSubheading")
        self.state.setWordWrap(True)
        self.board_button, self.table_button = QPushButton("Kanban", self), QPushButton("Table", self)
        group = QButtonGroup(self)
        for button in (self.board_button, self.table_button):
            button.setCheckable(True)
            group.addButton(button)
        self.board_button.setChecked(True)
        self.new_button = QPushButton("New prospect", self)
        self.import_button = QPushButton("Import CSV…", self)
        self.export_button = QPushButton("Export CSV…", self)
        tools = QWidget(self)
        rows = QVBoxLayout(tools)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.addWidget(self.filters)
        bar = QHBoxLayout()
        for widget in (self.board_button, self.table_button, self.new_button, self.import_button, self.export_button):
            bar.addWidget(widget)
        bar.addStretch(1)
        rows.addLayout(bar)
        # The tools scroll sideways in a narrow window instead of holding it wide.
        toolbar = QScrollArea(self)
        toolbar.setWidget(tools)
        toolbar.setWidgetResizable(True)
        toolbar.setFrameShape(QFrame.Shape.NoFrame)
        toolbar.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        toolbar.setFixedHeight(tools.sizeHint().height() + toolbar.horizontalScrollBar().sizeHint().height() + 2)
        pipeline = QWidget(self)
        column = QVBoxLayout(pipeline)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(toolbar)
        column.addWidget(self.state)
        split = QSplitter(self)
        split.addWidget(self.views)
        split.addWidget(self.pane)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([1000, 560])
        column.addWidget(split, 1)
        self.clients = ClientsView(self)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(pipeline, "Pipeline")
        self.tabs.addTab(self.clients, "Clients")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.tabs)

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
        self.table.selected.connect(self.open_record)
        self.table.sort_changed.connect(self.set_sort)
        self.connect_pane()
        self.connect_clients()
        self.tabs.currentChanged.connect(lambda _i: self.invalidate("tab"))
        if bridge is not None:
            bridge.on(EventType.PIPELINE_UPDATED, self._on_pipeline)

    # ---- redrawing ---------------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return (self.service is not None and self.service.snapshot is not None and not self.stale
                and self.kanban.board is not None)

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
        table = self.views.currentWidget() is self.table

        async def load() -> Any:
            snapshot = await service.ready()

            def compute() -> Any:
                board = snapshot.board(flt, sort, limits)
                slots = snapshot.select(flt, sort) if table else None
                return snapshot, board, slots, snapshot.choices("source"), snapshot.choices("owner")

            return await self.context.lanes.cpu.run(compute, action="draw the pipeline")

        self.tasks.run(load(), name="draw the pipeline", on_success=lambda r: self._draw(generation, *r),
                       on_failure=self._failed)
        if self.tabs.currentWidget() is self.clients:
            self.clients.show_clients(service.client_rows())

    def _draw(self, generation: int, snapshot: Any, board: Any, slots: Any, sources: list, owners: list) -> None:
        if generation != self._generation:
            return  # a newer filter or change came meanwhile
        self.kanban.show_board(board)
        if slots is not None:
            self.slots = slots
            self.table.show_slots(snapshot, slots, len(snapshot))
        self.filters.set_choices(sources, owners)
        if self.follow and (self.kanban.select(self.follow) or self.table.select(self.follow)):
            self.follow = ""
        shown = sum(c.count for c in board.columns.values())
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
        if self.pane.key:
            (self.table if which == "table" else self.kanban).select(self.pane.key)
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
