"""The portfolio as the manager asks about it: how much do we manage, what do we owe whom and
when, and does trading cover it.

:func:`load_portfolio` reads everything once from the store; every figure after that is a pure
function of the loaded :class:`PortfolioData`, so the dashboard, the calendar, the statements
and ``fidus-desktop report`` agree to the cent.

One definition everywhere (the original counted statuses differently per view, reference §9.6):
an investment is under management, owes payments and counts toward AUM only while its status is
``active``. AUM is the sum of principal over those, whatever shape stored it (Decimal128 or
``amount`` only, reference §4).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from ..domain.activity import ActivityEntry
from ..domain.funds import PRODUCT_CODES, FundProduct
from ..domain.investments import Investment
from ..domain.mt5_accounts import Mt5AccountLink
from ..domain.people import Client
from ..domain.obligations import accrued_part
from ..domain.schedules import PaymentKey, PaymentKind, ScheduledPayment, payment_schedule
from ..domain.values import ZERO
from ..storage.query import In, Query
from ..storage.store import FundStore

#: ``activity_logs`` types that record a payment as made (see :mod:`.payment_calendar`).
PAID_TYPES = {PaymentKind.INTEREST: "interest_paid", PaymentKind.PRINCIPAL: "principal_paid"}


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

    def client_name(self, client_id: str, fallback: str = "") -> str:
        client = self.clients.get(client_id)
        return client.name if client else fallback or client_id


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
                    paid_entries: Iterable[ActivityEntry], as_of: date) -> PortfolioData:
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
    paid = {}
    for entry in paid_entries:
        key = paid_key(entry)
        if key is not None:
            paid[key] = entry
    return PortfolioData(as_of=as_of, products=by_code, investments=investments,
                         clients={c.client_id: c for c in clients}, accounts=tuple(accounts),
                         paid=paid, schedules=schedules, active=active,
                         unscheduled=tuple(unscheduled))


class PortfolioRecords(NamedTuple):
    """What :func:`build_portfolio` needs, as read from the store (I/O only, no figures)."""

    products: list[FundProduct]
    investments: list[Investment]
    clients: list[Client]
    accounts: list[Mt5AccountLink]
    paid_entries: list[ActivityEntry]


async def load_records(store: FundStore) -> PortfolioRecords:
    paid = await store.activity.find(Query(where=(In("activity_type", tuple(PAID_TYPES.values())),)))
    return PortfolioRecords(await store.products.find(), await store.investments.find(),
                            await store.clients.find(), await store.mt5_accounts.find(), paid)


async def load_portfolio(store: FundStore, as_of: date) -> PortfolioData:
    return build_portfolio(*await load_records(store), as_of)


# ---- aggregates ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DueTotal:
    count: int = 0
    amount: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class ProductSummary:
    code: str
    name: str
    schedule_reading: str
    aum: Decimal
    investments: int
    clients: int
    #: Equity of the product's live MT5 accounts (``None``: no account linked to it).
    equity: Decimal | None
    principal_owed: Decimal
    interest_accrued: Decimal

    @property
    def owed(self) -> Decimal:
        return self.principal_owed + self.interest_accrued

    @property
    def revenue(self) -> Decimal | None:
        """Fund revenue: what trading holds beyond what is owed; ``None`` without an MT5 account."""
        return None if self.equity is None else self.equity - self.owed


@dataclass(frozen=True, slots=True)
class CashFlowMonth:
    month: str  # YYYY-MM
    interest: Decimal
    principal: Decimal


@dataclass(frozen=True, slots=True)
class Dashboard:
    as_of: date
    aum: Decimal
    products: tuple[ProductSummary, ...]
    invested_clients: int
    all_clients: int
    due_30: DueTotal
    due_90: DueTotal
    overdue: DueTotal
    #: Month-end AUM per product for the last 12 months, oldest first, ending on ``as_of``.
    aum_history: tuple[tuple[date, Mapping[str, Decimal]], ...]
    cash_flow: tuple[CashFlowMonth, ...]
    unscheduled: int

    @property
    def equity(self) -> Decimal:
        return sum((p.equity for p in self.products if p.equity is not None), ZERO)

    @property
    def owed(self) -> Decimal:
        return sum((p.owed for p in self.products), ZERO)

    def product(self, code: str) -> ProductSummary | None:
        return next((p for p in self.products if p.code == code), None)


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


def equity_by_fund(accounts: Iterable[Mt5AccountLink]) -> dict[str, Decimal]:
    """Equity of the live accounts linked to each fund (``live_demo`` and inactive excluded)."""
    totals: dict[str, Decimal] = {}
    for account in accounts:
        if account.counts_for_fund and account.fund_type and account.equity is not None:
            totals[account.fund_type] = totals.get(account.fund_type, ZERO) + account.equity
    return totals


def due_between(data: PortfolioData, first: date, last: date) -> list[ScheduledPayment]:
    """Unpaid payments with ``first <= due <= last``, in date order."""
    rows = [p for schedule in data.schedules.values() for p in schedule
            if first <= p.due <= last and p.key not in data.paid]
    rows.sort(key=lambda p: (p.due, p.investment_id, p.number == 0))
    return rows


def _month_ends(as_of: date, months: int) -> list[date]:
    ends, day = [], as_of
    for _ in range(months - 1):
        day = day.replace(day=1) - timedelta(days=1)
        ends.append(day)
    return [*reversed(ends), as_of]


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
    d30, d90, late = [0, ZERO], [0, ZERO], [0, ZERO]
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
    for inv_id, schedule in data.schedules.items():
        code = product_of[inv_id]
        owed_p, owed_i = ZERO, ZERO
        check_paid = inv_id in with_paid
        for p in schedule:
            if check_paid and p.key in paid:
                continue
            amount, due = p.amount, p.due
            if p.kind is PaymentKind.PRINCIPAL:
                owed_p += amount
            elif p.accrues_from < as_of:
                owed_i += accrued_part(p, as_of)
            if due < as_of:
                late[0] += 1
                late[1] += amount
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
        unscheduled=len(data.unscheduled))


def aum_history(data: PortfolioData, codes: list[str] | None = None,
                months: int = 12) -> tuple[tuple[date, Mapping[str, Decimal]], ...]:
    """AUM at each month end, built from today's active investments by their start date, so the
    last point is today's AUM (the original keeps no history of past AUM)."""
    codes = codes or product_codes(data)
    ends = _month_ends(data.as_of, months)
    starts = sorted((i.start_date.date(), i.product, i.principal) for i in data.active)
    history, running, index = [], dict.fromkeys(codes, ZERO), 0
    for end in ends:
        while index < len(starts) and starts[index][0] <= end:
            _, code, principal = starts[index]
            running[code] = running.get(code, ZERO) + principal
            index += 1
        history.append((end, dict(running)))
    return tuple(history)
