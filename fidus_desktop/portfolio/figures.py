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

from ..domain.commissions import REFERRAL_COMMISSION_RATE
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
    """One payment slot of one product, for the investments given: due day, amount still to pay
    (in the unit named), unpaid mask, (interest only) accrual start day, and what was paid ahead
    of the due day (``None`` when nothing was, the usual case)."""

    slots: np.ndarray
    number: int
    due: np.ndarray
    amount: np.ndarray
    unit: int
    unpaid: np.ndarray
    accrues: np.ndarray | None
    part: np.ndarray | None = None
    #: The template's slot: 0 the principal, k the k-th interest payment.
    k: int = 0

    @property
    def full(self) -> np.ndarray:
        """The scheduled amount, before anything was paid ahead."""
        return self.amount if self.part is None else self.amount + self.part


def _parts_by_slot(book: PortfolioBook) -> dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]:
    """``(product index, template slot) -> (investment slots sorted, units paid ahead)``."""
    def build() -> dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]:
        found: dict[tuple[int, int], dict[int, int]] = {}
        for inv_id in book.parts.investments():
            slot = book.index.get(inv_id)
            template = book.template_of(slot) if slot is not None else None
            if template is None:
                continue
            start = int(book.start[slot])
            for (kind, due), units in book.parts.totals(inv_id).items():
                k = template.slot_of("principal" if kind == 0 else "interest", due - start)
                if k is not None:
                    held = found.setdefault((int(book.product[slot]), k), {})
                    held[slot] = held.get(slot, 0) + units
        return {key: (np.array(sorted(v), dtype=np.int64), np.array([v[i] for i in sorted(v)], dtype=np.int64))
                for key, v in found.items()}

    return book.cached("parts", build, stamp=book.version)


def _part_of(parts: dict, code_index: int, k: int, slots: np.ndarray) -> np.ndarray | None:
    held = parts.get((code_index, k))
    if held is None:
        return None
    known, units = held
    at = np.clip(np.searchsorted(known, slots), 0, len(known) - 1)
    hit = known[at] == slots
    return np.where(hit, units[at], 0) if hit.any() else None


def payment_slots(book: PortfolioBook, slots: np.ndarray) -> Iterator[SlotArrays]:
    """Every scheduled payment of ``slots`` (investment indices), one array set per product and
    payment slot: the principal (number 0, amounts in millionths) and each interest payment
    (amounts in cents; investments whose interest rounds to zero have none, as in the domain).
    Amounts are what is still to pay: a part paid ahead is taken off (``SlotArrays.part``)."""
    product = book.product[slots]
    parts = _parts_by_slot(book) if book.parts else {}
    for code_index in np.unique(product):
        template = book.templates.get(book.codes[int(code_index)])
        if template is None:
            continue  # unknown product: no schedule (counted as unscheduled)
        mine = slots[product == code_index]
        start = book.start[mine].astype(np.int64)
        bits = book.paid_bits[mine]
        principal = book.principal[mine]
        part = _part_of(parts, int(code_index), 0, mine)
        yield SlotArrays(mine, 0, start + template.principal_offset,
                         principal if part is None else np.maximum(principal - part, 0), MICRO,
                         (bits & 1) == 0, None, part, 0)
        interest = book.interest[mine]
        pays = interest > 0
        if not pays.any():
            continue
        paying, amount = mine[pays], interest[pays]
        for k in range(template.slots):
            part = _part_of(parts, int(code_index), k + 1, paying)
            yield SlotArrays(paying, int(template.numbers[k]), start[pays] + int(template.due[k]),
                             amount if part is None else np.maximum(amount - part, 0), 100,
                             ((bits[pays] >> (k + 1)) & 1) == 0, start[pays] + int(template.accrues[k]),
                             part, k + 1)


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
    unrecorded, commissions = [0, 0, 0], [0, 0]
    # Investments with no payment ever recorded: the web platform never recorded paid interest,
    # so a fund coming from it shows every past payment as overdue until it is reconciled.
    never_recorded = book.paid_bits == 0
    if book.parts:
        for inv_id in book.parts.investments():
            if inv_id in book.index:
                never_recorded[book.index[inv_id]] = False
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
            accrued = accrued_cents(s.full[unpaid][owing], due[owing], accrues[owing], today)
            if s.part is not None:  # what was paid ahead of the due day is no longer owed
                accrued = np.maximum(accrued - s.part[unpaid][owing], 0)
            interest_accrued[code] += int(accrued.sum())
        is_late = due < today
        late[0] += int(is_late.sum())
        late[money] += int(amount[is_late].sum())
        never = is_late & never_recorded[s.slots[unpaid]]
        unrecorded[0] += int(never.sum())
        unrecorded[money] += int(amount[never].sum())
        if s.number and s.k:
            owed = unpaid_commissions(book, s) & (s.due <= today)
            commissions[0] += int(owed.sum())
            commissions[1] += int(commission_cents(s.full[owed]).sum())
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
        unscheduled=int(np.isin(product_of, [i for i, c in enumerate(codes) if c not in scheduled]).sum()),
        unrecorded_overdue=due_total(unrecorded), commissions_due=DueTotal(commissions[0], _cents(commissions[1])))


def commission_cents(interest_cents: np.ndarray, rate: Decimal = REFERRAL_COMMISSION_RATE) -> np.ndarray:
    """:func:`fidus_desktop.domain.commissions.referral_commissions`'s amount in cents for many
    payments: ``to_cents(interest x rate)``, half-up, in exact integers."""
    num, den = rate.as_integer_ratio()
    return (2 * interest_cents.astype(np.int64) * num + den) // (2 * den)


def unpaid_commissions(book: PortfolioBook, s: SlotArrays) -> np.ndarray:
    """Per payment of an interest slot: it earns a commission that is not recorded as paid."""
    return book.referred[s.slots] & (((book.commission_bits[s.slots] >> s.k) & 1) == 0)


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
