"""``fund_products``: our collection (the original kept products in code, ``FIDUS_FUND_CONFIG``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...domain.funds import FundProduct, PaymentFrequency, ScheduleReading
from ...domain.values import ZERO
from ..problems import UntrustedValue, shown
from ..spec import CollectionSpec
from .fields import (
    DatetimeStamps,
    Doc,
    as_decimal128,
    flag,
    fund_code,
    indexed,
    money,
    text,
    whole,
)

#: Ten years of days, a hundred years of days: beyond them a schedule would only be a typo (and
#: a billion regular payments would be a billion rows in memory).
_DAYS, _CONTRACT_DAYS, _PAYMENTS, _MONTHS = 3660, 36600, 120, 1200
_RATE_MAX, _SHARE_MAX = Decimal("0.2"), Decimal("1")


def _reading(doc: Doc) -> ScheduleReading:
    value = doc.get("schedule_reading") or "D"
    try:
        return ScheduleReading(value)
    except ValueError:
        raise UntrustedValue("schedule_reading", f"{shown(value)} is neither D nor C") from None


class ProductCodec(DatetimeStamps):
    spec = CollectionSpec(name="fund_products", key=indexed("code", "text"))

    def decode(self, doc: Doc) -> FundProduct:
        code = fund_code(doc, "code")
        if not code:
            raise UntrustedValue("code", "missing")
        return FundProduct(
            code=code,
            name=text(doc, "name"),
            monthly_rate=money(doc, "monthly_rate", low=ZERO, high=_RATE_MAX),
            minimum=money(doc, "minimum", low=ZERO) or ZERO,
            payment_frequency=PaymentFrequency.read(doc.get("payment_frequency")) or PaymentFrequency.NONE,
            first_payment_days=whole(doc, "first_payment_days", None, 0, _DAYS),
            interval_days=whole(doc, "interval_days", None, 1, _DAYS),
            regular_payments=whole(doc, "regular_payments", 0, 0, _PAYMENTS) or 0,
            incubation_days=whole(doc, "incubation_days", 60, 0, _DAYS) or 0,
            contract_days=whole(doc, "contract_days", 426, 1, _CONTRACT_DAYS) or 426,
            contract_months=whole(doc, "contract_months", 14, 0, _MONTHS) or 0,
            open_to_new_money=flag(doc, "open_to_new_money"),
            invitation_only=flag(doc, "invitation_only"),
            performance_share=money(doc, "performance_share", low=ZERO, high=_SHARE_MAX),
            schedule_reading=_reading(doc),
            internal=flag(doc, "internal"),
        )

    def encode(self, p: FundProduct) -> dict[str, Any]:
        return {
            "code": p.code,
            "name": p.name,
            "monthly_rate": as_decimal128(p.monthly_rate),
            "minimum": as_decimal128(p.minimum),
            "payment_frequency": p.payment_frequency.value,
            "first_payment_days": p.first_payment_days,
            "interval_days": p.interval_days,
            "regular_payments": p.regular_payments,
            "incubation_days": p.incubation_days,
            "contract_days": p.contract_days,
            "contract_months": p.contract_months,
            "open_to_new_money": p.open_to_new_money,
            "invitation_only": p.invitation_only,
            "performance_share": as_decimal128(p.performance_share),
            "schedule_reading": p.schedule_reading.value,
            "internal": p.internal,
        }

    def key_of(self, p: FundProduct) -> str:
        return p.code
