"""Accrued interest, fund revenue, redemptions, commissions and fees on hand-computed cases."""

from datetime import UTC, date, datetime
from decimal import Decimal

from fidus_desktop.domain.commissions import referral_commissions
from fidus_desktop.domain.fees import broker_rebate, performance_fee, true_pnl
from fidus_desktop.domain.funds import DEFAULT_PRODUCTS, ScheduleReading
from fidus_desktop.domain.investments import Investment
from fidus_desktop.domain.obligations import accrued_unpaid_interest, amount_owed, fund_revenue
from fidus_desktop.domain.redemptions import redemption_blockers, redemption_quote
from fidus_desktop.domain.schedules import payment_schedule

PRODUCTS = {p.code: p for p in DEFAULT_PRODUCTS}
CORE_10K = Investment(investment_id="inv-1", client_id="c1", product="CORE", principal=Decimal("10000"),
                      start_date=datetime(2025, 10, 1, tzinfo=UTC))


def test_accrual_is_zero_in_incubation_and_linear_within_a_period():
    schedule = payment_schedule(CORE_10K, PRODUCTS["CORE"])
    assert accrued_unpaid_interest(schedule, date(2025, 11, 30)) == 0  # day 60, end of incubation
    assert accrued_unpaid_interest(schedule, date(2025, 12, 15)) == Decimal("75.00")  # half of period 1
    # day 105: payment 1 (150) due and unpaid, half of payment 2
    assert accrued_unpaid_interest(schedule, date(2026, 1, 14)) == Decimal("225.00")
    assert amount_owed(schedule, date(2026, 1, 14)) == Decimal("10225.00")


def test_a_payment_recorded_as_paid_is_no_longer_owed():
    schedule = payment_schedule(CORE_10K, PRODUCTS["CORE"])
    paid = {schedule[0].key}
    assert amount_owed(schedule, date(2026, 1, 14), paid) == Decimal("10075.00")
    everything = {p.key for p in schedule}
    assert amount_owed(schedule, date(2027, 1, 1), everything) == 0


def test_fund_revenue_is_equity_minus_what_is_owed():
    schedule = payment_schedule(CORE_10K, PRODUCTS["CORE"])
    assert fund_revenue(Decimal("10500"), amount_owed(schedule, date(2026, 1, 14))) == Decimal("275.00")
    assert fund_revenue(Decimal("10000"), amount_owed(schedule, date(2026, 1, 14))) == Decimal("-225.00")


def test_redemption_refused_in_incubation_then_interest_only_then_everything():
    product = PRODUCTS["CORE"]
    incubating = redemption_quote(CORE_10K, product, date(2025, 11, 15))
    assert not incubating.interest_redeemable and "incubation" in incubating.reasons[0]
    assert redemption_blockers(incubating, Decimal("1"))

    before_first = redemption_quote(CORE_10K, product, date(2025, 12, 15))
    assert before_first.interest_available == Decimal("75.00") and not before_first.interest_redeemable

    first = redemption_quote(CORE_10K, product, date(2025, 12, 30))
    assert first.interest_available == Decimal("150.00") and first.current_value == Decimal("10150.00")
    assert first.interest_redeemable and not first.principal_redeemable
    assert redemption_blockers(first, Decimal("150")) == []
    assert redemption_blockers(first, Decimal("150.01"))
    assert first.penalty == 0

    after_hold = redemption_quote(CORE_10K, product, date(2027, 3, 1), interest_paid=Decimal("1800"))
    # accrual stops at contract end: 366 days of interest = 12.2 months x 150 = 1,830
    assert after_hold.principal_redeemable and after_hold.interest_available == Decimal("30.00")
    assert after_hold.max_amount == Decimal("10030.00")


def test_balance_interest_redeemable_from_its_first_quarter():
    inv = Investment(investment_id="b", client_id="c", product="BALANCE", principal=Decimal("100000"),
                     start_date=datetime(2025, 10, 1, tzinfo=UTC))
    assert not redemption_quote(inv, PRODUCTS["BALANCE"], date(2026, 2, 27)).interest_redeemable
    quote = redemption_quote(inv, PRODUCTS["BALANCE"], date(2026, 2, 28))
    assert quote.interest_redeemable and quote.interest_available == Decimal("7500.00")


def test_unlimited_value_uses_the_supplied_fund_return_never_a_mock():
    inv = Investment(investment_id="u", client_id="c", product="UNLIMITED", principal=Decimal("250000"),
                     start_date=datetime(2025, 10, 1, tzinfo=UTC))
    assert redemption_quote(inv, PRODUCTS["UNLIMITED"], date(2026, 3, 1)).current_value == Decimal("250000")
    quote = redemption_quote(inv, PRODUCTS["UNLIMITED"], date(2026, 3, 1), fund_return=Decimal("0.10"))
    assert quote.current_value == Decimal("262500.00") and quote.interest_redeemable


def test_referral_commission_is_ten_percent_of_each_interest_payment():
    documented = payment_schedule(CORE_10K, PRODUCTS["CORE"], ScheduleReading.DOCUMENTED)
    code = payment_schedule(CORE_10K, PRODUCTS["CORE"], ScheduleReading.CASH_FLOW_CODE)
    d = referral_commissions(documented, "sp_1")
    c = referral_commissions(code, "sp_1")
    assert [x.commission_amount for x in d] == [Decimal("15.00")] * 12
    assert len(c) == 13 and c[-1].client_payment_date == date(2026, 12, 1)
    assert c[0].cash_flow_month == "2025-12"
    assert referral_commissions(documented, "") == ()


def test_performance_fee_and_rebates():
    pnl = true_pnl(Decimal("120000"), Decimal("100000"), profit_withdrawals=Decimal("5000"))
    assert pnl == Decimal("25000")
    assert performance_fee(pnl, Decimal("0.20")) == Decimal("5000.00")
    assert performance_fee(Decimal("-300"), Decimal("0.20")) == 0
    assert broker_rebate(Decimal("12.5")) == Decimal("63.13")
