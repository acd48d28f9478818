"""Creating and editing investments, with the fund's rules checked; each change is one
operation through the write path (the document and its audit entry together).

Rules on create (reference §5.2, without the original's hard-coded waivers): the client exists
and has cleared KYC (``clear`` or ``approved``), the product exists and is open to new money,
and the amount is at least the product's minimum.

New investments are written in the current shape (A) with the dates the original's cleanup
scripts store (``incubation_end_date``, ``first_payment_date``, ``contract_end_date``), so the
web platform reads them as its own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from collections.abc import Awaitable
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from ..domain.funds import FundProduct
from ..domain.investments import Investment, InvestmentShape, InvestmentStatus
from ..domain.people import Client
from ..domain.schedules import contract_end, first_payment_date, interest_start
from ..domain.values import utc_now
from ..errors import NotFoundError, StorageUnavailable, ValidationError
from ..runtime.operations import Audit, Operation
from ..runtime.writer import WriteResult
from ..storage.store import FundStore
from ..storage.writes import Insert

if TYPE_CHECKING:
    from ..app_context import AppContext

#: Fields the manager edits; other fields (ids, shape, raw) are not the dialog's business.
EDITABLE = ("principal", "start_date", "interest_rate", "client_name", "salesperson_id", "mt5_accounts")


@dataclass(frozen=True, slots=True)
class InvestmentDraft:
    """What the "new investment" dialog collects; text stays as typed until validated."""

    client_id: str
    product: str
    principal: Decimal | str
    start_date: date
    status: InvestmentStatus = InvestmentStatus.ACTIVE
    #: Monthly rate as a fraction; ``None`` uses the product's.
    interest_rate: Decimal | None = None
    salesperson_id: str = ""
    mt5_accounts: tuple[int, ...] = field(default_factory=tuple)


def parse_amount(value: Decimal | str) -> Decimal | None:
    if isinstance(value, Decimal):
        return value
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def investment_problems(draft: InvestmentDraft, client: Client | None,
                        product: FundProduct | None) -> dict[str, str]:
    """Field -> reason for every rule ``draft`` breaks (empty: it may be created)."""
    problems: dict[str, str] = {}
    if client is None:
        problems["client_id"] = f"No client '{draft.client_id}'."
    elif not client.kyc_cleared:
        problems["client_id"] = (f"{client.name} has not cleared AML/KYC "
                                 f"(status: {client.kyc_status.value}).")
    amount = parse_amount(draft.principal)
    if product is None:
        problems["product"] = f"No product '{draft.product}'."
    elif product.internal:
        problems["product"] = f"{product.name} is internal and takes no client money."
    elif not product.open_to_new_money:
        problems["product"] = f"{product.name} is closed to new money."
    if amount is None:
        problems["principal"] = "Enter an amount, e.g. 25000 or 25,000.00."
    elif amount <= 0:
        problems["principal"] = "The amount must be positive."
    elif amount != amount.quantize(Decimal("0.01")):
        problems["principal"] = "Amounts are in whole cents."
    elif product is not None and amount < product.minimum:
        problems["principal"] = f"{product.name} takes at least {product.minimum:,.2f}."
    if draft.interest_rate is not None and not Decimal(0) <= draft.interest_rate < 1:
        problems["interest_rate"] = "A monthly rate is a fraction, e.g. 0.015 for 1.5 %."
    return problems


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def schedule_dates(investment: Investment, product: FundProduct) -> dict[str, Any]:
    """The date fields shape A stores beside ``start_date`` (BSON datetimes, UTC midnight)."""
    first = first_payment_date(investment, product)
    return {
        "incubation_end_date": _midnight(interest_start(investment, product)),
        "first_payment_date": _midnight(first) if first else None,
        "contract_end_date": _midnight(contract_end(investment, product)),
        "contract_months": product.contract_months,
    }


def _audit(investment: Investment, activity_type: str, description: str, details: dict[str, Any],
           amount: Decimal | None = None) -> Audit:
    return Audit(activity_type=activity_type, description=description, client_id=investment.client_id,
                 investment_id=investment.investment_id, amount=amount, fund_code=investment.product,
                 details=details)


async def _saved(context: AppContext, result: WriteResult, investment_id: str, pending: Investment) -> Investment:
    """The investment as stored now, or (queued while the database is away) as it will be."""
    store = context.store
    if result.saved and store is not None:
        return await store.investments.get(investment_id)
    return pending


async def _read_or[T](read: Awaitable[T], fallback: T | None) -> T:
    """A fresh read, or (the database away) what the manager's screen read earlier: the change is
    then checked against that and kept in the outbox, instead of refused."""
    try:
        return await read
    except StorageUnavailable:
        if fallback is None:
            raise
        return fallback


async def create_investment(context: AppContext, draft: InvestmentDraft, *, client: Client | None = None,
                            product: FundProduct | None = None) -> tuple[Investment, WriteResult]:
    """``client`` and ``product``: the records the dialog showed, used when the database is away."""
    store = _store(context)
    client = await _read_or(store.clients.find_one(draft.client_id), client) if draft.client_id else None
    product = await _read_or(store.products.find_one(draft.product), product) if draft.product else None
    problems = investment_problems(draft, client, product)
    if problems:
        raise ValidationError("The investment was not created: " + " ".join(problems.values()), problems)
    assert client is not None and product is not None
    amount = parse_amount(draft.principal)
    assert amount is not None
    investment = Investment(
        investment_id=str(uuid.uuid4()), client_id=client.client_id, client_name=client.name,
        product=product.code, principal=amount, start_date=_midnight(draft.start_date), status=draft.status,
        interest_rate=draft.interest_rate if draft.interest_rate is not None else product.monthly_rate,
        payment_frequency=product.payment_frequency if product.payment_frequency.months else None,
        salesperson_id=draft.salesperson_id, mt5_accounts=tuple(draft.mt5_accounts),
        shape=InvestmentShape.CURRENT)
    # The shape-A date fields the codec does not model are written beside the document.
    doc = store.investments.new_document(investment, utc_now())
    doc.update(schedule_dates(investment, product))
    op = Operation("investment.create", (Insert("investments", doc),), _audit(
        investment, "deposit", f"{product.code} investment of {amount:,.2f} created",
        {"status": str(investment.status), "start_date": draft.start_date.isoformat()}, amount))
    result = await context.writer.submit(op)
    return await _saved(context, result, investment.investment_id, investment), result


def _plain(value: Any) -> Any:
    """A JSON-friendly value for the audit trail (``10000.0`` read from a double reads ``10000``)."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def edit_problems(edited: Investment, product: FundProduct | None) -> dict[str, str]:
    problems: dict[str, str] = {}
    if edited.principal <= 0:
        problems["principal"] = "The amount must be positive."
    elif product is not None and edited.principal < product.minimum:
        problems["principal"] = f"{product.name} takes at least {product.minimum:,.2f}."
    if edited.interest_rate is not None and not Decimal(0) <= edited.interest_rate < 1:
        problems["interest_rate"] = "A monthly rate is a fraction, e.g. 0.015 for 1.5 %."
    return problems


async def update_investment(context: AppContext, edited: Investment) -> tuple[Investment, WriteResult | None]:
    """Save the manager's edits of ``edited`` (read from the store, then ``evolve``-d); ``None``
    as the result when nothing changed."""
    store = _store(context)
    before = await _read_or(store.investments.get(edited.investment_id), store.investments.as_read(edited))
    product = await _read_or(store.products.find_one(edited.product), _known_product(context, edited.product))
    problems = edit_problems(edited, product)
    if problems:
        raise ValidationError("The changes were not saved: " + " ".join(problems.values()), problems)
    changed = {name: (_plain(getattr(before, name)), _plain(getattr(edited, name)))
               for name in EDITABLE if getattr(before, name) != getattr(edited, name)}
    if not changed:
        return before, None
    # Shape A documents store the contract dates the web platform reads; keep them in step.
    derived = (schedule_dates(edited, product)
               if product is not None and edited.shape is InvestmentShape.CURRENT else None)
    patch = store.investments.patch_of(edited, utc_now(), derived=derived)
    assert patch is not None
    op = Operation("investment.update", (patch,), _audit(
        edited, "investment_updated", f"Investment edited: {', '.join(changed)}",
        {"changes": {k: {"from": a, "to": b} for k, (a, b) in changed.items()}}))
    result = await context.writer.submit(op)  # ConflictError if someone changed the same fields
    return await _saved(context, result, edited.investment_id, edited), result


async def change_status(context: AppContext, investment: Investment, status: InvestmentStatus, *,
                        reason: str = "") -> tuple[Investment, WriteResult | None]:
    """Move ``investment`` (as read) to ``status``; refused if someone changed it meanwhile."""
    if investment.status == status:
        return investment, None
    if not investment.is_stored:
        raise NotFoundError(f"Investment {investment.investment_id} was never saved.")
    moved = investment.evolve(status=status)
    patch = _store(context).investments.patch_of(moved, utc_now())
    assert patch is not None
    op = Operation("investment.status", (patch,), _audit(
        moved, "investment_status_changed", f"Status {investment.status} -> {status}" + (f": {reason}" if reason else ""),
        {"from": str(investment.status), "to": str(status), "reason": reason}))
    result = await context.writer.submit(op)
    return await _saved(context, result, investment.investment_id, moved), result


def _known_product(context: AppContext, code: str) -> FundProduct | None:
    """The product's terms as the portfolio last read them (for checks while the database is away)."""
    from .portfolio_service import PortfolioService

    service = context.service(PortfolioService)
    book = service.book if service is not None else None
    return book.products.get(code) if book is not None else None


def _store(context: AppContext) -> FundStore:
    if context.store is None:
        raise StorageUnavailable("The fund database is not connected.")
    return context.store
