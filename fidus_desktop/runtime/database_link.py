"""Noticing that the fund database went away, and that it came back.

A write that finds the database gone (or a store that never opened) starts a probe: a ping with
backoff (2 s doubling to 30 s). Meanwhile the DATABASE status says offline with the reason and
how many changes wait; when the ping answers again the status says online and the outbox is
woken to replay. Nothing here blocks the loop: the ping is the driver's own async call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import FidusError, StorageUnavailable
from ..services.health import ServiceName, ServiceState
from .service import Service

if TYPE_CHECKING:
    from ..app_context import AppContext

log = logging.getLogger(__name__)


class DatabaseLink(Service):
    name = "database-link"

    def __init__(self, context: AppContext, *, first_delay: float = 2.0, max_delay: float = 30.0,
                 on_back: Callable[[], None] | None = None) -> None:
        super().__init__()
        self._context = context
        self._first = first_delay
        self._max = max_delay
        self.on_back = on_back
        self._probe: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await super().start()
        if self._context.store is None and self._context.storage_target() is not None:
            self._begin_probe()

    def lost(self, exc: StorageUnavailable) -> None:
        """A write found the database gone: say so, and keep trying to reach it."""
        status = self._context.health.get(ServiceName.DATABASE)
        self._context.health.report(ServiceName.DATABASE, ServiceState.OFFLINE, status.source,
                                    f"{exc.message} Changes are kept on this computer and saved when it is back.")
        self._begin_probe()

    def _begin_probe(self) -> None:
        if self.running and (self._probe is None or self._probe.done()):
            self._probe = self.spawn(self._reach(), "probe")

    async def _reach(self) -> None:
        delay = self._first
        while True:
            await asyncio.sleep(delay)
            if await self._answers():
                status = self._context.health.get(ServiceName.DATABASE)
                self._context.health.report(ServiceName.DATABASE, ServiceState.ONLINE, status.source)
                log.info("the fund database answers again")
                if self.on_back is not None:
                    self.on_back()
                return
            delay = min(self._max, delay * 2)

    async def _answers(self) -> bool:
        store = self._context.store
        try:
            if store is None:
                await self._context.reconnect()
                return self._context.store is not None
            await store.backend.ping()
            return True
        except (FidusError, OSError) as exc:
            log.debug("database still unavailable: %s", exc)
            return False
