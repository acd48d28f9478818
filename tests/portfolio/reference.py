"""The per-investment definition of the portfolio's figures, kept as the tests' oracle.

This is the straightforward evaluation the app shipped before the portfolio book: one schedule
object per investment, one payment at a time, Decimal throughout. The book
(``fidus_desktop.portfolio``) computes the same figures with arrays; the tests hold both to the
same answers on hand-made and random funds. Not used by the app.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from operator import attrgetter

from fidus_desktop.domain.activity import ActivityEntry
from fidus_desktop.domain.commissions import referral_commissions
from fidus_desktop.domain.referrals import CommissionRecord
from fidus_desktop.domain.funds import PRODUCT_CODES, FundProduct
from fidus_desktop.domain.investments import Investment
from fidus_desktop.domain.mt5_accounts import Mt5AccountLink
from fidus_desktop.domain.obligations import accrued_part
from fidus_desktop.domain.people import Client
from fidus_desktop.domain.schedules import PaymentKey, PaymentKind, ScheduledPayment, payment_schedule
from fidus_desktop.domain.values import ZERO
from fidus_desktop.services.payment_calendar import CalendarFilter, CalendarRow, PaymentState, paid_on_of
from fidus_desktop.services.portfolio import (PAID_TYPES, CashFlowMonth, Dashboard, DueTotal, ProductSummary,
                                              equity_by_fund, month_ends)


@dataclass(frozen=True, slots=True)
class PortfolioData:
    as_of: date
    products: Mapping[str, FundProduct]
    investments: tuple[Investment, ...]
    clients: Mapping[str, Client]
    accounts: tuple[Mt5AccountLink, ...]
    #: Payments recorded as made, by payment key.
    paid: Mapping[PaymentKey, ActivityEntry]
    #: Schedules of the investments that count (active, known product), by investment id.
    schedules: Mapping[str, tuple[ScheduledPayment, ...]]
    #: The investments that count: status ``active``.
    active: tuple[Investment, ...] = ()
    #: Active investments whose product is unknown: shown to the manager, never silently dropped.
    unscheduled: tuple[Investment, ...] = ()
    #: Parts paid ahead of the due day, by payment key.
    parts: Mapping[PaymentKey, tuple[ActivityEntry, ...]] = field(default_factory=dict)
    #: ``(investment id, payment number)`` of the commissions recorded as paid, and when.
    commissions_paid: Mapping[tuple[str, int], date] = field(default_factory=dict)
    salesperson_names: Mapping[str, str] = field(default_factory=dict)

    def client_name(self, client_id: str, fallback: str = "") -> str:
        client = self.clients.get(client_id)
        return client.name if client else fallback or client_id

    def part_of(self, payment: ScheduledPayment) -> Decimal:
        return sum((e.amount for e in self.parts.get(payment.key, ())), ZERO)


PART_TYPES = {"interest_part_paid": "interest", "principal_part_paid": "principal"}


def paid_key(entry: ActivityEntry) -> PaymentKey | None:
    kind = next((k for k, t in PAID_TYPES.items() if t == entry.activity_type), None)
    due = entry.details.get("due_date")
    if kind is None or not entry.investment_id or not due:
        return None
    try:
        return entry.investment_id, kind.value, date.fromisoformat(str(due)[:10])
    except ValueError:  # a record someone else wrote by hand; it matches no scheduled payment
        return None


def build_portfolio(products: Iterable[FundProduct], investments: Iterable[Investment],
                    clients: Iterable[Client], accounts: Iterable[Mt5AccountLink],
                    paid_entries: Iterable[ActivityEntry], as_of: date, *,
                    commissions: Iterable[CommissionRecord] = (),
                    salespeople: Mapping[str, str] | None = None) -> PortfolioData:
    by_code = {p.code: p for p in products}
    investments = tuple(investments)
    active = tuple(i for i in investments if i.is_active)
    schedules: dict[str, tuple[ScheduledPayment, ...]] = {}
    unscheduled = []
    for inv in active:
        product = by_code.get(inv.product)
        if product is None:
            unscheduled.append(inv)
        else:
            schedules[inv.investment_id] = payment_schedule(inv, product)
    paid, parts = {}, defaultdict(tuple)
    for entry in paid_entries:
        if entry.activity_type in PART_TYPES:
            due = date.fromisoformat(str(entry.details["due_date"])[:10])
            key = (entry.investment_id, PART_TYPES[entry.activity_type], due)
            parts[key] = (*parts[key], entry)
            continue
        key = paid_key(entry)
        if key is not None:
            paid[key] = entry
    paid_commissions = {(c.investment_id, c.payment_number): (c.paid_date.date() if c.paid_date else c.due)
                        for c in commissions if c.status == "paid"}
    return PortfolioData(as_of=as_of, products=by_code, investments=investments,
                         clients={c.client_id: c for c in clients}, accounts=tuple(accounts),
                         paid=paid, schedules=schedules, active=active,
                         unscheduled=tuple(unscheduled), parts=dict(parts), commissions_paid=paid_commissions,
                         salesperson_names=dict(salespeople or {}))


def product_codes(data: PortfolioData) -> list[str]:
    """The four products first, then any other code stored in the database."""
    codes = list(PRODUCT_CODES)
    extra = {c for c in data.products if c not in codes} | {i.product for i in data.active if i.product not in codes}
    return codes + sorted(extra)


def aum_by_product(data: PortfolioData) -> dict[str, Decimal]:
    totals = dict.fromkeys(product_codes(data), ZERO)
    for inv in data.active:
        totals[inv.product] = totals.get(inv.product, ZERO) + inv.principal
    return totals


def _add_months(month: tuple[int, int], n: int) -> tuple[int, int]:
    index = month[0] * 12 + month[1] - 1 + n
    return index // 12, index % 12 + 1


def compute_dashboard(data: PortfolioData) -> Dashboard:
    as_of, paid = data.as_of, data.paid
    codes = product_codes(data)
    aum = aum_by_product(data)
    equity = equity_by_fund(data.accounts)
    horizon_30, horizon_90 = as_of + timedelta(days=30), as_of + timedelta(days=90)
    first_month = (as_of.year, as_of.month)
    months = [_add_months(first_month, n) for n in range(12)]
    # Cash flow by month of the next 12 (from the start of this month: today's payments included).
    horizon_12m = date(*_add_months(first_month, 12), 1) - timedelta(days=1)
    flow = {y * 12 + m: [ZERO, ZERO] for y, m in months}
    d30, d90, late, unrecorded, commissions = [0, ZERO], [0, ZERO], [0, ZERO], [0, ZERO], [0, ZERO]
    principal_owed: dict[str, Decimal] = defaultdict(lambda: ZERO)
    accrued: dict[str, Decimal] = defaultdict(lambda: ZERO)
    counts: dict[str, int] = defaultdict(int)
    product_clients: dict[str, set[str]] = defaultdict(set)
    for inv in data.active:
        counts[inv.product] += 1
        product_clients[inv.product].add(inv.client_id)
    product_of = {i.investment_id: i.product for i in data.active}

    # Building a key per payment is most of the cost; only investments with a recorded payment need it.
    with_paid = {key[0] for key in paid}
    with_parts = {key[0] for key in data.parts}
    inv_by_id = {i.investment_id: i for i in data.active}
    for inv_id, schedule in data.schedules.items():
        code = product_of[inv_id]
        owed_p, owed_i = ZERO, ZERO
        check_paid = inv_id in with_paid
        never = not check_paid and inv_id not in with_parts
        for c in referral_commissions(schedule, inv_by_id[inv_id].salesperson_id):
            if c.client_payment_date <= as_of and (inv_id, c.payment_number) not in data.commissions_paid:
                commissions[0] += 1
                commissions[1] += c.commission_amount
        for p in schedule:
            if check_paid and p.key in paid:
                continue
            part = data.part_of(p)
            amount, due = max(ZERO, p.amount - part), p.due
            if p.kind is PaymentKind.PRINCIPAL:
                owed_p += amount
            elif p.accrues_from < as_of:
                owed_i += max(ZERO, accrued_part(p, as_of) - part)
            if due < as_of:
                late[0] += 1
                late[1] += amount
                if never:
                    unrecorded[0] += 1
                    unrecorded[1] += amount
                continue
            if due <= horizon_90:
                d90[0] += 1
                d90[1] += amount
                if due <= horizon_30:
                    d30[0] += 1
                    d30[1] += amount
            if due <= horizon_12m:
                flow[due.year * 12 + due.month][0 if p.kind is PaymentKind.INTEREST else 1] += amount
        principal_owed[code] += owed_p
        accrued[code] += owed_i

    summaries = []
    for code in codes:
        product = data.products.get(code)
        summaries.append(ProductSummary(
            code=code, name=product.name if product else code,
            schedule_reading=product.schedule_reading.value if product else "",
            aum=aum.get(code, ZERO), investments=counts.get(code, 0),
            clients=len(product_clients.get(code, ())), equity=equity.get(code),
            principal_owed=principal_owed.get(code, ZERO), interest_accrued=accrued.get(code, ZERO)))
    return Dashboard(
        as_of=as_of, aum=sum(aum.values(), ZERO), products=tuple(summaries),
        invested_clients=len({i.client_id for i in data.active}), all_clients=len(data.clients),
        due_30=DueTotal(d30[0], d30[1]), due_90=DueTotal(d90[0], d90[1]), overdue=DueTotal(late[0], late[1]),
        aum_history=aum_history(data, codes),
        cash_flow=tuple(CashFlowMonth(f"{y:04d}-{m:02d}", *flow[y * 12 + m]) for y, m in months),
        unscheduled=len(data.unscheduled), unrecorded_overdue=DueTotal(unrecorded[0], unrecorded[1]),
        commissions_due=DueTotal(commissions[0], commissions[1]))


def aum_history(data: PortfolioData, codes: list[str] | None = None,
                months: int = 12) -> tuple[tuple[date, Mapping[str, Decimal]], ...]:
    """AUM at each month end, built from today's active investments by their start date, so the
    last point is today's AUM (the original keeps no history of past AUM)."""
    codes = codes or product_codes(data)
    ends = month_ends(data.as_of, months)
    starts = sorted((i.start_date.date(), i.product, i.principal) for i in data.active)
    history, running, index = [], dict.fromkeys(codes, ZERO), 0
    for end in ends:
        while index < len(starts) and starts[index][0] <= end:
            _, code, principal = starts[index]
            running[code] = running.get(code, ZERO) + principal
            index += 1
        history.append((end, dict(running)))
    return tuple(history)


def calendar_rows(data: PortfolioData, flt: CalendarFilter = CalendarFilter()) -> list[CalendarRow]:
    """Calendar rows in date order, filtered once here rather than per comparison in a view."""
    needle = flt.text.strip().lower()
    inv_by_id = {i.investment_id: i for i in data.active}
    rows: list[CalendarRow] = []
    with_paid = {key[0] for key in data.paid}
    client_kinds = {None: {PaymentKind.INTEREST, PaymentKind.PRINCIPAL}, PaymentKind.INTEREST: {PaymentKind.INTEREST},
                    PaymentKind.PRINCIPAL: {PaymentKind.PRINCIPAL}}.get(flt.kind, set())
    if flt.salesperson_id:
        client_kinds = set()
    commissions = (flt.kind is PaymentKind.COMMISSION or flt.kind is None and flt.commissions
                   or flt.salesperson_id and flt.kind in (None, PaymentKind.COMMISSION))

    def in_range(day: date) -> bool:
        return not (flt.first and day < flt.first or flt.last and day > flt.last)

    for inv_id, schedule in data.schedules.items():
        inv = inv_by_id[inv_id]
        if flt.product and inv.product != flt.product or flt.client_id and inv.client_id != flt.client_id:
            continue
        if flt.salesperson_id and inv.salesperson_id != flt.salesperson_id:
            continue
        name = data.client_name(inv.client_id, inv.client_name)
        if needle and needle not in name.lower() and needle not in inv_id.lower():
            continue
        for p in schedule:
            if not in_range(p.due) or p.kind not in client_kinds:
                continue
            for e in data.parts.get(p.key, ()) if PaymentState.PAID in flt.states else ():
                rows.append(CalendarRow(p.due, p.kind, e.amount, inv_id, p.number, inv.client_id, name, inv.product,
                                        PaymentState.PAID, paid_on_of(e), part=True))
            entry = data.paid.get(p.key) if inv_id in with_paid else None
            state = (PaymentState.PAID if entry else
                     PaymentState.OVERDUE if p.due < data.as_of else PaymentState.DUE)
            if state not in flt.states:
                continue
            paid_on = paid_on_of(entry) if entry else None
            rows.append(CalendarRow(p.due, p.kind, p.amount - data.part_of(p), inv_id, p.number, inv.client_id, name,
                                    inv.product, state, paid_on))
        if not commissions:
            continue
        for c in referral_commissions(schedule, inv.salesperson_id):
            paid_on = data.commissions_paid.get((inv_id, c.payment_number))
            state = (PaymentState.PAID if paid_on else
                     PaymentState.OVERDUE if c.client_payment_date < data.as_of else PaymentState.DUE)
            if state not in flt.states or not in_range(c.client_payment_date):
                continue
            rows.append(CalendarRow(c.client_payment_date, PaymentKind.COMMISSION, c.commission_amount, inv_id,
                                    c.payment_number, inv.client_id, name, inv.product, state, paid_on,
                                    inv.salesperson_id, data.salesperson_names.get(inv.salesperson_id,
                                                                                   inv.salesperson_id)))
    # Stable sort: within one investment and day, the schedule's own order (interest, then principal).
    rows.sort(key=attrgetter("due", "client_name", "investment_id"))
    return rows
