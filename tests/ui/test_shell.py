"""The main window as the manager uses it: panels, shortcuts, errors, closing, memory, palette,
service badges."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton

from fidus_desktop.app_context import AppContext
from fidus_desktop.config import Settings, StorageSettings
from fidus_desktop.errors import UserCancelled, ValidationError
from fidus_desktop.paths import AppPaths
from fidus_desktop.domain.prospects import Stage
from fidus_desktop.services.changes import Changes, publish_changes
from fidus_desktop.events import EventType
from fidus_desktop.services.health import ServiceName, ServiceState
from ui.command_palette import CommandPalette
from ui.main_window import MainWindow
from ui.panels.registry import PANELS

from .conftest import close_window

pytestmark = pytest.mark.gui


def _activate(qtbot, window: MainWindow) -> None:
    window.activateWindow()
    window.raise_()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)


def test_every_panel_opens_from_its_shortcut_and_the_navigation(qtbot, make_window):
    window = make_window()
    _activate(qtbot, window)
    for entry in PANELS:
        QTest.keySequence(window, QKeySequence(entry.shortcut))
        slot = window.slot(entry.name)
        qtbot.waitUntil(lambda s=slot: s.panel is not None, timeout=5000)
        assert window.stack.currentWidget() is slot
        assert window.nav.currentItem().text() == entry.title
        assert type(slot.panel) is entry.load()
    # And back through the navigation list, which is what a mouse click changes.
    window.nav.setCurrentRow(0)
    assert window.current_slot().entry.name == PANELS[0].name
    assert not window.reports


def test_the_crm_panel_shows_the_demo_pipeline_and_redraws_on_prospect_changes(qtbot, make_window):
    window = make_window()
    window.show_panel("crm")
    crm = window.slot("crm").panel
    qtbot.waitUntil(lambda: crm.ready, timeout=10000)
    # The demo fund: 60 prospects over every stage and 5 portal leads.
    assert sum(c.count for c in crm.kanban.board.columns.values()) == 65
    assert {c.stage for c in crm.kanban.board.columns.values() if c.count} == set(Stage)

    # A change to prospects elsewhere makes the pipeline redraw; one to activity does not.
    draws = []
    original = crm.refresh
    crm.refresh = lambda why: (draws.append(why), original(why))[1]
    publish_changes(window.context.events, Changes.of(activity=["a1"]))
    publish_changes(window.context.events, Changes.of(prospects=["p1"]))
    qtbot.waitUntil(lambda: len(draws) == 1 and not window.tasks.running(), timeout=5000)
    assert draws == [{"pipeline"}]


def test_failed_background_work_is_shown_and_the_window_stays_usable(qtbot, make_window):
    window = make_window()

    async def save_amount():
        await asyncio.sleep(0.01)
        raise ValidationError("The amount must be positive.", {"amount": "negative"})

    def blocking_sum():
        raise RuntimeError("division went wrong")

    async def backed_out():
        raise UserCancelled()

    window.tasks.run(backed_out(), name="backed out")  # silent: no banner
    window.tasks.run(save_amount(), name="save amount")
    qtbot.waitUntil(lambda: len(window.banners.rows()) == 1, timeout=5000)
    assert "The amount must be positive." in window.banners.messages()[0]

    window.tasks.run(blocking_sum, lane="cpu", name="sum")
    qtbot.waitUntil(lambda: len(window.banners.rows()) == 2, timeout=5000)
    unexpected = window.banners.rows()[1]
    assert unexpected.text.startswith("Unexpected error while running sum: RuntimeError: division went wrong")
    assert "Traceback" in unexpected.detail and "blocking_sum" in unexpected.detail

    # Still usable: more work runs and the panels still open.
    results = []
    window.tasks.run(lambda: 6 * 7, lane="cpu", on_success=results.append)
    window.tasks.run(asyncio.sleep(0, result="async ok"), on_success=results.append)
    qtbot.waitUntil(lambda: len(results) == 2, timeout=5000)
    assert sorted(map(str, results)) == ["42", "async ok"]
    window.show_panel("health")
    qtbot.waitUntil(lambda: window.slot("health").panel is not None, timeout=5000)

    copy = next(b for b in unexpected.findChildren(QPushButton) if b.text() == "Copy details")
    QTest.mouseClick(copy, Qt.MouseButton.LeftButton)
    assert "division went wrong" in QApplication.clipboard().text()


def test_closing_while_work_runs_cancels_it_and_exits(qtbot, make_window, monkeypatch):
    window = make_window()
    seen = {}
    release = threading.Event()

    async def long_download():
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            seen["coroutine"] = "cancelled"
            raise

    def long_analysis(progress):
        for step in range(6000):
            progress(step / 6000, "analysing")  # raises UserCancelled once cancel is requested
            time.sleep(0.005)

    def stuck_mt5_call():
        release.wait(30)  # like a MetaTrader5 call on a dead terminal: never checks anything

    coroutine = window.tasks.run(long_download(), name="download")
    analysis = window.tasks.run(long_analysis, lane="cpu", progress_label="Analysing…", name="analysis",
                                on_failure=lambda exc: seen.setdefault("analysis", type(exc).__name__))
    window.tasks.run(stuck_mt5_call, lane="mt5", name="mt5 call")
    qtbot.wait(50)
    # (A panel's own redraw may be waiting for the cpu lane too: only these three are the test's.)
    assert {"download", "analysis", "mt5 call"} <= {h.name for h in window.tasks.running()}

    # The stuck call gets this long to finish before the window gives up on it.
    monkeypatch.setattr("ui.main_window.SHUTDOWN_TIMEOUT_S", 0.5)
    started = time.monotonic()
    try:
        close_window(qtbot, window, timeout=5000)
    finally:
        release.set()
    assert time.monotonic() - started < 3
    assert seen["coroutine"] == "cancelled" and coroutine.task.cancelled()
    assert analysis.cancel_requested and analysis.done()
    assert "analysis" not in seen  # no callbacks into a closing window
    lane_threads = [t for t in threading.enumerate() if t.name.startswith("fidus-cpu")]
    assert not [t for t in lane_threads if t.is_alive()]
    assert window.context.closed and window.context.store is None


def test_geometry_and_last_panel_are_remembered(qtbot, make_window):
    first = make_window()
    first.resize(700, 520)  # inside the offscreen screen (800x600): restoreGeometry clamps
    first.show_panel("workspace")
    close_window(qtbot, first)
    saved = AppContext.create(AppPaths.default()).settings.ui
    assert saved.last_panel == "workspace" and saved.window_geometry

    second = make_window()
    assert second.current_slot().entry.name == "workspace"
    assert (second.width(), second.height()) == (700, 520)
    qtbot.waitUntil(lambda: second.slot("workspace").panel is not None, timeout=5000)


def test_command_palette_lists_and_triggers_actions(qtbot, make_window):
    window = make_window()
    window.show_panel("health")
    qtbot.waitUntil(lambda: window.slot("health").panel is not None, timeout=5000)
    _activate(qtbot, window)

    QTest.keySequence(window, QKeySequence("Ctrl+K"))
    qtbot.waitUntil(lambda: window.findChild(CommandPalette) is not None, timeout=3000)
    palette = window.findChild(CommandPalette)
    assert palette.isVisible()
    labels = palette.visible_labels()
    for expected in ["Go to CRM", "Go to Portfolio", "Go to MT5", "Go to Workspace", "Go to Health", "Quit",
                     "Open log folder", "About FIDUS Desktop", "Health: Reconnect database"]:
        assert expected in labels

    qtbot.keyClicks(palette.search, "go mt")
    assert palette.visible_labels() == ["Go to MT5"]
    QTest.keyClick(palette.search, Qt.Key.Key_Return)
    assert window.current_slot().entry.name == "mt5"
    assert not palette.isVisible()


def test_status_badge_follows_health_reported_from_a_worker_thread(qtbot, make_window):
    window = make_window()
    delivered_on = []
    window.bridge.on(EventType.SERVICE_STATUS_CHANGED, lambda _s: delivered_on.append(threading.current_thread()))

    worker = threading.Thread(target=lambda: window.context.health.report(
        ServiceName.MT5, ServiceState.OFFLINE, "bridge VPS-2", "No answer within 3 s."))
    worker.start()
    worker.join()
    badge = window.badges[ServiceName.MT5]
    qtbot.waitUntil(lambda: "offline" in badge.text(), timeout=5000)
    assert delivered_on == [threading.main_thread()]
    tooltip = badge.toolTip()
    assert "bridge VPS-2" in tooltip and "No answer within 3 s." in tooltip
    since = window.context.health.get(ServiceName.MT5).since.astimezone().strftime("%Y-%m-%d %H:%M")
    assert f"Since {since}" in tooltip
    assert badge.property("state") == "offline"
    assert "online" in window.badges[ServiceName.DATABASE].text()


def test_startup_warnings_are_shown_once(qtbot, make_window):
    context = AppContext.create(AppPaths.default())
    context.startup_warnings.append("No system keyring was found: test warning.")
    window = make_window(context)
    window._show_new_warnings()  # a second call (e.g. after a reconnect) must not repeat it
    assert window.banners.messages().count("No system keyring was found: test warning.") == 1


def test_unreachable_database_shows_offline_and_panels_say_why(qtbot, make_window):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends: nothing listens
    settings = Settings(storage=StorageSettings(backend="mongodb", timeout_seconds=0.3))
    context = AppContext.create(AppPaths.default(), settings=settings)
    window = MainWindow(context)
    window.open_fund(context.open_storage(mongo_uri=f"mongodb://fund:Sup3rSecret!@127.0.0.1:{port}/"
                                                    "?directConnection=true"))
    window.show()
    try:
        qtbot.waitUntil(lambda: window.is_open, timeout=10000)
        badge = window.badges[ServiceName.DATABASE]
        assert "offline" in badge.text() and f"127.0.0.1:{port}" in badge.toolTip()
        assert "Sup3rSecret" not in badge.toolTip()
        window.show_panel("crm")
        crm = window.slot("crm")
        assert crm.panel is None and "offline" in crm.notice.text.text()
        assert crm.notice.button.isVisibleTo(crm) and crm.notice.button.text() == "Try again"
        window.show_panel("health")
        qtbot.waitUntil(lambda: window.slot("health").panel is not None, timeout=5000)
        health = window.slot("health").panel
        assert health.state_text(ServiceName.DATABASE) == "offline"
        assert health.reconnect_button.isEnabled()
    finally:
        close_window(qtbot, window)


def test_uncaught_errors_in_slots_and_threads_are_shown_not_fatal(qtbot, qloop, make_window, monkeypatch):
    import sys

    from PySide6.QtCore import QTimer

    from ui.app import install_error_hooks

    window = make_window()
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    install_error_hooks(window, qloop)

    def broken_slot():
        raise KeyError("column that does not exist")

    QTimer.singleShot(0, broken_slot)
    qtbot.waitUntil(lambda: len(window.banners.rows()) == 1, timeout=5000)
    worker = threading.Thread(target=lambda: 1 / 0, name="poller")
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(window.banners.rows()) == 2, timeout=5000)
    first, second = window.banners.messages()
    assert "KeyError" in first and "column that does not exist" in first
    assert "thread poller" in second and "ZeroDivisionError" in second
    window.show_panel("health")  # still alive and usable
    qtbot.waitUntil(lambda: window.slot("health").panel is not None, timeout=5000)


def test_mt5_status_goes_live_at_launch_without_opening_the_mt5_panel(qtbot, make_window):
    window = make_window()
    assert window.current_slot().entry.name != "mt5"
    qtbot.waitUntil(lambda: window.context.health.get(ServiceName.MT5).state is ServiceState.ONLINE,
                    timeout=10000)
    status = window.context.health.get(ServiceName.MT5)
    assert status.source == "demo terminal"
    assert "online" in window.badges[ServiceName.MT5].text().lower()
