"""The MT5 panel on the embedded demo: accounts, positions and deals; the stale badge offline."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
import qasync
import shiboken6

from tests.qt_loop import dispose_loop
from fidus_desktop.app_context import AppContext
from fidus_desktop.paths import AppPaths
from fidus_desktop.events import EventType
from fidus_desktop.services.health import ServiceName, ServiceState
from fidus_desktop.services.mt5_monitor import Mt5MonitorService
from fidus_desktop.storage.cache import LocalCache
from ui.event_bridge import EventBridge
from ui.mt5.panel import Mt5Panel
from ui.tasks import TaskRunner

pytestmark = pytest.mark.gui


def run_on(loop: qasync.QEventLoop, coro):
    """Run ``coro`` on the Qt loop with ``run_forever``: unlike qasync's ``run_until_complete``, it
    does not process Qt events once more after the loop stopped, when tasks would step with no
    running loop (asyncio primitives then fail). The app itself runs inside ``run_forever``."""
    task = loop.create_task(coro)
    task.add_done_callback(lambda _task: loop.stop())
    loop.run_forever()
    return task.result()


@pytest.fixture
def env(qapp, tmp_path):
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    context = AppContext.create(AppPaths.default())
    context.settings = context.settings.replace(
        mt5=dataclasses.replace(context.settings.mt5, source="demo", poll_seconds=0.1))
    context.cache = LocalCache(tmp_path / "cache.sqlite3")
    run_on(loop, context.cache.open())
    service = context.services.add(Mt5MonitorService(context))
    run_on(loop, context.services.start())
    errors: list = []
    tasks = TaskRunner(lambda exc, name: errors.append((exc, name)), loop=loop)
    bridge = EventBridge(context.events)
    panels: list[Mt5Panel] = []

    def make_panel() -> Mt5Panel:
        panel = Mt5Panel(context, tasks, bridge=bridge)
        panels.append(panel)
        panel.resize(1300, 800)
        panel.show()
        panel.on_shown()
        return panel

    def wait(predicate, timeout: float = 15.0) -> None:
        async def poll() -> None:
            while not predicate():
                assert not errors, errors
                await asyncio.sleep(0.01)
        run_on(loop, asyncio.wait_for(poll(), timeout))

    try:
        yield context, service, make_panel, wait
    finally:
        for panel in panels:  # as the window does on close: panels first, then the task runner
            panel.on_closing()
        run_on(loop, tasks.shutdown())
        run_on(loop, context.close())
        for panel in panels:  # on the GUI thread, for the reason dispose_loop gives
            shiboken6.delete(panel)
        panels.clear()
        dispose_loop(loop)


def test_panel_shows_demo_accounts_then_stale_cache(env) -> None:
    context, service, make_panel, wait = env
    panel = make_panel()
    wait(lambda: panel.accounts.rowCount() == 6)
    assert panel.source_label.text().startswith("MT5 source: demo terminal")
    assert not panel.stale_badge.isVisible()
    status = context.health.get(ServiceName.MT5)
    assert (status.state, status.source) == (ServiceState.ONLINE, "demo terminal")
    # the first account is selected: its positions and deals are shown
    first = panel.accounts.row(0)
    wait(lambda: panel.deals is not None and panel.deals_model.rowCount() > 0)
    assert panel.positions.rowCount() == len(first.positions.positions)
    assert panel.deals.login == first.ref.login
    # selecting another account follows it
    target = next(i for i in range(6) if panel.accounts.row(i).ref.login == 88001005)
    panel.accounts_view.selectRow(target)
    wait(lambda: panel.deals is not None and panel.deals.login == 88001005)
    assert panel.positions.rowCount() == 0
    margin_level = panel.accounts.data(panel.accounts.index(target, 6))
    assert margin_level == "n/a"  # no margin in use: the terminal's 0.0 means "not applicable"

    terminal = service.source.inner._mt5._module  # the demo terminal behind the direct source
    terminal.kill()
    wait(lambda: panel.stale_badge.isVisible(), timeout=20)
    assert context.health.get(ServiceName.MT5).state is ServiceState.STALE
    assert "cache (age" in panel.source_label.text()
    assert panel.accounts.rowCount() == 6 and "cached" in panel.accounts.data(panel.accounts.index(0, 9))
    assert panel.accounts_view.selectionModel().selectedRows()[0].row() == target  # selection kept
    terminal.revive()
    wait(lambda: not panel.stale_badge.isVisible(), timeout=20)


def test_monitoring_belongs_to_the_core_not_to_the_panel(env) -> None:
    context, service, make_panel, wait = env
    boards = []
    context.events.subscribe(EventType.MT5_BOARD, boards.append)
    wait(lambda: len(boards) >= 1)  # polling before any panel exists
    panel = make_panel()
    wait(lambda: panel.board is not None)
    panel.on_closing()
    panel.hide()
    seen = len(boards)
    wait(lambda: len(boards) >= seen + 2)  # still polling with the panel hidden and closing
    assert context.health.get(ServiceName.MT5).state is ServiceState.ONLINE
