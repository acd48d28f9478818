"""Redemption requests: recorded, checked against every rule, approved or rejected, completed.

Each step is one operation through the write path with its audit entry. Requests are stored in
the original's ``redemptions`` collection with its request fields (reference §5.2), so the web
platform can read them; the original only ever kept them in memory.

A request is checked on the day the client wants the money (its ``requested_redemption_date``),
against the rules of :mod:`fidus_desktop.domain.redemptions` and against what other open
requests on the same investment already take. Approving checks again; completing checks on the
day it is paid and then pays it (:func:`~fidus_desktop.domain.redemptions.allocate_redemption`):

* interest first, towards the unpaid interest payments in due order: a payment covered in full
  is recorded as paid (as "mark paid" records it), the rest of the amount is a part paid ahead
  of the next payment, which then pays only the remainder;
* then the principal, at or after the end of the hold; once all of it is returned the
  investment's status becomes ``redeemed``.

So a completed redemption shows in the investment, the payment calendar and the statement.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from ..domain.activity import ActivityEntry
from ..domain.funds import FundProduct
from ..domain.investments import Investment, InvestmentStatus
from ..domain.redemption_requests import TRANSITIONS, RedemptionRequest, RedemptionStatus
from ..domain.redemptions import (Allocation, RedemptionQuote, RuleCheck, allocate_redemption, interest_paid_of,
                                  redemption_checks, redemption_quote)
from ..domain.schedules import PaymentKey, PaymentKind, ScheduledPayment, payment_schedule
from ..domain.values import ZERO, utc_now
from ..errors import NotFoundError, StorageUnavailable, ValidationError
from ..runtime.operations import Audit, Operation
from ..runtime.writer import WriteResult
from ..storage.query import Eq, In, Query
from ..storage.store import FundStore
from ..storage.writes import Insert, Write
from .changes import TIMELINE
from .payment_calendar import CalendarRow, PaymentState, activity_document, paid_entry, paid_log_id
from .portfolio import PAID_TYPES, PART_TYPES

if TYPE_CHECKING:
    from ..app_context import AppContext

#: The day after the contract end is as far as a request's "next available date" is looked for.
_SEARCH_DAYS = 500


@dataclass(frozen=True, slots=True)
class PaymentsMade:
    """What an investment has been paid so far: payments in full, and parts paid ahead."""

    paid: frozenset[PaymentKey]
    parts: dict[PaymentKey, Decimal]


@dataclass(frozen=True, slots=True)
class RedemptionCheck:
    """A request checked on a day: the quote, each rule's verdict, and what open requests take."""

    investment: Investment
    product: FundProduct
    on: date
    amount: Decimal
    quote: RedemptionQuote
    checks: tuple[RuleCheck, ...]
    already_requested: Decimal
    schedule: tuple[ScheduledPayment, ...]
    made: PaymentsMade

    @property
    def blockers(self) -> list[str]:
        return [c.reason for c in self.checks if c.blocks]

    @property
    def allowed(self) -> bool:
        return not self.blockers


def _store(context: AppContext) -> FundStore:
    if context.store is None:
        raise StorageUnavailable("The fund database is not connected.")
    return context.store


async def payments_made(store: FundStore, investment_id: str) -> PaymentsMade:
    """The investment's paid records and parts paid ahead, read from the store."""
    kinds = {t: k.value for k, t in PAID_TYPES.items()} | {t: k.value for k, t in PART_TYPES.items()}
    entries = await store.activity.find(Query(where=(Eq("investment_id", investment_id),
                                                     In("activity_type", tuple(kinds)))))
    paid: set[PaymentKey] = set()
    parts: dict[PaymentKey, Decimal] = {}
    for e in entries:
        try:
            due = date.fromisoformat(str(e.details.get("due_date"))[:10])
        except ValueError:
            continue
        key = (investment_id, kinds[e.activity_type], due)
        if e.activity_type in PART_TYPES.values():
            parts[key] = parts.get(key, ZERO) + (e.amount or ZERO)
        else:
            paid.add(key)
    return PaymentsMade(frozenset(paid), parts)


async def open_requests(store: FundStore, investment_id: str) -> list[RedemptionRequest]:
    requests = await store.redemptions.find(Query(where=(Eq("investment_id", investment_id),)))
    return [r for r in requests if r.status.open]


async def check_redemption(context: AppContext, investment_id: str, amount: Decimal, on: date, *,
                           excluding: str = "") -> RedemptionCheck:
    """Every rule applied to redeeming ``amount`` from the investment on ``on`` (``excluding``:
    a request not to count among the open ones, the one being approved or completed)."""
    store = _store(context)
    investment = await store.investments.get(investment_id)
    product = await store.products.find_one(investment.product)
    if product is None:
        raise ValidationError(f"The investment's product {investment.product} does not exist: it has no "
                              "schedule to redeem from.")
    schedule = payment_schedule(investment, product)
    made = await payments_made(store, investment_id)
    others = sum((r.requested_amount for r in await open_requests(store, investment_id)
                  if r.redemption_id != excluding), ZERO)
    quote = redemption_quote(investment, product, on, schedule=schedule,
                             interest_paid=interest_paid_of(schedule, made.paid, made.parts))
    checks = redemption_checks(quote, amount, already_requested=others)
    if not investment.is_active:
        checks = (RuleCheck("status", f"The investment is {investment.status}: only an active investment can be "
                                      "redeemed."), *checks)
    return RedemptionCheck(investment, product, on, amount, quote, checks, others, schedule, made)


def next_available_date(check: RedemptionCheck) -> date | None:
    """The first day from the requested one on which the rules would allow the amount."""
    if check.allowed:
        return check.on
    if not check.investment.is_active:
        return None
    interest_paid = interest_paid_of(check.schedule, check.made.paid, check.made.parts)
    for offset in range(1, _SEARCH_DAYS):
        day = check.on + timedelta(days=offset)
        quote = redemption_quote(check.investment, check.product, day, schedule=check.schedule,
                                 interest_paid=interest_paid)
        if not any(c.blocks for c in redemption_checks(quote, check.amount, already_requested=check.already_requested)):
            return day
        if day > check.quote.principal_from:
            return None  # past the hold the value no longer grows: it never fits
    return None


def _refuse(check: RedemptionCheck, what: str) -> None:
    if not check.allowed:
        raise ValidationError(f"The redemption was not {what}: " + " ".join(check.blockers),
                              {"amount": "\n".join(check.blockers)})


def _audit(request: RedemptionRequest, activity_type: str, description: str, **details: object) -> Audit:
    return Audit(activity_type=activity_type, description=description, client_id=request.client_id,
                 investment_id=request.investment_id, amount=request.requested_amount, fund_code=request.fund_code,
                 details={"redemption_id": request.redemption_id, **details})


async def request_redemption(context: AppContext, investment_id: str, amount: Decimal, requested_date: date, *,
                             reason: str = "", notes: str = "") -> tuple[RedemptionRequest, WriteResult]:
    """Record a client's request, refused with every rule it breaks."""
    today = utc_now().date()
    if requested_date < today:
        raise ValidationError("The requested date has passed: a request is for today or a later day.",
                              {"requested_date": "Today or later."})
    check = await check_redemption(context, investment_id, amount, requested_date)
    _refuse(check, "recorded")
    inv, product = check.investment, check.product
    request = RedemptionRequest(
        redemption_id=str(uuid.uuid4()), client_id=inv.client_id, investment_id=inv.investment_id,
        fund_code=inv.product, fund_name=product.name, requested_amount=amount, request_date=utc_now(),
        requested_redemption_date=requested_date, current_value=check.quote.current_value,
        principal_amount=inv.principal, next_available_date=next_available_date(check), reason=reason.strip(),
        admin_notes=notes.strip())
    doc = _store(context).redemptions.new_document(request, request.request_date)
    op = Operation("redemption.request", (Insert("redemptions", doc),), _audit(
        request, "redemption_requested",
        f"Redemption of {amount:,.2f} from {inv.product} requested for {requested_date.isoformat()}",
        requested_date=requested_date.isoformat(), current_value=str(check.quote.current_value)),
        flags=frozenset({TIMELINE}))
    result = await context.writer.submit(op)
    return request, result


async def _move(context: AppContext, request: RedemptionRequest, status: RedemptionStatus, writes: Sequence[Write],
                audit: Audit, **changes: object) -> tuple[RedemptionRequest, WriteResult]:
    if status not in TRANSITIONS[request.status]:
        raise ValidationError(f"A {request.status.value} redemption cannot become {status.value}.")
    store = _store(context)
    moved = request.evolve(status=status, **changes)
    patch = store.redemptions.patch_of(moved, utc_now())
    assert patch is not None
    op = Operation(f"redemption.{status.value}", (patch, *writes), audit, flags=frozenset({TIMELINE}))
    result = await context.writer.submit(op)  # ConflictError if the request changed meanwhile
    return moved, result


async def approve_redemption(context: AppContext, request: RedemptionRequest, *,
                             notes: str = "") -> tuple[RedemptionRequest, WriteResult]:
    check = await check_redemption(context, request.investment_id, request.requested_amount,
                                   request.requested_redemption_date, excluding=request.redemption_id)
    _refuse(check, "approved")
    return await _move(context, request, RedemptionStatus.APPROVED, (), _audit(
        request, "redemption_approved", f"Redemption of {request.requested_amount:,.2f} approved"),
        approved_by=context.writer.actor, approved_date=utc_now(), admin_notes=_notes(request, notes))


async def reject_redemption(context: AppContext, request: RedemptionRequest, reason: str) -> tuple[
        RedemptionRequest, WriteResult]:
    if not reason.strip():
        raise ValidationError("Say why the redemption is rejected: the client will ask.", {"reason": "Required."})
    return await _move(context, request, RedemptionStatus.REJECTED, (), _audit(
        request, "redemption_rejected", f"Redemption of {request.requested_amount:,.2f} rejected: {reason.strip()}",
        reason=reason.strip()), admin_notes=_notes(request, f"Rejected: {reason}"))


async def cancel_redemption(context: AppContext, request: RedemptionRequest, reason: str = "") -> tuple[
        RedemptionRequest, WriteResult]:
    return await _move(context, request, RedemptionStatus.CANCELLED, (), _audit(
        request, "redemption_cancelled", f"Redemption of {request.requested_amount:,.2f} cancelled"
        + (f": {reason.strip()}" if reason.strip() else "")), admin_notes=_notes(request, reason))


def _notes(request: RedemptionRequest, more: str) -> str:
    more = more.strip()
    return "\n".join(n for n in (request.admin_notes, more) if n)


def part_log_id(redemption_id: str, payment: ScheduledPayment) -> str:
    return f"part:{redemption_id}:{payment.investment_id}:{payment.kind.value}:{payment.due.isoformat()}"


def _row(payment: ScheduledPayment, inv: Investment, amount: Decimal) -> CalendarRow:
    return CalendarRow(payment.due, payment.kind, amount, inv.investment_id, payment.number, inv.client_id,
                       inv.client_name, inv.product, PaymentState.DUE, None)


def payment_writes(request: RedemptionRequest, inv: Investment, allocations: Sequence[Allocation], paid_on: date,
                   *, actor: str, now: datetime) -> list[Write]:
    """The records of what a completed redemption paid: payments in full, parts paid ahead."""
    writes: list[Write] = []
    reference = f"redemption {request.redemption_id}"
    for a in allocations:
        p = a.payment
        if a.settles:
            entry = paid_entry(_row(p, inv, a.amount), actor=actor, paid_on=paid_on, reference=reference, now=now)
            entry = entry.evolve(details={**entry.details, "redemption_id": request.redemption_id})
        else:
            what = "principal" if p.kind is PaymentKind.PRINCIPAL else f"interest payment #{p.number}"
            entry = ActivityEntry(
                log_id=part_log_id(request.redemption_id, p), activity_type=PART_TYPES[p.kind],
                description=f"{inv.product} {what} due {p.due.isoformat()}: {a.amount:,.2f} paid ahead by a redemption",
                timestamp=now, client_id=inv.client_id, investment_id=inv.investment_id, amount=a.amount,
                fund_code=inv.product, actor=actor,
                details={"due_date": p.due.isoformat(), "paid_on": paid_on.isoformat(), "kind": p.kind.value,
                         "payment_number": p.number, "redemption_id": request.redemption_id, "reference": reference})
        writes.append(Insert("activity_logs", activity_document(entry)))
    return writes


async def complete_redemption(context: AppContext, request: RedemptionRequest, paid_on: date, *,
                              notes: str = "") -> tuple[RedemptionRequest, WriteResult]:
    """Pay an approved redemption on ``paid_on`` (today or earlier): checked on that day."""
    if request.status is not RedemptionStatus.APPROVED:
        raise ValidationError("Only an approved redemption can be completed: approve it first.")
    if paid_on > utc_now().date():
        raise ValidationError("A redemption cannot be recorded as paid in the future.", {"paid_on": "Today or earlier."})
    check = await check_redemption(context, request.investment_id, request.requested_amount, paid_on,
                                   excluding=request.redemption_id)
    _refuse(check, "completed")
    inv = check.investment
    allocations = allocate_redemption(check.schedule, check.quote, request.requested_amount,
                                      paid=check.made.paid, parts=check.made.parts)
    now = utc_now()
    writes = payment_writes(request, inv, allocations, paid_on, actor=context.writer.actor, now=now)
    principal = [a for a in allocations if a.payment.kind is PaymentKind.PRINCIPAL]
    if principal and principal[-1].settles:
        patch = _store(context).investments.patch_of(inv.evolve(status=InvestmentStatus.REDEEMED), now)
        if patch is not None:
            writes.append(patch)
    paid = sum((a.amount for a in allocations if a.payment.kind is PaymentKind.INTEREST), ZERO)
    returned = request.requested_amount - paid
    moved, result = await _move(context, request, RedemptionStatus.COMPLETED, writes, _audit(
        request, "redemption_completed",
        f"Redemption of {request.requested_amount:,.2f} paid on {paid_on.isoformat()}: {paid:,.2f} interest, "
        f"{returned:,.2f} principal", paid_on=paid_on.isoformat(), interest=str(paid), principal=str(returned),
        payments=[paid_log_id(a.payment) if a.settles else part_log_id(request.redemption_id, a.payment)
                  for a in allocations]),
        completed_date=datetime.combine(paid_on, time(12), tzinfo=UTC) if paid_on != now.date() else now,
        admin_notes=_notes(request, notes))
    return moved, result


async def list_redemptions(context: AppContext, status: RedemptionStatus | None = None) -> list[RedemptionRequest]:
    store = _store(context)
    query = Query(where=(Eq("status", status.value),)) if status else Query()
    requests = await store.redemptions.find(query)
    return sorted(requests, key=lambda r: (r.request_date, r.redemption_id), reverse=True)


async def get_redemption(context: AppContext, redemption_id: str) -> RedemptionRequest:
    request = await _store(context).redemptions.find_one(redemption_id)
    if request is None:
        raise NotFoundError(f"No redemption request '{redemption_id}'.")
    return request
