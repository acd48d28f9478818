"""The portfolio book (arrays) gives the per-investment definition's figures, to the cent, on any fund."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import NamedTuple

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fidus_desktop.domain.activity import ActivityEntry
from fidus_desktop.domain.funds import DEFAULT_PRODUCTS, ScheduleReading
from fidus_desktop.domain.referrals import CommissionRecord, CommissionStatus
from fidus_desktop.domain.schedules import PaymentKind
from fidus_desktop.domain.values import to_cents
from fidus_desktop.domain.investments import Investment, InvestmentStatus
from fidus_desktop.domain.people import Client
from fidus_desktop.portfolio import calendar as book_calendar
from fidus_desktop.portfolio import holdings
from fidus_desktop.portfolio.figures import compute_dashboard
from fidus_desktop.portfolio.loader import book_from_records
from fidus_desktop.services.payment_calendar import CalendarFilter, PaymentState, paid_entry

from . import reference

AS_OF = date(2026, 3, 1)
STATUSES = (InvestmentStatus.ACTIVE, InvestmentStatus.ACTIVE, InvestmentStatus.ACTIVE, InvestmentStatus.COMPLETED,
            InvestmentStatus.PENDING_MT5_VALIDATION)

SALESPEOPLE = {"sp_aaaaaaaaaaaaaaaaaaaaaaaa": "Rosa Medina", "sp_bbbbbbbbbbbbbbbbbbbbbbbb": "Tomas Vidal"}

investments = st.lists(st.builds(
    lambda n, product, cents, days, status, rate, salesperson: Investment(
        investment_id=f"inv-{n:04d}", client_id=f"client_{n % 7}", product=product,
        principal=Decimal(cents).scaleb(-2), start_date=datetime.combine(AS_OF - timedelta(days=days), time(0), UTC),
        status=status, interest_rate=rate, salesperson_id=salesperson),
    st.integers(0, 9999), st.sampled_from(("CORE", "BALANCE", "DYNAMIC", "UNLIMITED", "GOLD")),
    st.integers(1_000_000, 200_000_000), st.integers(-60, 500), st.sampled_from(STATUSES),
    st.sampled_from((None, Decimal("0.01"), Decimal("0.0137"), Decimal("0.02"))),
    st.sampled_from(("", "", *SALESPEOPLE))),
    max_size=25, unique_by=lambda i: i.investment_id)


class Fund(NamedTuple):
    products: list
    clients: list
    #: Payments recorded as paid, and parts of others paid ahead of their due day.
    entries: list
    commissions: list

    def reference(self, invs):
        return reference.build_portfolio(self.products, invs, self.clients, (), self.entries, AS_OF,
                                         commissions=self.commissions, salespeople=SALESPEOPLE)

    def book(self, invs):
        return book_from_records(self.products, invs, self.clients, (), self.entries, AS_OF,
                                 commissions=self.commissions, salespeople=SALESPEOPLE)


def part_entry(row, amount: Decimal) -> ActivityEntry:
    """A part of ``row`` paid ahead, as services/redemptions.py records it."""
    return ActivityEntry(
        log_id=f"part:test:{row.investment_id}:{row.kind.value}:{row.due}", activity_type=f"{row.kind.value}_part_paid",
        description="part", timestamp=datetime.combine(row.due, time(0), UTC), investment_id=row.investment_id,
        amount=amount, details={"due_date": row.due.isoformat(), "paid_on": (row.due - timedelta(days=10)).isoformat()})


def fund(invs, reading_c: bool, paid_fraction: int) -> Fund:
    products = [dataclasses.replace(p, schedule_reading=ScheduleReading.CASH_FLOW_CODE) if reading_c and p.code == "CORE"
                else p for p in DEFAULT_PRODUCTS]
    clients = [Client(client_id=f"client_{n}", name=f"Client {n}", email=f"c{n}@example.com")
               for n in range(5)]  # clients 5 and 6 have no record: their own names are used
    data = reference.build_portfolio(products, invs, clients, (), (), AS_OF)
    rows = reference.calendar_rows(data, CalendarFilter(states=frozenset(PaymentState), commissions=False))
    paid = [paid_entry(r, actor="t", paid_on=r.due) for i, r in enumerate(rows) if i % 3 < paid_fraction]
    # A part paid ahead on some of the others: a third of the payment (at least a cent)
    parts = [part_entry(r, max(Decimal("0.01"), to_cents(r.amount / 3))) for i, r in enumerate(rows)
             if i % 3 >= paid_fraction and i % 4 == 1]
    owed = reference.calendar_rows(data, CalendarFilter(states=frozenset(PaymentState), kind=PaymentKind.COMMISSION))
    commissions = [CommissionRecord(f"{n:024x}", r.payee_id, r.investment_id, r.number, r.due, r.amount,
                                    r.amount * 10, status=CommissionStatus.PAID if n % 2 else CommissionStatus.APPROVED,
                                    paid_date=datetime.combine(r.due, time(9), UTC) if n % 2 else None)
                   for n, r in enumerate(owed) if n % 3 < paid_fraction]
    return Fund(products, clients, paid + parts, commissions)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(investments, st.booleans(), st.integers(0, 3))
def test_dashboard_equals_the_per_investment_definition(invs, reading_c, paid_fraction):
    f = fund(invs, reading_c, paid_fraction)
    assert compute_dashboard(f.book(invs)) == reference.compute_dashboard(f.reference(invs))


@settings(max_examples=40, deadline=None)
@given(investments, st.booleans(), st.integers(0, 3), st.sampled_from(["", "CORE", "BALANCE"]),
       st.sampled_from([frozenset(PaymentState), frozenset({PaymentState.DUE, PaymentState.OVERDUE}),
                        frozenset({PaymentState.PAID})]),
       st.sampled_from([None, PaymentKind.INTEREST, PaymentKind.PRINCIPAL, PaymentKind.COMMISSION]),
       st.sampled_from(["", *SALESPEOPLE]))
def test_calendar_equals_the_per_investment_definition(invs, reading_c, paid_fraction, product, states, kind,
                                                       salesperson):
    f = fund(invs, reading_c, paid_fraction)
    flt = CalendarFilter(first=AS_OF - timedelta(days=200), last=AS_OF + timedelta(days=300), product=product,
                         states=states, kind=kind, salesperson_id=salesperson)
    expected = reference.calendar_rows(f.reference(invs), flt)
    got = book_calendar.select(f.book(invs), flt).rows()
    assert sorted(got) == sorted(expected)
    assert [r.due for r in got] == sorted(r.due for r in got)


@settings(max_examples=40, deadline=None)
@given(investments, st.booleans(), st.integers(0, 3))
def test_a_book_taken_in_one_by_one_equals_the_book_read_at_once(invs, reading_c, paid_fraction):
    """The bulk read at start and the change-by-change updates after it give the same book."""
    from fidus_desktop.portfolio.book import PortfolioBook
    from fidus_desktop.portfolio.ledgers import CommissionState
    from fidus_desktop.portfolio.loader import paid_records, part_records

    f = fund(invs, reading_c, paid_fraction)
    at_once = f.book(invs)
    one_by_one = PortfolioBook(AS_OF)
    one_by_one.set_products(f.products)
    one_by_one.set_clients({c.client_id: c.name for c in f.clients})
    one_by_one.set_salespeople(SALESPEOPLE)
    for e in f.entries:  # payments recorded before their investment arrives, as a replay may bring them
        row = (e.log_id, e.investment_id, e.activity_type, e.details["due_date"], e.details["paid_on"])
        one_by_one.put_paid(paid_records([row]))
        one_by_one.put_parts(part_records([(*row, e.amount, None)]))
    for c in f.commissions:
        one_by_one.put_commissions([CommissionState(c.commission_key, c.investment_id, c.payment_number,
                                                    c.status.value, c.paid_date.date() if c.paid_date else None)])
    for i in invs:
        one_by_one.put_investments([(i.investment_id, i.client_id, i.product, str(i.status), i.start_date,
                                     i.principal, i.interest_rate, i.client_name, i.shape.value, i.salesperson_id,
                                     None)])
    assert compute_dashboard(one_by_one) == compute_dashboard(at_once)
    flt = CalendarFilter(states=frozenset(PaymentState))
    assert sorted(book_calendar.select(one_by_one, flt).rows()) == sorted(book_calendar.select(at_once, flt).rows())


@settings(max_examples=40, deadline=None)
@given(investments, st.integers(0, 3))
def test_next_payment_equals_the_first_unpaid_payment_ahead(invs, paid_fraction):
    f = fund(invs, False, paid_fraction)
    data, book = f.reference(invs), f.book(invs)
    for slot in book.slots():
        row = holdings.row(book, int(slot))
        ahead = [p for p in data.schedules.get(row.investment_id, ()) if p.due >= AS_OF and p.key not in data.paid]
        first = min((p.due for p in ahead), default=None)
        assert row.next_due == first
        assert row.next_amount == (sum(p.amount - data.part_of(p) for p in ahead if p.due == first) if first else None)
