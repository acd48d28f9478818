"""Admission to the one MT5 terminal: bounded queues, and 429 rather than a timeout.

Every read goes through the terminal one at a time, so a queue that grows without bound turns
into timeouts for everyone (300 ten-year deal requests once made an account read wait 10.5 s
and health fail). Here the work admitted is bounded: at most ``max_waiting`` reads in the lane,
and history reads (the long ones) one at a time with a short waiting list. What does not fit is
refused at once with ``Retry-After``, which a client can act on; a timeout tells it nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from .limits import ServerLimits
from .problems import Overloaded


class Admission:
    def __init__(self, limits: ServerLimits) -> None:
        self.limits = limits
        self.reading = 0
        self.history_waiting = 0
        self._history = asyncio.Semaphore(limits.history_slots)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[None]:
        if self.reading >= self.limits.max_waiting:
            raise Overloaded(f"The MT5 terminal has {self.reading} reads waiting; try again shortly.",
                             self.limits.retry_after)
        self.reading += 1
        try:
            yield
        finally:
            self.reading -= 1

    @asynccontextmanager
    async def history(self) -> AsyncIterator[None]:
        """One history request at a time reads (chunk by chunk, so others' reads go in between)."""
        if self.history_waiting >= self.limits.max_history_waiting:
            raise Overloaded(f"{self.history_waiting} history requests are waiting for the MT5 terminal; "
                             "try again shortly.", self.limits.retry_after)
        self.history_waiting += 1
        waiting = True
        try:
            async with self._history:
                self.history_waiting -= 1
                waiting = False
                yield
        finally:
            if waiting:
                self.history_waiting -= 1
