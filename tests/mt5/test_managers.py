"""Money managers: TRUE P&L, the performance fee of the month, rebates, hand-computed."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from fidus_desktop.domain.money_managers import MoneyManager
from fidus_desktop.domain.mt5_accounts import Mt5AccountLink
from fidus_desktop.domain.mt5_config import Mt5AccountConfig
from fidus_desktop.mt5.managers import accounts_of, is_transfer_out, manager_results, month_start

from .deal_factory import close, deal, deposit, entry

D = Decimal
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)  # the deal factory's deals fall on 2 March 2026

GOLD = MoneyManager("manager_gold", name="TradingHub Gold", performance_fee_rate=D("0.20"))
LINKS = [Mt5AccountLink(886557, name="CORE gold", manager_name="tradinghub gold ", equity=D("119500"),
                        initial_allocation=D("90000")),
         Mt5AccountLink(886558, name="Gold demo", manager_name="TradingHub Gold", account_type="live_demo"),
         Mt5AccountLink(886559, name="Other", manager_name="Someone else")]
CONFIGS = [Mt5AccountConfig(886557, initial_allocation=D("100000"))]


def march() -> list:
    return [deal(1, -40 * 24 * 60, 2, profit="100000"),  # January: the allocation
            deposit(2, 0, "1000"),
            deposit(3, 10, "-5000", 'Transfer to #"886560"'),  # profit moved to the separation account
            entry(4, 20, 9, "1.0", commission="-3.50"), close(5, 30, 9, "1.0", "700", commission="-3.50"),
            entry(6, 40, 10, "0.25"), close(7, 50, 10, "0.25", "-100")]


def test_true_pnl_fee_and_rebate_of_an_account() -> None:
    [result] = manager_results([GOLD], LINKS, CONFIGS, now=NOW, equities={886557: D("120000")},
                               deals={886557: march()}, month_start_equity={886557: D("118000")})
    [account] = result.accounts
    # TRUE P&L = 120000 live equity + 5000 transferred out - 100000 allocation (from the config)
    assert (account.true_pnl, account.transfers_out, account.initial_allocation) == (
        D("25000.00"), D("5000.00"), D("100000"))
    assert account.fee_on_true_pnl == D("5000.00")  # the original's figure: 20 % of 25000
    # This month: 120000 - 118000 - (1000 deposited - 5000 withdrawn) = 6000, fee 1200
    assert (account.month_pnl, account.month_basis, account.month_fee) == (D("6000.00"), "equity", D("1200.00"))
    # Lots: 1.0 + 1.0 + 0.25 + 0.25 = 2.5 x 5.05 = 12.625 -> 12.63
    assert (account.month_lots, account.month_rebate) == (D("2.50"), D("12.63"))
    assert (result.true_pnl, result.month_fee, result.month_rebate) == (D("25000.00"), D("1200.00"), D("12.63"))


def test_without_an_equity_sample_from_the_month_start_the_realized_result_counts() -> None:
    [result] = manager_results([GOLD], LINKS, CONFIGS, now=NOW, deals={886557: march()})
    [account] = result.accounts
    # Last synced equity 119500 (no live one): TRUE P&L 119500 + 5000 - 100000
    assert account.equity == D("119500") and account.true_pnl == D("24500.00")
    # Realized this month: 700 - 7.00 commissions - 100 = 593.00
    assert (account.month_pnl, account.month_basis, account.month_fee) == (D("593.00"), "realized", D("118.60"))


def test_a_losing_month_owes_no_fee_and_unknown_figures_stay_unknown() -> None:
    loser = MoneyManager("m2", name="Loser", performance_fee_rate=D("0.30"), assigned_accounts=(700,))
    [result] = manager_results([loser], [], [], now=NOW, deals={700: [entry(1, 0, 1, "1"), close(2, 1, 1, "1", "-50")]})
    [account] = result.accounts
    assert account.true_pnl is None and account.fee_on_true_pnl is None  # no equity, no allocation
    assert account.month_pnl == D("-50.00") and account.month_fee == D("0.00")
    no_rate = MoneyManager("m3", name="No rate", assigned_accounts=(700,))
    assert manager_results([no_rate], [], [], now=NOW)[0].accounts[0].month_fee is None


def test_a_manager_trades_the_accounts_naming_it_and_those_it_lists() -> None:
    assert accounts_of(GOLD, LINKS) == [886557]  # the live_demo account does not count for the fund
    listed = MoneyManager("m", name="TradingHub Gold", assigned_accounts=(886559, 886557))
    assert accounts_of(listed, LINKS) == [886557, 886559]


def test_transfers_and_month_start() -> None:
    assert is_transfer_out(deposit(1, 0, "-10", 'Transfer to #"886560"'))
    assert is_transfer_out(deposit(1, 0, "-10", "transfer to #886560 profit"))
    assert not is_transfer_out(deposit(1, 0, "-10", "Withdrawal"))
    assert not is_transfer_out(deposit(1, 0, "10", 'Transfer to #"886560"'))  # money coming in
    assert month_start(NOW) == datetime(2026, 3, 1, tzinfo=UTC)
