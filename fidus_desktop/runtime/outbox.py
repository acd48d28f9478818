"""Replays the writes the local cache's outbox kept while the fund database was unreachable.

Delivery is at least once: an item is acknowledged after its handler returns, so a crash in
between replays it again. Handlers must therefore be idempotent (an insert that finds its own
record already there counts as done).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from ..domain.values import utc_now
from ..errors import FidusError, StorageUnavailable
from ..events import EventType
from ..storage.cache import LocalCache, OutboxItem
from .notices import Notice
from .operations import OUTBOX_KIND
from .service import Service
from .writer import WritePath

if TYPE_CHECKING:
    from ..app_context import AppContext

log = logging.getLogger(__name__)

type Handler = Callable[[dict[str, Any]], Awaitable[None]]



class RetryLater(Exception):  # noqa: N818 (an instruction to the replayer, not a failure)
    """A handler's "not now" (Google unreachable, the account needing a new sign-in): the item
    waits for its next attempt; the message is the reason shown for it."""


#: Failures that pass by themselves: the item is tried again later.
RETRYABLE: tuple[type[BaseException], ...] = (StorageUnavailable, TimeoutError, ConnectionError, RetryLater)


class OutboxReplayer:
    """Sends due outbox items to their handler by ``kind``.

    A database that is down is retried with capped exponential backoff and jitter (so several
    machines coming back online do not all retry at the same second). Anything else, such as a
    conflict with a newer change or a value the rules refuse, will not pass by itself: the item
    is held, with the reason, for the manager to resolve, instead of being retried forever.
    """

    def __init__(self, cache: LocalCache, handlers: Mapping[str, Handler],
                 clock: Callable[[], datetime] = utc_now, *,
                 base_delay: timedelta = timedelta(seconds=15), max_delay: timedelta = timedelta(minutes=30),
                 jitter: Callable[[], float] = random.random, unordered: frozenset[str] = frozenset()) -> None:
        self._cache = cache
        self._handlers = dict(handlers)
        #: Kinds whose items do not depend on each other (mails): one waiting never holds back another.
        self.unordered = set(unordered)
        #: Items delivered by the last round, per kind.
        self.last_delivered: dict[str, int] = {}
        self._clock = clock
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._jitter = jitter
        # A timer and a "retry now" button may both call run_once: one round at a time.
        self._lock = asyncio.Lock()

    def delay(self, attempt: int) -> timedelta:
        """Wait before attempt ``attempt + 1``: doubling from ``base_delay``, capped, then
        scaled by a random factor in [0.5, 1]."""
        full = min(self._max_delay, self._base_delay * 2 ** min(attempt - 1, 32))
        return full * (0.5 + 0.5 * self._jitter())

    def add_handler(self, kind: str, handler: Handler, *, ordered: bool = True) -> None:
        self._handlers[kind] = handler
        if not ordered:
            self.unordered.add(kind)

    async def run_once(self, *, skip: frozenset[str] = frozenset()) -> int:
        """Replay due items once, in the order they were queued; returns how many were delivered.

        Writes stay in order (an update must not overtake the insert it follows): ordered items
        stop at the first one still waiting for its retry, and at the first "database
        unavailable", since the items after it would only wait for the same timeout. Items of
        an unordered kind (mails) are each tried when due. Items held for the manager are
        stepped over; a kind in ``skip`` (its target is known to be away) is not tried, and
        holds back the ordered items after it.
        """
        async with self._lock:
            delivered: dict[str, int] = {}
            blocked = False  # the ordered items stop here
            now = self._clock()
            for item in await self._cache.pending():
                ordered = item.kind not in self.unordered
                if item.needs_attention or (ordered and blocked):
                    continue
                waiting = item.next_attempt_at is not None and item.next_attempt_at > now
                if item.kind in skip or waiting:
                    blocked = blocked or ordered
                    continue
                outcome = await self._replay(item)
                if outcome == "delivered":
                    delivered[item.kind] = delivered.get(item.kind, 0) + 1
                elif outcome == "unavailable" and ordered:
                    blocked = True
            self.last_delivered = delivered
            return sum(delivered.values())

    async def _replay(self, item: OutboxItem) -> Literal["delivered", "held", "unavailable"]:
        handler = self._handlers.get(item.kind)
        if handler is None:
            await self._hold(item, f"FIDUS Desktop does not know how to save a change of kind '{item.kind}'.")
            return "held"
        try:
            await handler(item.payload)
        except RETRYABLE as exc:
            retry_at = self._clock() + self.delay(item.attempts + 1)
            log.info("Outbox item %d (%s) not delivered, retry at %s: %s", item.id, item.kind, retry_at, exc)
            await self._cache.fail(item.id, _reason(exc), retry_at)
            return "unavailable"
        except FidusError as exc:
            await self._hold(item, exc.message)
            return "held"
        except Exception as exc:  # a bug will not fix itself by retrying
            log.exception("Outbox item %d (%s) failed unexpectedly", item.id, item.kind)
            await self._hold(item, f"Unexpected error ({type(exc).__name__}); details are in the log.")
            return "held"
        await self._cache.ack(item.id)
        return "delivered"

    async def _hold(self, item: OutboxItem, reason: str) -> None:
        log.warning("Outbox item %d (%s) needs the manager's attention: %s", item.id, item.kind, reason)
        await self._cache.fail(item.id, reason, None)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, FidusError):
        return exc.message
    if isinstance(exc, RetryLater):
        return str(exc)
    return "The database did not answer in time." if isinstance(exc, TimeoutError) else "The connection failed."


# ---- the service -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HeldItem:
    item_id: int
    summary: str
    reason: str


@dataclass(frozen=True, slots=True)
class OutboxState:
    """What the status bar says ("3 changes waiting") and the Health panel lists."""

    waiting: int = 0
    #: Items replaying gave up on (a conflict, a refused value): they wait for the manager.
    held: tuple[HeldItem, ...] = ()

    @property
    def total(self) -> int:
        return self.waiting + len(self.held)

    def describe(self) -> str:
        if not self.total:
            return "All changes saved."
        parts = [f"{self.waiting} change{'s' if self.waiting != 1 else ''} waiting"] if self.waiting else []
        if self.held:
            parts.append(f"{len(self.held)} need{'s' if len(self.held) == 1 else ''} your attention")
        return ", ".join(parts)


class OutboxService(Service):
    """Replays the outbox whenever it may succeed: when something was queued, when the database
    comes back, and at each item's retry time; publishes :class:`OutboxState` on every change."""

    name = "outbox"

    def __init__(self, context: AppContext, writer: WritePath, *, idle_seconds: float = 30.0,
                 base_delay: timedelta = timedelta(seconds=5), max_delay: timedelta = timedelta(minutes=5)) -> None:
        super().__init__()
        self._context = context
        self._writer = writer
        self._idle = idle_seconds
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._wake = asyncio.Event()
        self.state = OutboxState()
        self._replayer: OutboxReplayer | None = None
        self._handlers: dict[str, Handler] = {OUTBOX_KIND: self._writer.replay}
        self._unordered: set[str] = set()

    def add_handler(self, kind: str, handler: Handler, *, ordered: bool = True) -> None:
        """Deliver outbox items of ``kind`` (not fund writes: a mail to send) with ``handler``;
        ``ordered=False`` when items of the kind are independent. Register before :meth:`start`
        (or at least before the kind's first item is due), else its items are held as unknown."""
        self._handlers[kind] = handler
        if not ordered:
            self._unordered.add(kind)
        if self._replayer is not None:
            self._replayer.add_handler(kind, handler, ordered=ordered)

    async def start(self) -> None:
        await super().start()
        cache = self._context.cache
        if cache is None:
            return
        self._replayer = OutboxReplayer(cache, self._handlers, base_delay=self._base_delay,
                                        max_delay=self._max_delay, unordered=frozenset(self._unordered))
        self._writer.on_queued = self._queued
        await self._writer.load_pending()
        await self._publish()
        self.spawn(self._run(), "replay")

    def _queued(self) -> None:
        # Said at once ("1 change waiting"), before a replay round that may wait on a busy file.
        self.spawn(self._publish(), "count")
        self.wake()

    def wake(self) -> None:
        """Try now (something was queued, the database is back, the manager pressed Retry)."""
        self._wake.set()

    async def run_once(self) -> int:
        """One replay round; returns how many items were delivered (writes reached the database,
        mails went out). With the database away only the other kinds are tried."""
        if self._replayer is None:
            return 0
        skip = frozenset({OUTBOX_KIND}) if self._context.store is None else frozenset()
        delivered = await self._replayer.run_once(skip=skip)
        await self._publish()
        saved = self._replayer.last_delivered.get(OUTBOX_KIND, 0)
        if saved:  # other kinds say what they delivered themselves
            self._context.events.publish(EventType.NOTICE, Notice(
                f"{saved} change{'s' if saved != 1 else ''} saved to the database."))
        return delivered

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # never let one bad round end replaying
                log.exception("outbox replay round failed")
            self._wake.clear()
            try:
                async with asyncio.timeout(await self._next_wait()):
                    await self._wake.wait()
            except TimeoutError:
                pass

    async def _next_wait(self) -> float:
        cache = self._context.cache
        if cache is None:
            return self._idle
        due = [item.next_attempt_at for item in await cache.pending() if item.next_attempt_at is not None]
        if not due:
            return self._idle
        return max(0.05, min(self._idle, (min(due) - utc_now()).total_seconds()))

    async def retry(self, item_id: int) -> None:
        cache = self._context.cache
        if cache is not None:
            await cache.retry(item_id)
            self.wake()

    async def discard(self, item_id: int) -> None:
        """The manager gave up on a held change: it is dropped (and logged)."""
        cache = self._context.cache
        if cache is None:
            return
        for item in await cache.pending():
            if item.id == item_id:
                log.warning("outbox item %d (%s) discarded by the manager", item.id, item.kind)
                await cache.discard(item_id)
                if item.kind == OUTBOX_KIND:
                    self._writer.forget(str(item.payload.get("op_id", "")))
        await self._publish()

    async def _publish(self) -> None:
        cache = self._context.cache
        if cache is None:
            return
        items = await cache.pending()
        held = tuple(HeldItem(i.id, _summary(i), i.last_error) for i in items if i.needs_attention)
        state = OutboxState(waiting=len(items) - len(held), held=held)
        if state != self.state:
            self.state = state
            self._context.events.publish(EventType.OUTBOX_CHANGED, state)


def _summary(item: OutboxItem) -> str:
    audit = item.payload.get("audit") if isinstance(item.payload, dict) else None
    if isinstance(audit, dict) and audit.get("description"):
        return str(audit["description"])
    if isinstance(item.payload, dict) and item.payload.get("summary"):  # other kinds name themselves
        return str(item.payload["summary"])
    return item.kind
