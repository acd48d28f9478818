"""``redemptions`` (reference §5.2): the request fields the original kept only in memory.

Written with the original's field names and types (money as doubles, dates as BSON datetimes),
keyed by ``id`` (a uuid), so the web platform's code that counts the collection finds them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from ...domain.redemption_requests import RedemptionRequest, RedemptionStatus
from ..spec import CollectionSpec
from .fields import DatetimeStamps, Doc, as_double, day, indexed, moment, money, text


def _day(value: date | None) -> datetime | None:
    return None if value is None else datetime.combine(value, time(0), tzinfo=UTC)


class RedemptionCodec(DatetimeStamps):
    spec = CollectionSpec(
        name="redemptions",
        key=indexed("redemption_id", "text", "id"),
        fields=(
            indexed("client_id", "text"),
            indexed("investment_id", "text"),
            indexed("status", "text", reader=lambda d: RedemptionStatus.read(d.get("status")).value),
            indexed("requested_redemption_date", "datetime"),
            indexed("request_date", "datetime"),
        ),
        compound_indexes=((("investment_id", 1), ("status", 1)),),
    )

    def decode(self, doc: Doc) -> RedemptionRequest:
        key = text(doc, "id")
        if not key:
            raise ValueError("no id")
        amount = money(doc, "requested_amount")
        if amount is None:
            raise ValueError("no requested_amount")
        requested = day(doc, "requested_redemption_date")
        request_date = moment(doc, "request_date", "created_at")
        if request_date is None:
            raise ValueError("no request_date")
        return RedemptionRequest(
            redemption_id=key, client_id=text(doc, "client_id"), investment_id=text(doc, "investment_id"),
            fund_code=text(doc, "fund_code", "fund_type"), requested_amount=amount, request_date=request_date,
            requested_redemption_date=requested or request_date.date(),
            status=RedemptionStatus.read(doc.get("status")), fund_name=text(doc, "fund_name"),
            current_value=money(doc, "current_value"), principal_amount=money(doc, "principal_amount"),
            next_available_date=day(doc, "next_available_date"), reason=text(doc, "reason"),
            admin_notes=text(doc, "admin_notes"), approved_by=text(doc, "approved_by"),
            approved_date=moment(doc, "approved_date"), completed_date=moment(doc, "completed_date"))

    def encode(self, r: RedemptionRequest) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": r.redemption_id, "client_id": r.client_id, "investment_id": r.investment_id,
            "fund_code": r.fund_code, "fund_name": r.fund_name, "requested_amount": as_double(r.requested_amount),
            "current_value": as_double(r.current_value), "principal_amount": as_double(r.principal_amount),
            "request_date": r.request_date, "requested_redemption_date": _day(r.requested_redemption_date),
            "next_available_date": _day(r.next_available_date), "status": r.status.value, "reason": r.reason,
            "admin_notes": r.admin_notes, "approved_by": r.approved_by or None, "approved_date": r.approved_date,
            "completed_date": r.completed_date,
        }
        return doc

    def key_of(self, r: RedemptionRequest) -> str:
        return r.redemption_id
