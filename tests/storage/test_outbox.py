"""Replaying queued writes: delivered once the database is back, never lost, never retried forever."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from fidus_desktop.errors import ConflictError, StorageUnavailable, ValidationError
from fidus_desktop.runtime.outbox import OutboxReplayer
from fidus_desktop.storage.cache import LocalCache


class Clock:
    def __init__(self) -> None:
        # Past every enqueue of the test; whole seconds, as the cache keeps milliseconds.
        self.now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)

    def __call__(self) -> datetime:
        return self.now


class Database:
    """A handler target that is down until told otherwise."""

    def __init__(self) -> None:
        self.up = True
        self.saved: list[dict[str, Any]] = []

    async def save(self, payload: dict[str, Any]) -> None:
        if not self.up:
            raise StorageUnavailable("The MongoDB database did not answer.")
        self.saved.append(payload)


@pytest.fixture
async def cache(tmp_path: Path) -> AsyncIterator[LocalCache]:
    cache = LocalCache(tmp_path / "cache.sqlite3")
    await cache.open()
    yield cache
    await cache.close()


def replayer(cache: LocalCache, handlers: dict[str, Any], clock: Clock) -> OutboxReplayer:
    # No jitter (factor 1): delays are exactly base * 2^(attempt - 1), capped.
    return OutboxReplayer(cache, handlers, clock, base_delay=timedelta(seconds=10),
                          max_delay=timedelta(minutes=1), jitter=lambda: 1.0)


async def test_due_writes_are_delivered_in_order_and_forgotten(cache: LocalCache) -> None:
    db, clock = Database(), Clock()
    for n in range(3):
        await cache.enqueue("prospect.save", {"n": n})

    assert await replayer(cache, {"prospect.save": db.save}, clock).run_once() == 3
    assert db.saved == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert await cache.pending_count() == 0


async def test_an_unreachable_database_is_retried_later_with_growing_waits(cache: LocalCache) -> None:
    db, clock = Database(), Clock()
    db.up = False
    await cache.enqueue("prospect.save", {"n": 0})
    await cache.enqueue("prospect.save", {"n": 1})
    replay = replayer(cache, {"prospect.save": db.save}, clock)

    waits = []
    for _ in range(4):
        start = clock.now
        assert await replay.run_once() == 0
        [first, second] = await cache.pending()
        waits.append(first.next_attempt_at - start)
        assert second.attempts == 0  # the round stopped at the first failure: order kept
        clock.now = first.next_attempt_at
    assert waits == [timedelta(seconds=10), timedelta(seconds=20), timedelta(seconds=40), timedelta(minutes=1)]
    assert first.last_error == "The MongoDB database did not answer." and not first.needs_attention

    db.up = True
    assert await replay.run_once() == 2
    assert db.saved == [{"n": 0}, {"n": 1}]


def test_jitter_spreads_the_wait_between_half_and_all_of_it(cache: LocalCache) -> None:
    low = OutboxReplayer(cache, {}, base_delay=timedelta(seconds=10), jitter=lambda: 0.0)
    high = OutboxReplayer(cache, {}, base_delay=timedelta(seconds=10), jitter=lambda: 0.999)
    assert low.delay(3) == timedelta(seconds=20)
    assert timedelta(seconds=39) < high.delay(3) <= timedelta(seconds=40)


@pytest.mark.parametrize("error", [ConflictError("Record 'p1' was changed by someone else."),
                                   ValidationError("The e-mail address is not valid.")])
async def test_a_write_the_database_refuses_is_kept_for_the_manager(cache: LocalCache, error: Exception) -> None:
    clock, calls = Clock(), []

    async def refuse(payload: dict[str, Any]) -> None:
        calls.append(payload)
        raise error

    db = Database()
    refused = await cache.enqueue("prospect.save", {"n": 0})
    await cache.enqueue("activity.add", {"n": 1})
    replay = replayer(cache, {"prospect.save": refuse, "activity.add": db.save}, clock)

    assert await replay.run_once() == 1  # the next item is not held up by it
    [kept] = await cache.pending()
    assert (kept.id, kept.needs_attention, kept.last_error) == (refused, True, str(error))
    assert kept.payload == {"n": 0}  # the manager's input is still there

    clock.now += timedelta(days=30)
    assert await replay.run_once() == 0
    assert calls == [{"n": 0}]  # never retried by itself


async def test_a_write_of_an_unknown_kind_or_with_a_bug_is_kept_with_a_reason(cache: LocalCache) -> None:
    async def buggy(payload: dict[str, Any]) -> None:
        raise KeyError("stage")

    await cache.enqueue("investment.save", {"n": 0})
    await cache.enqueue("prospect.save", {"n": 1})
    assert await replayer(cache, {"prospect.save": buggy}, Clock()).run_once() == 0
    reasons = [item.last_error for item in await cache.pending()]
    assert "does not know how to save a change of kind 'investment.save'" in reasons[0]
    assert reasons[1] == "Unexpected error (KeyError); details are in the log."


async def test_a_newer_write_never_overtakes_an_older_one_waiting_to_retry(cache: LocalCache) -> None:
    db, clock = Database(), Clock()
    db.up = False
    await cache.enqueue("prospect.add", {"n": 0})
    replay = replayer(cache, {"prospect.add": db.save, "prospect.save": db.save}, clock)
    await replay.run_once()  # fails: retry in 10 s
    db.up = True
    await cache.enqueue("prospect.save", {"n": 1})
    clock.now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)

    assert await replay.run_once() == 0  # the update waits behind its insert
    clock.now += timedelta(seconds=10)
    assert await replay.run_once() == 2
    assert db.saved == [{"n": 0}, {"n": 1}]
