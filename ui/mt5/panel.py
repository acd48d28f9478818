"""The MT5 panel: every account at a glance, one account's positions, deals, charts and statistics,
the money managers and their fees, the alerts and their rules, and the accounts' setup.

Polling belongs to the core (:class:`fidus_desktop.services.mt5_monitor.Mt5MonitorService`): it
runs whether or not this panel exists, and each board reaches the panel on the GUI thread as an
``EventType.MT5_BOARD`` event; a board that arrives while the panel is hidden is drawn when it
is shown. Tabs are filled when first shown and redrawn only while in sight; everything heavier
than formatting a row (filters, chart arrays, statistics, fees) runs in a lane.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from bridge_link.models import DealsSnapshot
from fidus_desktop.events import EventType
from fidus_desktop.lanes import shared_lanes
from fidus_desktop.mt5.board import Mt5Board
from fidus_desktop.mt5.charts import account_charts
from fidus_desktop.services.health import ServiceState
from fidus_desktop.services.mt5_accounts import add_config, assign_account, remove_config
from fidus_desktop.services.mt5_managers import managers_view
from fidus_desktop.services.mt5_monitor import Mt5MonitorService

from ..panels.base import Panel
from ..widgets.lazy_tabs import LazyTabs
from .account_view import AccountView
from .alerts_view import AlertsView
from .charts import ChartsView
from .managers_view import ManagersView
from .overview import OverviewView
from .setup_view import ConfigDialog, LinkDialog, LinkRow, SetupView
from .stats_view import StatsView, compute

#: Changes to these records redraw the managers and setup tabs.
RECORDS = ("mt5_accounts", "mt5_account_config", "money_managers")


class Mt5Panel(Panel):
    NAME = "mt5"
    TITLE = "MT5"
    SHORTCUT = "Ctrl+3"

    def __init__(self, context, tasks, parent: QWidget | None = None, *, bridge=None) -> None:
        super().__init__(context, tasks, parent, bridge=bridge)
        self.service = context.service(Mt5MonitorService)
        self.board: Mt5Board | None = None
        self.selected_login: int | None = None
        self.history: DealsSnapshot | None = None
        self._history_of: tuple[int, int] | None = None
        self._generation = 0
        self._requests: dict[str, int] = {}
        self._dirty: set[QWidget] = set()
        self._dialog: Any = None
        #: Each account's currency, as last read (the statistics show it even while the source is down).
        self._currency: dict[int, str] = {}
        #: Why the chosen account's deals could not be read (shown by the tabs built later too).
        self._history_note = ""

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        header = QHBoxLayout()
        self.source_label = QLabel("MT5: starting…", self)
        self.source_label.setObjectName("panelSubheading")
        self.source_label.setWordWrap(True)
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

        # Each tab is built when first needed (ui/widgets/lazy_tabs.py); a board or a deal history
        # reaches only the tabs built so far, and a tab built later is filled from them.
        self.tabs = LazyTabs(self)
        for name, title, make in (("overview", "Overview", self._make_overview),
                                  ("account", "Account", self._make_account),
                                  ("charts", "Charts", self._make_charts),
                                  ("stats", "Statistics", self._make_stats),
                                  ("managers", "Money managers", self._make_managers),
                                  ("alerts", "Alerts", self._make_alerts),
                                  ("setup", "Setup", self._make_setup)):
            self.tabs.add_page(name, title, make)
        self._dirty = {"charts", "stats", "managers", "setup"}
        layout.addWidget(self.tabs, 1)
        self.tabs.currentChanged.connect(lambda _i: self._fill_current())
        if bridge is not None:
            bridge.on(EventType.MT5_BOARD, self._on_board)
            bridge.on(EventType.SETTINGS_CHANGED, self._on_settings)
        if self.service is None:
            self.source_label.setText("MT5 monitoring is not running in this window.")
        elif self.service.latest is not None:
            self.board = self.service.latest

    # ---- the tabs, each built when first needed and filled from what the panel holds ------------

    overview = property(lambda self: self.tabs.page("overview"))
    account = property(lambda self: self.tabs.page("account"))
    charts_tab = property(lambda self: self.tabs.page("charts"))
    stats = property(lambda self: self.tabs.page("stats"))
    managers = property(lambda self: self.tabs.page("managers"))
    alerts = property(lambda self: self.tabs.page("alerts"))
    setup = property(lambda self: self.tabs.page("setup"))

    @property
    def charts(self) -> ChartsView | None:
        """The charts tab, if it was built."""
        return self.tabs.built("charts")

    def _make_overview(self, holder: QWidget) -> OverviewView:
        view = OverviewView(self.tasks, holder)
        view.account_chosen.connect(self.choose)
        if self.board is not None:
            view.show_board(self.board)
        return view

    def _make_account(self, holder: QWidget) -> AccountView:
        view = AccountView(self.tasks, holder)
        if self.selected_login is not None:
            view.show_live(self.board.view(self.selected_login) if self.board else None)
            if self.history is not None and self.history.login == self.selected_login:
                view.show_history(self.history)
            elif self._history_note:
                view.clear_history(self._history_note)
        return view

    def _make_charts(self, holder: QWidget) -> ChartsView:
        # Four pyqtgraph plots: a few hundred widgets and items, the heaviest tab to build.
        return ChartsView(holder)

    def _make_stats(self, holder: QWidget) -> StatsView:
        view = StatsView(holder)
        view.period.currentIndexChanged.connect(lambda _i: self._mark("stats"))
        view.date_from.dateChanged.connect(lambda _d: self._mark("stats"))
        view.date_to.dateChanged.connect(lambda _d: self._mark("stats"))
        currency = self._currency.get(self.selected_login) if self.selected_login is not None else None
        if currency:
            view.set_currency(currency)
        if self._history_note:
            view.clear(self._history_note)
        return view

    def _make_managers(self, holder: QWidget) -> ManagersView:
        view = ManagersView(self.tasks, holder)
        view.refresh_requested.connect(lambda: self._mark("managers"))
        return view

    def _make_alerts(self, holder: QWidget) -> AlertsView:
        view = AlertsView(self.tasks, holder)
        view.acknowledge_requested.connect(self.acknowledge)
        view.snooze_requested.connect(self.snooze)
        view.history_requested.connect(self.load_alert_history)
        view.settings_edited.connect(self.save_alert_settings)
        view.show_settings(self.context.settings.alerts)
        if self.board is not None:
            view.show_alerts(self.board.alerts)
        return view

    def _make_setup(self, holder: QWidget) -> SetupView:
        view = SetupView(self.tasks, holder)
        view.edit_link_requested.connect(self.edit_link)
        view.add_config_requested.connect(self.add_config)
        view.remove_config_requested.connect(self.remove_config)
        return view

    # ---- boards ----------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self.service is None or (self.board is not None and not self.stale)

    def _on_board(self, board: Mt5Board) -> None:
        self.board = board
        self.invalidate("board")

    def _on_settings(self, change: Any) -> None:
        alerts = self.tabs.built("alerts")
        if change.touches("alerts") and alerts is not None:
            alerts.show_settings(change.new.alerts)

    def on_changes(self, changes: Any) -> None:
        if changes.affects(*RECORDS):
            self._mark("managers")
            self._mark("setup")

    def refresh(self, why: set[str]) -> None:
        if self.board is not None:
            self.show_board(self.board)

    def refresh_now(self) -> None:
        if self.service is not None:
            self.service.poll_now()
        self._history_of = None
        self._dirty.update(("charts", "stats", "managers", "setup"))
        if self.selected_login is not None:
            self.load_history(self.selected_login)
        self._fill_current()

    def show_board(self, board: Mt5Board) -> None:
        self.board = board
        self._currency.update({v.login: v.account.currency for v in board.accounts if v.account is not None})
        since = f" (since {board.source_since.astimezone():%H:%M})" if board.source_since else ""
        self.source_label.setText(f"MT5 source: {board.source}{since}" + (f" — {board.detail}" if board.detail else ""))
        self.stale_badge.setVisible(board.state is ServiceState.STALE)
        built = self.tabs.built
        if (overview := built("overview")) is not None:
            overview.show_board(board)
        if (alerts := built("alerts")) is not None:
            alerts.show_alerts(board.alerts)
        view = board.view(self.selected_login) if self.selected_login is not None else None
        if (account := built("account")) is not None:
            account.show_live(view)
        if view is not None and view.account is not None and (stats := built("stats")) is not None:
            stats.set_currency(view.account.currency)  # known once the account was read
        if view is not None and self._history_of not in (None, (view.login, view.deals_revision)):
            self.load_history(view.login)  # the deal sync brought new deals

    # ---- the chosen account --------------------------------------------------------------------

    def choose(self, login: int) -> None:
        if login == self.selected_login:
            return
        self.selected_login = login
        if self.service is not None:
            self.service.watch(login)
        if (account := self.tabs.built("account")) is not None:
            account.show_live(self.board.view(login) if self.board else None)
        self.load_history(login)

    def _title(self) -> str:
        view = self.board.view(self.selected_login) if self.board and self.selected_login else None
        if view is None:
            return f"Account {self.selected_login}"
        stale = " (stale)" if view.stale else ""
        return f"{view.name} ({view.login}) · {view.fund or 'no fund'}{stale}"

    def load_history(self, login: int) -> None:
        if self.service is None:
            return
        self._generation += 1
        generation = self._generation
        view = self.board.view(login) if self.board else None
        self._history_of = (login, view.deals_revision if view else 0)
        self._history_note = ""
        if (account := self.tabs.built("account")) is not None:
            account.state.setText(f"Reading the deals of {login}…")
        self.tasks.run(self.service.history_deals(login), name="mt5-deals",
                       on_success=lambda snap: self._history_read(generation, snap),
                       on_failure=lambda exc: self._history_failed(generation, exc))

    def _history_read(self, generation: int, snap: DealsSnapshot) -> None:
        if generation != self._generation:
            return  # another account was chosen meanwhile
        self.history = snap
        if (account := self.tabs.built("account")) is not None:
            account.show_history(snap)
        self._history_note = ""
        self._mark("charts")
        self._mark("stats")

    def _history_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        message = getattr(exc, "message", None)
        text = f"The deals could not be read: {message}" if message else "The deals could not be read."
        self._history_note = text
        if (account := self.tabs.built("account")) is not None:
            account.clear_history(text)
        if (charts := self.charts) is not None:
            charts.clear(text)
        if (stats := self.tabs.built("stats")) is not None:
            stats.clear(text)
        if message is None:
            self.tasks.report(exc, "reading MT5 deals")

    # ---- tabs filled when shown ---------------------------------------------------------------

    def _mark(self, tab: str) -> None:
        self._dirty.add(tab)
        if self.isVisible() and self.tabs.name_of(self.tabs.currentIndex()) == tab:
            self._fill_current()

    def _fill_current(self) -> None:
        tab = self.tabs.name_of(self.tabs.currentIndex())
        if tab not in self._dirty:
            return
        if tab == "charts":
            if self.history is not None:
                self._dirty.discard(tab)
                self._draw_charts()
            elif self._history_note:
                self.charts_tab.clear(self._history_note)
        elif tab == "stats" and self.history is not None:
            self._dirty.discard(tab)
            self._compute_stats()
        elif tab == "managers":
            self._dirty.discard(tab)
            self._load_managers()
        elif tab == "setup":
            self._dirty.discard(tab)
            self._load_setup()

    def _balance(self) -> Any:
        view = self.board.view(self.selected_login) if self.board and self.selected_login else None
        return view.account.balance if view and view.account else None

    def _request(self, what: str) -> tuple[int, int]:
        """A token for one computation: its result is shown only if nothing newer was asked since."""
        self._requests[what] = self._requests.get(what, 0) + 1
        return self._generation, self._requests[what]

    def _current(self, what: str, token: tuple[int, int]) -> bool:
        return token == (self._generation, self._requests.get(what, 0))

    def _draw_charts(self) -> None:
        assert self.service is not None and self.history is not None
        generation, login, deals, balance = self._request("charts"), self.history.login, self.history.deals, self._balance()
        service = self.service

        async def build():
            samples = await service.equity_series(login)
            return await shared_lanes().cpu.run(lambda: account_charts(deals, samples.t, samples.equity, balance),
                                                action="chart arrays")

        self.tasks.run(build(), name="mt5-charts", on_success=lambda charts: self._charts_ready(generation, charts))

    def _charts_ready(self, generation: tuple[int, int], charts: Any) -> None:
        if self._current("charts", generation):
            self.charts_tab.show_charts(charts, self._title())

    def _compute_stats(self) -> None:
        assert self.history is not None
        generation, deals, balance = self._request("stats"), self.history.deals, self._balance()
        start, end = self.stats.bounds()
        self.tasks.run(lambda: compute(deals, balance, start, end), lane="cpu", name="mt5-statistics",
                       on_success=lambda stats: self._stats_ready(generation, stats))

    def _stats_ready(self, generation: tuple[int, int], stats: Any) -> None:
        if self._current("stats", generation):
            self.stats.show_stats(stats, self._title(), self._currency.get(self.selected_login, ""))

    def _load_managers(self) -> None:
        if self.context.store is None:
            self.managers.show_failure("The fund database is not connected: the managers' records cannot be read.")
            return
        self.tasks.run(managers_view(self.context), name="mt5-managers", on_success=self.managers.show_figures,
                       on_failure=lambda exc: self.managers.show_failure(
                           getattr(exc, "message", "The managers' figures could not be computed.")))

    # ---- alerts --------------------------------------------------------------------------------

    def acknowledge(self, keys: list[str]) -> None:
        if self.service is not None and keys:
            self.tasks.run(self.service.acknowledge(keys), name="acknowledge alerts",
                           on_success=self.alerts.show_alerts)

    def snooze(self, keys: list[str], minutes: float) -> None:
        if self.service is not None and keys:
            self.tasks.run(self.service.snooze(keys, minutes), name="snooze alerts", on_success=self.alerts.show_alerts)

    def load_alert_history(self) -> None:
        if self.service is not None:
            self.tasks.run(self.service.alerts.past(), name="alert history", on_success=self.alerts.show_history)

    def save_alert_settings(self, alerts: Any) -> None:
        # Settings are one small file; the change is announced and the monitor applies it.
        self.context.update_settings(self.context.settings.replace(alerts=alerts))

    # ---- setup ---------------------------------------------------------------------------------

    def _load_setup(self) -> None:
        store = self.context.store
        if store is None:
            self.setup.state.setText("The fund database is not connected: the account records cannot be read.")
            return
        served = {v.login: v for v in (self.board.accounts if self.board else ())}

        async def read():
            links = {link.account: link for link in await store.mt5_accounts.find()}
            rows = [LinkRow(n, (links[n].name if n in links else "") or (served[n].name if n in served else ""),
                            links.get(n), n in served) for n in sorted(set(links) | set(served))]
            return rows, await store.mt5_configs.find(), await store.money_managers.find()

        self.tasks.run(read(), name="mt5-setup", on_success=lambda got: self.setup.show_records(*got))

    def _open(self, dialog: Any, save: Any) -> None:
        self._dialog = dialog  # one dialog at a time, kept alive while open
        dialog.submitted.connect(save)
        dialog.finished.connect(lambda _: setattr(self, "_dialog", None))
        dialog.open()

    def _saved(self, dialog: Any, what: str):  # noqa: ANN202
        def done(result: Any) -> None:
            write = result[1]
            dialog.accept()
            if write is not None and write.queued:
                self.setup.state.setText(f"{what} saved on this computer: {write.reason} It is written to the "
                                         "database when it is back.")
            self._mark("setup")
            self._mark("managers")

        return done

    def edit_link(self, row: LinkRow) -> LinkDialog:
        dialog = LinkDialog(row, self.setup.managers, self)
        view = self.board.view(row.login) if self.board else None
        self._open(dialog, lambda assignment: self.tasks.run(
            assign_account(self.context, assignment, read=row.link, name=row.name,
                           server=view.server if view else ""),
            name="link MT5 account", initiator=self, on_success=self._saved(dialog, "The change"),
            on_failure=dialog.show_failure))
        return dialog

    def add_config(self) -> ConfigDialog:
        dialog = ConfigDialog(self)
        self._open(dialog, lambda payload: self.tasks.run(
            add_config(self.context, payload[0], password=payload[1]), name="add MT5 login", initiator=self,
            on_success=self._saved(dialog, "The account"), on_failure=dialog.show_failure))
        return dialog

    def remove_config(self, config: Any, forget: bool) -> None:
        self.tasks.run(remove_config(self.context, config, forget_password=forget), name="remove MT5 login",
                       initiator=self, on_success=lambda _r: self._mark("setup"))

    def on_shown(self) -> None:
        super().on_shown()
        self._fill_current()

    def actions(self) -> list[tuple[str, object]]:
        return [("MT5: refresh now", self.refresh_now),
                ("MT5: alerts", lambda: self.tabs.setCurrentWidget(self.alerts)),
                ("MT5: money managers", lambda: self.tabs.setCurrentWidget(self.managers))]
