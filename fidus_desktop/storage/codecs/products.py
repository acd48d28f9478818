"""``fund_products``: our collection (the original kept products in code, ``FIDUS_FUND_CONFIG``)."""

from __future__ import annotations

from typing import Any

from ...domain.funds import FundProduct, PaymentFrequency, ScheduleReading
from ...domain.values import ZERO
from ..spec import CollectionSpec
from .fields import DatetimeStamps, Doc, as_decimal128, flag, indexed, money, text


def _int_or_none(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


class ProductCodec(DatetimeStamps):
    spec = CollectionSpec(name="fund_products", key=indexed("code", "text"))

    def decode(self, doc: Doc) -> FundProduct:
        return FundProduct(
            code=text(doc, "code"),
            name=text(doc, "name"),
            monthly_rate=money(doc, "monthly_rate"),
            minimum=money(doc, "minimum") or ZERO,
            payment_frequency=PaymentFrequency.read(doc.get("payment_frequency")) or PaymentFrequency.NONE,
            first_payment_days=_int_or_none(doc.get("first_payment_days")),
            interval_days=_int_or_none(doc.get("interval_days")),
            regular_payments=int(doc.get("regular_payments") or 0),
            incubation_days=int(doc.get("incubation_days", 60)),
            contract_days=int(doc.get("contract_days", 426)),
            contract_months=int(doc.get("contract_months", 14)),
            open_to_new_money=flag(doc, "open_to_new_money"),
            invitation_only=flag(doc, "invitation_only"),
            performance_share=money(doc, "performance_share"),
            schedule_reading=ScheduleReading(doc.get("schedule_reading") or "D"),
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
