"""``money_managers`` (reference §7): keyed by ``manager_id``; ``status`` or a bare ``is_active``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...domain.money_managers import MoneyManager
from ...domain.values import read_account_number, read_decimal
from ..spec import CollectionSpec
from .fields import (
    DatetimeStamps,
    Doc,
    as_double,
    first,
    flag,
    indexed,
    moment,
    money,
    text,
)


def _status(doc: Doc) -> str:
    if doc.get("status"):
        return str(doc["status"]).strip().lower()
    if "is_active" in doc:
        return "active" if flag(doc, "is_active") else "inactive"
    return "active"


def _fee_rate(value: Any) -> Decimal | None:
    rate = read_decimal(value)
    if rate is None:
        return None
    # Seeds write 0.20; a rate above 1 can only be a percentage someone typed (20 for 20 %).
    rate = rate / 100 if rate > 1 else rate
    return rate if 0 <= rate <= 1 else None  # no fee is computed on a rate that makes no sense


def _accounts(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list | tuple):
        return ()
    read = (read_account_number(v) for v in value)
    return tuple(dict.fromkeys(n for n in read if n is not None))


class MoneyManagerCodec(DatetimeStamps):
    spec = CollectionSpec(
        name="money_managers",
        key=indexed("manager_id", "text"),
        fields=(
            indexed("name", "text"),
            indexed("status", "text", reader=lambda d: _status(d)),
        ),
    )

    def decode(self, doc: Doc) -> MoneyManager:
        manager_id = text(doc, "manager_id")
        if not manager_id:
            raise ValueError("no manager_id")
        return MoneyManager(
            manager_id=manager_id,
            name=text(doc, "name"),
            display_name=text(doc, "display_name"),
            execution_type=text(doc, "execution_type", "execution_method"),
            broker=text(doc, "broker"),
            profile_url=text(doc, "profile_url"),
            rating_url=text(doc, "rating_url"),
            strategy_name=text(doc, "strategy_name"),
            strategy_description=text(doc, "strategy_description"),
            risk_profile=text(doc, "risk_profile"),
            start_date=moment(doc, "start_date"),
            status=_status(doc),
            notes=text(doc, "notes"),
            performance_fee_rate=_fee_rate(first(doc, "performance_fee_rate")),
            fee_calculation_method=text(doc, "fee_calculation_method"),
            current_month_profit=money(doc, "current_month_profit"),
            current_month_fee_accrued=money(doc, "current_month_fee_accrued"),
            assigned_accounts=_accounts(doc.get("assigned_accounts")),
            created_at=moment(doc, "created_at"),
        )

    def encode(self, m: MoneyManager) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "manager_id": m.manager_id, "name": m.name, "display_name": m.display_name,
            "execution_type": m.execution_type, "broker": m.broker, "profile_url": m.profile_url,
            "rating_url": m.rating_url, "strategy_name": m.strategy_name,
            "strategy_description": m.strategy_description, "risk_profile": m.risk_profile,
            "status": m.status, "notes": m.notes, "fee_calculation_method": m.fee_calculation_method,
            "assigned_accounts": list(m.assigned_accounts),
        }
        if m.start_date is not None:
            doc["start_date"] = m.start_date
        for name, value in (("performance_fee_rate", m.performance_fee_rate),
                            ("current_month_profit", m.current_month_profit),
                            ("current_month_fee_accrued", m.current_month_fee_accrued)):
            if value is not None:
                doc[name] = as_double(value)
        return doc

    def key_of(self, m: MoneyManager) -> str:
        return m.manager_id
