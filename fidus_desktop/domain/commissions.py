"""Referral commissions (reference §5.3 and §6).

A salesperson earns 10 % of each client interest payment, due on the client's payment date. The
rule follows the schedule, so under the cash-flow reading (C) the interest part of the final
payment earns a commission too, and under the documented reading (D) it does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from .schedules import PaymentKind, ScheduledPayment
from .values import to_cents

REFERRAL_COMMISSION_RATE = Decimal("0.10")


class Commission(NamedTuple):
    investment_id: str
    salesperson_id: str
    payment_number: int
    client_payment_date: date
    client_interest_amount: Decimal
    commission_amount: Decimal

    @property
    def cash_flow_month(self) -> str:
        """``YYYY-MM``, as the original files each commission."""
        return self.client_payment_date.strftime("%Y-%m")


def referral_commissions(schedule: Iterable[ScheduledPayment], salesperson_id: str,
                         rate: Decimal = REFERRAL_COMMISSION_RATE) -> tuple[Commission, ...]:
    """One commission per interest payment; none when no salesperson referred the investment."""
    if not salesperson_id:
        return ()
    if not Decimal(0) <= rate <= 1:
        raise ValueError(f"commission rate must be a fraction between 0 and 1, not {rate}")
    return tuple(
        Commission(p.investment_id, salesperson_id, p.number, p.due, p.amount, to_cents(p.amount * rate))
        for p in schedule if p.kind is PaymentKind.INTEREST
    )
