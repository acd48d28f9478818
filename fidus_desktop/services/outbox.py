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
from datetime import datetime, timedelta
from typing import Any, Literal

from ..domain.values import utc_now
from ..errors import FidusError, StorageUnavailable
from ..storage.cache import LocalCache, OutboxItem

log = logging.getLogger(__name__)

type Handler = Callable[[dict[str, Any]], Awaitable[None]]

#: Failures that pass by themselves: the item is tried again later.
RETRYABLE: tuple[type[BaseException], ...] = (StorageUnavailable, TimeoutError, ConnectionError)


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
                 jitter: Callable[[], float] = random.random) -> None:
        self._cache = cache
        self._handlers = dict(handlers)
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

    async def run_once(self) -> int:
        """Replay due items once, in the order they were queued; returns how many reached the
        database.

        Writes stay in order (an update must not overtake the insert it follows): the round
        stops at the first item still waiting for its retry, and at the first "database
        unavailable", since the items after it would only wait for the same timeout. Items held
        for the manager are stepped over.
        """
        async with self._lock:
            delivered = 0
            now = self._clock()
            for item in await self._cache.pending():
                if item.needs_attention:
                    continue
                if item.next_attempt_at is not None and item.next_attempt_at > now:
                    break
                outcome = await self._replay(item)
                if outcome == "delivered":
                    delivered += 1
                elif outcome == "unavailable":
                    break
            return delivered

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
    return "The database did not answer in time." if isinstance(exc, TimeoutError) else "The connection failed."
