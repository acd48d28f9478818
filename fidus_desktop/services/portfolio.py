"""The portfolio's figures as the manager asks about them: how much do we manage, what do we owe
whom and when, and does trading cover it.

The figures are computed over the portfolio book (:mod:`fidus_desktop.portfolio`) by the
portfolio service; this module holds what they are made of, so the dashboard, the calendar, the
statements and ``fidus-desktop report`` agree to the cent.

One definition everywhere (the original counted statuses differently per view, reference §9.6):
an investment is under management, owes payments and counts toward AUM only while its status is
``active``. AUM is the sum of principal over those, whatever shape stored it (Decimal128 or
``amount`` only, reference §4).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from ..domain.mt5_accounts import Mt5AccountLink
from ..domain.schedules import PaymentKind
from ..domain.values import ZERO

#: ``activity_logs`` types that record a payment as made (see :mod:`.payment_calendar`).
PAID_TYPES = {PaymentKind.INTEREST: "interest_paid", PaymentKind.PRINCIPAL: "principal_paid"}
#: ``activity_logs`` types that record a part of a payment paid ahead of its due day.
PART_TYPES = {PaymentKind.INTEREST: "interest_part_paid", PaymentKind.PRINCIPAL: "principal_part_paid"}

@dataclass(frozen=True, slots=True)
class DueTotal:
    count: int = 0
    amount: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class ProductSummary:
    code: str
    name: str
    schedule_reading: str
    aum: Decimal
    investments: int
    clients: int
    #: Equity of the product's live MT5 accounts (``None``: no account linked to it).
    equity: Decimal | None
    principal_owed: Decimal
    interest_accrued: Decimal

    @property
    def owed(self) -> Decimal:
        return self.principal_owed + self.interest_accrued

    @property
    def revenue(self) -> Decimal | None:
        """Fund revenue: what trading holds beyond what is owed; ``None`` without an MT5 account."""
        return None if self.equity is None else self.equity - self.owed


@dataclass(frozen=True, slots=True)
class CashFlowMonth:
    month: str  # YYYY-MM
    interest: Decimal
    principal: Decimal


@dataclass(frozen=True, slots=True)
class Dashboard:
    as_of: date
    aum: Decimal
    products: tuple[ProductSummary, ...]
    invested_clients: int
    all_clients: int
    due_30: DueTotal
    due_90: DueTotal
    overdue: DueTotal
    #: Month-end AUM per product for the last 12 months, oldest first, ending on ``as_of``.
    aum_history: tuple[tuple[date, Mapping[str, Decimal]], ...]
    cash_flow: tuple[CashFlowMonth, ...]
    unscheduled: int
    #: Overdue payments of investments with no payment ever recorded (a fund from the web
    #: platform, which never recorded paid interest): what "reconcile the past" is for.
    unrecorded_overdue: DueTotal = DueTotal()
    #: Referral commissions due on or before today and not recorded as paid.
    commissions_due: DueTotal = DueTotal()

    @property
    def equity(self) -> Decimal:
        return sum((p.equity for p in self.products if p.equity is not None), ZERO)

    @property
    def owed(self) -> Decimal:
        return sum((p.owed for p in self.products), ZERO)

    def product(self, code: str) -> ProductSummary | None:
        return next((p for p in self.products if p.code == code), None)


def equity_by_fund(accounts: Iterable[Mt5AccountLink]) -> dict[str, Decimal]:
    """Equity of the live accounts linked to each fund (``live_demo`` and inactive excluded)."""
    totals: dict[str, Decimal] = {}
    for account in accounts:
        if account.counts_for_fund and account.fund_type and account.equity is not None:
            totals[account.fund_type] = totals.get(account.fund_type, ZERO) + account.equity
    return totals


def month_ends(as_of: date, months: int) -> list[date]:
    ends, day = [], as_of
    for _ in range(months - 1):
        day = day.replace(day=1) - timedelta(days=1)
        ends.append(day)
    return [*reversed(ends), as_of]


