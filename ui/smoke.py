"""``fidus-desktop --smoke``: prove an install works, then exit.

Waits for the first paint and the fund to open, opens every panel and lets its first background
work finish, then closes the window the normal way. Any error shown in the window, any panel
that could not open, or a database that is not online fails the run (exit 1) with the reasons.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fidus_desktop.services.health import ServiceName, ServiceState

if TYPE_CHECKING:
    from fidus_desktop.cli import StartupClock
    from fidus_desktop.runtime.watchdog import StallWatchdog

    from .main_window import MainWindow

#: A folder: the smoke run then saves a screenshot of the window on each panel there.
SCREENSHOTS_ENV = "FIDUS_SMOKE_SCREENSHOTS"
#: Generous: the first run loads the demo fund, and CI machines are slow.
SMOKE_TIMEOUT_S = 60.0


async def _settle(window: MainWindow, deadline: float, slot: Any = None) -> None:
    """Until the panel shows real data and no background work of the window runs, then one more
    loop turn."""
    def busy() -> list[str]:
        waiting = [h.name for h in window.tasks.running()]
        if slot is not None and slot.panel is not None and not slot.panel.ready:
            waiting.append(f"{slot.entry.name} panel data")
        return waiting

    while busy():
        if time.monotonic() > deadline:
            raise TimeoutError(f"background work still running: {', '.join(busy())}")
        await asyncio.sleep(0.01)
    await asyncio.sleep(0)


async def _opened(window: MainWindow) -> None:
    if window.is_open:
        return
    opened = asyncio.get_running_loop().create_future()
    window.fund_opened.connect(lambda: opened.done() or opened.set_result(None))
    await opened


async def run_smoke(window: MainWindow, painted: asyncio.Future[float], clock: StartupClock,
                    watchdog: StallWatchdog | None = None) -> int:
    failures: list[str] = []
    deadline = time.monotonic() + SMOKE_TIMEOUT_S
    opened: list[str] = []
    try:
        async with asyncio.timeout(SMOKE_TIMEOUT_S):
            await painted
            await _opened(window)
            first = window.current_slot()
            await _settle(window, deadline, first)
            clock.mark("usable")  # the last-used panel shows real data
            for name in window.panel_names():
                window.show_panel(name)
                slot = window.slot(name)
                await _settle(window, deadline, slot)
                if slot.panel is None:
                    why = slot.failed or slot.notice.text.text()
                    failures.append(f"panel {name} did not open: {why}")
                    continue
                slot.panel.grab()  # renders it: a paint error fails here, not in the field
                opened.append(name)
                if shots := os.environ.get(SCREENSHOTS_ENV):
                    window.grab().save(str(Path(shots) / f"{name}.png"))
    except TimeoutError as exc:
        failures.append(f"timed out after {SMOKE_TIMEOUT_S:.0f} s ({str(exc) or 'waiting for the window'})")
    clock.mark("total")
    database = window.context.health.get(ServiceName.DATABASE)
    if database.state is not ServiceState.ONLINE:
        failures.append(f"database {database.state.value}: {database.detail or database.source}")
    failures += [f"error shown: {report.message}" for report in window.reports]
    print(f"smoke: panels opened: {', '.join(opened) or 'none'}; database: {database.source} "
          f"({database.state.value}){'; demo fund loaded' if window.context.demo_loaded else ''}")
    print(clock.line(("imports", "first_paint", "store_open", "usable", "total")), flush=True)
    if watchdog is not None:
        watchdog.drain()
        worst = watchdog.worst
        print(f"smoke: worst stall: {worst.describe() if worst else f'none over {watchdog.threshold * 1000:.0f} ms'}",
              flush=True)
    window.close()
    if failures:
        for failure in failures:
            print(f"smoke: FAILED: {failure}", file=sys.stderr)
        return 1
    print("smoke: ok")
    return 0
