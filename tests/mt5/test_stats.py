"""Trading statistics on hand-computed deal sequences (issue 10 item 4), and the fast
implementation against the plain one on random histories."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fidus_desktop.mt5.deals import opening_balance
from fidus_desktop.mt5.stats import Drawdown, trading_stats
from fidus_desktop.mt5.trades import closed_trades

from .deal_factory import at, close, deal, deposit, entry
from .straightforward_stats import straightforward_stats

D = Decimal


def a_month_of_trading() -> list:
    """Deposits and a withdrawal mid-period, a partial close, commissions and a fee on entries."""
    return [
        deposit(1, 0, "10000"),
        entry(2, 10, 101, "1.0", commission="-7.00"),
        # 0.4 of 1.0 closed: 100 - 2.80 + 0.4 x (-7.00) = 94.40
        close(3, 20, 101, "0.4", "100", commission="-2.80"),
        # the rest: -30 - 1.20 - 4.20 + the entry's remaining -4.20 = -39.60
        close(4, 30, 101, "0.6", "-30", commission="-4.20", swap="-1.20"),
        deposit(5, 40, "5000"),
        entry(6, 50, 102, "0.5", commission="-3.50", fee="-0.50", buy=False),
        # 250 - 3.50 - 0.50 + (-3.50 - 0.50) = 242.00
        close(7, 60, 102, "0.5", "250", commission="-3.50", fee="-0.50", buy=True),
        deposit(8, 70, "-2000", "Withdrawal"),
        entry(9, 80, 103, "0.3", commission="-2.10"),
        # -60 - 2.10 - 2.10 = -64.20
        close(10, 90, 103, "0.3", "-60", commission="-2.10"),
    ]


def test_a_month_with_flows_partial_closes_and_entry_commissions() -> None:
    stats = trading_stats(a_month_of_trading())

    assert [t.result for t in closed_trades(a_month_of_trading())] == [D("94.40"), D("-39.60"), D("242.00"),
                                                                       D("-64.20")]
    assert (stats.deposits, stats.withdrawals) == (D("15000.00"), D("2000.00"))
    assert (stats.trades, stats.wins, stats.losses) == (4, 2, 2)
    assert stats.net_profit == D("232.60")  # = closing 13232.60 - 15000 + 2000: every cost is in a trade
    assert (stats.gross_profit, stats.gross_loss) == (D("336.40"), D("-103.80"))
    assert stats.win_rate_pct == D("50.00")
    assert (stats.avg_win, stats.avg_loss) == (D("168.20"), D("-51.90"))
    assert stats.expectancy == D("58.15")  # 232.60 / 4
    assert (stats.best_trade, stats.worst_trade) == (D("242.00"), D("-64.20"))
    assert stats.profit_factor == D("3.24")  # 336.40 / 103.80 = 3.2408
    assert stats.absolute_gain_pct == D("1.55")  # 232.60 / 15000 = 1.5507 %
    # Parts: 10000 -> 10054.80, 15054.80 -> 15296.80, 13296.80 -> 13232.60; chained: 1.670997 %
    assert stats.gain_pct == D("1.67")
    # Cumulative results 0, 94.40, 54.80, 296.80, 232.60: the largest fall is 296.80 -> 232.60.
    # The index's largest fall is the last part's: 64.20 / 13296.80 = 0.4828 %.
    assert stats.max_drawdown == Drawdown(D("64.20"), D("0.48"))
    assert (stats.opening_balance, stats.closing_balance) == (D("0.00"), D("13232.60"))


def test_an_account_with_no_losing_trade_has_no_profit_factor() -> None:
    deals = [deposit(1, 0, "1000"), entry(2, 1, 7, "0.1", commission="-0.70"),
             close(3, 2, 7, "0.1", "20.70", commission="-0.70"),  # 20.70 - 0.70 - 0.70 = 19.30
             entry(4, 3, 8, "0.1"), close(5, 4, 8, "0.1", "0.70")]
    stats = trading_stats(deals)
    assert (stats.trades, stats.wins, stats.losses) == (2, 2, 0)
    assert stats.profit_factor is None and stats.avg_loss is None
    assert (stats.gross_profit, stats.gross_loss, stats.net_profit) == (D("20.00"), D("0.00"), D("20.00"))
    assert stats.worst_trade == D("0.70") and stats.win_rate_pct == D("100.00")
    # Index: 1000 -> 999.30 -> 1019.30 -> 1020.00; its only fall is 0.07 % (the first commission).
    assert stats.max_drawdown == Drawdown(D("0.00"), D("0.07"))
    assert stats.gain_pct == D("2.00") and stats.absolute_gain_pct == D("2.00")


def test_an_empty_history() -> None:
    stats = trading_stats([])
    assert (stats.trades, stats.deposits, stats.withdrawals, stats.net_profit) == (0, D("0.00"), D("0.00"), D("0.00"))
    assert stats.win_rate_pct is stats.avg_win is stats.avg_loss is stats.expectancy is None
    assert stats.best_trade is stats.worst_trade is stats.profit_factor is stats.absolute_gain_pct is None
    assert stats.gain_pct == D("0.00") and stats.max_drawdown == Drawdown(D("0.00"), D("0.00"))


def test_a_period_keeps_entry_costs_and_the_balance_from_before_it() -> None:
    deals = a_month_of_trading()
    # From minute 15: the 1.0 lot entry (minute 10) is before the period, its closes inside.
    stats = trading_stats(deals, date_from=at(15), date_to=at(65))
    assert stats.trades == 3 and stats.net_profit == D("296.80")  # 94.40 - 39.60 + 242.00
    assert stats.deposits == D("5000.00") and stats.withdrawals == D("0.00")
    assert stats.opening_balance == D("9993.00") and stats.closing_balance == D("15296.80")
    # 9993 -> 10054.80, then 15054.80 -> 15296.80: 1.0061843... x 1.0160746... - 1 = 2.2358 %
    assert stats.gain_pct == D("2.24")
    assert stats.absolute_gain_pct == D("5.94")  # 296.80 / 5000
    # Without a deposit in the period there is nothing to relate the profit to.
    assert trading_stats(deals, date_from=at(15), date_to=at(35)).absolute_gain_pct is None


def test_the_opening_balance_walks_back_from_the_account_balance() -> None:
    later = a_month_of_trading()[4:]  # the history starts after the first deposit
    start = opening_balance(D("13232.60"), later)
    assert start == D("10054.80")
    stats = trading_stats(later, opening_balance=start)
    # Partial history: the closes of position 101 are missing, position 102 and 103 are whole.
    assert stats.trades == 2 and stats.net_profit == D("177.80")
    assert stats.gain_pct == D("1.12")  # 15296.80 / 15054.80 x 13232.60 / 13296.80 - 1 = 1.1168 %


def test_a_netting_reversal_counts_each_commission_once() -> None:
    deals = [deposit(1, 0, "5000"),
             entry(2, 1, 9, "1.0", commission="-3.50"),
             # INOUT: closes the 1.0 long and opens 1.0 short: 50 - 7.00 + the entry's -3.50
             close(3, 2, 9, "2.0", "50", commission="-7.00", entry_kind=2),
             # the short closed: -20 - 3.50, no entry cost left (it was in the reversal's result)
             close(4, 3, 9, "1.0", "-20", commission="-3.50", buy=True)]
    assert [t.result for t in closed_trades(deals)] == [D("39.50"), D("-23.50")]
    stats = trading_stats(deals)
    assert stats.net_profit == D("16.00") and stats.closing_balance == D("5016.00")


def test_out_by_closes_and_a_close_without_its_entry_takes_no_entry_cost() -> None:
    deals = [deposit(1, 0, "1000"),
             close(2, 1, 55, "0.2", "12", commission="-1.40"),  # its entry is before the history
             entry(3, 2, 56, "0.2", commission="-1.40"),
             close(4, 3, 56, "0.2", "-5", entry_kind=3)]  # OUT_BY: -5 + -1.40
    assert [t.result for t in closed_trades(deals)] == [D("10.60"), D("-6.40")]


def test_credit_is_not_balance_and_charges_move_only_the_gain() -> None:
    deals = [deposit(1, 0, "1000"), deal(2, 1, 3, profit="500"),  # credit: not the balance
             deal(3, 2, 4, profit="-10"),  # a charge: a cost, not a flow, not a trade
             entry(4, 3, 1, "0.1"), close(5, 4, 1, "0.1", "30")]
    stats = trading_stats(deals)
    assert stats.deposits == D("1000.00") and stats.net_profit == D("30.00")
    assert stats.closing_balance == D("1020.00") and stats.gain_pct == D("2.00")
    assert stats.max_drawdown.pct == D("1.00")  # the charge: 1000 -> 990


def test_a_wiped_out_account_is_at_minus_100_and_stays_there() -> None:
    deals = [deposit(1, 0, "1000"), entry(2, 1, 1, "1"), close(3, 2, 1, "1", "-1000"),
             deposit(4, 3, "500"), entry(5, 4, 2, "1"), close(6, 5, 2, "1", "100")]
    stats = trading_stats(deals)
    assert stats.gain_pct == D("-100.00") and stats.max_drawdown.pct == D("100.00")
    assert stats.max_drawdown.amount == D("1000.00")


def test_half_cents_round_up_at_the_end_only() -> None:
    # 0.01 of entry commission split in halves: each result carries -0.005 until the end.
    deals = [deposit(1, 0, "100"), entry(2, 1, 1, "1.0", commission="-0.01"),
             close(3, 2, 1, "0.5", "1.00"), close(4, 3, 1, "0.5", "1.00")]
    stats = trading_stats(deals)
    assert stats.best_trade == D("1.00")  # 0.995 rounds half-up to 1.00
    assert stats.net_profit == D("1.99")  # 0.995 + 0.995, rounded once


def test_deals_in_any_order_give_the_same_figures() -> None:
    deals = a_month_of_trading()
    shuffled = deals[:]
    random.Random(3).shuffle(shuffled)
    assert trading_stats(shuffled) == trading_stats(deals)


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="ends before it starts"):
        trading_stats([], date_from=at(10), date_to=at(5))


# --- the fast implementation is the definitions ------------------------------------------------

def random_history(seed: int, length: int) -> list:
    """A random account: flows, hedged and netted positions, partial closes, reversals, odd data."""
    rng = random.Random(seed)
    deals, ticket, minute, open_positions = [deposit(1, 0, str(rng.randint(0, 5000)))], 1, 0, []
    for _ in range(length):
        ticket += 1
        minute += rng.choice((0, 1, 5))
        kind = rng.random()
        money = lambda: str(Decimal(rng.randint(-20000, 20000)) / 100)  # noqa: E731
        cost = lambda: str(-Decimal(rng.randint(0, 900)) / 100)  # noqa: E731
        volume = str(Decimal(rng.randint(0, 300)) / 100)
        if kind < 0.08:
            deals.append(deposit(ticket, minute, money()))
        elif kind < 0.12:
            deals.append(deal(ticket, minute, rng.choice((3, 4, 6, 7, 12)), profit=money()))
        elif kind < 0.5 or not open_positions:
            pid = rng.choice(open_positions) if open_positions and rng.random() < 0.2 else ticket
            open_positions.append(pid)
            deals.append(entry(ticket, minute, pid, volume, commission=cost(), fee=cost()))
        else:
            pid = rng.choice(open_positions + [999_999])
            deals.append(close(ticket, minute, pid, volume, money(), commission=cost(), swap=cost(),
                               fee=cost(), entry_kind=rng.choice((1, 1, 1, 2, 3))))
    return deals


def histories():
    return st.builds(random_history, st.integers(0, 2**32), st.integers(0, 60))


@settings(max_examples=300, deadline=None)
@given(histories(), st.integers(0, 40), st.integers(0, 400), st.integers(-500, 500))
def test_fast_statistics_equal_the_plain_definitions(deals, start, length, opening) -> None:
    frame = {"date_from": at(start), "date_to": at(start + length)}
    for bounds in ({}, frame):
        expected = straightforward_stats(deals, opening_balance=D(opening), **bounds)
        assert trading_stats(deals, opening_balance=D(opening), **bounds) == expected


def test_the_demo_terminal_history_adds_up(demo_history) -> None:
    deals, balance = demo_history
    start = opening_balance(balance, deals)
    stats = trading_stats(deals, opening_balance=start)
    assert stats == straightforward_stats(deals, opening_balance=start)
    assert stats.closing_balance == balance and stats.trades > 100
    flows = stats.deposits - stats.withdrawals
    others = sum((d.profit for d in deals if d.type not in (0, 1, 2, 3)), D(0))  # charges, interest
    assert stats.net_profit == balance - start - flows - others
    later = trading_stats(deals, date_from=deals[-1].time - timedelta(days=30), opening_balance=start)
    assert 0 < later.trades < stats.trades


def exact_results(deals) -> list[Fraction]:
    """The trade results in exact rational arithmetic (the definition, no rounding at all)."""
    held: dict[int, Fraction] = {}
    pending: dict[int, Fraction] = {}
    out = []
    for d in sorted(deals, key=lambda d: (d.time, d.ticket)):
        if d.type not in (0, 1) or d.entry not in (0, 1, 2, 3):
            continue
        volume, pid = Fraction(d.volume), d.position_id
        if d.entry == 0:
            held[pid] = held.get(pid, Fraction(0)) + volume
            pending[pid] = pending.get(pid, Fraction(0)) + Fraction(d.commission) + Fraction(d.fee)
            continue
        open_volume = held.get(pid, Fraction(0))
        closed = min(volume, open_volume)
        share = pending[pid] * closed / open_volume if open_volume > 0 else Fraction(0)
        if open_volume > 0:
            pending[pid] -= share
        held[pid] = open_volume - closed
        if d.entry == 2 and held[pid] == 0:
            held[pid], pending[pid] = volume - closed, Fraction(0)
        out.append(Fraction(d.profit + d.swap + d.commission + d.fee) + share)
    return out


def half_up(value: Fraction) -> Decimal:
    cents = value * 100
    whole = (abs(cents.numerator) * 2 + cents.denominator) // (2 * cents.denominator)  # half away from 0
    return (Decimal(whole if cents >= 0 else -whole) / 100).quantize(Decimal("0.01"))


@settings(max_examples=200, deadline=None)
@given(histories())
def test_money_figures_are_the_exact_results_rounded_once(deals) -> None:
    results = exact_results(deals)
    stats = trading_stats(deals)
    assert stats.net_profit == half_up(sum(results, Fraction(0)))
    assert stats.gross_profit == half_up(sum((r for r in results if r > 0), Fraction(0)))
    assert stats.gross_loss == half_up(sum((r for r in results if r < 0), Fraction(0)))


def test_a_net_profit_of_exactly_half_a_cent_rounds_up_whatever_the_order_of_its_shares() -> None:
    # Found by the test above at 28 digits: shares like 7.38 x 0.08 / 1.16 summed to 539.9549...9
    # where the exact net profit is 539.955.
    deals = random_history(2073, 60)
    assert sum(exact_results(deals), Fraction(0)) == Fraction("539.955")
    assert trading_stats(deals).net_profit == Decimal("539.96")
