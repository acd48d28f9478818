"""Creating, editing and changing the status of investments: rules, document shape and audit."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from fidus_desktop.domain.investments import InvestmentStatus
from fidus_desktop.domain.people import KycStatus
from fidus_desktop.errors import ConflictError, ValidationError
from fidus_desktop.services.investments import (InvestmentDraft, change_status, create_investment,
                                                update_investment)
from fidus_desktop.storage.query import Eq, Query

from .conftest import client


async def audit_of(store, investment_id):
    return await store.activity.find(Query(where=(Eq("investment_id", investment_id),)))


async def test_create_writes_the_current_shape_with_its_dates_and_an_audit_entry(store, context):
    await store.clients.add(client())
    draft = InvestmentDraft(client_id="client_ana", product="CORE", principal="25,000.00",
                            start_date=date(2025, 10, 1), salesperson_id="sp_1")
    created, changes = await create_investment(context, draft)
    assert created.principal == Decimal("25000") and created.client_name == "Ana Castro"
    doc = created.raw
    assert doc["fund_type"] == "CORE" and doc["product"] == "FIDUS_CORE"
    assert doc["principal_amount"] == doc["amount"] == 25000.0
    assert doc["interest_rate"] == 0.015 and doc["payment_frequency"] == "monthly"
    assert doc["incubation_end_date"] == datetime(2025, 11, 30, tzinfo=UTC)
    assert doc["first_payment_date"] == datetime(2025, 12, 30, tzinfo=UTC)
    assert doc["contract_end_date"] == datetime(2026, 12, 1, tzinfo=UTC)
    assert doc["contract_months"] == 14
    [entry] = await audit_of(store, created.investment_id)
    assert entry.activity_type == "deposit" and entry.amount == Decimal("25000") and entry.actor == "manager"
    assert changes.saved and changes.changes.investments == {created.investment_id}


@pytest.mark.parametrize(("product", "principal", "kyc", "client_id", "field", "words"), [
    ("CORE", "9999.99", KycStatus.APPROVED, "client_ana", "principal", "at least 10,000.00"),
    ("DYNAMIC", "300000", KycStatus.APPROVED, "client_ana", "product", "closed to new money"),
    ("CORE", "20000", KycStatus.PENDING, "client_ana", "client_id", "not cleared AML/KYC"),
    ("CORE", "20000", KycStatus.APPROVED, "client_nobody", "client_id", "No client"),
    ("GOLD", "20000", KycStatus.APPROVED, "client_ana", "product", "No product"),
    ("CORE", "abc", KycStatus.APPROVED, "client_ana", "principal", "Enter an amount"),
])
async def test_create_refuses_what_breaks_a_rule_and_stores_nothing(store, context, product, principal, kyc,
                                                                    client_id, field, words):
    await store.clients.add(client(kyc=kyc))
    draft = InvestmentDraft(client_id=client_id, product=product, principal=principal,
                            start_date=date(2025, 10, 1))
    with pytest.raises(ValidationError) as caught:
        await create_investment(context, draft)
    assert words in caught.value.fields[field]
    assert await store.investments.count() == 0 and await store.activity.count() == 0


async def test_a_closed_product_reopened_by_the_manager_accepts_money(store, context):
    await store.clients.add(client())
    dynamic = await store.products.get("DYNAMIC")
    await store.products.save(dynamic.evolve(open_to_new_money=True))
    draft = InvestmentDraft(client_id="client_ana", product="DYNAMIC", principal="250000",
                            start_date=date(2025, 10, 1))
    created, _ = await create_investment(context, draft)
    assert created.product == "DYNAMIC"


async def test_status_change_is_audited_and_refused_on_a_stale_copy(store, context):
    await store.clients.add(client())
    created, _ = await create_investment(context, InvestmentDraft(
        client_id="client_ana", product="CORE", principal="10000", start_date=date(2025, 10, 1)))
    saved, changes = await change_status(context, created, InvestmentStatus.PENDING_REDEMPTION, reason="client asked")
    assert (await store.investments.get(created.investment_id)).status == InvestmentStatus.PENDING_REDEMPTION
    entries = {e.activity_type: e for e in await audit_of(store, created.investment_id)}
    assert entries["investment_status_changed"].details.items() >= {
        "from": "active", "to": "pending_redemption", "reason": "client asked"}.items()
    with pytest.raises(ConflictError):
        await change_status(context, created, InvestmentStatus.CANCELLED)  # stale copy


async def test_edit_is_checked_and_audited_with_before_and_after(store, context):
    await store.clients.add(client())
    created, _ = await create_investment(context, InvestmentDraft(
        client_id="client_ana", product="CORE", principal="10000", start_date=date(2025, 10, 1)))
    with pytest.raises(ValidationError) as caught:
        await update_investment(context, created.evolve(principal=Decimal("5000")))
    assert "principal" in caught.value.fields
    saved, _ = await update_investment(context, created.evolve(principal=Decimal("12000")))
    assert saved.principal == Decimal("12000")
    entry = next(e for e in await audit_of(store, created.investment_id) if e.activity_type == "investment_updated")
    assert entry.details["changes"] == {"principal": {"from": "10000", "to": "12000"}}


async def test_moving_the_start_date_rewrites_the_stored_contract_dates(store, context):
    await store.clients.add(client())
    created, _ = await create_investment(context, InvestmentDraft(
        client_id="client_ana", product="CORE", principal="10000", start_date=date(2025, 10, 1)))
    moved = created.evolve(start_date=datetime(2025, 11, 1, tzinfo=UTC))
    saved, _ = await update_investment(context, moved)
    doc = (await store.investments.get(saved.investment_id)).raw
    # The web platform reads these stored dates; they must follow the new start (+60 / +90 / +426 days).
    assert doc["incubation_end_date"] == datetime(2025, 12, 31, tzinfo=UTC)
    assert doc["first_payment_date"] == datetime(2026, 1, 30, tzinfo=UTC)
    assert doc["contract_end_date"] == datetime(2027, 1, 1, tzinfo=UTC)
