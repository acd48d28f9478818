"""The local cache behind every source: stale answers offline, incremental deal sync."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bridge_link.cached import CACHE_SOURCE, CachedSource
from bridge_link.direct import DirectSource
from bridge_link.errors import BridgeError, ErrorReason
from fidus_desktop.storage.cache import LocalCache


class Spy:
    """Wraps a source and records the deal windows asked for."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self.windows: list[tuple[datetime, datetime]] = []

    async def deals(self, login, date_from, date_to):
        self.windows.append((date_from, date_to))
        return await self.inner.deals(login, date_from, date_to)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture
async def cache(tmp_path):
    local = LocalCache(tmp_path / "cache.sqlite3")
    await local.open()
    yield local
    await local.close()


@pytest.fixture
async def direct(terminal):
    src = DirectSource(terminal, name="demo terminal", zone=terminal.zone, backoff_initial=0.0)
    yield src
    await src.close()


def utc(clock) -> datetime:
    return datetime.fromtimestamp(clock.now, UTC)


async def test_last_good_snapshot_is_served_stale_when_the_source_dies(direct, cache, terminal, clock) -> None:
    source = CachedSource(direct, cache, clock=lambda: utc(clock))
    live = await source.account(88001002)
    positions = await source.positions(88001002)
    assert not live.stale and live.source == "demo terminal"
    terminal.kill()
    stale = await source.account(88001002)
    assert stale.stale and stale.source == CACHE_SOURCE
    assert stale.balance == live.balance
    assert abs(stale.fetched_at - live.fetched_at) < timedelta(milliseconds=1)  # the cache keeps ms
    assert stale.age_seconds(stale.fetched_at + timedelta(minutes=3)) == 180
    held = await source.positions(88001002)
    assert held.stale and held.positions == positions.positions
    assert source.last_error is not None and source.last_error.reason is ErrorReason.NOT_CONNECTED
    with pytest.raises(BridgeError):  # never read before: nothing to show, the error stands
        await source.account(88001003)
    terminal.revive()
    assert not (await source.account(88001002)).stale


async def test_not_found_is_not_hidden_by_the_cache(direct, cache) -> None:
    source = CachedSource(direct, cache)
    with pytest.raises(BridgeError) as caught:
        await source.account(12345678)
    assert caught.value.reason is ErrorReason.AUTH_FAILED


async def test_deal_history_syncs_incrementally(direct, cache, terminal, clock) -> None:
    spy = Spy(direct)
    source = CachedSource(spy, cache, clock=lambda: utc(clock))
    first = await source.sync_deals(88001003)
    terminal.login(88001003)
    everything = terminal.history_deals_get(datetime(2020, 1, 1, tzinfo=UTC), utc(clock) + timedelta(days=1))
    assert first == len(everything) == await cache.count_deals(88001003)
    assert await source.sync_deals(88001003) == 0  # nothing new: nothing added
    newest, _ticket = await cache.last_deal(88001003)
    assert spy.windows[-1][0] >= newest - timedelta(hours=2)  # only asked from the last deal held
    clock.advance(2 * 86400)
    added = await source.sync_deals(88001003)
    terminal.login(88001003)
    now_all = terminal.history_deals_get(datetime(2020, 1, 1, tzinfo=UTC), utc(clock) + timedelta(days=1))
    assert added == len(now_all) - len(everything) > 0
    assert await cache.count_deals(88001003) == len(now_all)


async def test_deals_come_from_the_cache_when_offline(direct, cache, terminal, clock) -> None:
    source = CachedSource(direct, cache, clock=lambda: utc(clock))
    await source.sync_deals(88001005)
    live = await source.deals(88001005, utc(clock) - timedelta(days=200), utc(clock))
    terminal.kill()
    held = await source.deals(88001005, utc(clock) - timedelta(days=200), utc(clock))
    assert held.stale and held.source == CACHE_SOURCE
    assert [d.ticket for d in held.deals] == [d.ticket for d in live.deals]
    assert [d.amount for d in held.deals] == [d.amount for d in live.deals]
    assert all(d.time.tzinfo is not None for d in held.deals)


async def test_a_first_sync_in_pieces_ends_with_the_whole_history(direct, cache, terminal, clock) -> None:
    spy = Spy(direct)
    source = CachedSource(spy, cache, clock=lambda: utc(clock))
    pieces = 0
    while True:
        await source.sync_deals(88001003, max_span=timedelta(days=92))
        pieces += 1
        if await source.deals_synced(88001003):
            break
        assert pieces < 20, "the sync never caught up"
    terminal.login(88001003)
    everything = terminal.history_deals_get(datetime(2020, 1, 1, tzinfo=UTC), utc(clock) + timedelta(days=1))
    assert await cache.count_deals(88001003) == len(everything)
    assert pieces >= 10 and all(b - a <= timedelta(days=92) for a, b in spy.windows)  # never one long read
    assert all(later[0] <= earlier[1] for earlier, later in zip(spy.windows, spy.windows[1:], strict=False))
    clock.advance(86400)
    await source.sync_deals(88001003, max_span=timedelta(days=92))  # caught up: incremental again
    assert spy.windows[-1][0] >= utc(clock) - timedelta(days=3) and await source.deals_synced(88001003)
