"""What the app writes for redemptions and referral commissions on MongoDB, read back by a plain
client as the web platform reads it, field by field against the original's shapes (reference
§5.2 and §6); and the original's own commission documents are read and updated, not duplicated."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from bson import ObjectId

import fidus_desktop.services.commissions as commissions
import fidus_desktop.services.redemptions as redemptions
from fidus_desktop.portfolio.loader import load_book
from fidus_desktop.services.payment_calendar import PaymentState

from .conftest import client

pytestmark = pytest.mark.mongo
SALESPERSON = ObjectId("65f1a2b3c4d5e6f708192a00")
AS_OF = date(2026, 3, 1)

#: The route shape of ``backend/routes/referrals.py`` (reference §6): field -> type(s) it holds.
COMMISSION_SHAPE = {
    "_id": ObjectId, "salesperson_id": ObjectId, "salesperson_name": str, "client_id": str, "client_name": str,
    "investment_id": str, "product_type": str, "commission_rate": float, "client_interest_amount": float,
    "commission_amount": float, "payment_number": int, "client_payment_date": datetime,
    "commission_due_date": datetime, "status": str, "included_in_cash_flow": bool, "cash_flow_month": str,
    "created_at": datetime, "updated_at": datetime}
PAID_FIELDS = {"approved_date": datetime, "paid_date": datetime, "payment_method": str, "payment_reference": str,
               "notes": str}
#: The request fields of reference §5.2 (the original kept them in memory): field -> type(s).
REDEMPTION_SHAPE = {
    "id": str, "client_id": str, "investment_id": str, "fund_code": str, "fund_name": str,
    "requested_amount": float, "current_value": float, "principal_amount": float, "request_date": datetime,
    "requested_redemption_date": datetime, "next_available_date": datetime, "status": str, "reason": str,
    "admin_notes": str, "approved_by": str, "approved_date": datetime, "completed_date": datetime}


@pytest.fixture
def day(monkeypatch):
    for module in (commissions, redemptions):
        monkeypatch.setattr(module, "utc_now", lambda: datetime(2026, 3, 1, 15, tzinfo=UTC))


async def seed(web_db, store):
    await store.clients.add(client())
    # as the web platform wrote them: the salesperson by _id, the investment in shape A with the sp_ key,
    # and the referral route's own document for payment 2 (a random _id, ObjectId references)
    await web_db.salespeople.insert_one({"_id": SALESPERSON, "name": "Rosa Medina", "email": "rosa@example.com",
                                         "referral_code": "RM-2024", "active": True, "commissions_pending": 0.0})
    await web_db.investments.insert_one({
        "investment_id": "inv_core_rosa", "client_id": "client_ana", "client_name": "Ana Castro",
        "fund_type": "CORE", "product": "FIDUS_CORE", "principal_amount": 10000.0, "amount": 10000.0,
        "interest_rate": 0.015, "payment_frequency": "monthly", "status": "active",
        "start_date": datetime(2025, 10, 1), "salesperson_id": f"sp_{SALESPERSON}", "referred_by_name": "Rosa Medina"})
    await web_db.referral_commissions.insert_one({
        "salesperson_id": SALESPERSON, "salesperson_name": "Rosa Medina", "client_id": "client_ana",
        "client_name": "Ana Castro", "investment_id": "inv_core_rosa", "product_type": "FIDUS_CORE",
        "commission_rate": 0.1, "client_interest_amount": 150.0, "commission_amount": 15.0, "payment_number": 2,
        "client_payment_date": datetime(2026, 1, 29), "commission_due_date": datetime(2026, 1, 29),
        "status": "pending", "included_in_cash_flow": True, "cash_flow_month": "2026-01",
        "created_at": datetime(2025, 10, 1), "updated_at": datetime(2025, 10, 1)})


def assert_shape(doc, shape):
    for name, kind in shape.items():
        assert name in doc, name
        assert isinstance(doc[name], kind) and not (kind is int and isinstance(doc[name], bool)), (name, doc[name])


async def test_commission_documents_have_the_route_shape(mongo_context, web_db, day):
    store = mongo_context.store
    await seed(web_db, store)
    book = await load_book(store, AS_OF)
    assert book.salesperson_name(f"sp_{SALESPERSON}") == "Rosa Medina"
    due = commissions.commissions_of(book, f"sp_{SALESPERSON}", frozenset({PaymentState.OVERDUE})).rows()
    assert [r.number for r in due] == [1, 2, 3]
    await commissions.approve_commissions(mongo_context, book, due)
    book = await load_book(store, AS_OF)
    await commissions.pay_commissions(mongo_context, book, due, method="crypto_wallet", reference="0xabc123",
                                      paid_on=AS_OF, notes="March run")
    docs = await web_db.referral_commissions.find().sort("payment_number", 1).to_list()
    assert [d["payment_number"] for d in docs] == [1, 2, 3]  # the original's own payment-2 document, updated
    for doc in docs:
        assert_shape(doc, COMMISSION_SHAPE | PAID_FIELDS)
        assert doc["salesperson_id"] == SALESPERSON and doc["product_type"] == "FIDUS_CORE"
        assert (doc["commission_amount"], doc["client_interest_amount"], doc["commission_rate"]) == (15.0, 150.0, 0.1)
        assert (doc["status"], doc["payment_method"], doc["payment_reference"]) == ("paid", "crypto_wallet", "0xabc123")
        assert doc["commission_due_date"] == doc["client_payment_date"]
        assert doc["cash_flow_month"] == doc["client_payment_date"].strftime("%Y-%m")
    assert [d["client_payment_date"] for d in docs] == [datetime(2025, 12, 30), datetime(2026, 1, 29),
                                                         datetime(2026, 2, 28)]
    assert docs[1]["created_at"] == datetime(2025, 10, 1)  # theirs, only the changed fields were set


async def test_redemption_documents_have_the_request_fields(mongo_context, web_db, day):
    store = mongo_context.store
    await seed(web_db, store)
    request, _ = await redemptions.request_redemption(mongo_context, "inv_core_rosa", Decimal("450"), AS_OF,
                                                      reason="house deposit")
    stored = await redemptions.get_redemption(mongo_context, request.redemption_id)
    await redemptions.approve_redemption(mongo_context, stored)
    await redemptions.complete_redemption(mongo_context, await redemptions.get_redemption(
        mongo_context, request.redemption_id), AS_OF)
    [doc] = await web_db.redemptions.find().to_list()
    assert_shape(doc, REDEMPTION_SHAPE)
    assert (doc["id"], doc["status"], doc["fund_code"], doc["fund_name"]) == (
        request.redemption_id, "completed", "CORE", "FIDUS Core Fund")
    assert (doc["requested_amount"], doc["current_value"], doc["principal_amount"]) == (450.0, 10455.0, 10000.0)
    assert doc["requested_redemption_date"] == doc["next_available_date"] == datetime(2026, 3, 1)
    assert doc["approved_by"] == "manager" and doc["reason"] == "house deposit"
    # the three due payments, recorded as paid the way "mark paid" records them
    paid = await web_db.activity_logs.find({"activity_type": "interest_paid"}).to_list()
    assert sorted(p["details"]["due_date"] for p in paid) == ["2025-12-30", "2026-01-29", "2026-02-28"]
    assert {p["details"]["redemption_id"] for p in paid} == {request.redemption_id}
