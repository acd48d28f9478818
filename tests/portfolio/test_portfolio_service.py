"""AUM, payments due, fund revenue and "mark paid" through the store, on hand-computed cases and
on the demo fund."""

import csv
import io
import uuid
from datetime import date, datetime
from decimal import Decimal

from bson import Decimal128

from fidus_desktop.storage.query import Eq, Query

from fidus_desktop.demo.fund import build_demo_fund, load_demo_fund
from fidus_desktop.domain.investments import InvestmentStatus
from fidus_desktop.domain.obligations import amount_owed
from fidus_desktop.domain.schedules import payment_schedule
from fidus_desktop.portfolio.calendar import select
from fidus_desktop.portfolio.figures import compute_dashboard
from fidus_desktop.portfolio.loader import load_book
from fidus_desktop.services.payment_calendar import CalendarFilter, PaymentState, calendar_csv, mark_paid

from .conftest import client, investment
from .reference import paid_key


def calendar_rows(book, flt=CalendarFilter()):
    return select(book, flt).rows()


def aum_by_product(dash):
    return {p.code: p.aum for p in dash.products}

START = datetime(2025, 10, 1)  # naive, as the original's Motor client reads it back: UTC

ORIGINAL_SHAPES = [
    # B, referral seed: money as Decimal128
    {"investment_id": "INV-1a2b3c4d", "client_id": "client_ana", "fund_type": "BALANCE",
     "product": "FIDUS_BALANCE", "principal_amount": Decimal128("100000"), "amount": Decimal128("100000"),
     "status": "active", "start_date": START, "interest_rate": 0.025, "payment_frequency": "quarterly"},
    # C, minimal fix script: amount only, date-only string
    {"investment_id": "inv_ana_core_001", "client_id": "client_ana", "fund_type": "CORE", "amount": 10000.0,
     "initial_amount": 10000.0, "status": "active", "start_date": "2025-10-01", "interest_rate": 0.015,
     "payment_frequency": "monthly"},
    # A, current, with the rate in percent as the fund configuration writes it
    {"investment_id": "inv_0123456789abcdef", "client_id": "client_bruno", "fund_type": "DYNAMIC",
     "product": "FIDUS_DYNAMIC", "principal_amount": 250000.0, "amount": 250000.0, "status": "active",
     "start_date": START, "interest_rate": 3.5, "payment_frequency": "semi-annual"},
    # D, API create, not yet validated: not under management
    {"investment_id": str(uuid.UUID(int=1)), "client_id": "client_bruno", "fund_code": "UNLIMITED",
     "principal_amount": 250000.0, "deposit_date": START, "status": "pending_mt5_validation"},
    # A, finished contract
    {"investment_id": "inv_ana_core_000", "client_id": "client_ana", "fund_type": "CORE",
     "principal_amount": 50000.0, "status": "completed", "start_date": datetime(2024, 1, 1)},
]


async def test_aum_counts_only_active_investments_in_every_stored_shape(store):
    await store.clients.add_many([client(), client("client_bruno", "Bruno Rojas")])
    await store.investments.insert_documents(ORIGINAL_SHAPES)
    book = await load_book(store, date(2026, 1, 14))
    dash = compute_dashboard(book)
    assert aum_by_product(dash) == {"CORE": Decimal("10000"), "BALANCE": Decimal("100000"),
                                    "DYNAMIC": Decimal("250000"), "UNLIMITED": Decimal("0")}
    assert dash.aum == Decimal("360000") and dash.invested_clients == 2
    # the shapes' own rates: 150 / 7,500 / 52,500 per period
    amounts = {book.ids[s]: book.interest_of(s) for s in book.active_slots() if book.interest[s]}
    assert amounts == {"INV-1a2b3c4d": Decimal("7500.00"), "inv_ana_core_001": Decimal("150.00"),
                       "inv_0123456789abcdef": Decimal("52500.00")}
    assert dash.aum_history[-1][1] == aum_by_product(dash)


async def test_payments_due_in_30_and_90_days_and_the_12_month_cash_flow(store):
    await store.clients.add(client())
    await store.investments.add(investment("inv-core", "CORE", "10000"))
    dash = compute_dashboard(await load_book(store, date(2025, 12, 15)))
    assert (dash.due_30.count, dash.due_30.amount) == (1, Decimal("150.00"))  # 2025-12-30
    assert (dash.due_90.count, dash.due_90.amount) == (3, Decimal("450.00"))  # + 2026-01-29, 2026-02-28
    assert dash.overdue.count == 0
    assert [m.month for m in dash.cash_flow][:2] == ["2025-12", "2026-01"] and len(dash.cash_flow) == 12
    assert sum(m.interest for m in dash.cash_flow) == Decimal("1800.00")
    assert sum(m.principal for m in dash.cash_flow) == 0  # principal on 2026-12-01, month 13


async def test_mark_paid_is_recorded_once_audited_and_stops_the_debt(store, context):
    await store.clients.add(client())
    await store.investments.add(investment("inv-core", "CORE", "10000"))
    as_of = date(2026, 1, 14)
    book = await load_book(store, as_of)
    core = compute_dashboard(book).product("CORE")
    assert core.owed == Decimal("10225.00")  # principal + 150 overdue + half of the next 150
    [overdue] = calendar_rows(book, CalendarFilter(states=frozenset({PaymentState.OVERDUE})))
    assert (overdue.due, overdue.amount) == (date(2025, 12, 30), Decimal("150.00"))

    result = await mark_paid(context, [overdue], paid_on=date(2025, 12, 31), reference="wire 42")
    assert len(result.recorded) == 1 and result.write.saved
    again = await mark_paid(context, [overdue], paid_on=date(2025, 12, 31))
    assert again.recorded == () and again.already_paid == result.recorded and again.write is None

    book = await load_book(store, as_of)
    dash = compute_dashboard(book)
    assert dash.product("CORE").owed == Decimal("10075.00") and dash.overdue.count == 0
    [paid_row] = calendar_rows(book, CalendarFilter(states=frozenset({PaymentState.PAID})))
    assert paid_row.paid_on == date(2025, 12, 31)
    [entry] = await store.activity.find(Query(where=(Eq("activity_type", "interest_paid"),)))
    assert entry.amount == Decimal("150") and entry.actor == "manager"
    assert entry.details["due_date"] == "2025-12-30" and entry.details["reference"] == "wire 42"
    [audit] = await store.activity.find(Query(where=(Eq("activity_type", "payments_recorded"),)))
    assert audit.details["payments"] == list(result.recorded) and audit.actor == "manager"


async def test_calendar_filters_and_exports_csv(store):
    await store.clients.add_many([client(), client("client_bruno", "Bruno Rojas")])
    await store.investments.add_many([investment("inv-core", "CORE", "10000"),
                                      investment("inv-bal", "BALANCE", "100000", client_id="client_bruno")])
    data = await load_book(store, date(2025, 10, 1))
    balance = calendar_rows(data, CalendarFilter(product="BALANCE"))
    assert [(r.due.isoformat(), r.amount) for r in balance] == [
        ("2026-02-28", Decimal("7500.00")), ("2026-05-29", Decimal("7500.00")), ("2026-08-27", Decimal("7500.00")),
        ("2026-11-25", Decimal("7500.00")), ("2026-12-01", Decimal("100000"))]
    window = calendar_rows(data, CalendarFilter(first=date(2026, 1, 1), last=date(2026, 2, 28)))
    assert [(r.due.isoformat(), r.client_name, r.amount) for r in window] == [
        ("2026-01-29", "Ana Castro", Decimal("150.00")), ("2026-02-28", "Ana Castro", Decimal("150.00")),
        ("2026-02-28", "Bruno Rojas", Decimal("7500.00"))]
    assert len(calendar_rows(data, CalendarFilter(text="bruno"))) == 5
    parsed = list(csv.DictReader(io.StringIO(calendar_csv(window))))
    assert parsed[2]["amount"] == "7500.00" and parsed[2]["due_date"] == "2026-02-28"
    assert parsed[2]["client_name"] == "Bruno Rojas" and parsed[2]["kind"] == "interest"


AS_OF = date(2026, 3, 1)


async def test_aum_and_fund_revenue_on_the_demo_fund(store):
    await load_demo_fund(store, seed=7, as_of=AS_OF)
    dash = compute_dashboard(await load_book(store, AS_OF))
    fund = build_demo_fund(7, AS_OF)
    active = [i for i in fund["investments"] if i.status == InvestmentStatus.ACTIVE]
    assert len(active) < len(fund["investments"]), "the demo has finished contracts, which must not count"
    assert dash.aum == sum(i.principal for i in active)
    accounts = await store.mt5_accounts.find()
    products = {p.code: p for p in await store.products.find()}
    for code in ("CORE", "BALANCE", "DYNAMIC", "UNLIMITED"):
        summary = dash.product(code)
        equity = sum(a.equity for a in accounts
                     if a.fund_type == code and a.status == "active" and a.account_type != "live_demo")
        # The demo fund has paid every payment due before AS_OF (recorded in its activity log).
        paid = {paid_key(e) for e in fund["activity"]} - {None}
        owed = sum(amount_owed(payment_schedule(i, products[code]), AS_OF, paid)
                   for i in active if i.product == code)
        assert summary.equity == equity and summary.owed == owed
        assert summary.revenue == equity - owed
    sandbox = next(a for a in accounts if a.account_type == "live_demo")
    assert sandbox.fund_type == "CORE" and dash.product("CORE").equity < sum(
        a.equity for a in accounts if a.fund_type == "CORE")
    assert dash.product("SEPARATION") is None


async def test_history_of_payments_made_outside_the_app_can_be_recorded_at_once(store):
    from fidus_desktop.services.payment_calendar import history_paid_entries

    await store.clients.add(client())
    await store.investments.add(investment("inv-core", "CORE", "10000"))
    book = await load_book(store, date(2026, 3, 15))
    entries = history_paid_entries(book, date(2026, 3, 1), actor="import")
    assert [e.details["due_date"] for e in entries] == ["2025-12-30", "2026-01-29", "2026-02-28"]
    assert all(e.details["paid_on"] == e.details["due_date"] for e in entries)
    await store.activity.add_many(entries)
    dash = compute_dashboard(await load_book(store, date(2026, 3, 15)))
    assert dash.overdue.count == 0
    assert dash.product("CORE").owed == Decimal("10075.00")  # principal + half of the 2026-03-30 payment
