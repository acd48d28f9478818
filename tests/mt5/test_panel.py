"""The MT5 panel on the demo terminal, driven as the manager does: the overview live and stale, its
prices moving, a chart changing range, an account moved to another fund showing in the Portfolio,
an alert firing, acknowledged and snoozed, and rules edited in the panel."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest
import qasync
import shiboken6

from bridge_link.cached import CachedSource
from bridge_link.demo_terminal import DemoTerminal
from bridge_link.demo_terminal.accounts import DEMO_ACCOUNTS
from bridge_link.direct import DirectSource
from bridge_link.models import AccountRef
from fidus_desktop.app_context import AppContext
from fidus_desktop.config import AlertRule
from fidus_desktop.demo.fund import load_demo_fund
from fidus_desktop.events import EventType
from fidus_desktop.paths import AppPaths
from fidus_desktop.runtime.notices import NoticeLevel
from fidus_desktop.services.health import ServiceName, ServiceState
from fidus_desktop.services.mt5_monitor import Mt5MonitorService
from fidus_desktop.services.portfolio_service import PortfolioService
from fidus_desktop.storage.cache import LocalCache
from fidus_desktop.storage.sqlite import SqliteBackend
from fidus_desktop.storage.store import FundStore
from tests.bridge.conftest import FIXED_NOW, Clock
from tests.qt_loop import dispose_loop
from ui.event_bridge import EventBridge
from ui.mt5.panel import Mt5Panel
from ui.portfolio.panel import PortfolioPanel
from ui.tasks import TaskRunner

pytestmark = pytest.mark.gui


class Env:
    """The runtime as the window has it, on a qasync loop that counts as running whenever Qt runs
    (as in the app): pytest-qt's own event passes then step the services' tasks normally."""

    def __init__(self, qtbot, loop, context, service, tasks, bridge, errors) -> None:
        self.qtbot, self.loop, self.context, self.service = qtbot, loop, context, service
        self.tasks, self.bridge, self.errors = tasks, bridge, errors
        self.widgets: list = []

    def panel(self, cls=Mt5Panel):
        widget = cls(self.context, self.tasks, bridge=self.bridge)
        self.widgets.append(widget)
        widget.resize(1300, 800)
        widget.show()
        widget.on_shown()
        return widget

    def wait(self, predicate, timeout: float = 20.0) -> None:
        def check() -> bool:
            if self.errors:
                raise RuntimeError(f"background work failed: {self.errors}")  # not retried
            return bool(predicate())
        self.qtbot.waitUntil(check, timeout=int(timeout * 1000))

    def run(self, coro, timeout: float = 20.0):
        task = self.loop.create_task(coro)
        self.qtbot.waitUntil(task.done, timeout=int(timeout * 1000))
        return task.result()

    def do(self, action):
        """What the manager's click does (the loop runs whenever Qt does, so it is just a call)."""
        return action()


def make_env(qtbot, loop, tmp_path, *, builder=None, store: bool = False, portfolio: bool = False) -> Env:
    """The demo terminal polled every 0.1 s; ``builder(context)`` makes the MT5 source instead."""
    context = AppContext.create(AppPaths.under(tmp_path / "home"))
    context.settings = context.settings.replace(
        mt5=dataclasses.replace(context.settings.mt5, source="demo", poll_seconds=0.1))
    env = Env(qtbot, loop, context, None, None, None, [])
    context.cache = LocalCache(tmp_path / "cache.sqlite3")
    env.run(context.cache.open())
    if store:
        context.store = env.run(FundStore.open(SqliteBackend(tmp_path / "fund.sqlite3")))
        env.run(load_demo_fund(context.store))
    if portfolio:
        context.services.add(PortfolioService(context))
    build = (lambda: builder(context)) if builder is not None else None
    env.service = context.services.add(Mt5MonitorService(context, build=build))
    env.run(context.services.start())
    env.tasks = TaskRunner(lambda exc, name: env.errors.append((exc, name)), loop=loop)
    env.bridge = EventBridge(context.events)
    return env


def close_env(env: Env) -> None:
    for widget in env.widgets:  # as the window does on close: panels first, then the task runner
        widget.on_closing()
    env.run(env.tasks.shutdown())
    env.run(env.context.close())
    for widget in env.widgets:
        shiboken6.delete(widget)


@pytest.fixture
def loop(qapp):
    """asyncio on the Qt loop, created "already running" as tests/ui does (see its conftest)."""
    qloop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(qloop)
    yield qloop
    asyncio.events._set_running_loop(None)
    qloop._QEventLoop__is_running = False
    dispose_loop(qloop)


@pytest.fixture
def env(qtbot, loop, tmp_path):
    made = make_env(qtbot, loop, tmp_path)
    yield made
    close_env(made)


def cell(model, row: int, title: str) -> str:
    column = next(i for i, c in enumerate(model.columns) if c.title == title)
    return model.data(model.index(row, column))


def row_of(model, login: int) -> int:
    return next(i for i in range(model.rowCount()) if model.row(i).view.login == login)


def status_of(model, login: int) -> str:
    """The overview's status text of ``login`` ("" while the account is not listed yet)."""
    rows = [i for i in range(model.rowCount()) if model.row(i).view.login == login]
    return cell(model, rows[0], "Status") if rows else ""


def test_the_overview_shows_the_demo_accounts_then_the_cache_marked_stale(env) -> None:
    panel = env.panel()
    overview = panel.overview.model
    env.wait(lambda: overview.rowCount() == 6 and all(cell(overview, i, "Status") == "Live" for i in range(6)))
    assert panel.source_label.text().startswith("MT5 source: demo terminal")
    assert not panel.stale_badge.isVisible()
    status = env.context.health.get(ServiceName.MT5)
    assert (status.state, status.source) == (ServiceState.ONLINE, "demo terminal")
    assert cell(overview, row_of(overview, 88001005), "Margin level") == "n/a"  # no margin in use
    # the first account is chosen: its positions and deal history are shown
    first = overview.row(0).view
    env.wait(lambda: panel.account.history is not None and panel.account.deals.rowCount() > 0)
    assert panel.account.positions.rowCount() == len(first.positions.positions)
    assert panel.account.history.login == first.login
    env.do(lambda: panel.overview.table.selectRow(row_of(overview, 88001005)))  # choosing another account follows it
    env.wait(lambda: panel.account.history is not None and panel.account.history.login == 88001005)
    assert panel.account.positions.rowCount() == 0
    assert panel.account.balance.rowCount() >= 1  # the separation account's deposits, listed apart

    terminal = env.service.source.inner._mt5._module  # the demo terminal behind the direct source
    env.do(terminal.kill)
    env.wait(lambda: panel.stale_badge.isVisible())
    assert env.context.health.get(ServiceName.MT5).state is ServiceState.STALE
    assert "cache (age" in panel.source_label.text()
    row = row_of(overview, 88001005)
    assert overview.rowCount() == 6 and cell(overview, row, "Status").startswith("Stale: cache")
    assert cell(overview, row, "Source") == "cache"
    column = next(i for i, c in enumerate(overview.columns) if c.title == "Status")
    assert overview.data(overview.index(row, column), 1) is not None  # an icon, not colour alone
    assert panel.overview.table.selectionModel().selectedRows()[0].row() == row  # selection kept
    totals = [panel.overview.totals.row(i) for i in range(panel.overview.totals.rowCount())]
    assert totals[-1].label == "All funds" and totals[-1].stale == totals[-1].accounts == 6
    env.do(terminal.revive)
    env.wait(lambda: not panel.stale_badge.isVisible())


def test_monitoring_belongs_to_the_core_not_to_the_panel(env) -> None:
    boards = []
    env.context.events.subscribe(EventType.MT5_BOARD, boards.append)
    env.wait(lambda: len(boards) >= 1)  # polling before any panel exists
    panel = env.panel()
    env.wait(lambda: panel.board is not None)
    env.do(lambda: (panel.on_closing(), panel.hide()))
    seen = len(boards)
    # still polling with the panel hidden and closing
    env.wait(lambda: len(boards) >= seen + 2 and env.context.health.get(ServiceName.MT5).state is ServiceState.ONLINE
             and boards[-1].view(88001001).account is not None)


def test_the_overview_follows_the_demo_terminals_prices(qtbot, loop, tmp_path) -> None:
    clock = Clock(FIXED_NOW)  # a Wednesday: the FX market is open
    refs = [AccountRef(login=a.login, name=a.name, fund_type=a.fund_type) for a in DEMO_ACCOUNTS]

    def build(context):
        terminal = DemoTerminal(seed=1, clock=clock)
        return CachedSource(DirectSource(terminal, name="demo terminal", zone=terminal.zone, accounts=refs),
                            context.cache)

    env = make_env(qtbot, loop, tmp_path, builder=build)
    try:
        panel = env.panel()
        overview = panel.overview.model
        env.wait(lambda: overview.rowCount() == 6 and all(cell(overview, i, "Status") == "Live" for i in range(6)))
        login = 88001004  # five open positions
        before = cell(overview, row_of(overview, login), "Equity")
        floating = cell(overview, row_of(overview, login), "Floating P&L")
        env.do(lambda: clock.advance(15 * 60))  # a quarter of an hour of market moves
        env.wait(lambda: cell(overview, row_of(overview, login), "Equity") != before)
        assert cell(overview, row_of(overview, login), "Floating P&L") != floating
        assert cell(overview, row_of(overview, login), "Status") == "Live"
    finally:
        close_env(env)


def test_a_chart_changes_range(env) -> None:
    panel = env.panel()
    env.wait(lambda: panel.account.history is not None)
    env.do(lambda: panel.tabs.setCurrentWidget(panel.charts_tab))
    env.wait(lambda: panel.charts is not None and panel.charts.charts is not None)
    charts = panel.charts
    assert len(charts.charts.balance) == len([d for d in panel.account.history.deals if d.type != 3])
    assert charts.balance.opts["downsampleMethod"] == "peak" and charts.balance.opts["clipToView"]
    lo, hi = charts.x_range()
    assert 85 <= (hi - lo) / 86400 <= 95  # 3 months at first
    env.do(charts.range_buttons["1W"].click)
    lo, hi = charts.x_range()
    assert 6.8 <= (hi - lo) / 86400 <= 7.3
    env.do(charts.range_buttons["1M"].click)
    lo, hi = charts.x_range()
    assert 27 <= (hi - lo) / 86400 <= 32
    env.do(charts.range_buttons["All"].click)
    lo, hi = charts.x_range()
    assert lo <= charts.charts.first + 86400 and (hi - lo) / 86400 > 300
    readout = charts.point_at(charts.charts.balance.t[-1])
    assert "balance" in readout and "growth" in readout  # the crosshair's values


def test_statistics_are_the_cores_for_the_chosen_period(env) -> None:
    panel = env.panel()
    env.wait(lambda: panel.account.history is not None)
    env.do(lambda: panel.tabs.setCurrentWidget(panel.stats))
    env.do(lambda: panel.stats.period.setCurrentIndex(panel.stats.period.findData("all")))
    env.wait(lambda: panel.stats.stats is not None and panel.stats.stats.date_from is None)
    stats = panel.stats.stats
    assert stats.trades > 50 and panel.stats.values["trades"].text() == f"{stats.trades:,}"
    env.wait(lambda: panel.stats.values["net_profit"].text().endswith(" USD"))  # once the account is read


def test_an_accounts_new_fund_shows_in_the_portfolio(qtbot, loop, tmp_path) -> None:
    env = make_env(qtbot, loop, tmp_path, store=True, portfolio=True)
    try:
        portfolio = env.panel(PortfolioPanel)
        env.wait(lambda: portfolio.ready)
        products = portfolio.dashboard.products

        def equity_of(code: str) -> str:
            row = next(r for r in range(products.rowCount()) if products.item(r, 0).text().startswith(code))
            return products.item(row, 7).text()

        core, balance = equity_of("CORE"), equity_of("BALANCE")
        panel = env.panel()
        env.do(lambda: panel.tabs.setCurrentWidget(panel.setup))
        env.wait(lambda: panel.setup.links.rowCount() == 6)
        row = next(r for r in panel.setup.link_rows() if r.login == 88001001)
        dialog = env.do(lambda: panel.edit_link(row))
        env.do(lambda: dialog.fund.setCurrentIndex(dialog.fund.findData("BALANCE")))
        env.do(dialog.buttons.accepted.emit)
        env.wait(lambda: equity_of("CORE") != core)
        assert equity_of("BALANCE") != balance
        env.wait(lambda: panel.board is not None and (view := panel.board.view(88001001)) is not None
                 and view.fund == "BALANCE")  # the overview too
        env.wait(lambda: any(r.login == 88001001 and r.link.fund_type == "BALANCE" for r in panel.setup.link_rows()))
    finally:
        close_env(env)


def test_an_alert_fires_notifies_and_is_acknowledged_then_snoozed(env) -> None:
    notices = []
    env.context.events.subscribe(EventType.NOTICE, notices.append)
    panel = env.panel()
    env.wait(lambda: panel.board is not None and panel.board.state is ServiceState.ONLINE)
    env.do(lambda: panel.tabs.setCurrentWidget(panel.alerts))
    # The manager adds a rule in the panel: it is saved in the settings and applies at once.
    dialog = env.do(panel.alerts.add_rule)
    env.do(lambda: (dialog.kind.setCurrentIndex(dialog.kind.findData("margin_level_below")),
                    dialog.threshold.setValue(1e9),  # every account using margin is below this
                    dialog.account.setValue(88001001)))
    env.do(dialog.buttons.accepted.emit)
    assert env.context.settings.alerts.rules[-1] == AlertRule("margin_level_below", 1e9, account=88001001)
    overview = panel.overview.model
    env.wait(lambda: status_of(overview, 88001001).startswith("Alert: Margin level below"))
    # What the window pops from the tray (published by the alert engine after the board that
    # shows the alert, so waited for too).
    env.wait(lambda: any(n.level is NoticeLevel.IMPORTANT for n in notices))
    important = [n for n in notices if n.level is NoticeLevel.IMPORTANT]
    assert "88001001" in important[0].text
    key = next(a.key for a in panel.board.alerts if a.account == 88001001)
    env.wait(lambda: any(panel.alerts.model.row(i).key == key for i in range(panel.alerts.model.rowCount())))
    env.do(lambda: panel.alerts.table.selectRow(next(i for i in range(panel.alerts.model.rowCount())
                                                     if panel.alerts.model.row(i).key == key)))
    env.do(panel.alerts.ack.click)
    env.wait(lambda: next(a for a in panel.board.alerts if a.key == key).acknowledged_at is not None)
    env.do(panel.alerts.snooze.click)
    env.wait(lambda: next(a for a in panel.board.alerts if a.key == key).snoozed_until is not None)
    alert = next(a for a in panel.board.alerts if a.key == key)
    assert alert.snoozed_until - alert.fired_at >= timedelta(minutes=59)
    # Removing the rule clears its alert; the history keeps it.
    env.do(lambda: panel.alerts.rules_table.selectRow(len(env.context.settings.alerts.rules) - 1))
    env.do(panel.alerts.remove_rule)
    env.wait(lambda: all(a.key != key for a in panel.board.alerts))
    history = env.run(env.service.alerts.past())
    assert any(a.key == key and a.cleared_at and a.acknowledged_at for a in history)
