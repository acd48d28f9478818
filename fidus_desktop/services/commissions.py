"""Referral commissions: what each salesperson has earned, approving and paying them.

The rule (reference §5.3): 10 % of each client interest payment of an investment the salesperson
referred, due on the client's payment date, under the product's schedule reading (so under the
cash-flow reading the final payment's interest earns one too). The book computes them for every
referred investment (:mod:`fidus_desktop.portfolio.calendar`, kind ``commission``); a
``referral_commissions`` document, in the original's route shape, records how far each got:
``pending`` -> ``approved`` -> ``paid`` (with the payment method and reference). A commission with
no document is pending. Each action is one operation with its audit entry, whatever the number
of commissions it covers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np

from ..domain.commissions import REFERRAL_COMMISSION_RATE
from ..domain.referrals import CommissionRecord, CommissionStatus, Salesperson
from ..domain.schedules import PaymentKind
from ..domain.values import ZERO, utc_now
from ..errors import StorageUnavailable, ValidationError
from ..runtime.operations import Audit, Operation
from ..runtime.writer import WriteResult
from ..storage.codecs.referrals import commission_object_id
from ..storage.query import In, Query
from ..storage.writes import Insert, Write
from .changes import FIGURES, PAYMENTS
from .payment_calendar import CalendarFilter, CalendarRow, PaymentState
from .portfolio import DueTotal

if TYPE_CHECKING:
    from ..app_context import AppContext
    from ..portfolio.book import PortfolioBook
    from ..portfolio.calendar import CalendarSelection

#: How a commission may be paid (the original's ``preferred_payment_method`` is ``crypto_wallet``).
PAYMENT_METHODS = ("bank_transfer", "crypto_wallet", "wire", "cash", "other")
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class SalespersonSummary:
    salesperson_id: str
    name: str
    email: str
    #: A ``salespeople`` record exists (else only investments name this key).
    known: bool
    clients: int
    investments: int
    #: Due on or before today and not paid (approved ones included).
    due: DueTotal
    approved: DueTotal
    paid: DueTotal
    #: Not due yet.
    upcoming: DueTotal
    next_due: date | None
    next_amount: Decimal


def status_of(book: PortfolioBook, row: CalendarRow) -> CommissionStatus:
    """The recorded status of a commission row (pending when nothing is recorded)."""
    held = book.commissions.state(row.investment_id, row.number)
    return CommissionStatus.read(held.status) if held else CommissionStatus.PENDING


def commissions_of(book: PortfolioBook, salesperson_id: str,
                   states: frozenset[PaymentState] = frozenset(PaymentState)) -> CalendarSelection:
    from ..portfolio.calendar import select

    return select(book, CalendarFilter(salesperson_id=salesperson_id, states=states, kind=PaymentKind.COMMISSION))


def _total(amounts: np.ndarray) -> DueTotal:
    return DueTotal(int(len(amounts)), Decimal(int(amounts.sum())) / 10**6 if len(amounts) else ZERO)


def salesperson_codes(book: PortfolioBook) -> tuple[list[str], np.ndarray]:
    """The salesperson keys the book names, and per investment slot the index of its key (-1: none)."""
    def build() -> tuple[list[str], np.ndarray]:
        keys: dict[str, int] = {}
        codes = np.array([keys.setdefault(k, len(keys)) if k else -1 for k in book.salespeople], dtype=np.int64)
        return list(keys), codes

    return book.cached("salesperson_codes", build)


def salesperson_summaries(book: PortfolioBook, salespeople: Sequence[Salesperson]) -> list[SalespersonSummary]:
    """One line per salesperson: recorded ones first (by name), then keys only investments name.
    Array operations over every commission at once (blocking: the cpu lane)."""
    from ..portfolio.calendar import select

    known = {s.salesperson_id: s for s in salespeople}
    named, codes = salesperson_codes(book)
    index = {k: i for i, k in enumerate(named)}
    every = select(book, CalendarFilter(kind=PaymentKind.COMMISSION, states=frozenset(PaymentState)))
    who = codes[every.slots] if len(every) else np.zeros(0, dtype=np.int64)
    today = book.as_of.toordinal()
    paid = every.state == 2
    due_now = ~paid & (every.due <= today)
    ahead = ~paid & (every.due > today)
    # approved and not paid: only the few commissions with a record can be
    approved = np.zeros(len(every), dtype=bool)
    waiting = {(s.investment_id, s.number) for s in book.commissions.states() if s.status == "approved"}
    if waiting:
        marks = np.array([(book.ids[int(slot)], int(n)) in waiting for slot, n in zip(every.slots, every.numbers)],
                         dtype=bool)
        approved = marks & ~paid
    active = book.active_slots()
    out = []
    for key in [*sorted(known, key=lambda k: known[k].name.casefold()), *sorted(set(named) - set(known))]:
        person = known.get(key)
        code = index.get(key, -2)
        mine = who == code
        slots = active[codes[active] == code] if code >= 0 else active[:0]
        upcoming = mine & ahead
        next_day = int(every.due[upcoming].min()) if upcoming.any() else None
        out.append(SalespersonSummary(
            salesperson_id=key, name=person.name if person else book.salesperson_name(key),
            email=person.email if person else "", known=person is not None,
            clients=int(len(np.unique(book.client[slots]))), investments=int(len(slots)),
            due=_total(every.amount[mine & due_now]), approved=_total(every.amount[mine & approved]),
            paid=_total(every.amount[mine & paid]), upcoming=_total(every.amount[upcoming]),
            next_due=date.fromordinal(next_day) if next_day else None,
            next_amount=(Decimal(int(every.amount[upcoming & (every.due == next_day)].sum())) / 10**6) if next_day
            else ZERO))
    return out


def _record(book: PortfolioBook, row: CalendarRow, status: CommissionStatus, now: datetime) -> CommissionRecord:
    """A new document for a computed commission (route shape, deterministic ``_id``)."""
    slot = book.index.get(row.investment_id)
    interest = book.interest_of(slot) if slot is not None else row.amount * 10
    return CommissionRecord(
        commission_key=str(commission_object_id(row.investment_id, row.number, row.due)),
        salesperson_id=row.payee_id, investment_id=row.investment_id, payment_number=row.number,
        client_payment_date=row.due, commission_amount=row.amount, client_interest_amount=interest, status=status,
        salesperson_name=row.payee, client_id=row.client_id, client_name=row.client_name,
        product_type=row.product, commission_rate=REFERRAL_COMMISSION_RATE, commission_due_date=row.due,
        approved_date=now if status is CommissionStatus.APPROVED else None, created_at=now)


async def _records(context: AppContext, keys: Sequence[str]) -> dict[str, CommissionRecord]:
    store = context.store
    if store is None:
        raise StorageUnavailable("The fund database is not connected.")
    found: dict[str, CommissionRecord] = {}
    for i in range(0, len(keys), _CHUNK):
        chunk = tuple(keys[i:i + _CHUNK])
        found.update({r.commission_key: r for r in await store.commissions.find(
            Query(where=(In("commission_key", chunk),)))})
    return found


def _only_commissions(rows: Sequence[CalendarRow]) -> list[CalendarRow]:
    if not rows:
        raise ValidationError("Select at least one commission.")
    if any(r.kind is not PaymentKind.COMMISSION for r in rows):
        raise ValidationError("Only referral commissions are approved and paid here; client payments are marked "
                              "paid in the payment calendar.")
    return list(rows)


def _audit(activity_type: str, description: str, rows: Sequence[CalendarRow], **details: object) -> Audit:
    total = sum((r.amount for r in rows), ZERO)
    people = sorted({r.payee_id for r in rows})
    return Audit(activity_type=activity_type, description=description, amount=total,
                 details={"salespeople": people, "commissions": len(rows), "total": str(total),
                          "payments": [f"{r.investment_id}#{r.number}" for r in rows[:1000]], **details})


async def _submit(context: AppContext, kind: str, writes: Sequence[Write], audit: Audit) -> WriteResult:
    op = Operation(kind, tuple(writes), audit, flags=frozenset({PAYMENTS, FIGURES}))
    return await context.writer.submit(op)


async def approve_commissions(context: AppContext, book: PortfolioBook, rows: Sequence[CalendarRow]) -> WriteResult:
    """Approve due commissions for payment (pending -> approved)."""
    rows = _only_commissions(rows)
    today = utc_now().date()
    problems = [f"{r.label} of {r.client_name} is not due until {r.due.isoformat()}." for r in rows if r.due > today]
    problems += [f"{r.label} of {r.client_name} is already {status_of(book, r).value}." for r in rows
                 if status_of(book, r) in (CommissionStatus.APPROVED, CommissionStatus.PAID)]
    if problems:
        raise ValidationError("Nothing was approved: " + " ".join(problems[:5]) + (" …" if len(problems) > 5 else ""))
    now = utc_now()
    store = context.store
    assert store is not None
    held = await _records(context, [s.key for r in rows if (s := book.commissions.state(r.investment_id, r.number))])
    writes: list[Write] = []
    for r in rows:
        state = book.commissions.state(r.investment_id, r.number)
        record = held.get(state.key) if state else None
        if record is None:
            new = _record(book, r, CommissionStatus.APPROVED, now)
            writes.append(Insert("referral_commissions", store.commissions.new_document(new, now)))
        else:
            patch = store.commissions.patch_of(record.evolve(status=CommissionStatus.APPROVED, approved_date=now), now)
            if patch is not None:
                writes.append(patch)
    total = sum((r.amount for r in rows), ZERO)
    return await _submit(context, "commissions.approve", writes, _audit(
        "commissions_approved", f"{len(rows)} referral commission(s) of {total:,.2f} approved for payment", rows))


async def pay_commissions(context: AppContext, book: PortfolioBook, rows: Sequence[CalendarRow], *, method: str,
                          reference: str, paid_on: date, notes: str = "", payment_hash: str = "") -> WriteResult:
    """Record approved commissions as paid (approved -> paid), with how and the payment's reference."""
    rows = _only_commissions(rows)
    fields = {}
    if method not in PAYMENT_METHODS:
        fields["method"] = "Choose how the commission was paid."
    if not reference.strip():
        fields["reference"] = "The bank or wallet reference of the payment."
    if paid_on > utc_now().date():
        fields["paid_on"] = "Today or earlier."
    if fields:
        raise ValidationError("The commissions were not recorded as paid: " + " ".join(fields.values()), fields)
    unapproved = [r for r in rows if status_of(book, r) is not CommissionStatus.APPROVED]
    if unapproved:
        raise ValidationError(f"{len(unapproved)} of the selected commissions are not approved (approve them first; "
                              "paid ones are paid already).")
    store = context.store
    assert store is not None
    keys = [s.key for r in rows if (s := book.commissions.state(r.investment_id, r.number))]
    held = await _records(context, keys)
    now = utc_now()
    moment = now if paid_on == now.date() else datetime.combine(paid_on, time(12), tzinfo=UTC)
    writes: list[Write] = []
    for key in keys:
        record = held.get(key)
        if record is None:
            raise ValidationError("A selected commission's record is no longer in the database: reload and try again.")
        patch = store.commissions.patch_of(record.evolve(
            status=CommissionStatus.PAID, paid_date=moment, payment_method=method, payment_reference=reference.strip(),
            payment_hash=payment_hash.strip(), notes=notes.strip() or record.notes), now)
        if patch is not None:
            writes.append(patch)
    total = sum((r.amount for r in rows), ZERO)
    return await _submit(context, "commissions.pay", writes, _audit(
        "commissions_paid", f"{len(rows)} referral commission(s) of {total:,.2f} paid by {method} ({reference.strip()})",
        rows, method=method, reference=reference.strip(), paid_on=paid_on.isoformat()))


async def write_pending(context: AppContext, book: PortfolioBook, salesperson_id: str) -> WriteResult | None:
    """Write the documents of a salesperson's commissions that have none yet, as ``pending``, so
    the web platform's referral screens list them too (idempotent: the ``_id`` is the payment's)."""
    store = context.store
    if store is None:
        raise StorageUnavailable("The fund database is not connected.")
    sel = commissions_of(book, salesperson_id, frozenset({PaymentState.DUE, PaymentState.OVERDUE}))
    rows = [r for r in sel.rows() if book.commissions.state(r.investment_id, r.number) is None]
    if not rows:
        return None
    now = utc_now()
    writes = [Insert("referral_commissions", store.commissions.new_document(
        _record(book, r, CommissionStatus.PENDING, now), now), if_exists="skip") for r in rows]
    total = sum((r.amount for r in rows), ZERO)
    return await _submit(context, "commissions.record", writes, _audit(
        "commissions_recorded", f"{len(rows)} pending referral commission(s) of {total:,.2f} written for the web "
        "platform", rows))
