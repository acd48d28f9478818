"""Redemption requests: every rule refused with its reason, each step audited, and a completed
redemption reflected in the investment, the payment calendar and the client's statement."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

import fidus_desktop.services.redemptions as service
from fidus_desktop.domain.investments import InvestmentStatus
from fidus_desktop.domain.redemption_requests import RedemptionStatus
from fidus_desktop.errors import ValidationError
from fidus_desktop.portfolio.calendar import select
from fidus_desktop.portfolio.figures import compute_dashboard
from fidus_desktop.portfolio.loader import load_book
from fidus_desktop.services.payment_calendar import CalendarFilter, PaymentState
from fidus_desktop.services.statements import build_statement
from fidus_desktop.storage.query import Eq, Query

from .conftest import client, investment

D = Decimal


@pytest.fixture
def today(monkeypatch):
    """Set the service's "today" (requests are for today or later, payments for today or earlier)."""
    def set_day(day: date) -> None:
        monkeypatch.setattr(service, "utc_now", lambda: datetime(day.year, day.month, day.day, 15, tzinfo=UTC))

    return set_day


async def core_fund(store, status="active"):
    await store.clients.add(client())
    await store.investments.add(investment("inv-core", "CORE", "10000", status=status))


async def reasons(context, amount, on, inv="inv-core"):
    check = await service.check_redemption(context, inv, D(amount), on)
    return {c.rule: c.reason for c in check.checks if c.blocks}


async def test_every_rule_refuses_with_its_reason(store, context, today):
    await core_fund(store)
    assert await reasons(context, "1", date(2025, 11, 15)) == {
        "incubation": "In incubation until 2025-11-30: nothing can be redeemed yet.",
        "principal_hold": "The principal is held until 2026-12-01 (the 14-month hold); until then at most 0.00 of "
                          "accrued interest can be redeemed."}
    assert set(await reasons(context, "50", date(2025, 12, 15))) == {"interest_minimum"}  # 75 accrued, not a period
    assert "Interest can be redeemed from 2025-12-30" in (await reasons(context, "50", date(2025, 12, 15)))[
        "interest_minimum"]
    # after the first period: interest yes (150 + 15 days of the next = 225), principal no
    assert await reasons(context, "225", date(2026, 1, 14)) == {}
    assert set(await reasons(context, "225.01", date(2026, 1, 14))) == {"principal_hold"}
    # after the hold: the value is the limit (10,000 + 1,800 of interest under reading D)
    assert await reasons(context, "11800", date(2026, 12, 1)) == {}
    over = await reasons(context, "11800.01", date(2026, 12, 1))
    assert set(over) == {"current_value"} and "above the current value 11,800.00" in over["current_value"]
    assert set(await reasons(context, "0", date(2026, 1, 14))) == {"amount"}
    assert set(await reasons(context, "10.001", date(2026, 1, 14))) == {"amount"}

    # what other open requests take counts: 200 pending leaves 25 on 2026-01-14
    today(date(2026, 1, 14))
    await service.request_redemption(context, "inv-core", D("200"), date(2026, 1, 14))
    held = await reasons(context, "100", date(2026, 1, 14))
    assert set(held) == {"principal_hold"}
    with pytest.raises(ValidationError) as refused:
        await service.request_redemption(context, "inv-core", D("100"), date(2026, 1, 14))
    assert "principal is held" in str(refused.value)
    with pytest.raises(ValidationError, match="requested date has passed"):
        await service.request_redemption(context, "inv-core", D("10"), date(2026, 1, 13))


async def test_an_investment_that_is_not_active_cannot_be_redeemed(store, context):
    await core_fund(store, status="completed")
    assert set(await reasons(context, "100", date(2026, 1, 14))) == {"status"}


async def test_request_is_stored_with_the_originals_fields_and_each_step_is_audited(store, context, today):
    await core_fund(store)
    today(date(2025, 12, 1))
    # 300 is two interest payments: possible on the second payment day, 2026-01-29
    request, result = await service.request_redemption(context, "inv-core", D("300"), date(2026, 1, 29),
                                                       reason="school fees")
    assert result.saved
    stored = await service.get_redemption(context, request.redemption_id)
    assert (stored.status, stored.requested_amount, stored.fund_code, stored.fund_name, stored.reason) == (
        RedemptionStatus.PENDING, D("300"), "CORE", "FIDUS Core Fund", "school fees")
    assert stored.next_available_date == date(2026, 1, 29) and stored.current_value == D("10300.00")
    assert stored.principal_amount == D("10000") and stored.request_date.date() == date(2025, 12, 1)
    with pytest.raises(ValidationError, match="Only an approved"):
        await service.complete_redemption(context, stored, date(2025, 12, 1))
    with pytest.raises(ValidationError, match="Say why"):
        await service.reject_redemption(context, stored, "  ")
    rejected, _ = await service.reject_redemption(context, stored, "asked too early")
    assert (await service.get_redemption(context, request.redemption_id)).status is RedemptionStatus.REJECTED
    with pytest.raises(ValidationError, match="cannot become"):
        await service.approve_redemption(context, await service.get_redemption(context, request.redemption_id))
    kinds = [e.activity_type for e in await store.activity.find(Query(where=(Eq("investment_id", "inv-core"),)))]
    assert sorted(kinds) == ["redemption_rejected", "redemption_requested"]  # one audit entry per step


async def test_completed_interest_redemption_pays_due_payments_and_part_of_the_next(store, context, today):
    await core_fund(store)
    day = date(2026, 1, 14)
    today(day)
    request, _ = await service.request_redemption(context, "inv-core", D("225"), day)
    approved, _ = await service.approve_redemption(context, await service.get_redemption(context, request.redemption_id))
    stored = await service.get_redemption(context, request.redemption_id)
    assert stored.approved_by == "manager" and stored.approved_date is not None
    done, result = await service.complete_redemption(context, stored, day)
    assert result.saved and (await service.get_redemption(context, request.redemption_id)).status is \
        RedemptionStatus.COMPLETED

    book = await load_book(store, day)
    rows = select(book, CalendarFilter(client_id="client_ana", states=frozenset(PaymentState),
                                       last=date(2026, 2, 28))).rows()
    assert [(r.due.isoformat(), r.label, str(r.amount), r.state.value, r.paid_on) for r in rows] == [
        ("2025-12-30", "Interest #1", "150.00", "paid", day),          # due and unpaid: paid in full
        ("2026-01-29", "Interest #2", "75.00", "due", None),           # pays only the rest
        ("2026-01-29", "Interest #2, paid ahead", "75.00", "paid", day),
        ("2026-02-28", "Interest #3", "150.00", "due", None)]
    # nothing more is owed on what was paid: principal + nothing accrued beyond the part paid ahead
    assert compute_dashboard(book).product("CORE").owed == D("10000.00")
    statement = build_statement(book, "client_ana", date(2026, 1, 1), date(2026, 1, 31), "FIDUS")
    assert [(str(r.amount), r.label) for r in statement.payments_made] == [
        ("150.00", "Interest #1"), ("75.00", "Interest #2, paid ahead")]
    assert statement.interest_paid == D("225.00")
    # the investment itself still pays, its next payment reduced
    assert (await store.investments.get("inv-core")).status == InvestmentStatus.ACTIVE


async def test_completed_redemption_at_the_end_returns_the_principal_and_closes_the_investment(store, context, today):
    await core_fund(store)
    end = date(2026, 12, 1)
    today(end)
    request, _ = await service.request_redemption(context, "inv-core", D("11800"), end)
    approved, _ = await service.approve_redemption(context, await service.get_redemption(context, request.redemption_id))
    await service.complete_redemption(context, await service.get_redemption(context, request.redemption_id), end)
    inv = await store.investments.get("inv-core")
    assert inv.status == InvestmentStatus.REDEEMED
    book = await load_book(store, end)
    assert select(book, CalendarFilter(client_id="client_ana")).rows() == []  # nothing more to pay
    statement = build_statement(book, "client_ana", date(2026, 11, 1), end, "FIDUS")
    assert statement.principal_returned == D("10000") and statement.interest_paid == D("1800.00")
    assert len(statement.payments_made) == 13 and statement.holdings_end == 0
    [audit] = await store.activity.find(Query(where=(Eq("activity_type", "redemption_completed"),)))
    assert audit.details["principal"] == "10000.00" and len(audit.details["payments"]) == 13
