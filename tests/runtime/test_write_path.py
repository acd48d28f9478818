"""The one write path: every operation writes its change and exactly one audit entry as one unit,
publishes exactly one ``Changes``, and nothing is lost (or applied twice) when the database goes
away mid-edit."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from fidus_desktop.domain.funds import ScheduleReading
from fidus_desktop.domain.investments import InvestmentStatus
from fidus_desktop.errors import ConflictError
from fidus_desktop.events import EventType
from fidus_desktop.portfolio.calendar import select
from fidus_desktop.portfolio.loader import load_book
from fidus_desktop.runtime.outbox import OutboxService
from fidus_desktop.services import investments, payment_calendar, products
from fidus_desktop.services.payment_calendar import CalendarFilter, PaymentState
from fidus_desktop.storage.query import Query
from fidus_desktop.storage.sqlite import connection

from tests.portfolio.conftest import client, investment


async def seed(store) -> None:
    await store.clients.add(client())
    await store.investments.add(investment("inv-core", "CORE", "10000", start="2025-10-01"))


async def create(context) -> Any:
    return (await investments.create_investment(context, investments.InvestmentDraft(
        client_id="client_ana", product="CORE", principal="20000", start_date=date(2025, 11, 1))))[1]


async def edit(context) -> Any:
    inv = await context.store.investments.get("inv-core")
    return (await investments.update_investment(context, inv.evolve(principal=Decimal("15000"))))[1]


async def status(context) -> Any:
    inv = await context.store.investments.get("inv-core")
    return (await investments.change_status(context, inv, InvestmentStatus.PENDING_REDEMPTION, reason="asked"))[1]


async def product(context) -> Any:
    core = await context.store.products.get("CORE")
    return (await products.update_product(context, core.evolve(schedule_reading=ScheduleReading.CASH_FLOW_CODE)))[1]


async def paid(context) -> Any:
    book = await load_book(context.store, date(2026, 3, 1))
    due = select(book, CalendarFilter(states=frozenset({PaymentState.OVERDUE}))).rows()[:2]
    return (await payment_calendar.mark_paid(context, due, paid_on=date(2026, 2, 28))).write


OPERATIONS: dict[str, tuple[Callable[[Any], Awaitable[Any]], str]] = {
    "create investment": (create, "investments"),
    "edit investment": (edit, "investments"),
    "change status": (status, "investments"),
    "edit product": (product, "products"),
    "mark paid": (paid, "activity"),
}


@pytest.mark.parametrize("name", OPERATIONS)
async def test_every_write_makes_one_audit_entry_and_one_changes_event(store, context, name):
    run, aggregate = OPERATIONS[name]
    await seed(store)
    published = []
    context.events.subscribe(EventType.DATA_CHANGED, published.append)
    audits_before = await store.activity.count()
    result = await run(context)
    assert result.saved
    audits = [e for e in await store.activity.find() if e.log_id.startswith("op:")]
    assert [a.log_id for a in audits] == [result.operation.audit_id]
    assert audits[0].actor == "manager" and audits[0].timestamp == result.operation.created_at
    assert len(published) == 1 and getattr(published[0], aggregate) and published[0].origin == "local"
    assert result.operation.audit_id in published[0].activity
    # the paid records are data: mark-paid writes them beside its one audit entry
    written = await store.activity.count() - audits_before
    assert written == 1 + (2 if name == "mark paid" else 0)


async def test_a_failing_write_leaves_neither_change_nor_audit(store, context):
    await seed(store)
    mine = await store.investments.get("inv-core")
    theirs = await store.investments.get("inv-core")
    await investments.update_investment(context, theirs.evolve(principal=Decimal("12000")))
    count = await store.activity.count()
    with pytest.raises(ConflictError) as caught:
        await investments.update_investment(context, mine.evolve(principal=Decimal("13000")))
    assert "principal_amount" in caught.value.fields  # which field, theirs and mine
    assert await store.activity.count() == count
    assert (await store.investments.get("inv-core")).principal == Decimal("12000")


@pytest.fixture
def short_busy_timeout(monkeypatch):
    # A locked file fails after the busy timeout (5 s in the app); a tenth of a second here.
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_MS", 100)


async def test_a_locked_database_queues_the_edit_then_replays_it_once(tmp_path, short_busy_timeout):
    from fidus_desktop.app_context import AppContext
    from fidus_desktop.paths import AppPaths
    from fidus_desktop.runtime.writer import WritePath
    from fidus_desktop.storage.cache import LocalCache
    from fidus_desktop.storage.sqlite import SqliteBackend
    from fidus_desktop.storage.store import FundStore

    path = tmp_path / "fund.sqlite3"
    context = AppContext.create(AppPaths.under(tmp_path / "home"))
    context.store = await FundStore.open(SqliteBackend(path))
    context.cache = LocalCache(tmp_path / "cache.sqlite3")
    await context.cache.open()
    context.writer = WritePath(context, actor=lambda: "manager")
    outbox = context.services.add(OutboxService(context, context.writer, base_delay=timedelta(milliseconds=50)))
    await context.services.start()
    try:
        await seed(context.store)
        published = []
        context.events.subscribe(EventType.DATA_CHANGED, published.append)
        other = sqlite3.connect(path)  # another program holds the file's write lock
        other.execute("BEGIN EXCLUSIVE")
        result = await edit(context)
        assert result.queued and "busy" in result.reason
        assert published[-1].pending and published[-1].investments == {"inv-core"}
        assert [op.op_id for op in context.writer.pending()] == [result.operation.op_id]
        for _ in range(100):  # the status bar is told at once
            if outbox.state.waiting:
                break
            await asyncio.sleep(0.01)
        assert outbox.state.waiting == 1
        other.rollback()
        other.close()
        for _ in range(200):
            if await outbox.run_once() or not context.writer.pending():
                break
        assert not context.writer.pending() and outbox.state.total == 0
        assert (await context.store.investments.get("inv-core")).principal == Decimal("15000")
        assert published[-1].origin == "replay"
        audits = [e for e in await context.store.activity.find(Query()) if e.log_id == result.operation.audit_id]
        assert len(audits) == 1
        # Replaying the same operation again (a crash before its ack) changes nothing.
        assert await context.writer.apply(context.store, result.operation) is False
        assert len([e for e in await context.store.activity.find() if e.log_id.startswith("op:")]) == 1
    finally:
        await context.close()
