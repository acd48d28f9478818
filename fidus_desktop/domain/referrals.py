"""Salespeople (referral agents, reference §2) and the stored state of their commissions (§6).

What a commission *is* (10 % of each client interest payment, due on the client's payment date)
is the rule in :mod:`.commissions`, computed from the schedules; a :class:`CommissionRecord` is
the ``referral_commissions`` document that says how far it has got: pending, approved, paid
(with the payment method and reference). A commission without a record is pending.

Salespeople are keyed as the original's investments name them, ``sp_<ObjectId hex>``: the
referral module's ``_id`` (an ObjectId), its ``salesperson_id`` string, and an investment's
``salesperson_id``, ``referral_salesperson_id`` or ``referred_by`` all read as that one key.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .record import Record, raw_field, stored_field

SALESPERSON_PREFIX = "sp_"
_HEX24 = re.compile(r"^[0-9a-fA-F]{24}$")


def salesperson_key(value: object) -> str:
    """``sp_<hex>`` for an ObjectId, its hex string or the ``sp_`` form; other ids as written."""
    text = str(value or "").strip()
    if not text:
        return ""
    if _HEX24.match(text):
        return SALESPERSON_PREFIX + text.lower()
    if text.startswith(SALESPERSON_PREFIX) and _HEX24.match(text[len(SALESPERSON_PREFIX):]):
        return SALESPERSON_PREFIX + text[len(SALESPERSON_PREFIX):].lower()
    return text


def object_id_hex(key: str) -> str | None:
    """The ObjectId hex inside a salesperson key (``None`` when it holds none)."""
    hexpart = key[len(SALESPERSON_PREFIX):] if key.startswith(SALESPERSON_PREFIX) else key
    return hexpart.lower() if _HEX24.match(hexpart) else None


@dataclass(frozen=True, slots=True)
class Salesperson(Record):
    salesperson_id: str
    name: str
    email: str = ""
    phone: str = ""
    referral_code: str = ""
    active: bool = True
    preferred_payment_method: str = ""
    #: The documents mention ``commission_rate: 0.10``; ``None`` means the fund's rule.
    commission_rate: Decimal | None = None
    joined_date: datetime | None = None
    notes: str = ""
    raw: Mapping[str, Any] = raw_field()
    revision: object = stored_field()


class CommissionStatus(enum.StrEnum):
    PENDING = "pending"
    READY_TO_PAY = "ready_to_pay"
    APPROVED = "approved"
    PAID = "paid"
    CANCELLED = "cancelled"

    @classmethod
    def read(cls, value: object) -> CommissionStatus:
        try:
            return cls(str(value or "").strip().lower())
        except ValueError:
            return cls.PENDING


@dataclass(frozen=True, slots=True)
class CommissionRecord(Record):
    """One ``referral_commissions`` document (the route shape, reference §6)."""

    #: The document's ``_id`` as hex (our writes derive it from the investment and payment).
    commission_key: str
    salesperson_id: str
    investment_id: str
    payment_number: int
    client_payment_date: date
    commission_amount: Decimal
    client_interest_amount: Decimal
    status: CommissionStatus = CommissionStatus.PENDING
    salesperson_name: str = ""
    client_id: str = ""
    client_name: str = ""
    product_type: str = ""
    commission_rate: Decimal | None = None
    commission_due_date: date | None = None
    approved_date: datetime | None = None
    paid_date: datetime | None = None
    payment_method: str = ""
    payment_reference: str = ""
    payment_hash: str = ""
    notes: str = ""
    created_at: datetime | None = None
    raw: Mapping[str, Any] = raw_field()
    revision: object = stored_field()

    @property
    def due(self) -> date:
        return self.commission_due_date or self.client_payment_date
