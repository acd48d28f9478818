"""The MT5 panel: every account's balance, equity, margin level and positions, then the positions
and deals of the selected one, with the source answering and a stale badge when it is the cache.

Polling is :class:`fidus_desktop.services.mt5_monitor.Mt5Monitor`: a timer starts one poll at a
time through the task runner (a poll is a short task, not a task that never ends, so "background
work done" keeps its meaning); the MT5 calls themselves run on the source's own thread, so the
window never waits.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QHeaderView,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from bridge_link.errors import BridgeError
from bridge_link.factory import build_source
from bridge_link.models import DealsSnapshot
from fidus_desktop.domain.values import utc_now
from fidus_desktop.services.health import ServiceName, ServiceState
from fidus_desktop.services.mt5_monitor import Mt5Board, Mt5Monitor

from ..panels.base import Panel
from .tables import accounts_model, deals_model, positions_model

DEALS_DAYS = 90


class _BoardRelay(QObject):
    """Boards arrive on the GUI thread through a signal, whichever thread the monitor ran on."""

    board = Signal(object)


def _table(parent: QWidget) -> QTableView:
    view = QTableView(parent)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    # Columns as wide as their header and a sample of rows (the model sets the sample size), so
    # "Floating P&L" and amounts in millions are never cut.
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    return view


class Mt5Panel(Panel):
    NAME = "mt5"
    TITLE = "MT5"
    SHORTCUT = "Ctrl+3"

    def __init__(self, context, tasks, parent: QWidget | None = None) -> None:
        super().__init__(context, tasks, parent)
        self.source: Any = None
        self.monitor: Mt5Monitor | None = None
        self.board: Mt5Board | None = None
        self.selected_login: int | None = None
        self.deals: DealsSnapshot | None = None
        self._poll = None
        #: The task closing the source (its thread, its connections) once the window closes.
        self.closing = None
        self._deals_generation = 0
        self._relay = _BoardRelay(self)
        self._relay.board.connect(self.show_board)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.poll)
        self._listener = self._relay.board.emit  # kept: the same callable must be unsubscribed

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        header = QHBoxLayout()
        self.source_label = QLabel("MT5: starting…", self)
        self.source_label.setObjectName("panelSubheading")
        self.stale_badge = QLabel("STALE", self)
        self.stale_badge.setObjectName("staleBadge")
        self.stale_badge.setToolTip("No MT5 source answers: these are the last known values from this computer.")
        self.stale_badge.setVisible(False)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.clicked.connect(self.refresh)
        header.addWidget(self.source_label, 1)
        header.addWidget(self.stale_badge)
        header.addWidget(self.refresh_button)
        layout.addLayout(header)

        splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.accounts_view = _table(splitter)
        self.accounts = accounts_model(self)
        self.accounts.attach(self.accounts_view)
        self.accounts_view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.detail_tabs = QTabWidget(splitter)
        self.positions_view = _table(self.detail_tabs)
        self.positions = positions_model(self)
        self.positions.attach(self.positions_view, sort_column=8)
        self.deals_view = _table(self.detail_tabs)
        self.deals_model = deals_model(self)
        self.deals_model.attach(self.deals_view)
        self.deals_view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.detail_tabs.addTab(self.positions_view, "Positions")
        self.detail_tabs.addTab(self.deals_view, f"Deals ({DEALS_DAYS} days)")
        self.deals_state = QLabel("", self)
        splitter.addWidget(self.accounts_view)
        splitter.addWidget(self.detail_tabs)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.deals_state)

    # ---- life cycle ----------------------------------------------------------------------

    def on_shown(self) -> None:
        if self.monitor is None:
            self.start()

    def start(self) -> None:
        settings = self.context.settings.mt5
        try:
            self.source = build_source(settings, self.context.secrets, self.context.cache)
        except BridgeError as exc:
            self.source_label.setText(f"MT5 is not available: {exc.message}")
            state = ServiceState.NOT_CONFIGURED if settings.source == "bridge" else ServiceState.OFFLINE
            self.context.health.report(ServiceName.MT5, state, settings.source, exc.message)
            return
        self.monitor = Mt5Monitor(self.source, self.context.health, poll_seconds=settings.poll_seconds)
        self.monitor.subscribe(self._listener)
        self._timer.setInterval(max(100, round(settings.poll_seconds * 1000)))
        self._timer.start()
        self.poll()

    def poll(self) -> None:
        """One poll of every account, unless the previous one is still running (a slow bridge)."""
        if self.monitor is None or (self._poll is not None and not self._poll.done()):
            return
        self._poll = self.tasks.run(self.monitor.poll_once(), name="mt5-poll", on_failure=self._poll_failed)

    def refresh(self) -> None:
        self.poll()
        if self.selected_login is not None:
            self.load_deals(self.selected_login)

    def on_closing(self) -> None:
        self._timer.stop()
        if self.monitor is not None:
            # Nothing may reach this widget once it is going away, even a poll already under way.
            self.monitor.unsubscribe(self._listener)
        if self._poll is not None:
            self._poll.cancel()
        if self.source is not None:
            source, self.source = self.source, None
            # The MT5 thread stops now, while the loop still runs: an answer arriving after the
            # window's loop has closed would schedule work on a dead loop.
            stop_now = getattr(source, "stop_now", None)
            if stop_now is not None:
                stop_now()
            self.closing = self.tasks.run(source.close(), name="mt5-close", on_failure=lambda _exc: None)

    def _poll_failed(self, exc: BaseException) -> None:
        # Source errors become the board's state; only a bug lands here. The timer tries again.
        self.source_label.setText(f"MT5 poll failed: {exc}")

    # ---- drawing -------------------------------------------------------------------------

    def show_board(self, board: Mt5Board) -> None:
        self.board = board
        since = f" (since {board.source_since.astimezone():%H:%M})" if board.source_since else ""
        self.source_label.setText(f"MT5 source: {board.source}{since}" + (f" — {board.detail}" if board.detail else ""))
        self.stale_badge.setVisible(board.state is ServiceState.STALE)
        keep = self.selected_login
        self.accounts.set_rows(board.accounts)
        rows = self.accounts.rows()
        target = next((i for i, v in enumerate(rows) if v.ref.login == keep), 0 if rows else None)
        if target is not None:
            self.accounts_view.selectRow(target)  # keeps the manager's selection across polls
        self._show_positions()

    def _selection_changed(self, *_args: object) -> None:
        selected = self.accounts_view.selectionModel().selectedRows()
        if not selected:
            return
        login = self.accounts.row(selected[0].row()).ref.login
        if login != self.selected_login:
            self.selected_login = login
            self._show_positions()
            self.load_deals(login)

    def _show_positions(self) -> None:
        view = self.board.view(self.selected_login) if self.board and self.selected_login else None
        self.positions.set_rows(view.positions.positions if view and view.positions else [])

    # ---- deals ---------------------------------------------------------------------------

    def load_deals(self, login: int) -> None:
        if self.source is None:
            return
        self._deals_generation += 1
        generation = self._deals_generation
        now = utc_now()
        self.deals_state.setText(f"Loading the deals of {login}…")
        self.tasks.run(self.source.deals(login, now - timedelta(days=DEALS_DAYS), now + timedelta(days=1)),
                       name="mt5-deals", on_success=lambda snap: self._show_deals(generation, snap),
                       on_failure=lambda exc: self._deals_failed(generation, exc))

    def _show_deals(self, generation: int, snap: DealsSnapshot) -> None:
        if generation != self._deals_generation:
            return  # the manager picked another account meanwhile
        self.deals = snap
        self.deals_model.set_rows(snap.deals)
        origin = "from the local cache" if snap.stale else f"from {snap.source}"
        self.deals_state.setText(f"{len(snap.deals)} deals of {snap.login} in {DEALS_DAYS} days, {origin}.")

    def _deals_failed(self, generation: int, exc: BaseException) -> None:
        if generation == self._deals_generation:
            self.deals_model.set_rows([])
            self.deals_state.setText(f"The deals could not be read: {getattr(exc, 'message', exc)}")

    def actions(self) -> list[tuple[str, object]]:
        return [("MT5: refresh now", self.refresh)]

