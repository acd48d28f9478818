"""Fund products as data (reference §5). Seeded into the database; the manager may edit them."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .record import Record, raw_field, stored_field


class ScheduleReading(enum.StrEnum):
    """Where the original's documents and code disagree on the final payment (reference §5.1)."""

    #: Documented: 12/4/2 interest payments, then the principal alone at contract end.
    DOCUMENTED = "D"
    #: Cash-flow code: the contract-end payment adds one more period of interest.
    CASH_FLOW_CODE = "C"


class PaymentFrequency(enum.StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMI_ANNUAL = "semi-annual"
    FLEXIBLE = "flexible"
    NONE = "none"

    @property
    def months(self) -> int:
        return {"monthly": 1, "quarterly": 3, "semi-annual": 6}.get(self.value, 0)

    @classmethod
    def read(cls, value: object) -> PaymentFrequency | None:
        text = str(value or "").strip().lower().replace("_", "-")
        aliases = {"semiannual": "semi-annual", "semi-annually": "semi-annual"}
        text = aliases.get(text, text)
        try:
            return cls(text) if text else None
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class FundProduct(Record):
    code: str
    name: str
    #: Simple interest per month on principal, as a fraction (0.015); ``None`` for UNLIMITED.
    monthly_rate: Decimal | None
    minimum: Decimal
    payment_frequency: PaymentFrequency
    first_payment_days: int | None
    interval_days: int | None
    regular_payments: int
    incubation_days: int = 60
    contract_days: int = 426
    contract_months: int = 14
    open_to_new_money: bool = True
    invitation_only: bool = False
    #: Share of performance paid to the client when there is no fixed rate (UNLIMITED: 50 %).
    performance_share: Decimal | None = None
    schedule_reading: ScheduleReading = ScheduleReading.DOCUMENTED
    internal: bool = False
    raw: Mapping[str, Any] = raw_field()
    revision: object = stored_field()

    @property
    def interest_per_period(self) -> Decimal | None:
        """Rate per payment period (CORE 1.5 %, BALANCE 7.5 %, DYNAMIC 21 %)."""
        if self.monthly_rate is None or not self.payment_frequency.months:
            return None
        return self.monthly_rate * self.payment_frequency.months


def _product(code: str, name: str, rate: str | None, minimum: int, freq: PaymentFrequency,
             first: int | None, interval: int | None, payments: int, **more: object) -> FundProduct:
    return FundProduct(
        code=code, name=name, monthly_rate=Decimal(rate) if rate else None,
        minimum=Decimal(minimum), payment_frequency=freq, first_payment_days=first,
        interval_days=interval, regular_payments=payments, **more)  # type: ignore[arg-type]


#: The board decision of Feb 2026 (``FIDUS_FUND_CONFIG`` in the original's server.py).
DEFAULT_PRODUCTS: tuple[FundProduct, ...] = (
    _product("CORE", "FIDUS Core Fund", "0.015", 10_000, PaymentFrequency.MONTHLY, 90, 30, 12),
    _product("BALANCE", "FIDUS Balance Fund", "0.025", 50_000, PaymentFrequency.QUARTERLY, 150, 90, 4),
    _product("DYNAMIC", "FIDUS Dynamic Fund", "0.035", 250_000, PaymentFrequency.SEMI_ANNUAL, 240, 180, 2,
             open_to_new_money=False, invitation_only=True),
    _product("UNLIMITED", "FIDUS Unlimited Fund", None, 250_000, PaymentFrequency.FLEXIBLE, None, None, 0,
             performance_share=Decimal("0.5")),
)

PRODUCT_CODES: tuple[str, ...] = tuple(p.code for p in DEFAULT_PRODUCTS)


def normalize_fund_code(value: object) -> str:
    """``FIDUS_CORE``, ``core`` and ``CORE`` are one product."""
    text = str(value or "").strip().upper()
    return text.removeprefix("FIDUS_").removeprefix("FIDUS ")
