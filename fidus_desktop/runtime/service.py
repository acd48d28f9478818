"""Long-lived core services (MT5 monitor, outbox, watchers, portfolio, Google sync, alerts) and
the host that starts them in order and stops them in reverse.

A service owns its background tasks: :meth:`Service.spawn` keeps a strong reference (the loop
holds only weak ones), logs a crash instead of losing it, and :meth:`Service.stop` cancels and
awaits them, so nothing outlives the service.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class Service:
    #: Stable name for logs and the Health panel ("mt5-monitor", "outbox"...).
    name = "service"

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self.running = False

    async def start(self) -> None:
        """Begin work (spawn loops); must return quickly."""
        self.running = True

    async def stop(self) -> None:
        """Cancel this service's tasks and wait for them; never raises."""
        self.running = False
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()

    def spawn(self, work: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(work, name=f"{self.name}:{name}")
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s stopped unexpectedly", task.get_name(), exc_info=task.exception())

    def busy(self) -> list[str]:
        """Names of the tasks still running (smoke runs wait for first loads to end)."""
        return [t.get_name() for t in self._tasks if not t.done()]


class ServiceHost:
    def __init__(self) -> None:
        self._services: list[Service] = []
        self._started: list[Service] = []

    def add[S: Service](self, service: S) -> S:
        self._services.append(service)
        return service

    def __iter__(self):  # noqa: ANN204 (an iterator of services)
        return iter(self._services)

    def get(self, name: str) -> Service | None:
        return next((s for s in self._services if s.name == name), None)

    async def start(self) -> None:
        for service in self._services:
            if service in self._started:
                continue
            try:
                await service.start()
            except Exception:  # one broken service must not keep the others from starting
                log.exception("service %s did not start", service.name)
                continue
            self._started.append(service)

    async def stop(self) -> None:
        for service in reversed(self._started):
            try:
                await service.stop()
            except Exception:
                log.exception("service %s did not stop cleanly", service.name)
        self._started.clear()
