"""The statistics' definitions written the plain way, deal by deal: the tests' oracle for
:mod:`fidus_desktop.mt5.stats` (same answers on any history) and the baseline of
``benchmarks/bench_mt5_stats.py``. Deliberately independent of the module it checks."""

from __future__ import annotations

import decimal
from decimal import ROUND_HALF_UP, Decimal

from fidus_desktop.mt5.stats import Drawdown, TradingStats

ZERO = Decimal(0)


def cents(x: Decimal) -> Decimal:
    # The definition's rounding: exact to 18 decimals (40-digit work), then half-up to the cent.
    r = x.quantize(Decimal("1e-18")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return abs(r) if r == 0 else r


def straightforward_stats(deals, date_from=None, date_to=None, opening_balance=ZERO) -> TradingStats:
    with decimal.localcontext(prec=40):
        return _stats(deals, date_from, date_to, opening_balance)


def _stats(deals, date_from, date_to, opening_balance) -> TradingStats:
    deals = sorted(deals, key=lambda d: (d.time, d.ticket))
    open_volume: dict[int, Decimal] = {}
    pending: dict[int, Decimal] = {}
    balance = opening_balance
    start_balance = None
    results: list[Decimal] = []
    deposits = withdrawals = ZERO
    factor = Decimal(1)          # growth of the finished parts
    part_start = None            # balance the current part started with
    index_peak = Decimal(1)
    worst_index_fall = ZERO
    for d in deals:
        if date_to is not None and d.time >= date_to:
            break
        inside = date_from is None or d.time >= date_from
        if inside and start_balance is None:
            start_balance = part_start = balance
        amount = ZERO if d.type == 3 else d.profit + d.swap + d.commission + d.fee
        if d.type in (0, 1) and d.entry in (0, 1, 2, 3):
            pid = d.position_id
            held = open_volume.get(pid, ZERO)
            if d.entry == 0:
                open_volume[pid] = held + d.volume
                pending[pid] = pending.get(pid, ZERO) + d.commission + d.fee
            else:
                closed = min(d.volume, held)
                share = ZERO
                if held > 0:
                    share = pending[pid] * closed / held
                    pending[pid] -= share
                open_volume[pid] = held - closed
                if d.entry == 2 and held - closed == 0:
                    open_volume[pid] = d.volume - closed
                    pending[pid] = ZERO
                if inside:
                    results.append(amount + share)
        if not inside:
            balance += amount
            continue
        if d.type == 2:
            if d.profit > 0:
                deposits += d.profit
            elif d.profit < 0:
                withdrawals -= d.profit
            if part_start > 0:
                factor = factor * max(balance, ZERO) / part_start
            balance += amount
            part_start = balance
            continue
        balance += amount
        if part_start > 0:
            index = factor * max(balance, ZERO) / part_start
            index_peak = max(index_peak, index)
            worst_index_fall = max(worst_index_fall, 1 - index / index_peak)
    if start_balance is None:
        start_balance = part_start = balance
    if part_start > 0:
        factor = factor * max(balance, ZERO) / part_start

    wins = [r for r in results if r > 0]
    losses = [r for r in results if r < 0]
    gross_profit = sum(wins, ZERO)
    gross_loss = sum(losses, ZERO)
    net = sum(results, ZERO)
    running = peak = fall = ZERO
    for r in results:
        running += r
        peak = max(peak, running)
        fall = max(fall, peak - running)
    n = len(results)
    return TradingStats(
        date_from=date_from, date_to=date_to,
        deposits=cents(deposits), withdrawals=cents(withdrawals),
        net_profit=cents(net), gross_profit=cents(gross_profit), gross_loss=cents(gross_loss),
        trades=n, wins=len(wins), losses=len(losses),
        win_rate_pct=cents(Decimal(100) * len(wins) / n) if n else None,
        avg_win=cents(gross_profit / len(wins)) if wins else None,
        avg_loss=cents(gross_loss / len(losses)) if losses else None,
        expectancy=cents(net / n) if n else None,
        best_trade=cents(max(results)) if results else None,
        worst_trade=cents(min(results)) if results else None,
        profit_factor=cents(gross_profit / -gross_loss) if losses else None,
        absolute_gain_pct=cents(net / deposits * 100) if deposits else None,
        gain_pct=cents((factor - 1) * 100),
        max_drawdown=Drawdown(cents(fall), cents(worst_index_fall * 100)),
        opening_balance=cents(start_balance), closing_balance=cents(balance),
    )
