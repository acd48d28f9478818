"""Equity snapshots in the local cache: recorded per poll, read as arrays, thinned by retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np

from fidus_desktop.mt5.history import EquityHistory

from .boards import snapshot

NOW = datetime(2026, 6, 1, tzinfo=UTC)


async def test_live_samples_are_kept_and_cached_replays_are_not(cache) -> None:
    history = EquityHistory(cache)
    assert await history.record([snapshot(NOW), snapshot(NOW + timedelta(seconds=5), "990.25", level=None),
                                 snapshot(NOW - timedelta(hours=1), stale=True)]) == 2
    assert await history.record([snapshot(NOW)]) == 0  # the same poll twice is one sample
    series = await history.series(7)
    assert series.t.tolist() == [NOW.timestamp(), NOW.timestamp() + 5]
    assert series.equity.tolist() == [1000.5, 990.25] and series.balance.tolist() == [1000.0, 1000.0]
    assert series.margin_level[0] == 1000.5 and np.isnan(series.margin_level[1])
    assert len(await history.series(7, start=NOW + timedelta(seconds=1))) == 1
    assert len(await history.series(8)) == 0
    assert await history.equity_at(7, NOW + timedelta(minutes=1)) == Decimal("990.25")
    assert await history.equity_at(7, NOW - timedelta(seconds=1)) is None


async def test_retention_keeps_every_poll_then_hourly_then_daily(cache) -> None:
    history = EquityHistory(cache)
    start = NOW - timedelta(days=100)
    samples = [snapshot(start + timedelta(minutes=5 * k), str(1000 + k)) for k in range(100 * 288)]
    assert await history.record(samples) == 28800
    await history.record([snapshot(start, login=8)])  # another account's lone sample stays

    removed = await history.prune(NOW)

    # 2 days of 5-minute samples, 88 days x 24 hours, 10 days: 576 + 2112 + 10
    assert await history.count(7) == 2698 and removed == 28800 - 2698
    t = (await history.series(7)).t
    recent, hourly, daily = t[t >= (NOW - timedelta(days=2)).timestamp()], \
        t[(t < (NOW - timedelta(days=2)).timestamp()) & (t >= (NOW - timedelta(days=90)).timestamp())], \
        t[t < (NOW - timedelta(days=90)).timestamp()]
    assert len(recent) == 576 and np.all(np.diff(recent) == 300)
    assert len(hourly) == 2112 and np.all(hourly % 3600 == 3300)  # the last sample of each hour
    assert len(daily) == 10 and np.all(daily % 86400 == 86100)  # the last sample of each day
    assert await history.count(8) == 1
    assert await history.prune(NOW) == 0  # idempotent
    # A day later the oldest hourly day becomes one sample, and two days of polls become hourly.
    assert await history.prune(NOW + timedelta(days=1)) == 23 + 288 - 24
