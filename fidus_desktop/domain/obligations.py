"""What the fund owes on a given day, and fund revenue (reference §5.3, done better).

The original's fund revenue is MT5 equity minus principal only; ours also subtracts interest
accrued and not yet paid, which is a debt to clients as real as the principal.

Accrual: each interest payment accrues linearly, day by day, over its own period (from the
previous payment date, or the end of incubation, to its due date), so on a payment date its
whole amount is owed and nothing is owed during incubation. A payment recorded as paid is no
longer owed. Each accrued part is rounded to the cent once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date
from decimal import Decimal

from .schedules import PaymentKey, PaymentKind, ScheduledPayment
from .values import ZERO, to_cents


def accrued_part(payment: ScheduledPayment, as_of: date) -> Decimal:
    """How much of ``payment`` has been earned by the end of ``as_of``."""
    if as_of >= payment.due:
        return payment.amount
    if payment.kind is PaymentKind.PRINCIPAL or as_of <= payment.accrues_from:
        return ZERO
    elapsed = (as_of - payment.accrues_from).days
    period = (payment.due - payment.accrues_from).days
    return to_cents(payment.amount * elapsed / period)


def accrued_unpaid_interest(schedule: Iterable[ScheduledPayment], as_of: date,
                            paid: Collection[PaymentKey] = ()) -> Decimal:
    total = ZERO
    for p in schedule:
        if p.kind is PaymentKind.INTEREST and p.accrues_from < as_of and p.key not in paid:
            total += accrued_part(p, as_of)
    return total


def principal_outstanding(schedule: Iterable[ScheduledPayment], paid: Collection[PaymentKey] = ()) -> Decimal:
    return sum((p.amount for p in schedule if p.kind is PaymentKind.PRINCIPAL and p.key not in paid), ZERO)


def amount_owed(schedule: Iterable[ScheduledPayment], as_of: date,
                paid: Collection[PaymentKey] = ()) -> Decimal:
    """Principal not yet returned plus interest accrued and not yet paid."""
    rows = tuple(schedule)
    return principal_outstanding(rows, paid) + accrued_unpaid_interest(rows, as_of, paid)


def fund_revenue(equity: Decimal, owed: Decimal) -> Decimal:
    """What trading has earned beyond what is owed to clients (negative: trading does not cover it)."""
    return equity - owed
