"""Products are data the manager edits: checked, audited, and read by the schedule rules."""

from datetime import date
from decimal import Decimal

import pytest

from fidus_desktop.domain.funds import ScheduleReading
from fidus_desktop.errors import ValidationError
from fidus_desktop.portfolio.calendar import select
from fidus_desktop.portfolio.loader import load_book
from fidus_desktop.services.payment_calendar import CalendarFilter, PaymentState
from fidus_desktop.services.products import update_product
from fidus_desktop.storage.query import Eq, Query

from .conftest import client, investment


async def test_products_are_seeded_with_the_originals_values(store, context):
    products = {p.code: p for p in await store.products.find()}
    assert set(products) == {"CORE", "BALANCE", "DYNAMIC", "UNLIMITED"}
    assert products["BALANCE"].monthly_rate == Decimal("0.025") and products["BALANCE"].minimum == 50000
    assert not products["DYNAMIC"].open_to_new_money
    assert all(p.schedule_reading is ScheduleReading.DOCUMENTED for p in products.values())


async def test_switching_the_reading_is_audited_and_changes_the_schedules(store, context):
    await store.clients.add(client())
    await store.investments.add(investment("inv-core", "CORE", "10000"))
    every = CalendarFilter(states=frozenset(PaymentState))
    before = await load_book(store, date(2025, 10, 1))
    assert len(select(before, every)) == 13  # 12 interest + principal

    core = await store.products.get("CORE")
    saved, changes = await update_product(context, core.evolve(schedule_reading=ScheduleReading.CASH_FLOW_CODE))
    assert saved.schedule_reading is ScheduleReading.CASH_FLOW_CODE and changes.changes.products == {"CORE"}
    after = await load_book(store, date(2025, 10, 1))
    assert len(select(after, every)) == 14
    [entry] = await store.activity.find(Query(where=(Eq("activity_type", "product_updated"),)))
    assert entry.details["changes"] == {"schedule_reading": {"from": "D", "to": "C"}}
    assert entry.actor == "manager" and entry.fund_code == "CORE"


@pytest.mark.parametrize(("changes", "field"), [
    ({"regular_payments": 13}, "regular_payments"),  # day 450 falls after the contract end (426)
    ({"monthly_rate": Decimal("1.5")}, "monthly_rate"),  # a percentage typed as a fraction
    ({"minimum": Decimal("-1")}, "minimum"),
    ({"first_payment_days": 30}, "first_payment_days"),  # inside the incubation
])
async def test_terms_that_would_break_schedules_are_refused(store, context, changes, field):
    core = await store.products.get("CORE")
    with pytest.raises(ValidationError) as caught:
        await update_product(context, core.evolve(**changes))
    assert field in caught.value.fields
    assert (await store.products.get("CORE")) == core
