"""Creating and editing investments, with the fund's rules checked and every change audited.

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
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from ..domain.activity import ActivityEntry
from ..domain.funds import FundProduct
from ..domain.investments import Investment, InvestmentShape, InvestmentStatus
from ..domain.people import Client
from ..domain.schedules import contract_end, first_payment_date, interest_start
from ..domain.values import utc_now
from ..errors import NotFoundError, ValidationError
from ..storage.codecs import InvestmentCodec
from ..storage.store import FundStore
from .changes import Changes

_CODEC = InvestmentCodec()
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


def _audit(investment: Investment, activity_type: str, description: str, actor: str,
           details: dict[str, Any], amount: Decimal | None = None) -> ActivityEntry:
    return ActivityEntry(log_id=str(uuid.uuid4()), activity_type=activity_type, description=description,
                         timestamp=utc_now(), client_id=investment.client_id,
                         investment_id=investment.investment_id, amount=amount,
                         fund_code=investment.product, actor=actor, details=details)


async def create_investment(store: FundStore, draft: InvestmentDraft, *, actor: str,
                            initiator: object | None = None) -> tuple[Investment, Changes]:
    client = await store.clients.find_one(draft.client_id) if draft.client_id else None
    product = await store.products.find_one(draft.product) if draft.product else None
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
    doc = _CODEC.encode(investment)
    doc.update(schedule_dates(investment, product))
    now = utc_now()
    _CODEC.stamp_create(doc, now)
    # insert_documents keeps the extra shape-A date fields the codec does not model.
    await store.investments.insert_documents([doc])
    stored = await store.investments.get(investment.investment_id)
    entry = _audit(stored, "deposit", f"{product.code} investment of {amount:,.2f} created", actor,
                   {"status": str(stored.status), "start_date": draft.start_date.isoformat()}, amount)
    await store.activity.add(entry)
    return stored, Changes.of(investments=[stored.investment_id], activity=[entry.log_id], initiator=initiator)


def _plain(value: Any) -> Any:
    """A JSON-friendly value for the audit trail (``10000.0`` read from a double reads ``10000``)."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


async def update_investment(store: FundStore, edited: Investment, *, actor: str,
                            initiator: object | None = None) -> tuple[Investment, Changes]:
    """Save the manager's edits of ``edited`` (read from the store, then ``evolve``-d)."""
    before = await store.investments.get(edited.investment_id)
    product = await store.products.find_one(edited.product)
    problems: dict[str, str] = {}
    if edited.principal <= 0:
        problems["principal"] = "The amount must be positive."
    elif product is not None and edited.principal < product.minimum:
        problems["principal"] = f"{product.name} takes at least {product.minimum:,.2f}."
    if edited.interest_rate is not None and not Decimal(0) <= edited.interest_rate < 1:
        problems["interest_rate"] = "A monthly rate is a fraction, e.g. 0.015 for 1.5 %."
    if problems:
        raise ValidationError("The changes were not saved: " + " ".join(problems.values()), problems)
    changed = {name: (_plain(getattr(before, name)), _plain(getattr(edited, name)))
               for name in EDITABLE if getattr(before, name) != getattr(edited, name)}
    if not changed:
        return before, Changes()
    # Shape A documents store the contract dates the web platform reads; keep them in step.
    derived = (schedule_dates(edited, product)
               if product is not None and edited.shape is InvestmentShape.CURRENT else None)
    saved = await store.investments.save(edited, derived=derived)  # ConflictError if it moved since read
    entry = _audit(saved, "investment_updated", f"Investment edited: {', '.join(changed)}", actor,
                   {"changes": {k: {"from": a, "to": b} for k, (a, b) in changed.items()}})
    await store.activity.add(entry)
    return saved, Changes.of(investments=[saved.investment_id], activity=[entry.log_id], initiator=initiator)


async def change_status(store: FundStore, investment: Investment, status: InvestmentStatus, *, actor: str,
                        reason: str = "", initiator: object | None = None) -> tuple[Investment, Changes]:
    """Move ``investment`` (as read) to ``status``; refused if someone changed it meanwhile."""
    if investment.status == status:
        return investment, Changes()
    if not investment.is_stored:
        raise NotFoundError(f"Investment {investment.investment_id} was never saved.")
    saved = await store.investments.save(investment.evolve(status=status))
    entry = _audit(saved, "investment_status_changed",
                   f"Status {investment.status} -> {status}" + (f": {reason}" if reason else ""), actor,
                   {"from": str(investment.status), "to": str(status), "reason": reason})
    await store.activity.add(entry)
    return saved, Changes.of(investments=[saved.investment_id], activity=[entry.log_id], initiator=initiator)
