"""Redemption eligibility and amounts (``can_request_redemption`` in the original, reference §5.2).

- Nothing can be redeemed during incubation, nor before one period of interest has accrued
  (the first payment date: CORE month 3, BALANCE month 5, DYNAMIC month 8 after the start).
- From then on interest accrued so far may be redeemed; the principal only at the end of the
  hold (the contract end, 426 days).
- Current value = principal + principal x monthly rate x months since interest start, months
  counted as days / 30 (the original's rule); accrual stops at contract end. Given the
  investment's schedule, the interest earned is also never less than what the schedule has made
  due by then (reading C's last payment pays a whole period six days after the one before) and
  never more than the schedule pays in all (under reading D the 426-day contract would otherwise
  earn 12.2 months of interest on a schedule of 12).
- UNLIMITED has no fixed rate: its value is principal + principal x performance share x the
  fund's return since the start, which the caller supplies (the original used a mocked 4.5 % a
  month; without a figure we assume no gain rather than invent one).
- No early-redemption penalty exists in the original; ``penalty`` is always zero.

:func:`redemption_checks` names every rule a requested amount breaks, each with its reason, so
the manager sees all of them at once rather than one per attempt.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from .funds import FundProduct
from .investments import Investment
from .schedules import (PaymentKey, PaymentKind, ScheduledPayment, contract_end, first_payment_date, interest_start,
                        monthly_rate_of)
from .values import CENT, ZERO, to_cents

DAYS_PER_MONTH = 30


@dataclass(frozen=True, slots=True)
class RedemptionQuote:
    investment_id: str
    as_of: date
    principal: Decimal
    #: Interest earned to ``as_of`` less what was already paid out.
    interest_available: Decimal
    current_value: Decimal
    interest_redeemable: bool
    principal_redeemable: bool
    #: First day interest may be redeemed, and the end of the hold.
    interest_from: date | None
    principal_from: date
    reasons: tuple[str, ...]
    #: First day interest accrues (the end of incubation).
    accrual_start: date | None = None
    penalty: Decimal = ZERO

    @property
    def max_amount(self) -> Decimal:
        if self.principal_redeemable:
            return self.principal + self.interest_available
        return self.interest_available if self.interest_redeemable else ZERO


def _earned_by_schedule(schedule: Sequence[ScheduledPayment], as_of: date, linear: Decimal) -> Decimal:
    interest = [p for p in schedule if p.kind is PaymentKind.INTEREST]
    if not interest:
        return linear
    due = sum((p.amount for p in interest if p.due <= as_of), ZERO)
    total = sum((p.amount for p in interest), ZERO)
    return min(max(linear, due), total)


def redemption_quote(investment: Investment, product: FundProduct, as_of: date, *,
                     interest_paid: Decimal = ZERO, fund_return: Decimal | None = None,
                     schedule: Sequence[ScheduledPayment] | None = None) -> RedemptionQuote:
    """What ``investment`` may redeem on ``as_of``; ``fund_return`` (a fraction) only for UNLIMITED.

    ``interest_paid``: interest already paid out (scheduled payments recorded as paid, parts
    paid by earlier redemptions); ``schedule``: the investment's payments, which bound what it
    can have earned (see the module's notes)."""
    accrual_start = interest_start(investment, product)
    end = contract_end(investment, product)
    rate = monthly_rate_of(investment, product)
    principal = investment.principal
    if rate:
        days = max(0, (min(as_of, end) - accrual_start).days)
        earned = to_cents(principal * rate * days / DAYS_PER_MONTH)
        if schedule is not None:
            earned = _earned_by_schedule(schedule, as_of, earned)
        interest_from = first_payment_date(investment, product)
    else:
        share = product.performance_share or ZERO
        earned = to_cents(principal * share * fund_return) if fund_return and as_of >= accrual_start else ZERO
        # A performance product has no payment calendar: after incubation its gains are redeemable.
        interest_from = accrual_start
    available = max(ZERO, earned - interest_paid)
    reasons: list[str] = []
    if as_of < accrual_start:
        reasons.append(f"In incubation until {accrual_start.isoformat()}: nothing can be redeemed yet.")
    elif interest_from is not None and as_of < interest_from:
        reasons.append(f"Interest can be redeemed from {interest_from.isoformat()}, once one period of "
                       "interest has accrued.")
    interest_ok = interest_from is not None and as_of >= interest_from and available > 0
    principal_ok = as_of >= end
    if not principal_ok:
        reasons.append(f"The principal is held until {end.isoformat()} (the 14-month hold).")
    return RedemptionQuote(
        investment_id=investment.investment_id, as_of=as_of, principal=principal,
        interest_available=available, current_value=principal + available,
        interest_redeemable=interest_ok, principal_redeemable=principal_ok,
        interest_from=interest_from, principal_from=end, reasons=tuple(reasons), accrual_start=accrual_start)


@dataclass(frozen=True, slots=True)
class RuleCheck:
    """One redemption rule applied to one request: ``reason`` says why it blocks (empty: it holds)."""

    rule: str
    reason: str = ""

    @property
    def blocks(self) -> bool:
        return bool(self.reason)


#: The rules in the order the manager reads them.
RULES = ("amount", "incubation", "interest_minimum", "principal_hold", "current_value")


def redemption_checks(quote: RedemptionQuote, requested: Decimal, *,
                      already_requested: Decimal = ZERO) -> tuple[RuleCheck, ...]:
    """Every rule applied to a request of ``requested`` on ``quote.as_of``. ``already_requested``:
    what other requests on the same investment (pending or approved) will take first."""
    checks: dict[str, str] = dict.fromkeys(RULES, "")
    wanted = requested + already_requested
    if not requested.is_finite() or requested <= 0:
        checks["amount"] = "The amount must be positive."
    elif requested != requested.quantize(CENT):
        checks["amount"] = "Amounts are in whole cents."
    start, interest_from = quote.accrual_start, quote.interest_from
    if start is not None and quote.as_of < start:
        checks["incubation"] = f"In incubation until {start.isoformat()}: nothing can be redeemed yet."
    elif interest_from is not None and quote.as_of < interest_from:
        checks["interest_minimum"] = (f"Interest can be redeemed from {interest_from.isoformat()}, once one "
                                      "period of interest has accrued.")
    elif interest_from is None:
        checks["interest_minimum"] = "This investment accrues no interest that could be redeemed."
    if wanted > quote.interest_available and not quote.principal_redeemable:
        available = quote.interest_available if quote.interest_redeemable else ZERO
        checks["principal_hold"] = (f"The principal is held until {quote.principal_from.isoformat()} (the "
                                    f"14-month hold); until then at most {available:,.2f} of accrued interest "
                                    "can be redeemed.")
    if wanted > quote.current_value:
        also = f" with {already_requested:,.2f} already requested" if already_requested else ""
        checks["current_value"] = (f"{requested:,.2f}{also} is above the current value {quote.current_value:,.2f} "
                                   f"on {quote.as_of.isoformat()} (principal + interest accrued and not paid).")
    return tuple(RuleCheck(rule, reason) for rule, reason in checks.items())


def redemption_blockers(quote: RedemptionQuote, requested: Decimal, *,
                        already_requested: Decimal = ZERO) -> list[str]:
    """Why ``requested`` cannot be redeemed, one reason per rule it breaks (empty: it can)."""
    return [c.reason for c in redemption_checks(quote, requested, already_requested=already_requested) if c.blocks]


# ---- what a completed redemption pays ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Allocation:
    """Part of a completed redemption paid towards one scheduled payment."""

    payment: ScheduledPayment
    amount: Decimal
    #: The payment is paid in full by it (else ``amount`` is a part paid ahead of its due date).
    settles: bool


def interest_paid_of(schedule: Sequence[ScheduledPayment], paid: Collection[PaymentKey],
                     parts: Mapping[PaymentKey, Decimal]) -> Decimal:
    """Interest already paid out: payments recorded as paid in full, and parts of the others."""
    total = ZERO
    for p in schedule:
        if p.kind is PaymentKind.INTEREST:
            total += p.amount if p.key in paid else parts.get(p.key, ZERO)
    return total


def allocate_redemption(schedule: Sequence[ScheduledPayment], quote: RedemptionQuote, amount: Decimal, *,
                        paid: Collection[PaymentKey] = (),
                        parts: Mapping[PaymentKey, Decimal] = MappingProxyType({})) -> tuple[Allocation, ...]:
    """How ``amount`` (checked against ``quote``) is paid: first the interest available, towards
    the unpaid interest payments in due order (the overdue ones first), then the principal.

    A payment covered in full is paid; what is left towards the next one is paid ahead of it, and
    that payment later pays only the rest. Raises ``ValueError`` if ``amount`` does not fit the
    schedule (the rules should have refused it)."""
    interest = min(amount, quote.interest_available)
    principal = amount - interest
    out: list[Allocation] = []
    for kind, budget in ((PaymentKind.INTEREST, interest), (PaymentKind.PRINCIPAL, principal)):
        for p in schedule:
            if budget <= 0:
                break
            if p.kind is not kind or p.key in paid:
                continue
            remaining = p.amount - parts.get(p.key, ZERO)
            if remaining <= 0:
                continue
            take = min(budget, remaining)
            out.append(Allocation(p, take, take == remaining))
            budget -= take
        if budget > 0:
            raise ValueError(f"{budget:,.2f} of the redemption matches no unpaid {kind.value} payment.")
    return tuple(out)
