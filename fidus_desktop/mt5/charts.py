"""Chart data for the MT5 panel as numpy arrays (issue 10 item 3), never lists of models.

Every series is :class:`Series`: ``t`` in epoch seconds (float64, ascending, true UTC) and ``v``
in float64, ready for ``PlotDataItem(t, v)``; the UI converts the time axis to local time.

- :func:`balance_curve`: the balance after every deal (mt5-api.md §10: walked from the deals);
- :func:`growth_index` (from deals) and :func:`equity_index` (from stored equity snapshots): the
  time-weighted growth index, capital flows stripped, 1.0 at the start;
- :func:`growth_pct` and :func:`underwater`: that index as growth % and as % below its peak;
- :func:`daily_pnl`: per UTC day, what everything but deposits and withdrawals added;
- :func:`chart_range`: the 1W / 1M / 3M / YTD / All windows, and :meth:`Series.between`.

The figures of record are :mod:`.stats` (Decimal); these are floats for drawing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Literal

import numpy as np

from bridge_link.models import Deal

from .deals import DEAL_BALANCE, ZERO, in_time_order, opening_balance
from .trades import DealColumns

DAY = 86400.0
RangeName = Literal["1W", "1M", "3M", "YTD", "All"]
RANGES: tuple[RangeName, ...] = ("1W", "1M", "3M", "YTD", "All")


@dataclass(frozen=True, slots=True, eq=False)
class Series:
    t: np.ndarray
    v: np.ndarray

    def __post_init__(self) -> None:
        if self.t.shape != self.v.shape or self.t.ndim != 1:
            raise ValueError("a series needs one value per time")

    def __len__(self) -> int:
        return int(self.t.size)

    def between(self, start: datetime | None, end: datetime | None = None) -> Series:
        """The points with ``start <= t <= end`` (a view: no copy)."""
        lo = 0 if start is None else int(np.searchsorted(self.t, start.timestamp(), "left"))
        hi = self.t.size if end is None else int(np.searchsorted(self.t, end.timestamp(), "right"))
        return Series(self.t[lo:hi], self.v[lo:hi])

    @classmethod
    def empty(cls) -> Series:
        return cls(np.empty(0), np.empty(0))


def _times(deals: Sequence[Deal]) -> np.ndarray:
    return np.fromiter((d.time.timestamp() for d in deals), np.float64, len(deals))


def _floats(values: Sequence[Decimal]) -> np.ndarray:
    return np.fromiter(map(float, values), np.float64, len(values))


def balance_curve(deals: Sequence[Deal], opening_balance: Decimal = ZERO) -> Series:
    """The balance after each deal, oldest first. ``opening_balance``: the balance before the
    first deal (:func:`.deals.opening_balance` walks it back from ``account_info().balance``)."""
    ordered = in_time_order(deals)
    if not ordered:
        return Series.empty()
    cols = DealColumns(ordered)
    return Series(_times(ordered), float(opening_balance) + np.cumsum(_floats(cols.amounts)))


def growth_index(deals: Sequence[Deal], opening_balance: Decimal = ZERO) -> Series:
    """The time-weighted growth index after each deal (the one :mod:`.stats` chains for gain %):
    split at deposits and withdrawals, each part moving with the balance it started with."""
    ordered = in_time_order(deals)
    if not ordered:
        return Series.empty()
    cols = DealColumns(ordered)
    balance = np.concatenate(([float(opening_balance)], float(opening_balance) + np.cumsum(_floats(cols.amounts))))
    flow = np.concatenate(([False], cols.types == DEAL_BALANCE))
    part = np.cumsum(flow)  # a flow's own point starts the next part
    starts = np.flatnonzero(np.concatenate(([True], part[1:] != part[:-1])))
    ends = np.concatenate((starts[1:] - 1, [balance.size - 1]))
    opening, closing = balance[starts], np.maximum(balance[ends], 0.0)
    working = opening > 0
    growth = np.where(working, closing / np.where(working, opening, 1.0), 1.0)
    factor = np.concatenate(([1.0], np.cumprod(growth)[:-1]))  # F_j: growth of the earlier parts
    scale = np.where(working, factor / np.where(working, opening, 1.0), 0.0)[part]
    index = np.where(working[part], np.maximum(balance, 0.0) * scale, factor[part])
    return Series(_times(ordered), index[1:])


def equity_index(t: np.ndarray, equity: np.ndarray, flow_t: np.ndarray | None = None,
                 flow_amount: np.ndarray | None = None) -> Series:
    """The growth index of sampled equity with capital flows stripped (mt5-api.md §10):
    ``I_k = I_{k-1} x (E_k - F_k) / E_{k-1}``, ``F_k`` the deposits minus withdrawals between
    samples ``k-1`` and ``k``. A sample after an equity of zero or less starts again from it."""
    t = np.asarray(t, np.float64)
    equity = np.asarray(equity, np.float64)
    if t.size == 0:
        return Series.empty()
    moved = np.zeros(t.size)
    if flow_t is not None and flow_amount is not None and len(flow_t):
        order = np.argsort(flow_t, kind="stable")
        cumulative = np.concatenate(([0.0], np.cumsum(np.asarray(flow_amount, np.float64)[order])))
        # Flows up to each sample's time (a flow at the very instant of a sample is inside it).
        moved = cumulative[np.searchsorted(np.asarray(flow_t, np.float64)[order], t, "right")]
    flows = np.diff(moved, prepend=moved[0])
    before = np.concatenate(([equity[0]], equity[:-1]))
    working = before > 0
    ratio = np.where(working, (equity - flows) / np.where(working, before, 1.0), 1.0)
    return Series(t, np.cumprod(np.maximum(ratio, 0.0)))


def growth_pct(index: Series) -> Series:
    return Series(index.t, (index.v - 1.0) * 100.0)


def underwater(index: Series) -> Series:
    """How far below its running peak the index is, in % (0 at a new peak, negative below)."""
    if not len(index):
        return index
    peak = np.maximum.accumulate(np.maximum(index.v, np.finfo(np.float64).tiny))
    return Series(index.t, (index.v / peak - 1.0) * 100.0)


def flows(deals: Sequence[Deal]) -> Series:
    """Deposits (positive) and withdrawals (negative): for :func:`equity_index`."""
    moves = [d for d in in_time_order(deals) if d.type == DEAL_BALANCE]
    return Series(_times(moves), _floats([d.profit for d in moves]))


def daily_pnl(deals: Sequence[Deal]) -> Series:
    """Per UTC day with deals (mt5-api.md §10: bucket in UTC), the sum of every balance change
    but deposits and withdrawals: trade results, costs and income. ``t`` is the day's 00:00."""
    ordered = in_time_order(deals)
    if not ordered:
        return Series.empty()
    cols = DealColumns(ordered)
    keep = cols.types != DEAL_BALANCE
    days = np.floor(_times(ordered)[keep] / DAY)
    amounts = _floats(cols.amounts)[keep]
    if days.size == 0:
        return Series.empty()
    unique, inverse = np.unique(days, return_inverse=True)
    return Series(unique * DAY, np.bincount(inverse, weights=amounts, minlength=unique.size))


def _months_back(moment: datetime, months: int) -> datetime:
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    month += 1
    days_in_month = (datetime(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, days_in_month))


def chart_range(name: RangeName, now: datetime, tz: tzinfo = UTC) -> tuple[datetime | None, datetime]:
    """``(start, end)`` of a chart range ending ``now``; ``start`` is None for "All". Months and
    the year start are the calendar's in ``tz`` (the manager's local time)."""
    local = now.astimezone(tz)
    if name == "1W":
        start: datetime | None = local - timedelta(days=7)
    elif name in ("1M", "3M"):
        start = _months_back(local, 1 if name == "1M" else 3)
    elif name == "YTD":
        start = local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    elif name == "All":
        start = None
    else:
        raise ValueError(f"unknown chart range {name!r}; one of {', '.join(RANGES)}")
    return (None if start is None else start.astimezone(UTC)), now.astimezone(UTC)


@dataclass(frozen=True, slots=True, eq=False)
class AccountCharts:
    """Everything the account's charts draw, as arrays (built in the cpu lane)."""

    balance: Series
    equity: Series
    growth: Series
    underwater: Series
    daily: Series

    @property
    def first(self) -> float | None:
        """The earliest time of any series (where "All" starts)."""
        starts = [s.t[0] for s in (self.balance, self.equity, self.daily) if len(s)]
        return float(min(starts)) if starts else None


def account_charts(deals: Sequence[Deal], equity_t: np.ndarray, equity_v: np.ndarray,
                   balance_now: Decimal | None = None) -> AccountCharts:
    """The balance curve and the growth index from the deals (the balance before the first deal
    walked back from ``balance_now``), equity from the stored samples, drawdown under water and
    growth % from the same time-weighted index as the statistics, and the daily P&L bars."""
    opening = opening_balance(balance_now, deals) if balance_now is not None else ZERO
    index = growth_index(deals, opening)
    return AccountCharts(balance=balance_curve(deals, opening), equity=Series(np.asarray(equity_t, np.float64),
                                                                               np.asarray(equity_v, np.float64)),
                         growth=growth_pct(index), underwater=underwater(index), daily=daily_pnl(deals))
