"""The dashboard's figures over the whole book: AUM, what is owed, what falls due, cash flow.

One definition everywhere (the original counted statuses differently per view, reference §9.6):
an investment is under management, owes payments and counts toward AUM only while its status is
``active``. Each payment's own rules are :mod:`fidus_desktop.domain.schedules` and
:mod:`fidus_desktop.domain.obligations`; here they are evaluated for every investment of a
product at once, with exact integer money (cents and millionths), so 100,000 investments take
milliseconds and the result equals the per-investment definition to the cent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np

from ..domain.funds import PRODUCT_CODES
from ..domain.values import ZERO
from ..services.portfolio import (CashFlowMonth, Dashboard, DueTotal, ProductSummary, equity_by_fund,
                                  month_ends)
from .book import MICRO, PortfolioBook

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def month_index(ordinals: np.ndarray) -> np.ndarray:
    """``year * 12 + month - 1`` of each day ordinal, vectorized."""
    months = (ordinals.astype(np.int64) - _EPOCH_ORDINAL).astype("datetime64[D]").astype("datetime64[M]")
    return months.astype(np.int64) + 1970 * 12


def _cents(value: int) -> Decimal:
    return Decimal(int(value)).scaleb(-2) if value else ZERO


def _micro(value: int) -> Decimal:
    return Decimal(int(value)) / MICRO if value else ZERO


@dataclass(frozen=True, slots=True)
class SlotArrays:
    """One payment slot of one product, for the investments given: due day, amount (in the
    unit named), unpaid mask, and (interest only) accrual start day."""

    slots: np.ndarray
    number: int
    due: np.ndarray
    amount: np.ndarray
    unit: int
    unpaid: np.ndarray
    accrues: np.ndarray | None


def payment_slots(book: PortfolioBook, slots: np.ndarray) -> Iterator[SlotArrays]:
    """Every scheduled payment of ``slots`` (investment indices), one array set per product and
    payment slot: the principal (number 0, amounts in millionths) and each interest payment
    (amounts in cents; investments whose interest rounds to zero have none, as in the domain)."""
    product = book.product[slots]
    for code_index in np.unique(product):
        template = book.templates.get(book.codes[int(code_index)])
        if template is None:
            continue  # unknown product: no schedule (counted as unscheduled)
        mine = slots[product == code_index]
        start = book.start[mine].astype(np.int64)
        bits = book.paid_bits[mine]
        yield SlotArrays(mine, 0, start + template.principal_offset, book.principal[mine], MICRO,
                         (bits & 1) == 0, None)
        interest = book.interest[mine]
        pays = interest > 0
        if not pays.any():
            continue
        for k in range(template.slots):
            keep = pays
            yield SlotArrays(mine[keep], int(template.numbers[k]), start[keep] + int(template.due[k]),
                             interest[keep], 100, ((bits[keep] >> (k + 1)) & 1) == 0,
                             start[keep] + int(template.accrues[k]))


def accrued_cents(amount: np.ndarray, due: np.ndarray, accrues: np.ndarray, as_of: int) -> np.ndarray:
    """:func:`fidus_desktop.domain.obligations.accrued_part` in cents for many payments: all of
    it from the due day, nothing up to the accrual start, linearly in between, rounded half-up."""
    elapsed = np.clip(as_of - accrues, 0, None)
    period = np.maximum(due - accrues, 1)
    part = (2 * amount * elapsed + period) // (2 * period)
    return np.where(as_of >= due, amount, np.where(as_of <= accrues, 0, part))


def compute_dashboard(book: PortfolioBook) -> Dashboard:
    as_of = book.as_of
    today = as_of.toordinal()
    h30, h90 = today + 30, today + 90
    first_month = as_of.year * 12 + as_of.month - 1
    active = book.active_slots()
    codes = book.codes
    n_codes = len(codes)
    product_of = book.product[active].astype(np.int64)

    aum = np.zeros(n_codes, dtype=np.int64)  # integer adds: float weights would round large sums
    np.add.at(aum, product_of, book.principal[active])
    counts = np.bincount(product_of, minlength=n_codes)
    principal_owed = np.zeros(n_codes, dtype=np.int64)
    interest_accrued = np.zeros(n_codes, dtype=np.int64)
    late, d30, d90 = [0, 0, 0], [0, 0, 0], [0, 0, 0]  # count, cents, micro
    flow = np.zeros((12, 2), dtype=np.int64)  # [month][interest cents, principal micro]

    for s in payment_slots(book, active):
        code = int(book.product[s.slots[0]]) if len(s.slots) else 0
        unpaid = s.unpaid
        amount, due = s.amount[unpaid], s.due[unpaid]
        money = 1 if s.unit == 100 else 2
        if s.number == 0:
            principal_owed[code] += int(amount.sum())
        else:
            accrues = s.accrues[unpaid]  # type: ignore[index]
            owing = accrues < today
            interest_accrued[code] += int(accrued_cents(amount[owing], due[owing], accrues[owing], today).sum())
        is_late = due < today
        late[0] += int(is_late.sum())
        late[money] += int(amount[is_late].sum())
        ahead = ~is_late
        within90 = ahead & (due <= h90)
        within30 = ahead & (due <= h30)
        d90[0] += int(within90.sum())
        d90[money] += int(amount[within90].sum())
        d30[0] += int(within30.sum())
        d30[money] += int(amount[within30].sum())
        months = month_index(due[ahead]) - first_month
        in_horizon = months < 12
        np.add.at(flow[:, 0 if s.number else 1], months[in_horizon], amount[ahead][in_horizon])

    equity = equity_by_fund(book.accounts)
    client_of = book.client[active]
    summaries = []
    for code in listed_codes(book, product_of):
        index = codes.index(code)
        product = book.products.get(code)
        mine = product_of == index
        summaries.append(ProductSummary(
            code=code, name=product.name if product else code,
            schedule_reading=product.schedule_reading.value if product else "",
            aum=_micro(aum[index]), investments=int(counts[index]),
            clients=int(len(np.unique(client_of[mine]))), equity=equity.get(code),
            principal_owed=_micro(principal_owed[index]), interest_accrued=_cents(interest_accrued[index])))

    def due_total(parts: list[int]) -> DueTotal:
        return DueTotal(parts[0], _cents(parts[1]) + _micro(parts[2]))

    months = [first_month + n for n in range(12)]
    scheduled = set(book.templates)
    return Dashboard(
        as_of=as_of, aum=_micro(int(aum.sum())), products=tuple(summaries),
        invested_clients=int(len(np.unique(client_of))), all_clients=len(book.clients),
        due_30=due_total(d30), due_90=due_total(d90), overdue=due_total(late),
        aum_history=aum_history(book),
        cash_flow=tuple(CashFlowMonth(f"{m // 12:04d}-{m % 12 + 1:02d}", _cents(flow[i, 0]), _micro(flow[i, 1]))
                        for i, m in enumerate(months)),
        unscheduled=int(np.isin(product_of, [i for i, c in enumerate(codes) if c not in scheduled]).sum()))


def listed_codes(book: PortfolioBook, active_products: np.ndarray | None = None) -> list[str]:
    """The four products first, then any other product stored or held by an active investment."""
    if active_products is None:
        active_products = book.product[book.active_slots()]
    held = {book.codes[int(i)] for i in np.unique(active_products)}
    return list(PRODUCT_CODES) + sorted((set(book.products) | held) - set(PRODUCT_CODES))


def aum_history(book: PortfolioBook, months: int = 12) -> tuple[tuple[date, dict[str, Decimal]], ...]:
    """AUM at each month end of the last ``months``, from today's active investments by their
    start date (the original keeps no history of past AUM), so the last point is today's AUM."""
    active = book.active_slots()
    ends = month_ends(book.as_of, months)
    end_days = np.array([d.toordinal() for d in ends], dtype=np.int64)
    totals: dict[str, np.ndarray] = {}
    product_of = book.product[active]
    for code in listed_codes(book, product_of):
        mine = active[product_of == book.codes.index(code)]
        order = np.argsort(book.start[mine], kind="stable")
        starts = book.start[mine][order]
        running = np.concatenate([[0], np.cumsum(book.principal[mine][order])])
        totals[code] = running[np.searchsorted(starts, end_days, side="right")]
    return tuple((end, {code: _micro(int(values[i])) for code, values in totals.items()})
                 for i, end in enumerate(ends))


def horizon_days(as_of: date, days: int) -> date:
    return as_of + timedelta(days=days)
