"""Redemption requests as stored in the original's ``redemptions`` collection (reference §5.2).

The original kept them only in process memory; we store them with its request fields so the
web platform can read them. The rules a request is checked against are :mod:`.redemptions`.

Statuses: ``pending`` -> ``approved`` -> ``completed``; ``pending``/``approved`` -> ``rejected``
or ``cancelled``. Only a completed redemption moves money.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .record import Record, raw_field, stored_field


class RedemptionStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @classmethod
    def read(cls, value: object) -> RedemptionStatus:
        try:
            return cls(str(value or "").strip().lower())
        except ValueError:
            return cls.PENDING

    @property
    def open(self) -> bool:
        """Still to be paid out: its amount is spoken for."""
        return self in (RedemptionStatus.PENDING, RedemptionStatus.APPROVED)


#: Which status may follow which.
TRANSITIONS: dict[RedemptionStatus, frozenset[RedemptionStatus]] = {
    RedemptionStatus.PENDING: frozenset({RedemptionStatus.APPROVED, RedemptionStatus.REJECTED,
                                         RedemptionStatus.CANCELLED}),
    RedemptionStatus.APPROVED: frozenset({RedemptionStatus.COMPLETED, RedemptionStatus.REJECTED,
                                          RedemptionStatus.CANCELLED}),
    RedemptionStatus.REJECTED: frozenset(),
    RedemptionStatus.COMPLETED: frozenset(),
    RedemptionStatus.CANCELLED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class RedemptionRequest(Record):
    redemption_id: str
    client_id: str
    investment_id: str
    fund_code: str
    requested_amount: Decimal
    request_date: datetime
    requested_redemption_date: date
    status: RedemptionStatus = RedemptionStatus.PENDING
    fund_name: str = ""
    #: Principal + accrued unpaid interest when the request was recorded.
    current_value: Decimal | None = None
    principal_amount: Decimal | None = None
    #: When the requested amount could first be redeemed, as the rules say.
    next_available_date: date | None = None
    reason: str = ""
    admin_notes: str = ""
    approved_by: str = ""
    approved_date: datetime | None = None
    completed_date: datetime | None = None
    raw: Mapping[str, Any] = raw_field()
    revision: object = stored_field()
