"""Payment schedules checked against the hand-computed numbers of reference §5.1."""

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from fidus_desktop.domain.funds import DEFAULT_PRODUCTS, ScheduleReading
from fidus_desktop.domain.investments import Investment
from fidus_desktop.domain.schedules import PaymentKind, payment_schedule, total_interest

PRODUCTS = {p.code: p for p in DEFAULT_PRODUCTS}
D, C = ScheduleReading.DOCUMENTED, ScheduleReading.CASH_FLOW_CODE
START = datetime(2025, 10, 1, tzinfo=UTC)

# start + 90, 120, ..., 420 days, counted on a calendar by hand
CORE_DATES = ["2025-12-30", "2026-01-29", "2026-02-28", "2026-03-30", "2026-04-29", "2026-05-29",
              "2026-06-28", "2026-07-28", "2026-08-27", "2026-09-26", "2026-10-26", "2026-11-25"]
BALANCE_DATES = ["2026-02-28", "2026-05-29", "2026-08-27", "2026-11-25"]
DYNAMIC_DATES = ["2026-05-29", "2026-11-25"]
END = date(2026, 12, 1)


def investment(product: str, principal: str, **more) -> Investment:
    return Investment(investment_id=f"inv-{product}", client_id="client_1", product=product,
                      principal=Decimal(principal), start_date=START, **more)


def interest_rows(schedule):
    return [(p.due.isoformat(), p.amount) for p in schedule if p.kind is PaymentKind.INTEREST]


def principal_rows(schedule):
    return [(p.due, p.amount) for p in schedule if p.kind is PaymentKind.PRINCIPAL]


def due_on(schedule, day):
    return sum(p.amount for p in schedule if p.due == day)


@pytest.mark.parametrize(("product", "principal", "dates", "per_period", "total_d", "total_c"), [
    ("CORE", "10000", CORE_DATES, "150.00", "1800.00", "1950.00"),
    ("BALANCE", "100000", BALANCE_DATES, "7500.00", "30000.00", "37500.00"),
    ("DYNAMIC", "250000", DYNAMIC_DATES, "52500.00", "105000.00", "157500.00"),
])
def test_documented_and_cash_flow_readings(product, principal, dates, per_period, total_d, total_c):
    inv = investment(product, principal)
    documented = payment_schedule(inv, PRODUCTS[product], D)
    assert interest_rows(documented) == [(d, Decimal(per_period)) for d in dates]
    assert total_interest(documented) == Decimal(total_d)
    assert principal_rows(documented) == [(END, Decimal(principal))]
    assert due_on(documented, END) == Decimal(principal)

    code = payment_schedule(inv, PRODUCTS[product], C)
    assert interest_rows(code) == [(d, Decimal(per_period)) for d in [*dates, END.isoformat()]]
    assert total_interest(code) == Decimal(total_c)
    assert due_on(code, END) == Decimal(principal) + Decimal(per_period)


def test_worked_final_payments_of_the_reference():
    assert due_on(payment_schedule(investment("CORE", "10000"), PRODUCTS["CORE"], C), END) == Decimal("10150")
    assert due_on(payment_schedule(investment("BALANCE", "100000"), PRODUCTS["BALANCE"], C), END) == Decimal("107500")
    assert due_on(payment_schedule(investment("DYNAMIC", "250000"), PRODUCTS["DYNAMIC"], C), END) == Decimal("302500")


def test_the_product_parameter_picks_the_reading_and_documented_is_the_default():
    inv = investment("CORE", "10000")
    assert PRODUCTS["CORE"].schedule_reading is D
    assert len(interest_rows(payment_schedule(inv, PRODUCTS["CORE"]))) == 12
    switched = replace(PRODUCTS["CORE"], schedule_reading=C)
    assert len(interest_rows(payment_schedule(inv, switched))) == 13


def test_schedule_is_in_date_order_with_principal_last():
    schedule = payment_schedule(investment("CORE", "10000"), PRODUCTS["CORE"], C)
    assert [p.due for p in schedule] == sorted(p.due for p in schedule)
    assert schedule[-1].kind is PaymentKind.PRINCIPAL
    assert [p.number for p in schedule] == [*range(1, 14), 0]


def test_unlimited_pays_no_fixed_interest_only_the_principal_at_contract_end():
    inv = investment("UNLIMITED", "250000", interest_rate=Decimal("0.015"))
    for reading in (D, C):
        schedule = payment_schedule(inv, PRODUCTS["UNLIMITED"], reading)
        assert [(p.kind, p.due, p.amount) for p in schedule] == [(PaymentKind.PRINCIPAL, END, Decimal("250000"))]


def test_the_investments_own_rate_wins_over_the_products():
    inv = investment("CORE", "10000", interest_rate=Decimal("0.02"))
    assert {a for _, a in interest_rows(payment_schedule(inv, PRODUCTS["CORE"]))} == {Decimal("200.00")}


def test_each_payment_is_rounded_to_the_cent_half_up():
    # 10,003 x 1.5 % = 150.045: half-up gives .05 where banker's rounding would give .04
    inv = investment("CORE", "10003")
    assert {a for _, a in interest_rows(payment_schedule(inv, PRODUCTS["CORE"]))} == {Decimal("150.05")}
    assert total_interest(payment_schedule(inv, PRODUCTS["CORE"])) == Decimal("1800.60")


def test_start_time_of_day_does_not_move_the_utc_dates():
    late = replace(investment("CORE", "10000"), start_date=datetime(2025, 10, 1, 23, 59, tzinfo=UTC))
    assert interest_rows(payment_schedule(late, PRODUCTS["CORE"]))[0][0] == "2025-12-30"
