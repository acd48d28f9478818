"""Bars and ticks for ``copy_rates_*``/``copy_ticks_*``: server-time grids priced by the market."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime

import numpy as np

from . import constants as c
from .calls import CallFailed
from .market import SymbolDef
from .views import TICK_STEP, TICKS_DTYPE, Views

MAX_BARS = 100_000  # TerminalInfo.maxbars
MAX_TICKS = 100_000  # per call; the demo's own cap
#: Bars exist this long before the deal history starts.
CHART_DEPTH = 400 * 86400
WEEK = 7 * 86400
SUNDAY_ZERO = 3 * 86400  # 1970-01-04, a Sunday: weekly bars open on Sunday 00:00


def _step(timeframe: int) -> int | None:
    if timeframe >= 0xC000 or timeframe == c.TIMEFRAME_W1:
        return None
    if timeframe & 0x4000:
        return (timeframe & 0x3FFF) * 3600
    return timeframe * 60


def _valid(timeframe: int) -> bool:
    return timeframe in {v for k, v in c.all_constants().items() if k.startswith("TIMEFRAME_")}


class Series:
    def __init__(self, views: Views, history_start_utc: float, now_utc: float) -> None:
        self.views = views
        zone = views.zone
        self.now_server = zone.to_server_seconds(datetime.fromtimestamp(now_utc, UTC))
        self.first_server = zone.to_server_seconds(datetime.fromtimestamp(history_start_utc, UTC)) - CHART_DEPTH
        self.now_utc = now_utc

    # --- bar grids ------------------------------------------------------------------------------
    def _opens(self, sym: SymbolDef, timeframe: int, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
        """Bar open times (server seconds) in [lo, hi], with each bar's length in seconds."""
        lo = max(lo, self.first_server)
        hi = min(hi, self.now_server)
        if hi < lo:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        step = _step(timeframe)
        if step is not None:
            first = -(-int(lo) // step) * step
            times = np.arange(first, int(hi) + 1, step, dtype=np.int64)
            lengths = np.full(len(times), step, dtype=np.int64)
        elif timeframe == c.TIMEFRAME_W1:
            first = SUNDAY_ZERO + -(-(int(lo) - SUNDAY_ZERO) // WEEK) * WEEK
            times = np.arange(first, int(hi) + 1, WEEK, dtype=np.int64)
            lengths = np.full(len(times), WEEK, dtype=np.int64)
        else:
            times_list, lengths_list = [], []
            moment = datetime.fromtimestamp(lo, UTC)
            year, month = moment.year, moment.month
            if moment != datetime(year, month, 1, tzinfo=UTC):
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            while (start := int(datetime(year, month, 1, tzinfo=UTC).timestamp())) <= hi:
                times_list.append(start)
                lengths_list.append(calendar.monthrange(year, month)[1] * 86400)
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            times, lengths = np.array(times_list, np.int64), np.array(lengths_list, np.int64)
        if not sym.trades_weekends and step is not None and step <= 86400:
            weekday = ((times // 86400) + 3) % 7  # 0 = Monday
            keep = weekday < 5
            times, lengths = times[keep], lengths[keep]
        return times, lengths

    def rates_range(self, sym: SymbolDef, timeframe: int, date_from: float, date_to: float) -> np.ndarray:
        if not _valid(timeframe):
            raise CallFailed(c.RES_E_INVALID_PARAMS, 'Invalid "timeframe" argument')
        if date_to < self.first_server:
            raise CallFailed(c.RES_E_FAIL)  # beyond the available history
        times, lengths = self._opens(sym, timeframe, date_from, date_to)
        if len(times) > MAX_BARS:
            raise CallFailed(c.RES_E_FAIL)
        return self.views.rates(sym, times, lengths, self.now_utc)

    def rates_back(self, sym: SymbolDef, timeframe: int, end: float, count: int, *, skip: int) -> np.ndarray:
        """The ``count`` bars opening at or before ``end``, after skipping the newest ``skip``."""
        if not _valid(timeframe):
            raise CallFailed(c.RES_E_INVALID_PARAMS, 'Invalid "timeframe" argument')
        wanted = count + skip
        if count <= 0 or skip < 0 or wanted > MAX_BARS:
            raise CallFailed(c.RES_E_FAIL)
        span = (_step(timeframe) or 31 * 86400) * wanted
        while True:
            lo = end - span * 1.5 - 4 * 86400
            times, lengths = self._opens(sym, timeframe, lo, end)
            if len(times) >= wanted or lo <= self.first_server:
                break
            span *= 2
        if len(times) <= skip:
            raise CallFailed(c.RES_E_FAIL)
        stop = len(times) - skip
        times, lengths = times[max(0, stop - count):stop], lengths[max(0, stop - count):stop]
        return self.views.rates(sym, times, lengths, self.now_utc)

    # --- ticks ----------------------------------------------------------------------------------
    def ticks(self, sym: SymbolDef, date_from: float, date_to: float | None, count: int | None,
              flags: int) -> np.ndarray:
        if flags not in (c.COPY_TICKS_ALL, c.COPY_TICKS_INFO, c.COPY_TICKS_TRADE):
            raise CallFailed(c.RES_E_INVALID_PARAMS, 'Invalid "flags" argument')
        if flags == c.COPY_TICKS_TRADE:  # the demo's symbols quote bid/ask only: no trade ticks
            return np.zeros(0, dtype=TICKS_DTYPE)
        if count is not None and count <= 0:
            raise CallFailed(c.RES_E_INVALID_PARAMS, 'Invalid "count" argument')
        limit = min(count or MAX_TICKS, MAX_TICKS)
        lo = max(-(-int(date_from) // TICK_STEP) * TICK_STEP, self.first_server)
        hi = self.now_server if date_to is None else min(int(date_to), self.now_server)
        chunks, total, start = [], 0, lo
        while start <= hi and total < limit:
            stop = min(hi, start + limit * TICK_STEP * 2)
            grid = np.arange(start, stop + 1, TICK_STEP, dtype=np.int64)
            if not sym.trades_weekends:
                grid = grid[((grid // 86400) + 3) % 7 < 5]
            chunks.append(grid[: limit - total])
            total += len(chunks[-1])
            start = stop + TICK_STEP
        grid = np.concatenate(chunks) if chunks else np.zeros(0, np.int64)
        return self.views.ticks(sym, grid)
