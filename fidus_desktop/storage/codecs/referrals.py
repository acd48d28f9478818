"""``salespeople`` (reference §2) and ``referral_commissions`` (§6).

Both belong to the original's referral module, which addresses documents by ``_id`` (an
ObjectId) and stores references as ObjectIds. Commissions are written in its route shape
(``backend/routes/referrals.py``); the script shape (``commission_id``, ``fund_type``,
``payment_date``, Decimal128 amounts, ``sp_...`` strings) is read too.

A commission document we write gets an ``_id`` derived from its investment and payment number
(the client payment date's seconds, then a hash), so recording it twice, from two windows or by
replaying the outbox, addresses the same document.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time
from typing import Any

from bson import ObjectId

from ...domain.referrals import (
    CommissionRecord,
    CommissionStatus,
    Salesperson,
    object_id_hex,
    salesperson_key,
)
from ..spec import CollectionSpec
from .fields import (
    DatetimeStamps,
    Doc,
    as_double,
    day,
    first,
    flag,
    indexed,
    moment,
    money,
    text,
)

_SALESPERSON_NAMES = ("salesperson_id", "referral_salesperson_id", "referred_by")


def salesperson_forms(key: Any) -> tuple[Any, ...]:
    """The stored forms of a salesperson key: ``sp_<hex>``, the hex (and so its ObjectId)."""
    text_key = str(key or "")
    hexpart = object_id_hex(text_key)
    return (text_key, hexpart) if hexpart else (text_key,)


def _reference(value: str) -> Any:
    """An id as the referral module stores it: an ObjectId when it is one, else the string."""
    hexpart = object_id_hex(value) if value.startswith("sp_") else (value if ObjectId.is_valid(value) and
                                                                    len(value) == 24 else None)
    return ObjectId(hexpart) if hexpart else value


def _midnight(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(0), tzinfo=UTC)


def commission_object_id(investment_id: str, payment_number: int, due: date) -> ObjectId:
    """The ``_id`` of the commission document of one investment's payment (same inputs, same id)."""
    seconds = int(datetime.combine(due, time(0), tzinfo=UTC).timestamp())
    stamp = max(0, min(seconds, 2**32 - 1)).to_bytes(4, "big")
    digest = hashlib.sha256(f"{investment_id}\x00{payment_number}".encode()).digest()[:8]
    return ObjectId(stamp + digest)


class SalespersonCodec(DatetimeStamps):
    spec = CollectionSpec(
        name="salespeople",
        key=indexed("salesperson_id", "text", "salesperson_id", "_id",
                    reader=lambda d: salesperson_key(first(d, "salesperson_id", "_id")) or None,
                    raw_values=salesperson_forms),
        fields=(indexed("name", "text"), indexed("email", "text"), indexed("referral_code", "text")),
    )

    def decode(self, doc: Doc) -> Salesperson:
        key = salesperson_key(first(doc, "salesperson_id", "_id"))
        if not key:
            raise ValueError("no _id or salesperson_id")
        active = flag(doc, "active") if "active" in doc else text(doc, "status").lower() != "inactive"
        return Salesperson(
            salesperson_id=key, name=text(doc, "name"), email=text(doc, "email"), phone=text(doc, "phone"),
            referral_code=text(doc, "referral_code"), active=active,
            preferred_payment_method=text(doc, "preferred_payment_method"),
            commission_rate=money(doc, "commission_rate"), joined_date=moment(doc, "joined_date", "created_at"),
            notes=text(doc, "notes"))

    def encode(self, s: Salesperson) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "salesperson_id": s.salesperson_id, "name": s.name, "email": s.email, "phone": s.phone,
            "referral_code": s.referral_code, "active": s.active, "status": "active" if s.active else "inactive",
            "preferred_payment_method": s.preferred_payment_method, "notes": s.notes,
        }
        hexpart = object_id_hex(s.salesperson_id)
        if hexpart:
            doc["_id"] = ObjectId(hexpart)
        if s.commission_rate is not None:
            doc["commission_rate"] = as_double(s.commission_rate)
        if s.joined_date is not None:
            doc["joined_date"] = s.joined_date
        return doc

    def key_of(self, s: Salesperson) -> str:
        return s.salesperson_id


def _status(doc: Doc) -> str:
    return CommissionStatus.read(doc.get("status")).value


class CommissionCodec(DatetimeStamps):
    spec = CollectionSpec(
        name="referral_commissions",
        key=indexed("commission_key", "text", "_id",
                    reader=lambda d: str(d["_id"]) if d.get("_id") is not None else None),
        fields=(
            indexed("salesperson_id", "text", "salesperson_id", reader=lambda d: salesperson_key(
                d.get("salesperson_id")) or None, raw_values=salesperson_forms),
            indexed("investment_id", "text", reader=lambda d: text(d, "investment_id") or None),
            indexed("client_id", "text", reader=lambda d: text(d, "client_id") or None),
            indexed("status", "text", reader=_status),
            indexed("payment_number", "int"),
            indexed("commission_due_date", "datetime", "commission_due_date", "client_payment_date", "payment_date"),
            indexed("paid_date", "datetime"),
        ),
        compound_indexes=((("salesperson_id", 1), ("status", 1)), (("status", 1), ("commission_due_date", 1))),
    )

    def decode(self, doc: Doc) -> CommissionRecord:
        if doc.get("_id") is None:
            raise ValueError("no _id")
        number = first(doc, "payment_number")
        paid_for = day(doc, "client_payment_date", "payment_date", "commission_due_date")
        amount = money(doc, "commission_amount")
        if number is None or paid_for is None or amount is None:
            raise ValueError("no payment_number, client_payment_date or commission_amount")
        return CommissionRecord(
            commission_key=str(doc["_id"]), salesperson_id=salesperson_key(doc.get("salesperson_id")),
            investment_id=text(doc, "investment_id"), payment_number=int(number), client_payment_date=paid_for,
            commission_amount=amount, client_interest_amount=money(doc, "client_interest_amount") or amount * 10,
            status=CommissionStatus.read(doc.get("status")), salesperson_name=text(doc, "salesperson_name"),
            client_id=text(doc, "client_id"), client_name=text(doc, "client_name"),
            product_type=text(doc, "product_type", "fund_type"), commission_rate=money(doc, "commission_rate"),
            commission_due_date=day(doc, "commission_due_date"),
            approved_date=moment(doc, "approved_date"), paid_date=moment(doc, "paid_date"),
            payment_method=text(doc, "payment_method"), payment_reference=text(doc, "payment_reference"),
            payment_hash=text(doc, "payment_hash"), notes=text(doc, "notes"), created_at=moment(doc, "created_at"))

    def encode(self, c: CommissionRecord) -> dict[str, Any]:
        product = c.product_type if c.product_type.startswith("FIDUS_") else f"FIDUS_{c.product_type}"
        due = c.commission_due_date or c.client_payment_date
        doc: dict[str, Any] = {
            "_id": ObjectId(c.commission_key) if ObjectId.is_valid(c.commission_key) else c.commission_key,
            "salesperson_id": _reference(c.salesperson_id),
            "salesperson_name": c.salesperson_name, "client_id": _reference(c.client_id),
            "client_name": c.client_name, "investment_id": _reference(c.investment_id), "product_type": product,
            "commission_rate": as_double(c.commission_rate), "client_interest_amount": as_double(c.client_interest_amount),
            "commission_amount": as_double(c.commission_amount), "payment_number": c.payment_number,
            "client_payment_date": _midnight(c.client_payment_date), "commission_due_date": _midnight(due),
            "status": c.status.value, "included_in_cash_flow": True, "cash_flow_month": due.strftime("%Y-%m"),
        }
        for name in ("approved_date", "paid_date"):
            if getattr(c, name) is not None:
                doc[name] = getattr(c, name)
        for name in ("payment_method", "payment_reference", "payment_hash", "notes"):
            if getattr(c, name):
                doc[name] = getattr(c, name)
        return doc

    def key_of(self, c: CommissionRecord) -> str:
        return c.commission_key
