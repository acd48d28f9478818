"""Investments, read from any of the four shapes the original wrote (reference §4)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from .funds import PaymentFrequency
from .record import Record, raw_field, stored_field


class InvestmentStatus(enum.StrEnum):
    PENDING_MT5_VALIDATION = "pending_mt5_validation"
    INCUBATION = "incubation"
    ACTIVE = "active"
    PENDING_REDEMPTION = "pending_redemption"
    COMPLETED = "completed"
    REDEEMED = "redeemed"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @classmethod
    def read(cls, value: object) -> InvestmentStatus | str:
        """Known statuses become the enum; anything else is kept as written, never lost."""
        text = str(value or "").strip().lower()
        try:
            return cls(text)
        except ValueError:
            return text


class InvestmentShape(enum.StrEnum):
    """Which writer of the original the document looks like; kept so we write the same shape."""

    CURRENT = "A"
    REFERRAL_SEED = "B"
    MINIMAL = "C"
    API_CREATE = "D"


@dataclass(frozen=True, slots=True)
class Investment(Record):
    investment_id: str
    client_id: str
    product: str
    principal: Decimal
    start_date: datetime
    status: InvestmentStatus | str = InvestmentStatus.ACTIVE
    #: Monthly rate as a fraction; ``None`` means "use the product's".
    interest_rate: Decimal | None = None
    payment_frequency: PaymentFrequency | None = None
    client_name: str = ""
    mt5_accounts: tuple[int, ...] = ()
    salesperson_id: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    shape: InvestmentShape = InvestmentShape.CURRENT
    raw: Mapping[str, Any] = raw_field()
    revision: object = stored_field()

    @property
    def is_active(self) -> bool:
        """Only ``active`` counts toward AUM anywhere in the original (reference §4)."""
        return self.status == InvestmentStatus.ACTIVE
