"""Interest per period and the full payment schedule of an investment (reference §5.1).

Rates are simple interest per month on principal. A regular payment ``k`` (1-based) falls on
``start + first_payment_days + (k - 1) * interval_days``; the principal comes back at
``start + contract_days``. Under the documented reading (D) that is all; under the cash-flow
code's reading (C) the contract-end date also pays one more period of interest. The reading is
a product parameter (``FundProduct.schedule_reading``) and may be overridden per call, so both
can be shown side by side.

Dates are UTC calendar dates (the start is an aware UTC datetime). Each payment is rounded to the
cent, half-up, exactly once (:func:`~fidus_desktop.domain.values.to_cents`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from .funds import FundProduct, ScheduleReading
from .investments import Investment
from .values import ZERO, to_cents


class PaymentKind(enum.StrEnum):
    INTEREST = "interest"
    PRINCIPAL = "principal"
    #: Not a client payment: a salesperson's referral commission on one (the calendar lists
    #: them as outgoing payments of their own kind; schedules never hold one).
    COMMISSION = "commission"


class ScheduledPayment(NamedTuple):
    investment_id: str
    #: 1-based number of the interest payment; 0 for the principal.
    number: int
    due: date
    kind: PaymentKind
    amount: Decimal
    #: First day of the period this payment's interest accrues over (``due`` for the principal).
    accrues_from: date

    @property
    def key(self) -> PaymentKey:
        """Identifies the payment across recomputations (used to record it as paid)."""
        return self.investment_id, self.kind.value, self.due


PaymentKey = tuple[str, str, date]


class _Template(NamedTuple):
    """What a schedule looks like for a product and reading, independent of the investment."""

    #: ``(number, due offset in days, accrual start offset in days)`` per interest payment.
    interest: tuple[tuple[int, timedelta, timedelta], ...]
    months_per_period: int
    principal_offset: timedelta


@lru_cache(maxsize=64)
def schedule_template(product: FundProduct, reading: ScheduleReading) -> _Template:
    months = product.payment_frequency.months
    contract = timedelta(days=product.contract_days)
    pays_interest = (months > 0 and product.regular_payments > 0 and product.first_payment_days is not None
                     and product.interval_days is not None)
    if not pays_interest:
        # UNLIMITED shares performance instead of paying a fixed rate: nothing to promise up front
        # (the original's cash-flow code invented 1.5 %/month here, reference §9.6).
        return _Template((), 0, contract)
    first, interval = product.first_payment_days, product.interval_days
    assert first is not None and interval is not None
    rows = []
    previous = product.incubation_days
    for k in range(1, product.regular_payments + 1):
        due = first + (k - 1) * interval
        rows.append((k, timedelta(days=due), timedelta(days=previous)))
        previous = due
    if reading is ScheduleReading.CASH_FLOW_CODE:
        rows.append((product.regular_payments + 1, contract, timedelta(days=previous)))
    return _Template(tuple(rows), months, contract)


def monthly_rate_of(investment: Investment, product: FundProduct) -> Decimal | None:
    """The investment's own rate, or the product's when it has none (missing or 0)."""
    return investment.interest_rate or product.monthly_rate


def interest_per_period(principal: Decimal, monthly_rate: Decimal | None, months: int) -> Decimal:
    """One interest payment: principal x monthly rate x months per period, to the cent."""
    if not monthly_rate or months <= 0:
        return ZERO
    return to_cents(principal * monthly_rate * months)


def contract_end(investment: Investment, product: FundProduct) -> date:
    return investment.start_date.date() + timedelta(days=product.contract_days)


def interest_start(investment: Investment, product: FundProduct) -> date:
    """End of incubation: interest accrues from here."""
    return investment.start_date.date() + timedelta(days=product.incubation_days)


def first_payment_date(investment: Investment, product: FundProduct) -> date | None:
    if product.first_payment_days is None or not product.payment_frequency.months:
        return None
    return investment.start_date.date() + timedelta(days=product.first_payment_days)


def payment_schedule(investment: Investment, product: FundProduct,
                     reading: ScheduleReading | None = None) -> tuple[ScheduledPayment, ...]:
    """Every payment of ``investment`` in date order: interest, then the principal at contract end."""
    template = schedule_template(product, reading or product.schedule_reading)
    start = investment.start_date.date()
    inv_id = investment.investment_id
    amount = interest_per_period(investment.principal, monthly_rate_of(investment, product),
                                 template.months_per_period)
    rows = [ScheduledPayment(inv_id, k, start + due, PaymentKind.INTEREST, amount, start + accrues)
            for k, due, accrues in template.interest] if amount else []
    end = start + template.principal_offset
    rows.append(ScheduledPayment(inv_id, 0, end, PaymentKind.PRINCIPAL, investment.principal, end))
    return tuple(rows)


def total_interest(schedule: Iterable[ScheduledPayment]) -> Decimal:
    return sum((p.amount for p in schedule if p.kind is PaymentKind.INTEREST), ZERO)
