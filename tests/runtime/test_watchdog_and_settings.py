"""The stall watchdog names what held the loop; a settings change is announced and applied."""

from __future__ import annotations

import asyncio
import dataclasses
import time

from fidus_desktop.app_context import AppContext
from fidus_desktop.events import EventType
from fidus_desktop.paths import AppPaths
from fidus_desktop.runtime.watchdog import StallWatchdog, doing
from fidus_desktop.services.mt5_monitor import Mt5MonitorService


def hold_the_loop_for_a_while() -> None:
    time.sleep(0.2)


async def test_a_deliberate_200_ms_stall_is_reported_with_its_cause():
    watchdog = StallWatchdog(asyncio.get_running_loop(), 50).start()
    try:
        await asyncio.sleep(0.1)  # a few quiet heartbeats first
        with doing("recompute the figures"):
            hold_the_loop_for_a_while()
        await asyncio.sleep(0.1)
        watchdog.drain()
    finally:
        watchdog.stop()
    [stall] = watchdog.stalls
    assert 180 <= stall.ms <= 600
    assert stall.cause == "recompute the figures"
    assert "hold_the_loop_for_a_while" in stall.stack
    assert "recompute the figures" in stall.describe()


async def test_short_pauses_are_not_stalls():
    watchdog = StallWatchdog(asyncio.get_running_loop(), 50).start()
    try:
        for _ in range(10):
            time.sleep(0.01)
            await asyncio.sleep(0.01)
        watchdog.drain()
    finally:
        watchdog.stop()
    assert watchdog.stalls == []


async def test_a_settings_change_is_announced_and_the_mt5_monitor_applies_it(tmp_path):
    context = AppContext.create(AppPaths.under(tmp_path / "home"))
    monitor = context.services.add(Mt5MonitorService(context))
    seen = []
    context.events.subscribe(EventType.SETTINGS_CHANGED, seen.append)
    await context.services.start()
    try:
        for _ in range(300):
            if monitor.monitor is not None:
                break
            await asyncio.sleep(0.02)
        first = monitor.monitor
        assert first is not None and first.poll_seconds == 5.0
        context.update_settings(context.settings.replace(
            mt5=dataclasses.replace(context.settings.mt5, poll_seconds=0.5)))
        [change] = seen
        assert change.sections == {"mt5"} and not change.restart_needed
        for _ in range(300):
            if monitor.monitor is not None and monitor.monitor is not first:
                break
            await asyncio.sleep(0.02)
        assert monitor.monitor.poll_seconds == 0.5  # rebuilt with the new value, no restart
        context.update_settings(context.settings.replace(
            storage=dataclasses.replace(context.settings.storage, backend="mongodb")))
        assert seen[-1].restart_needed
    finally:
        await context.close()
