"""Redemption eligibility and amounts (``can_request_redemption`` in the original, reference §5.2).

- Nothing can be redeemed during incubation, nor before one period of interest has accrued
  (the first payment date: CORE month 3, BALANCE month 5, DYNAMIC month 8 after the start).
- From then on interest accrued so far may be redeemed; the principal only at the end of the
  hold (the contract end, 426 days).
- Current value = principal + principal x monthly rate x months since interest start, months
  counted as days / 30 (the original's rule); accrual stops at contract end.
- UNLIMITED has no fixed rate: its value is principal + principal x performance share x the
  fund's return since the start, which the caller supplies (the original used a mocked 4.5 %
  a month; without a figure we assume no gain rather than invent one).
- No early-redemption penalty exists in the original; ``penalty`` is always zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .funds import FundProduct
from .investments import Investment
from .schedules import contract_end, first_payment_date, interest_start, monthly_rate_of
from .values import ZERO, to_cents

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
    penalty: Decimal = ZERO

    @property
    def max_amount(self) -> Decimal:
        if self.principal_redeemable:
            return self.principal + self.interest_available
        return self.interest_available if self.interest_redeemable else ZERO


def redemption_quote(investment: Investment, product: FundProduct, as_of: date, *,
                     interest_paid: Decimal = ZERO,
                     fund_return: Decimal | None = None) -> RedemptionQuote:
    """What ``investment`` may redeem on ``as_of``; ``fund_return`` (a fraction) only for UNLIMITED."""
    accrual_start = interest_start(investment, product)
    end = contract_end(investment, product)
    rate = monthly_rate_of(investment, product)
    principal = investment.principal
    if rate:
        days = max(0, (min(as_of, end) - accrual_start).days)
        earned = to_cents(principal * rate * days / DAYS_PER_MONTH)
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
        reasons.append(f"Interest can be redeemed from {interest_from.isoformat()}, after its first period.")
    interest_ok = interest_from is not None and as_of >= interest_from and available > 0
    principal_ok = as_of >= end
    if not principal_ok:
        reasons.append(f"The principal is held until {end.isoformat()}.")
    return RedemptionQuote(
        investment_id=investment.investment_id, as_of=as_of, principal=principal,
        interest_available=available, current_value=principal + available,
        interest_redeemable=interest_ok, principal_redeemable=principal_ok,
        interest_from=interest_from, principal_from=end, reasons=tuple(reasons))


def redemption_blockers(quote: RedemptionQuote, requested: Decimal) -> list[str]:
    """Why ``requested`` cannot be redeemed (empty: it can)."""
    if requested <= 0:
        return ["The amount must be positive."]
    if not quote.interest_redeemable and not quote.principal_redeemable:
        return list(quote.reasons) or ["Nothing is available to redeem yet."]
    if requested > quote.max_amount:
        return [f"At most {quote.max_amount:,.2f} can be redeemed on {quote.as_of.isoformat()}."]
    return []
