"""Money managers' fees and broker rebates (reference §5.3).

- TRUE P&L = equity + profit withdrawals + transfers out - initial allocation.
- Performance fee = max(0, TRUE P&L) x the manager's rate (0..1), no high-water mark, as the
  original charges it. The management fee is zero in the current fund overview.
- Broker rebates = lots traded x 5.05 USD per lot by default.
"""

from __future__ import annotations

from decimal import Decimal

from .values import ZERO, to_cents

MANAGEMENT_FEE_RATE = ZERO
DEFAULT_REBATE_PER_LOT = Decimal("5.05")


def true_pnl(equity: Decimal, initial_allocation: Decimal, *, profit_withdrawals: Decimal = ZERO,
             transfers_out: Decimal = ZERO) -> Decimal:
    """Trading result of an account, counting profit already moved out of it."""
    return equity + profit_withdrawals + transfers_out - initial_allocation


def performance_fee(pnl: Decimal, rate: Decimal) -> Decimal:
    if not ZERO <= rate <= 1:
        raise ValueError(f"performance fee rate must be a fraction between 0 and 1, not {rate}")
    return to_cents(max(ZERO, pnl) * rate)


def management_fee(assets: Decimal, rate: Decimal = MANAGEMENT_FEE_RATE) -> Decimal:
    return to_cents(assets * rate)


def broker_rebate(lots: Decimal, per_lot: Decimal = DEFAULT_REBATE_PER_LOT) -> Decimal:
    return to_cents(lots * per_lot)
