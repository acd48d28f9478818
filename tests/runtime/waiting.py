"""Waiting for the runtime's loops to reach a state, in the runtime tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def until(predicate: Callable[[], object], timeout: float = 15.0) -> None:
    """Let the runtime work until ``predicate()`` holds; fails the test after ``timeout`` s."""
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached in time")
