"""Changes made by other writers reach the panels: the web platform on the shared MongoDB, or
another program on the embedded file.

The backend says what changed (``external_changes``: change streams or an ``updated_at`` poll
on MongoDB, ``data_version`` on SQLite); the watcher drops the echoes of this app's own writes
and publishes the rest as :class:`Changes` with ``origin="external"``. A key ``"*"`` means "some
record of this aggregate changed, which one is not known": views reload what they show.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from ..events import EventType
from ..services.changes import ANY_RECORD, Changes, publish_changes
from ..services.health import ServiceName, ServiceState, ServiceStatus
from .service import Service

if TYPE_CHECKING:
    from ..app_context import AppContext
    from .writer import WritePath

log = logging.getLogger(__name__)


class ChangeWatcher(Service):
    name = "change-watcher"

    def __init__(self, context: AppContext, writer: WritePath, *, poll_seconds: float | None = None) -> None:
        super().__init__()
        self._context = context
        self._writer = writer
        self._poll = poll_seconds
        self._task: asyncio.Task[None] | None = None
        context.events.subscribe(EventType.SERVICE_STATUS_CHANGED, self._on_status)

    async def start(self) -> None:
        await super().start()
        self._begin()

    def _begin(self) -> None:
        store = self._context.store
        if not self.running or store is None or not hasattr(store.backend, "external_changes"):
            return
        if self._task is None or self._task.done():
            self._task = self.spawn(self._watch(), "watch")

    def _on_status(self, status: ServiceStatus) -> None:
        # The database came back (or opened late): watch it again.
        if status.service is ServiceName.DATABASE and status.state is ServiceState.ONLINE:
            self._begin()

    async def _watch(self) -> None:
        from ..storage.store import SPECS

        store = self._context.store
        assert store is not None
        kwargs = {} if self._poll is None else {"poll_seconds": self._poll}
        try:
            async for touched in store.backend.external_changes(SPECS, **kwargs):
                self._take(touched)
        except Exception as exc:  # the database went away: watched again when it is back online
            log.info("stopped watching for other writers' changes: %s", getattr(exc, "message", type(exc).__name__))

    def _take(self, touched: dict[str, set[str]]) -> None:
        theirs = {name: {k for k in keys if k == ANY_RECORD or not self._writer.is_own_echo(name, k)}
                  for name, keys in touched.items()}
        theirs = {name: keys for name, keys in theirs.items() if keys}
        if theirs:
            log.info("changes by another writer: %s", {n: len(k) for n, k in theirs.items()})
            publish_changes(self._context.events, Changes.of_collections(theirs, origin="external"))
