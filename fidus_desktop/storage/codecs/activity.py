"""``activity_logs`` (reference §8), extended with the subject and actor our timeline needs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...domain.activity import ActivityEntry
from ..problems import UntrustedValue
from ..spec import CollectionSpec
from .fields import (
    Doc,
    as_double,
    identifier,
    indexed,
    moment,
    money,
    refusal,
    text,
    whole_document,
)


def _detail(doc: Doc, name: str) -> str | None:
    details = doc.get("details")
    value = details.get(name) if isinstance(details, dict) else None
    return None if value in (None, "") else str(value)[:10]


class ActivityCodec:
    spec = CollectionSpec(
        name="activity_logs",
        key=indexed("log_id", "text"),
        fields=(
            indexed("client_id", "text"),
            indexed("prospect_id", "text"),
            indexed("investment_id", "text"),
            indexed("activity_type", "text"),
            indexed("timestamp", "datetime"),
            # Which payment a paid record is for, and when it was paid (see payment_calendar).
            indexed("due_date", "text", "details.due_date", reader=lambda d: _detail(d, "due_date")),
            indexed("paid_on", "text", "details.paid_on", reader=lambda d: _detail(d, "paid_on")),
            # What a part paid ahead of its due date amounts to (see services/redemptions.py).
            indexed("amount", "decimal"),
            # A payment record the codec refuses is no payment for the figures either.
            whole_document("untrusted", lambda d: refusal(ActivityCodec().decode, d)),
        ),
        compound_indexes=((("client_id", 1), ("timestamp", -1)), (("prospect_id", 1), ("timestamp", -1))),
    )

    def decode(self, doc: Doc) -> ActivityEntry:
        timestamp = moment(doc, "timestamp", "created_at")
        if timestamp is None:
            raise UntrustedValue("timestamp", "no timestamp or created_at")
        details = doc.get("details")
        return ActivityEntry(
            log_id=identifier(doc, "log_id"),
            activity_type=text(doc, "activity_type"),
            description=text(doc, "description"),
            timestamp=timestamp,
            client_id=identifier(doc, "client_id"),
            prospect_id=identifier(doc, "prospect_id"),
            investment_id=identifier(doc, "investment_id"),
            amount=money(doc, "amount"),
            fund_code=text(doc, "fund_code"),
            actor=text(doc, "actor"),
            details=dict(details) if isinstance(details, dict) else {},
        )

    def encode(self, e: ActivityEntry) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "log_id": e.log_id,
            "activity_type": e.activity_type,
            "description": e.description,
            "timestamp": e.timestamp,
            "client_id": e.client_id,
        }
        optional = {"prospect_id": e.prospect_id, "investment_id": e.investment_id,
                    "fund_code": e.fund_code, "actor": e.actor}
        doc.update({k: v for k, v in optional.items() if v})
        if e.amount is not None:
            doc["amount"] = as_double(e.amount)
        if e.details:
            doc["details"] = dict(e.details)
        return doc

    def key_of(self, e: ActivityEntry) -> str:
        return e.log_id

    def stamp_update(self, changes: dict[str, Any], now: datetime) -> None:
        changes["updated_at"] = now

    def stamp_create(self, doc: dict[str, Any], now: datetime) -> None:
        doc.setdefault("created_at", now)
