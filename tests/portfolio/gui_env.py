"""A Qt window's environment for portfolio GUI tests: qasync loop, task runner, app context and
an embedded store, as ``ui/app.py`` sets them up (without the main window)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import qasync

from tests.qt_loop import dispose_loop
from fidus_desktop.app_context import AppContext
from fidus_desktop.paths import AppPaths
from fidus_desktop.storage.sqlite import SqliteBackend
from fidus_desktop.storage.store import FundStore
from fidus_desktop.storage.cache import LocalCache
from ui.event_bridge import EventBridge
from ui.tasks import TaskRunner


@dataclass
class GuiEnv:
    loop: asyncio.AbstractEventLoop
    context: AppContext
    tasks: TaskRunner
    bridge: EventBridge | None = None
    errors: list[tuple[BaseException, str]] = field(default_factory=list)

    @property
    def store(self) -> FundStore:
        assert self.context.store is not None
        return self.context.store

    def run(self, coro: Any) -> Any:
        """Run a coroutine to completion on the Qt loop (the window's event loop keeps turning)."""
        return self.loop.run_until_complete(coro)

    def wait(self, predicate: Callable[[], object], timeout: float = 15.0) -> None:
        async def poll() -> None:
            while not predicate():
                assert not self.errors, self.errors
                await asyncio.sleep(0.01)
        self.run(asyncio.wait_for(poll(), timeout))


@pytest.fixture
def gui(qapp, tmp_path) -> Iterator[GuiEnv]:
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    context = AppContext.create(AppPaths.default())
    env = GuiEnv(loop, context, None)  # type: ignore[arg-type]
    env.tasks = TaskRunner(lambda exc, name: env.errors.append((exc, name)), loop=loop)
    context.store = env.run(FundStore.open(SqliteBackend(tmp_path / "fund.sqlite3")))
    context.cache = LocalCache(tmp_path / "cache.sqlite3")
    env.run(context.cache.open())
    env.bridge = EventBridge(context.events)
    try:
        yield env
    finally:
        env.run(env.tasks.shutdown())
        env.run(context.close())
        dispose_loop(loop)
