"""Equity and balance snapshots kept in the local cache, for the charts (issue 10 item 7).

The API keeps no equity history (mt5-api.md §10), so the monitor stores each poll's account
summary here. Retention keeps the charts' resolution where it matters and the file small:
every poll for the last 2 days, the last one of each hour for 90 days, the last one of each UTC
day after that (:meth:`EquityHistory.prune`, idempotent, run from time to time).

Only live answers are recorded: a stale snapshot replayed from the cache is not a new sample.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np

from bridge_link.models import AccountSnapshot

from ..storage.cache import LocalCache

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
#: Every sample is kept this long; then one an hour.
KEEP_ALL = timedelta(days=2)
#: One an hour is kept this long; then one a day.
KEEP_HOURLY = timedelta(days=90)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True, slots=True, eq=False)
class EquitySeries:
    """One account's stored samples, oldest first, as chart arrays: ``t`` epoch seconds and the
    values as float64 (``margin_level`` NaN where no margin was in use)."""

    t: np.ndarray
    balance: np.ndarray
    equity: np.ndarray
    margin_level: np.ndarray

    def __len__(self) -> int:
        return int(self.t.size)

    @classmethod
    def empty(cls) -> EquitySeries:
        return cls(*(np.empty(0) for _ in range(4)))


class EquityHistory:
    def __init__(self, cache: LocalCache) -> None:
        self._db = cache.database

    async def record(self, snapshots: Iterable[AccountSnapshot]) -> int:
        """Store the live ones of ``snapshots`` (one transaction); returns how many were new."""
        rows = [(s.login, _ms(s.fetched_at), str(s.balance), str(s.equity), str(s.margin),
                 None if s.margin_level is None else str(s.margin_level), str(s.profit), s.source)
                for s in snapshots if not s.stale]
        if not rows:
            return 0
        async with self._db.transaction() as tx:
            [(before,)] = await tx.fetch("SELECT total_changes()")
            await tx.execute_many(
                "INSERT OR IGNORE INTO mt5_equity_history (account, at_ms, balance, equity, margin, "
                "margin_level, floating, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            [(after,)] = await tx.fetch("SELECT total_changes()")
        return int(after) - int(before)

    async def series(self, account: int, start: datetime | None = None, end: datetime | None = None) -> EquitySeries:
        """Samples with ``start <= time <= end`` (either bound optional)."""
        sql = ("SELECT at_ms / 1000.0, CAST(balance AS REAL), CAST(equity AS REAL), "
               "CAST(margin_level AS REAL) FROM mt5_equity_history WHERE account = ?")
        params: list[object] = [account]
        if start is not None:
            sql += " AND at_ms >= ?"
            params.append(_ms(start))
        if end is not None:
            sql += " AND at_ms <= ?"
            params.append(_ms(end))
        rows = await self._db.fetch(sql + " ORDER BY at_ms", params)
        table = np.array(rows, dtype=np.float64).reshape(len(rows), 4)  # None -> NaN
        return EquitySeries(*(np.ascontiguousarray(table[:, i]) for i in range(4)))

    async def equity_at(self, account: int, moment: datetime, *, within: timedelta | None = None) -> Decimal | None:
        """The equity of the last sample at or before ``moment`` (None when none is that old, or,
        with ``within``, none that recent: a sample from months before is not "the month's start")."""
        earliest = _ms(moment - within) if within is not None else -(2**62)
        rows = await self._db.fetch("SELECT equity FROM mt5_equity_history WHERE account = ? AND at_ms <= ? "
                                    "AND at_ms >= ? ORDER BY at_ms DESC LIMIT 1", (account, _ms(moment), earliest))
        return Decimal(rows[0][0]) if rows else None

    async def first_after(self, account: int, moment: datetime) -> Decimal | None:
        """The equity of the first sample at or after ``moment`` (None when there is none)."""
        rows = await self._db.fetch("SELECT equity FROM mt5_equity_history WHERE account = ? AND at_ms >= ? "
                                    "ORDER BY at_ms LIMIT 1", (account, _ms(moment)))
        return Decimal(rows[0][0]) if rows else None

    async def count(self, account: int | None = None) -> int:
        if account is None:
            [(n,)] = await self._db.fetch("SELECT count(*) FROM mt5_equity_history")
        else:
            [(n,)] = await self._db.fetch("SELECT count(*) FROM mt5_equity_history WHERE account = ?", (account,))
        return int(n)

    async def prune(self, now: datetime) -> int:
        """Apply the retention at ``now``; returns how many samples were removed."""
        all_since = _ms(now - KEEP_ALL)
        hourly_since = _ms(now - KEEP_HOURLY)
        # A sample goes when a later one of the same account lies in its bucket (hour or UTC day):
        # the last of each bucket stays, so a chart's close-of-hour and close-of-day are real ones.
        thin = ("DELETE FROM mt5_equity_history AS h WHERE h.at_ms >= ? AND h.at_ms < ? AND EXISTS ("
                "SELECT 1 FROM mt5_equity_history AS g WHERE g.account = h.account AND g.at_ms > h.at_ms "
                "AND g.at_ms < (h.at_ms / ? + 1) * ?)")
        async with self._db.transaction() as tx:
            [(before,)] = await tx.fetch("SELECT total_changes()")
            await tx.fetch(thin, (hourly_since, all_since, HOUR_MS, HOUR_MS))
            await tx.fetch(thin, (0, hourly_since, DAY_MS, DAY_MS))
            [(after,)] = await tx.fetch("SELECT total_changes()")
        return int(after) - int(before)
