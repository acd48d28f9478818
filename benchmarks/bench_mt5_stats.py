"""Trading statistics over 100,000 deals (issue 10: goal under 200 ms).

Ours: :func:`fidus_desktop.mt5.stats.trading_stats` (numpy grouping of positions, C-level maps
over Decimal columns). Baseline: the same definitions written deal by deal in plain Python with
the same Decimals (``tests/mt5/straightforward_stats.py``, also the tests' oracle), which is what
a competent engineer writes first. Both get the same ``Deal`` models, already in time order, as
a source returns them, and must give identical figures. The input mixes what real accounts hold:
hedged round trips, partial closes, netting reversals, deposits, withdrawals and charges.

``trading_stats`` pauses the cyclic garbage collector while it runs (Python 3.13 tracks every
Decimal, and full collections over 100,000 loaded deals cost more than the statistics); the
baseline is also shown with that pause, so the ratio of the computation alone is visible too.
Also printed: a loop of 100,000 float additions, so figures from machines of different
speed can be compared. Run: ``uv run python benchmarks/bench_mt5_stats.py``.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' oracle is the baseline

from bridge_link.models import Deal  # noqa: E402
from fidus_desktop.mt5.stats import trading_stats  # noqa: E402
from fidus_desktop.mt5.trades import paused_gc  # noqa: E402
from tests.mt5.straightforward_stats import straightforward_stats  # noqa: E402

DEALS = 100_000
ROUNDS = 5
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def history(n: int, seed: int = 1) -> list[Deal]:
    rng = random.Random(seed)
    deals: list[Deal] = []
    clock = T0

    def add(type_: int, entry: int = 0, pid: int = 0, volume: str = "0", profit: str = "0",
            commission: str = "0", swap: str = "0", fee: str = "0") -> None:
        nonlocal clock
        clock += timedelta(seconds=rng.randint(1, 600))
        deals.append(Deal(ticket=len(deals) + 1, order=len(deals) + 1, time=clock, type=type_, entry=entry,
                          magic=0, position_id=pid, reason=3, volume=Decimal(volume), price=Decimal("1.1"),
                          commission=Decimal(commission), swap=Decimal(swap), profit=Decimal(profit),
                          fee=Decimal(fee), symbol="EURUSD" if type_ < 2 else "", comment="", external_id=""))

    def cents(low: int, high: int) -> str:
        return str(Decimal(rng.randint(low, high)) / 100)

    add(2, profit="100000")
    while len(deals) < n:
        pid = len(deals) + 1
        lots = rng.randint(2, 300)
        volume = str(Decimal(lots) / 100)
        commission = str(-Decimal(lots * 35) / 1000)
        roll = rng.random()
        add(rng.randint(0, 1), 0, pid, volume, commission=commission, fee="-0.50")
        if roll < 0.17:  # a partial close, then the rest
            part = max(1, lots * 4 // 10)
            add(1, 1, pid, str(Decimal(part) / 100), cents(-9000, 9500), commission, cents(-300, 0))
            add(1, 1, pid, str(Decimal(lots - part) / 100), cents(-9000, 9500), commission, cents(-300, 0))
        elif roll < 0.25:  # a netting reversal, closed later
            add(1, 2, pid, str(Decimal(2 * lots) / 100), cents(-9000, 9500), commission)
            add(0, 1, pid, volume, cents(-9000, 9500), commission)
        else:
            add(1, 1, pid, volume, cents(-9000, 9500), commission, cents(-300, 0), "-0.50")
        if rng.random() < 0.01:
            add(2, profit=cents(-500000, 800000))
        if rng.random() < 0.005:
            add(4, profit="-25")
    return deals[:n]


def median_ms(work, rounds: int = ROUNDS) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _without_gc(work, deals):
    with paused_gc():
        return work(deals)


def main() -> None:
    deals = history(DEALS)
    ours_result, plain_result = trading_stats(deals), straightforward_stats(deals)
    assert ours_result == plain_result, "the two implementations disagree"
    ours = median_ms(lambda: trading_stats(deals))
    plain = median_ms(lambda: straightforward_stats(deals))
    plain_no_gc = median_ms(lambda: _without_gc(straightforward_stats, deals))
    calibration = median_ms(lambda: sum(float(i) for i in range(100_000)))
    print(f"trading statistics over {len(deals):,} deals ({ours_result.trades:,} trades), median of {ROUNDS} runs")
    print(f"  plain Python, deal by deal (baseline): {plain:8.1f} ms")
    print(f"  the same, garbage collector paused:     {plain_no_gc:8.1f} ms")
    print(f"  trading_stats (ours):                   {ours:8.1f} ms   ratio {plain / ours:4.1f}x   (goal < 200 ms)")
    print(f"  machine: 100,000 float additions take   {calibration:8.1f} ms")


if __name__ == "__main__":
    main()
