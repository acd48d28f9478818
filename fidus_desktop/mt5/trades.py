"""Trades and their results (issue 10 item 4).

A *trade* is a position closed, fully or partly, by a deal with entry OUT, INOUT or OUT_BY. Its
*result* is the profit + swap + commission + fee of that closing deal, plus the commission and
fee of the position's entry (IN) deals in proportion to the volume it closes.

"In proportion" is kept exact over the position's life: each position holds its open volume and
the entry costs not yet allocated; a closing deal takes ``costs x closed / open`` of them. So a
position closed in three parts carries its entry commission exactly once in total, and an INOUT
reversal (whose own commission is in its own result) leaves the reversed position with no entry
cost. A closing deal whose entry lies before the history given takes none (nothing is known).

Speed: the common position (one IN deal first, then closing deals that do not over-close it) is
computed for all positions at once with numpy grouping and C-level maps; the others (several
entries, reversals, odd data) go through the sequential rule. Both give the same Decimals.
"""

from __future__ import annotations

import gc
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from operator import add, attrgetter, eq, gt, mul, truediv

import numpy as np

from bridge_link.models import Deal

from .deals import (DEAL_BUY, DEAL_CREDIT, DEAL_SELL, ENTRY_IN, ENTRY_INOUT, ENTRY_OUT_BY, ZERO, ordered_with_times,
                    working_precision)

_TYPE, _ENTRY, _PID = attrgetter("type"), attrgetter("entry"), attrgetter("position_id")
_VOLUME = attrgetter("volume")
#: Outside this range an int column falls back to Python (hostile or corrupt numbers).
_INT64 = 2**63 - 1


@dataclass(frozen=True, slots=True)
class ClosedTrade:
    """One trade: the closing deal and the result the statistics count for it (unrounded)."""

    deal: Deal
    result: Decimal

    @property
    def time(self) -> datetime:
        return self.deal.time

    @property
    def symbol(self) -> str:
        return self.deal.symbol


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection for the block. Python 3.13's Decimals are GC-tracked, so a
    statistics run allocating a few hundred thousand of them triggers full collections that
    walk every object of the app (each one ~0.4 s with 100,000 deals loaded) while creating no
    cycle to collect. Reference counting still frees everything; collection resumes after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class DealColumns:
    """The columns of a deal sequence (in time order) that the statistics read, read once."""

    __slots__ = ("amounts", "deals", "entries", "pids", "types")

    def __init__(self, deals: Sequence[Deal]) -> None:
        self.deals = deals
        n = len(deals)
        self.types = _int_column(list(map(_TYPE, deals)), n)
        self.entries = _int_column(list(map(_ENTRY, deals)), n)
        self.pids = _codes(list(map(_PID, deals)), n)
        # One comprehension reading four fields beats four columns and three C-level adds.
        self.amounts: list[Decimal] = [d.profit + d.commission + d.swap + d.fee for d in deals]
        for i in np.flatnonzero(self.types == DEAL_CREDIT).tolist():
            self.amounts[i] = ZERO  # credit moves AccountInfo.credit, not the balance


def _int_column(values: list[int], n: int) -> np.ndarray:
    try:
        return np.fromiter(values, np.int64, n)
    except OverflowError:  # a number no MT5 field holds: an unknown type or entry
        return np.fromiter((v if -_INT64 <= v <= _INT64 else -1 for v in values), np.int64, n)


def _codes(values: list[int], n: int) -> np.ndarray:
    """Position ids as int64 group codes (only equality matters)."""
    try:
        return np.fromiter(values, np.int64, n)
    except OverflowError:
        seen: dict[int, int] = {}
        return np.fromiter((seen.setdefault(v, len(seen)) for v in values), np.int64, n)


def _pick(seq: Sequence, idx: np.ndarray | list[int]) -> list:
    return [seq[i] for i in (idx.tolist() if isinstance(idx, np.ndarray) else idx)]


def trade_results(cols: DealColumns, first: int = 0) -> tuple[list[int], list[Decimal]]:
    """``(closing deal indices, results)`` in time order, for closing deals at index ``first`` or
    later; every deal before ``first`` still feeds the positions' entry costs."""
    types, entries = cols.types, cols.entries
    trading = np.flatnonzero(((types == DEAL_BUY) | (types == DEAL_SELL)) & (entries >= ENTRY_IN)
                             & (entries <= ENTRY_OUT_BY))
    if trading.size == 0:
        return [], []
    pid = cols.pids[trading]
    order = np.argsort(pid, kind="stable")  # by position, time order kept inside each
    g_idx, g_ent, g_pid = trading[order], cols.entries[trading][order], pid[order]
    starts_flag = np.ones(g_idx.size, bool)
    starts_flag[1:] = g_pid[1:] != g_pid[:-1]
    starts = np.flatnonzero(starts_flag)
    gid = np.cumsum(starts_flag) - 1
    is_in = g_ent == ENTRY_IN
    n_in = np.add.reduceat(is_in.astype(np.int64), starts)
    n_inout = np.add.reduceat((g_ent == ENTRY_INOUT).astype(np.int64), starts)
    simple = (n_in == 1) & is_in[starts] & (n_inout == 0)

    deals, amounts = cols.deals, cols.amounts
    closes = ~is_in & simple[gid]
    close_idx = g_idx[closes]
    entry_idx = g_idx[starts[gid[closes]]]
    entries_of = _pick(deals, entry_idx)
    volume = list(map(_VOLUME, entries_of))
    cost = [d.commission + d.fee for d in entries_of]
    closed = list(map(_VOLUME, _pick(deals, close_idx)))
    closings = (np.diff(starts, append=g_idx.size) - 1)[gid[closes]]
    demoted = _over_closed(gid[closes], volume, closed, closings)
    fast_idx: list[int] = []
    fast_res: list[Decimal] = []
    if close_idx.size:
        if ZERO in volume:  # an entry of zero volume: no proportion to take, the slow rule decides
            demoted = set(gid[closes].tolist())
        else:
            fast_res = list(map(add, _pick(amounts, close_idx), _shares(cost, closed, volume, closings)))
            fast_idx = close_idx.tolist()
    if demoted:
        keep = [i for i, g in enumerate(gid[closes].tolist()) if g not in demoted]
        fast_idx = [fast_idx[i] for i in keep]
        fast_res = [fast_res[i] for i in keep]
        simple = simple.copy()
        simple[list(demoted)] = False
    slow_idx, slow_res = _sequential(cols, g_idx[~simple[gid]])
    return _merge(fast_idx, fast_res, slow_idx, slow_res, first)


def _shares(cost: list[Decimal], closed: list[Decimal], volume: list[Decimal], closings: np.ndarray) -> list[Decimal]:
    """``cost x closed / volume`` per closing deal; a position closed whole by one deal takes
    its entry cost as it is (most positions: no multiplication, no division)."""
    whole = np.fromiter(map(eq, closed, volume), bool, len(closed)) & (closings == 1)
    shares = list(cost)
    part = np.flatnonzero(~whole).tolist()
    taken = map(truediv, map(mul, _pick(cost, part), _pick(closed, part)), _pick(volume, part))
    for i, share in zip(part, taken, strict=True):
        shares[i] = share
    return shares


def _over_closed(groups: np.ndarray, volume: list[Decimal], closed: list[Decimal],
                 closings: np.ndarray) -> set[int]:
    """Positions whose closing deals close more than their entry opened (the sequential rule then
    caps each one at what is still open). ``closings``: how many closing deals each one has."""
    over = np.fromiter(map(gt, closed, volume), bool, len(closed))
    bad = set(groups[over & (closings == 1)].tolist())
    totals: dict[int, Decimal] = {}
    for i in np.flatnonzero(closings > 1).tolist():  # partial closes: add them up
        g = int(groups[i])
        total = totals.get(g, ZERO) + closed[i]
        totals[g] = total
        if total > volume[i]:
            bad.add(g)
    return bad


def _sequential(cols: DealColumns, idx: np.ndarray) -> tuple[list[int], list[Decimal]]:
    """The rule deal by deal, for positions in ``idx`` (grouped by position, in time order)."""
    open_volume: dict[int, Decimal] = {}
    pending: dict[int, Decimal] = {}
    out_idx: list[int] = []
    out_res: list[Decimal] = []
    deals, pids, entries, amounts = cols.deals, cols.pids, cols.entries, cols.amounts
    for i in idx.tolist():
        deal, pid, entry = deals[i], int(pids[i]), int(entries[i])
        held = open_volume.get(pid, ZERO)
        if entry == ENTRY_IN:
            open_volume[pid] = held + deal.volume
            pending[pid] = pending.get(pid, ZERO) + deal.commission + deal.fee
            continue
        closed = min(deal.volume, held)
        share = ZERO
        if held > 0:
            share = pending[pid] * closed / held
            pending[pid] -= share
        open_volume[pid] = held - closed
        if entry == ENTRY_INOUT and held - closed == 0:
            # The reversal opens the rest in the other direction; its costs are in this result.
            open_volume[pid] = deal.volume - closed
            pending[pid] = ZERO
        out_idx.append(i)
        out_res.append(amounts[i] + share)
    return out_idx, out_res


def _merge(a_idx: list[int], a_res: list[Decimal], b_idx: list[int], b_res: list[Decimal],
           first: int) -> tuple[list[int], list[Decimal]]:
    idx = np.asarray(a_idx + b_idx, dtype=np.int64)
    res = a_res + b_res
    order = np.argsort(idx, kind="stable")
    order = order[idx[order] >= first]
    return idx[order].tolist(), [res[i] for i in order.tolist()]


def closed_trades(deals: Sequence[Deal], date_from: datetime | None = None,
                  date_to: datetime | None = None) -> tuple[ClosedTrade, ...]:
    """Every trade closed in ``date_from <= time < date_to``, oldest first (the account view's
    trade list and per-symbol breakdown). Deals before the period still give entry costs."""
    ordered, times = ordered_with_times(deals)
    first = 0 if date_from is None else bisect_left(times, date_from)
    with paused_gc(), working_precision():
        cols = DealColumns(ordered if date_to is None else ordered[:bisect_left(times, date_to)])
        idx, results = trade_results(cols, first)
    return tuple(ClosedTrade(cols.deals[i], r) for i, r in zip(idx, results, strict=True))
