"""Reconciling the past on the web platform's own document shapes: overdue goes to zero up to the
chosen day and not after it, one paid record per payment plus the operation's audit entry, and a
second run records nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from fidus_desktop.portfolio.figures import compute_dashboard
from fidus_desktop.portfolio.loader import load_book
from fidus_desktop.services.payment_calendar import CalendarFilter, PaymentState
from fidus_desktop.services.reconcile import ReconcileScope, preview_reconciliation, reconcile
from fidus_desktop.storage.query import Eq, In, Query
from fidus_desktop.errors import ValidationError

from .conftest import client
from .test_portfolio_service import ORIGINAL_SHAPES

AS_OF = date(2026, 6, 15)
UNTIL = date(2026, 4, 1)


async def original_fund(context):
    store = context.store
    await store.clients.add_many([client(), client("client_bruno", "Bruno Rojas")])
    await store.investments.insert_documents(ORIGINAL_SHAPES)
    return await load_book(store, AS_OF)


async def paid_records(store):
    return await store.activity.find(Query(where=(In("activity_type", ("interest_paid", "principal_paid")),)))


async def check_reconciliation(context, monkeypatch):
    from fidus_desktop.portfolio.calendar import select
    import fidus_desktop.services.reconcile as module

    monkeypatch.setattr(module, "utc_now", lambda: datetime(2026, 6, 15, 12, tzinfo=UTC))
    store = context.store
    book = await original_fund(context)
    before = compute_dashboard(book)
    # Nothing was ever recorded: every past payment reads as overdue, and as never recorded.
    assert (before.overdue.count, before.overdue.amount) == (9, Decimal("68400.00")) and before.unrecorded_overdue == before.overdue
    overdue = select(book, CalendarFilter(states=frozenset({PaymentState.OVERDUE}))).rows()
    expected = [r for r in overdue if r.due < UNTIL]
    later = [r for r in overdue if r.due >= UNTIL]
    assert expected and later

    preview = preview_reconciliation(book, ReconcileScope(UNTIL))
    assert [(r.investment_id, r.due) for r in preview.rows] == [(r.investment_id, r.due) for r in expected]
    assert preview.total == sum(r.amount for r in expected)
    assert preview.by_product == {"CORE": (4, Decimal("600.00")), "BALANCE": (1, Decimal("7500.00"))}
    result = await reconcile(context, preview)
    assert result.recorded == len(expected) and result.write.saved

    book = await load_book(store, AS_OF)
    after = compute_dashboard(book)
    # Overdue before the chosen day: none. From it on: exactly what was overdue before.
    still = select(book, CalendarFilter(states=frozenset({PaymentState.OVERDUE}))).rows()
    assert [(r.investment_id, r.due) for r in still] == [(r.investment_id, r.due) for r in later]
    assert after.overdue.count == len(later) and after.overdue.amount == sum(r.amount for r in later)
    assert after.unrecorded_overdue.count == 1  # DYNAMIC's first half-year, nothing of it recorded yet
    # One paid record per payment, each paid on its due date, and one audit entry for the operation.
    records = await paid_records(store)
    assert sorted((e.investment_id, e.details["due_date"]) for e in records) == sorted(
        (r.investment_id, r.due.isoformat()) for r in expected)
    assert all(e.details["paid_on"] == e.details["due_date"] and e.actor == "manager" for e in records)
    [audit] = await store.activity.find(Query(where=(Eq("activity_type", "payments_reconciled"),)))
    assert audit.details["payments"] == len(expected) and audit.details["until"] == UNTIL.isoformat()
    assert all(e.details["operation"] == audit.details["op_id"] for e in records)

    # Idempotent: the same reconciliation again finds nothing to record and writes nothing.
    again = await reconcile(context, preview)
    assert (again.recorded, again.already_paid, again.write) == (0, len(expected), None)
    assert preview_reconciliation(book, ReconcileScope(UNTIL)).count == 0
    assert len(await paid_records(store)) == len(expected)
    assert len(await store.activity.find(Query(where=(Eq("activity_type", "payments_reconciled"),)))) == 1


async def test_reconciliation_on_the_originals_shapes(context, monkeypatch):
    await check_reconciliation(context, monkeypatch)


@pytest.mark.mongo
async def test_reconciliation_on_mongodb(mongo_context, monkeypatch):
    await check_reconciliation(mongo_context, monkeypatch)


async def test_reconciliation_per_product_and_client_and_never_ahead(context):
    book = await original_fund(context)
    core = preview_reconciliation(book, ReconcileScope(AS_OF, product="CORE"))
    assert {r.product for r in core.rows} == {"CORE"} and core.count == 6  # 2025-12-30 .. 2026-05-29
    bruno = preview_reconciliation(book, ReconcileScope(AS_OF, client_id="client_bruno"))
    assert {r.client_id for r in bruno.rows} == {"client_bruno"}
    with pytest.raises(ValidationError):
        preview_reconciliation(book, ReconcileScope(date(2026, 6, 16)))
