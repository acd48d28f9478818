"""Chart series as numpy arrays: balance from deals, growth and drawdown, daily bars, ranges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from fidus_desktop.mt5.charts import (Series, balance_curve, chart_range, daily_pnl, equity_index, flows,
                                      growth_index, growth_pct, underwater)
from fidus_desktop.mt5.deals import opening_balance
from fidus_desktop.mt5.stats import trading_stats

from .deal_factory import T0, close, deal, deposit, entry
from .test_stats import a_month_of_trading


def test_the_balance_curve_walks_the_deals() -> None:
    curve = balance_curve(a_month_of_trading())
    assert curve.t.dtype == np.float64 and curve.v.dtype == np.float64
    assert curve.t[0] == T0.timestamp() and np.all(np.diff(curve.t) > 0)
    assert curve.v.tolist() == pytest.approx([10000, 9993, 10090.2, 10054.8, 15054.8, 15050.8, 15296.8,
                                              13296.8, 13294.7, 13232.6])
    # Started from the account's balance when the history begins after the first deposit.
    later = a_month_of_trading()[4:]
    walked = balance_curve(later, opening_balance(Decimal("13232.60"), later))
    assert walked.v[0] == pytest.approx(15054.8) and walked.v[-1] == pytest.approx(13232.6)
    assert len(balance_curve([])) == 0


def test_growth_and_underwater_agree_with_the_statistics() -> None:
    deals = a_month_of_trading()
    index = growth_index(deals)
    stats = trading_stats(deals)
    assert index.v[0] == 1.0  # the first deposit: nothing at work before it
    assert growth_pct(index).v[-1] == pytest.approx(float(stats.gain_pct), abs=0.005)
    assert -underwater(index).v.min() == pytest.approx(float(stats.max_drawdown.pct), abs=0.005)
    assert underwater(index).v.max() == 0.0
    # The withdrawal (deal 8) does not move the index; a loss does.
    assert index.v[7] == pytest.approx(index.v[6]) and index.v[9] < index.v[8]


def test_growth_of_a_wiped_out_account_stays_at_zero() -> None:
    deals = [deposit(1, 0, "1000"), entry(2, 1, 1, "1"), close(3, 2, 1, "1", "-1000"),
             deposit(4, 3, "500"), entry(5, 4, 2, "1"), close(6, 5, 2, "1", "100")]
    assert growth_index(deals).v.tolist() == [1.0, 1.0, 0.0, 0.0, 0.0, 0.0]


def test_equity_index_strips_deposits_between_samples() -> None:
    t = np.array([0.0, 60.0, 120.0, 180.0]) + T0.timestamp()
    equity = np.array([1000.0, 1100.0, 2200.0, 1980.0])  # +10 %, then a 1000 deposit and +100, then -10 %
    moves = flows([deposit(1, 1.5, "1000")])  # at T0 + 90 s, between the 2nd and 3rd sample
    index = equity_index(t, equity, moves.t, moves.v)
    assert index.v.tolist() == pytest.approx([1.0, 1.1, 1.2, 1.08])
    assert underwater(index).v.tolist() == pytest.approx([0.0, 0.0, 0.0, -10.0])
    assert equity_index(t, equity).v[2] == pytest.approx(2.2)  # without the flow: a false gain


def test_daily_pnl_is_bucketed_by_utc_day_without_the_flows() -> None:
    night = T0.replace(hour=23, minute=50)
    deals = [deposit(1, 0, "1000"),
             entry(2, (night - T0).total_seconds() / 60, 1, "1", commission="-3"),
             close(3, (night - T0).total_seconds() / 60 + 20, 1, "1", "50"),  # next UTC day
             deal(4, (night - T0).total_seconds() / 60 + 30, 4, profit="-5")]
    bars = daily_pnl(deals)
    day = T0.replace(hour=0, minute=0).timestamp()
    assert bars.t.tolist() == [day, day + 86400] and bars.v.tolist() == [-3.0, 45.0]


def test_between_clips_a_series_without_copying() -> None:
    series = Series(np.arange(10.0), np.arange(10.0) * 2)
    clipped = series.between(datetime.fromtimestamp(3, UTC), datetime.fromtimestamp(5, UTC))
    assert clipped.t.tolist() == [3.0, 4.0, 5.0] and clipped.v.base is not None
    assert len(series.between(None)) == 10


def test_chart_ranges() -> None:
    now = datetime(2026, 3, 31, 15, 0, tzinfo=UTC)
    assert chart_range("1W", now) == (now - timedelta(days=7), now)
    assert chart_range("1M", now)[0] == datetime(2026, 2, 28, 15, 0, tzinfo=UTC)
    assert chart_range("3M", now)[0] == datetime(2025, 12, 31, 15, 0, tzinfo=UTC)
    assert chart_range("All", now) == (None, now)
    # The year starts at the manager's local midnight: in New York that is 05:00 UTC.
    assert chart_range("YTD", now, ZoneInfo("America/New_York"))[0] == datetime(2026, 1, 1, 5, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="unknown chart range"):
        chart_range("2Y", now)  # type: ignore[arg-type]


def test_a_long_history_gives_arrays_fast_enough_to_chart(demo_history) -> None:
    deals, balance = demo_history
    start = opening_balance(balance, deals)
    curve = balance_curve(deals, start)
    assert curve.v[-1] == pytest.approx(float(balance)) and len(curve) == len(deals)
    assert len(growth_index(deals, start)) == len(deals)
