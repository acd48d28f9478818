"""Fixtures for window tests: a real qasync loop over pytest-qt's QApplication, a real context
on the embedded store (demo fund) in the per-test FIDUS_HOME, and a main window that is closed
the way the app closes it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import qasync

from tests.qt_loop import dispose_loop
from fidus_desktop.app_context import AppContext
from fidus_desktop.paths import AppPaths
from ui.main_window import MainWindow


@pytest.fixture
def qloop(qapp) -> Iterator[asyncio.AbstractEventLoop]:
    """asyncio on the Qt loop, as in the app. pytest-qt drives Qt (``qtbot.waitUntil`` processes
    events), so the loop is created "already running": its callbacks run whenever Qt does."""
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
    # Undo "already running" without QEventLoop.stop(), which calls QApplication.exit() and
    # would make every later nested Qt event loop (qtbot.wait) return at once.
    asyncio.events._set_running_loop(None)
    loop._QEventLoop__is_running = False  # the name-mangled flag stop() would have cleared
    dispose_loop(loop)


def close_window(qtbot, window: MainWindow, timeout: int = 8000) -> None:
    if not window.closed:
        window.close()
        qtbot.waitUntil(lambda: window.closed, timeout=timeout)


@pytest.fixture
def make_window(qtbot, qloop):
    """``make_window()`` builds, shows and opens a window; every one is closed at teardown."""
    windows: list[MainWindow] = []

    def make(context: AppContext | None = None, *, wait_open: bool = True) -> MainWindow:
        context = context or AppContext.create(AppPaths.default())
        window = MainWindow(context)
        windows.append(window)
        # As the app opens it: the panel in sight's services first, the others held (AppContext.start).
        window.open_fund(context.start(first_panel=window.current_slot().entry.name))
        window.show()
        if wait_open:
            qtbot.waitUntil(lambda: window.is_open, timeout=10000)
            qtbot.waitUntil(lambda: not window.tasks.running(), timeout=10000)
        return window

    yield make
    for window in windows:
        close_window(qtbot, window)
        window.deleteLater()
