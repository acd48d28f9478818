"""A service that reads a view of the fund once and then follows the fund's ``Changes``.

The portfolio book and the CRM pipeline index are both built this way: read everything at start
(or when the database comes back, or when a change names no record), then take in each burst of
changes as one batch (the records named re-read, the rest kept). The loop, the queue, the wake-up
and the error policy (a failure says why, the view stays as it was, readers are released) live
here once; a subclass says which records it follows and how to load and take in.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, ClassVar

from ..errors import FidusError
from ..events import EventType
from ..services.health import ServiceName, ServiceState, ServiceStatus
from .service import Service

if TYPE_CHECKING:
    from ..app_context import AppContext
    from ..services.changes import Changes

log = logging.getLogger(__name__)

class ChangeFollower(Service):
    #: The kinds of record this view holds (``Changes`` attribute names).
    WATCHED: ClassVar[tuple[str, ...]] = ()
    #: What the view is called in messages ("portfolio", "pipeline").
    WHAT: ClassVar[str] = "view"
    #: Wake at least this often even with no change (None: only on changes).
    TICK_SECONDS: ClassVar[float | None] = None

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self._context = context
        self.error = ""
        self._queue: list[Changes] = []
        self._wake = asyncio.Event()
        #: Set once the first load ended, well or not: readers waiting on it are released.
        self._ready = asyncio.Event()
        context.events.subscribe(EventType.DATA_CHANGED, self._on_changes)
        context.events.subscribe(EventType.SERVICE_STATUS_CHANGED, self._on_status)

    # ---- what a subclass says ----------------------------------------------------------------

    def needs_load(self) -> bool:
        """The view must be read whole (not read yet, or out of date as a whole)."""
        raise NotImplementedError

    async def load(self) -> None:
        """Read the whole view; sets ``_ready`` when published."""
        raise NotImplementedError

    async def take_in(self, batch: list[Changes], merged: Changes) -> None:
        """Apply a burst of changes (``merged`` is their union)."""
        raise NotImplementedError

    # ---- helpers for subclasses ------------------------------------------------------------------

    def discard_queued(self) -> None:
        """A load just read the store, which holds every change queued so far."""
        self._queue.clear()

    # ---- the loop ---------------------------------------------------------------------------------

    async def start(self) -> None:
        await super().start()
        self.spawn(self._run(), "keep current")

    def _on_changes(self, changes: Changes) -> None:
        if changes.affects(*self.WATCHED):
            self._queue.append(changes)
            self._wake.set()

    def _on_status(self, status: ServiceStatus) -> None:
        if status.service is ServiceName.DATABASE and status.state is ServiceState.ONLINE and self.needs_load():
            self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                if self.needs_load():
                    await self.load()
                elif self._queue:
                    batch, self._queue = self._queue, []
                    merged = batch[0]
                    for more in batch[1:]:
                        merged = merged.merge(more)
                    await self.take_in(batch, merged)
            except FidusError as exc:
                self.error = exc.message
                log.warning("%s not current: %s", self.WHAT, exc.message)
                self._ready.set()
            except Exception:
                log.exception("%s update failed", self.WHAT)
                self.error = f"The {self.WHAT} could not be updated; details are in the log."
                self._ready.set()
            self._wake.clear()
            if self._queue:
                continue
            if self.TICK_SECONDS is None:
                await self._wake.wait()
                continue
            try:
                async with asyncio.timeout(self.TICK_SECONDS):
                    await self._wake.wait()
            except TimeoutError:
                pass
