"""The MT5 panel: every account's balance, equity, margin level and positions, then the positions
and deals of the selected one, with the source answering and a stale badge when it is the cache.

Polling belongs to the core (:class:`fidus_desktop.services.mt5_monitor.Mt5MonitorService`): it
runs whether or not this panel exists, and each board reaches the panel on the GUI thread as an
``EventType.MT5_BOARD`` event. A board that arrives while the panel is hidden is kept and drawn
when it is shown.
"""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSplitter, QTabWidget, QVBoxLayout, QWidget

from bridge_link.models import DealsSnapshot
from fidus_desktop.domain.values import utc_now
from fidus_desktop.events import EventType
from fidus_desktop.services.health import ServiceState
from fidus_desktop.services.mt5_monitor import Mt5Board, Mt5MonitorService

from ..panels.base import Panel
from ..widgets.table_model import KeyedTableModel, TableData, selected_positions, table_view
from .tables import ACCOUNT_COLUMNS, DEAL_COLUMNS, POSITION_COLUMNS, accounts_data, deals_data, positions_data

DEALS_DAYS = 90


class Mt5Panel(Panel):
    NAME = "mt5"
    TITLE = "MT5"
    SHORTCUT = "Ctrl+3"

    def __init__(self, context, tasks, parent: QWidget | None = None, *, bridge=None) -> None:
        super().__init__(context, tasks, parent, bridge=bridge)
        self.service = context.service(Mt5MonitorService)
        self.board: Mt5Board | None = None
        self.selected_login: int | None = None
        self.deals: DealsSnapshot | None = None
        self._deals_generation = 0

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
        self.refresh_button.clicked.connect(self.refresh_now)
        header.addWidget(self.source_label, 1)
        header.addWidget(self.stale_badge)
        header.addWidget(self.refresh_button)
        layout.addLayout(header)

        splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.accounts = KeyedTableModel(ACCOUNT_COLUMNS, tasks, self)
        self.accounts_view = table_view(splitter, self.accounts)
        self.accounts_view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.accounts.sorted.connect(self._reselect)
        self.detail_tabs = QTabWidget(splitter)
        self.positions = KeyedTableModel(POSITION_COLUMNS, tasks, self)
        self.positions_view = table_view(self.detail_tabs, self.positions, sort_column=8)
        self.deals_model = KeyedTableModel(DEAL_COLUMNS, tasks, self)
        self.deals_view = table_view(self.detail_tabs, self.deals_model, descending=True)
        self.detail_tabs.addTab(self.positions_view, "Positions")
        self.detail_tabs.addTab(self.deals_view, f"Deals ({DEALS_DAYS} days)")
        self.deals_state = QLabel("", self)
        splitter.addWidget(self.accounts_view)
        splitter.addWidget(self.detail_tabs)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.deals_state)
        if bridge is not None:
            bridge.on(EventType.MT5_BOARD, self._on_board)
        if self.service is None:
            self.source_label.setText("MT5 monitoring is not running in this window.")
        elif self.service.latest is not None:
            self.board = self.service.latest

    # ---- boards ----------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self.service is None or (self.board is not None and not self.stale)

    def _on_board(self, board: Mt5Board) -> None:
        self.board = board
        self.invalidate("board")

    def refresh(self, why: set[str]) -> None:
        if self.board is not None:
            self.show_board(self.board)

    def refresh_now(self) -> None:
        if self.service is not None:
            self.service.poll_now()
        if self.selected_login is not None:
            self.load_deals(self.selected_login)

    def show_board(self, board: Mt5Board) -> None:
        self.board = board
        since = f" (since {board.source_since.astimezone():%H:%M})" if board.source_since else ""
        self.source_label.setText(f"MT5 source: {board.source}{since}" + (f" — {board.detail}" if board.detail else ""))
        self.stale_badge.setVisible(board.state is ServiceState.STALE)
        self.accounts.set_data(accounts_data(board.accounts))
        self._reselect()
        self._show_positions()

    def _reselect(self) -> None:
        """Keep the manager's selection across polls (by login, whatever the order)."""
        count = self.accounts.rowCount()
        if not count:
            return
        logins = [self.accounts.row(i).ref.login for i in range(count)]
        target = logins.index(self.selected_login) if self.selected_login in logins else 0
        self.accounts_view.selectRow(target)

    def _selection_changed(self, *_args: object) -> None:
        selected = selected_positions(self.accounts_view)
        if not selected:
            return
        login = self.accounts.row(selected[0]).ref.login
        if login != self.selected_login:
            self.selected_login = login
            self._show_positions()
            self.load_deals(login)

    def _show_positions(self) -> None:
        view = self.board.view(self.selected_login) if self.board and self.selected_login else None
        self.positions.set_data(positions_data(view.positions.positions) if view and view.positions
                                else TableData.empty())

    # ---- deals ---------------------------------------------------------------------------

    def load_deals(self, login: int) -> None:
        if self.service is None:
            return
        self._deals_generation += 1
        generation = self._deals_generation
        now = utc_now()
        self.deals_state.setText(f"Loading the deals of {login}…")
        self.tasks.run(self.service.deals(login, now - timedelta(days=DEALS_DAYS), now + timedelta(days=1)),
                       name="mt5-deals", on_success=lambda snap: self._show_deals(generation, snap),
                       on_failure=lambda exc: self._deals_failed(generation, exc))

    def _show_deals(self, generation: int, snap: DealsSnapshot) -> None:
        if generation != self._deals_generation:
            return  # the manager picked another account meanwhile
        self.deals = snap
        self.deals_model.set_data(deals_data(snap.deals))
        origin = "from the local cache" if snap.stale else f"from {snap.source}"
        self.deals_state.setText(f"{len(snap.deals)} deals of {snap.login} in {DEALS_DAYS} days, {origin}.")

    def _deals_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._deals_generation:
            return
        self.deals_model.set_data(TableData.empty())
        message = getattr(exc, "message", None)
        self.deals_state.setText(f"The deals could not be read: {message}" if message else "The deals could not be read.")
        if message is None:
            self.tasks.report(exc, "reading MT5 deals")

    def actions(self) -> list[tuple[str, object]]:
        return [("MT5: refresh now", self.refresh_now)]
