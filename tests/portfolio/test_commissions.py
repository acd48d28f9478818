"""Referral commissions: 10 % of each client interest payment under both schedule readings, the
salesperson's due / paid / next, approve then pay (audited), and what the fund keeps."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

import fidus_desktop.services.commissions as service
from fidus_desktop.domain.commissions import referral_commissions
from fidus_desktop.domain.funds import DEFAULT_PRODUCTS, ScheduleReading
from fidus_desktop.domain.money_managers import MoneyManager
from fidus_desktop.domain.mt5_accounts import Mt5AccountLink
from fidus_desktop.domain.referrals import CommissionStatus, Salesperson
from fidus_desktop.domain.schedules import PaymentKind, payment_schedule
from fidus_desktop.errors import ValidationError
from fidus_desktop.mt5.managers import manager_results
from fidus_desktop.portfolio.calendar import select
from fidus_desktop.portfolio.figures import compute_dashboard
from fidus_desktop.portfolio.loader import book_from_records, load_book
from fidus_desktop.services.payment_calendar import CalendarFilter, PaymentState, mark_paid
from fidus_desktop.services.revenue import NO_HIGH_WATER_MARK, picture

from .conftest import client, investment

D = Decimal
SP = "sp_65f1a2b3c4d5e6f708192a00"
ROSA = Salesperson(salesperson_id=SP, name="Rosa Medina", email="rosa@example.com")
AS_OF = date(2026, 3, 1)


@pytest.mark.parametrize("reading, count, last", [
    (ScheduleReading.DOCUMENTED, 12, date(2026, 11, 25)),
    (ScheduleReading.CASH_FLOW_CODE, 13, date(2026, 12, 1)),  # the final payment's interest earns one too
])
def test_commissions_follow_the_clients_schedule_under_both_readings(reading, count, last):
    products = [dataclasses.replace(p, schedule_reading=reading) for p in DEFAULT_PRODUCTS]
    core = investment("inv-core", "CORE", "10000", salesperson_id=SP)
    plain = investment("inv-plain", "CORE", "10000")  # nobody referred it: no commission
    book = book_from_records(products, [core, plain], [client()], (), (), AS_OF, salespeople={SP: "Rosa Medina"})
    rows = select(book, CalendarFilter(kind=PaymentKind.COMMISSION, states=frozenset(PaymentState))).rows()
    expected = referral_commissions(payment_schedule(core, next(p for p in products if p.code == "CORE")), SP)
    assert [(r.due, r.amount, r.number) for r in rows] == [
        (c.client_payment_date, c.commission_amount, c.payment_number) for c in expected]
    assert len(rows) == count and rows[-1].due == last and {r.amount for r in rows} == {D("15.00")}
    assert {r.investment_id for r in rows} == {"inv-core"} and rows[0].label == "Commission #1 (Rosa Medina)"
    # as of 2026-03-01 three client payments have fallen due: 2025-12-30, 2026-01-29, 2026-02-28
    [summary] = service.salesperson_summaries(book, [ROSA])
    assert (summary.due.count, summary.due.amount, summary.paid.count) == (3, D("45.00"), 0)
    assert (summary.next_due, summary.next_amount) == (date(2026, 3, 30), D("15.00"))
    assert summary.upcoming.count == count - 3 and (summary.clients, summary.investments) == (1, 1)
    assert compute_dashboard(book).commissions_due.amount == D("45.00")
    # a client's statement never lists the salesperson's commission; the calendar's "all" does
    assert all(r.kind is not PaymentKind.COMMISSION for r in select(
        book, CalendarFilter(client_id="client_ana", states=frozenset(PaymentState), commissions=False)).rows())


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(service, "utc_now", lambda: datetime(2026, 3, 1, 15, tzinfo=UTC))


async def referred_fund(store):
    await store.clients.add(client())
    await store.salespeople.add(ROSA)
    await store.investments.add(investment("inv-core", "CORE", "10000", salesperson_id=SP))
    return await load_book(store, AS_OF)


async def test_approve_then_pay_each_audited_and_reflected(store, context, today):
    book = await referred_fund(store)
    due = service.commissions_of(book, SP, frozenset({PaymentState.OVERDUE})).rows()
    assert len(due) == 3
    with pytest.raises(ValidationError, match="not approved"):
        await service.pay_commissions(context, book, due, method="bank_transfer", reference="TRF-1",
                                      paid_on=AS_OF)
    future = service.commissions_of(book, SP, frozenset({PaymentState.DUE})).rows()[:1]
    with pytest.raises(ValidationError, match="not due until 2026-03-30"):
        await service.approve_commissions(context, book, future)
    with pytest.raises(ValidationError, match="client payments are marked paid"):
        await service.approve_commissions(context, book, select(book, CalendarFilter(commissions=False)).rows()[:1])

    assert (await service.approve_commissions(context, book, due[:2])).saved
    book = await load_book(store, AS_OF)
    assert [service.status_of(book, r).value for r in service.commissions_of(book, SP).rows()[:3]] == [
        "approved", "approved", "pending"]
    with pytest.raises(ValidationError) as missing:
        await service.pay_commissions(context, book, due[:2], method="bank_transfer", reference=" ", paid_on=AS_OF)
    assert set(missing.value.fields) == {"reference"}
    await service.pay_commissions(context, book, due[:2], method="bank_transfer", reference="TRF-0301",
                                  paid_on=date(2026, 2, 27), notes="February run")
    book = await load_book(store, AS_OF)
    [summary] = service.salesperson_summaries(book, [ROSA])
    assert (summary.paid.count, summary.paid.amount, summary.due.count, summary.due.amount) == (
        2, D("30.00"), 1, D("15.00"))
    rows = service.commissions_of(book, SP).rows()
    assert [(r.state.value, r.paid_on) for r in rows[:3]] == [
        ("paid", date(2026, 2, 27)), ("paid", date(2026, 2, 27)), ("overdue", None)]
    records = await store.commissions.find()
    assert {(r.payment_number, r.status, r.payment_method, r.payment_reference) for r in records} == {
        (1, CommissionStatus.PAID, "bank_transfer", "TRF-0301"), (2, CommissionStatus.PAID, "bank_transfer", "TRF-0301")}
    audits = [e.activity_type for e in await store.activity.find() if e.activity_type.startswith("commissions_")]
    assert sorted(audits) == ["commissions_approved", "commissions_paid"]  # one entry per action
    # writing the rest for the web platform: pending documents, once
    assert (await service.write_pending(context, book, SP)).saved
    assert await service.write_pending(context, await load_book(store, AS_OF), SP) is None
    assert len(await store.commissions.find()) == 12  # every commission of the documented schedule


async def test_commissions_are_not_marked_paid_in_the_calendar(store, context):
    book = await referred_fund(store)
    [commission] = select(book, CalendarFilter(kind=PaymentKind.COMMISSION, last=date(2025, 12, 31))).rows()
    with pytest.raises(ValidationError, match="salesperson's screen"):
        await mark_paid(context, [commission], paid_on=AS_OF)


def test_what_the_fund_keeps_takes_off_commissions_and_fees():
    core = investment("inv-core", "CORE", "10000", salesperson_id=SP)
    account = Mt5AccountLink(88001001, name="CORE", fund_type="CORE", manager_name="Atlas Capital",
                             equity=D("12500"), initial_allocation=D("10000"))
    book = book_from_records(DEFAULT_PRODUCTS, [core], [client()], [account], (), AS_OF)
    dash = compute_dashboard(book)
    atlas = MoneyManager("manager_atlas", name="Atlas Capital", performance_fee_rate=D("0.20"))
    revenue = picture(dash, manager_results([atlas], [account], [], now=datetime(2026, 3, 1, tzinfo=UTC)))
    # owed: 10,000 principal + 450 interest due unpaid + one day of the next (5); commissions 45;
    # fee 20 % of 2,500 TRUE P&L
    assert (revenue.equity, revenue.principal_owed, revenue.interest_accrued) == (D("12500"), D("10000"), D("455.00"))
    assert (revenue.commissions_due, revenue.performance_fees, revenue.management_fees) == (D("45.00"), D("500.00"), 0)
    assert revenue.kept == D("12500") - D("10000") - D("455.00") - D("45.00") - D("500.00") == D("1500.00")
    [fee] = revenue.managers
    assert (fee.name, fee.true_pnl, fee.fee_accrued, fee.accounts) == ("Atlas Capital", D("2500.00"), D("500.00"),
                                                                       (88001001,))
    assert revenue.note == NO_HIGH_WATER_MARK and "no high-water mark" in revenue.note
