"""Trading statistics of one account over a period (issue 10 item 4), defined once.

Over the trades of :mod:`.trades` closed in ``date_from <= time < date_to``:

- deposits / withdrawals: totals of the BALANCE deals with positive / negative profit (both
  reported as positive amounts);
- net profit = sum of trade results; gross profit = sum of the results > 0; gross loss = sum of
  the results < 0 (negative); trades; win rate = % of results > 0; average win and average loss
  (negative); expectancy = net profit / trades; best and worst trade;
- profit factor = gross profit / |gross loss|, ``None`` without a losing trade;
- absolute gain % = net profit / deposits x 100 (``None`` without a deposit in the period);
- gain % (time-weighted, as Myfxbook defines it): the period is split at each deposit or
  withdrawal, each part's return is the balance's change over the part divided by the balance it
  started with, and the parts are chained: prod(1 + r_i) - 1;
- maximum drawdown: amount = the largest peak-to-trough fall of the cumulative trade result
  (starting at 0, cash flows excluded); % = the largest peak-to-trough fall of the time-weighted
  growth index (1 at the start of the period, moved by every balance change but the flows).

Money is Decimal throughout, rounded half-up to the cent only in :class:`TradingStats`;
percentages and the profit factor are rounded half-up to 2 decimals. The work runs at 40 digits
and figures are snapped to 1e-18 before rounding (:func:`.deals.round_half_up`), so a result that
is exactly half a cent rounds up whatever order its entry-cost shares were added in.

Where the definitions leave a choice: the deals before ``date_from`` are still read (entry costs
of positions closed in the period, and the opening balance); a part that starts with no money
(balance <= 0) has no return to measure and counts as 0 %; the growth index never goes below 0
(an account wiped out is at -100 %); averages, best/worst, win rate and expectancy are ``None``
without trades. The balance counts every deal but CREDIT ones (mt5-api.md §10), so charges,
interest and bonuses move the gain % and the % drawdown, not the trade figures.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import accumulate, compress

import numpy as np

from bridge_link.models import Deal

from .deals import DEAL_BALANCE, ZERO, ordered_with_times, round_half_up, working_precision
from .trades import DealColumns, paused_gc, trade_results

#: The figures shown for a period, in reading order: (label, key in the statistics' JSON form,
#: how it is written: money, count, pct or ratio). The ``mt5 stats`` table and the window's
#: Statistics tab both list these.
STAT_FIGURES = (("Deposits", "deposits", "money"), ("Withdrawals", "withdrawals", "money"),
                ("Net profit", "net_profit", "money"), ("Gross profit", "gross_profit", "money"),
                ("Gross loss", "gross_loss", "money"), ("Trades", "trades", "count"),
                ("Win rate", "win_rate_pct", "pct"), ("Average win", "avg_win", "money"),
                ("Average loss", "avg_loss", "money"), ("Expectancy", "expectancy", "money"),
                ("Best trade", "best_trade", "money"), ("Worst trade", "worst_trade", "money"),
                ("Profit factor", "profit_factor", "ratio"), ("Absolute gain", "absolute_gain_pct", "pct"),
                ("Gain (time-weighted)", "gain_pct", "pct"))

_ONE = Decimal(1)
_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Drawdown:
    #: The largest fall of the cumulative trade result, as a positive amount.
    amount: Decimal
    #: The largest fall of the time-weighted growth index, in % of its peak.
    pct: Decimal


@dataclass(frozen=True, slots=True)
class TradingStats:
    date_from: datetime | None
    date_to: datetime | None
    deposits: Decimal
    withdrawals: Decimal
    net_profit: Decimal
    gross_profit: Decimal
    gross_loss: Decimal
    trades: int
    wins: int
    losses: int
    win_rate_pct: Decimal | None
    avg_win: Decimal | None
    avg_loss: Decimal | None
    expectancy: Decimal | None
    best_trade: Decimal | None
    worst_trade: Decimal | None
    profit_factor: Decimal | None
    absolute_gain_pct: Decimal | None
    gain_pct: Decimal
    max_drawdown: Drawdown
    #: The balance when the period starts and when it ends (every deal but CREDIT counted).
    opening_balance: Decimal
    closing_balance: Decimal


def _round(value: Decimal) -> Decimal:
    return round_half_up(value)


def _maybe(value: Decimal | None) -> Decimal | None:
    return None if value is None else _round(value)


def trading_stats(deals: Sequence[Deal], *, date_from: datetime | None = None, date_to: datetime | None = None,
                  opening_balance: Decimal = ZERO) -> TradingStats:
    """The statistics of the period ``date_from <= time < date_to`` (either bound optional).

    ``deals`` is the account's history as known, in any order; ``opening_balance`` is the
    balance before its first deal (0 when the history starts at the first deposit; see
    :func:`.deals.opening_balance` to walk back from the current balance).
    """
    if date_from is not None and date_to is not None and date_to < date_from:
        raise ValueError("the period ends before it starts")
    with paused_gc(), working_precision():
        return _stats(deals, date_from, date_to, opening_balance)


def _stats(deals: Sequence[Deal], date_from: datetime | None, date_to: datetime | None,
           opening_balance: Decimal) -> TradingStats:
    ordered, times = ordered_with_times(deals)
    lo = 0 if date_from is None else bisect_left(times, date_from)
    hi = len(ordered) if date_to is None else bisect_left(times, date_to)
    cols = DealColumns(ordered[:hi])
    _, results = trade_results(cols, lo)
    start = opening_balance + sum(cols.amounts[:lo], ZERO)
    balances = list(accumulate(cols.amounts[lo:], initial=start))
    flows = np.flatnonzero(cols.types[lo:] == DEAL_BALANCE).tolist()
    profits = [cols.deals[lo + k].profit for k in flows]
    gain, dd_pct = _time_weighted(balances, flows)
    # float64 copies give the signs exactly (a Decimal never changes sign or becomes 0 as a float)
    # and let numpy find the deepest fall; every figure is then summed in Decimal.
    signs = np.fromiter(map(float, results), np.float64, len(results))
    wins = list(compress(results, (signs > 0).tolist()))
    losses = list(compress(results, (signs < 0).tolist()))
    gross_profit, gross_loss = sum(wins, ZERO), sum(losses, ZERO)
    net = gross_profit + gross_loss
    deposits = sum((p for p in profits if p > 0), ZERO)
    count = len(results)
    return TradingStats(
        date_from=date_from, date_to=date_to,
        deposits=_round(deposits),
        withdrawals=_round(-sum((p for p in profits if p < 0), ZERO)),
        net_profit=_round(net), gross_profit=_round(gross_profit), gross_loss=_round(gross_loss),
        trades=count, wins=len(wins), losses=len(losses),
        win_rate_pct=_round(_HUNDRED * len(wins) / count) if count else None,
        avg_win=_round(gross_profit / len(wins)) if wins else None,
        avg_loss=_round(gross_loss / len(losses)) if losses else None,
        expectancy=_round(net / count) if count else None,
        best_trade=_maybe(max(results, default=None)),
        worst_trade=_maybe(min(results, default=None)),
        profit_factor=_round(gross_profit / -gross_loss) if losses else None,
        absolute_gain_pct=_round(net / deposits * _HUNDRED) if deposits else None,
        gain_pct=_round(gain * _HUNDRED),
        max_drawdown=Drawdown(_round(_largest_fall(results, signs)), _round(dd_pct * _HUNDRED)),
        opening_balance=_round(start), closing_balance=_round(balances[-1]),
    )


def _largest_fall(results: list[Decimal], approx: np.ndarray) -> Decimal:
    """Largest peak-to-trough fall of the running sum of ``results`` (which starts at 0): found on
    ``approx`` (the results as floats), then summed exactly between that peak and trough."""
    if not results:
        return ZERO
    cumulative = np.concatenate(([0.0], np.cumsum(approx)))
    falls = np.maximum.accumulate(cumulative) - cumulative
    trough = int(np.argmax(falls))
    if falls[trough] <= 0:
        return ZERO
    peak = int(np.argmax(cumulative[:trough + 1]))
    return -sum(results[peak:trough], ZERO)


def _time_weighted(balances: list[Decimal], flows: list[int]) -> tuple[Decimal, Decimal]:
    """``(gain, max drawdown)`` of the growth index, both as fractions.

    ``balances[k]`` is the balance after the period's first ``k`` deals; ``flows`` are the
    positions of the deposits and withdrawals among those deals. Part ``j`` runs from the
    balance after flow ``j - 1`` (or the opening balance) to the balance before flow ``j`` (or
    the closing balance); inside it the index is ``F_j x balance / start_j``, where ``F_j`` is
    the product of the earlier parts' growth, so the index runs on unchanged across a flow.

    The deepest fall is *found* on a float64 copy of the index (numpy), then *computed* in
    Decimal from the two balances it lies between, so the figure is the exact one.
    """
    bounds = [0, *(k + 1 for k in flows)]
    ends = [*flows, len(balances) - 1]
    floats = np.fromiter(map(float, balances), np.float64, len(balances))
    np.maximum(floats, 0.0, out=floats)
    index = np.empty_like(floats)
    factors: list[Decimal] = []  # F_j of each part
    factor = _ONE
    for begin, end in zip(bounds, ends, strict=True):
        factors.append(factor)
        opening = balances[begin]
        if opening <= 0:  # nothing at work: no return to measure
            index[begin:end + 1] = float(factor)
            continue
        index[begin:end + 1] = floats[begin:end + 1] * (float(factor) / float(opening))
        factor = factor * max(balances[end], ZERO) / opening

    def exact(k: int) -> Decimal:
        j = bisect_right(bounds, k) - 1
        opening = balances[bounds[j]]
        if k == bounds[j] or opening <= 0:
            return factors[j]
        return factors[j] * max(balances[k], ZERO) / opening

    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = index / np.maximum.accumulate(index)
    trough = int(np.argmin(ratio))
    if not ratio[trough] < 1.0:
        return factor - _ONE, ZERO
    peak = int(np.argmax(index[:trough + 1]))
    return factor - _ONE, _ONE - exact(trough) / exact(peak)
