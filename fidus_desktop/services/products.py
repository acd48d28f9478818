"""Editing the fund's products (``fund_products``), checked and audited.

Products are data, not code: the schedule rules read every term from here, including which
reading of the final payment is in force (reference §5.1, ``ScheduleReading``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..domain.funds import FundProduct, ScheduleReading
from ..domain.investments import Investment
from ..domain.schedules import PaymentKind, payment_schedule, total_interest
from ..domain.values import utc_now
from ..errors import StorageUnavailable, ValidationError
from ..runtime.operations import Audit, Operation
from ..runtime.writer import WriteResult

if TYPE_CHECKING:
    from ..app_context import AppContext

READING_LABELS = {
    ScheduleReading.DOCUMENTED: "D - documented: principal alone at contract end",
    ScheduleReading.CASH_FLOW_CODE: "C - cash-flow code: one more period of interest at contract end",
}

@dataclass(frozen=True, slots=True)
class ReadingPreview:
    """What one investment would be paid under one reading of the final payment."""

    reading: ScheduleReading
    in_force: bool
    interest_payments: int
    total_interest: Decimal
    contract_end: date
    final_payment: Decimal


def reading_previews(product: FundProduct, principal: Decimal, start: date) -> list[ReadingPreview]:
    """Both readings' schedules of an investment of ``principal`` starting ``start``, side by side
    (empty for a product that pays no fixed interest: both readings then return the principal alone)."""
    if not product.payment_frequency.months:
        return []
    inv = Investment(investment_id="example", client_id="", product=product.code, principal=principal,
                     start_date=datetime.combine(start, time(0), tzinfo=UTC))
    previews = []
    for reading in ScheduleReading:
        schedule = payment_schedule(inv, product, reading)
        end = schedule[-1].due
        previews.append(ReadingPreview(
            reading, reading is product.schedule_reading, sum(1 for p in schedule if p.kind is PaymentKind.INTEREST),
            total_interest(schedule), end, sum((p.amount for p in schedule if p.due == end), Decimal(0))))
    return previews


_AUDITED = tuple(f.name for f in dataclasses.fields(FundProduct) if f.name not in ("raw", "revision", "code"))


def product_problems(p: FundProduct) -> dict[str, str]:
    """Field -> reason for each term that would make schedules wrong or impossible."""
    problems: dict[str, str] = {}
    if not p.name.strip():
        problems["name"] = "A product needs a name."
    if p.monthly_rate is not None and not Decimal(0) <= p.monthly_rate < 1:
        problems["monthly_rate"] = "A monthly rate is a fraction below 1 (0.015 = 1.5 %)."
    if p.minimum < 0:
        problems["minimum"] = "The minimum cannot be negative."
    if p.performance_share is not None and not Decimal(0) <= p.performance_share <= 1:
        problems["performance_share"] = "A share of performance is between 0 and 1."
    if p.incubation_days < 0:
        problems["incubation_days"] = "Incubation cannot be negative."
    if p.contract_days <= p.incubation_days:
        problems["contract_days"] = "The contract must run longer than the incubation."
    if p.payment_frequency.months:
        if not p.monthly_rate:
            problems["monthly_rate"] = "A product paying interest needs a rate."
        if p.regular_payments < 1:
            problems["regular_payments"] = "At least one regular payment."
        if p.interval_days is None or p.interval_days < 1:
            problems["interval_days"] = "Days between payments must be positive."
        if p.first_payment_days is None or p.first_payment_days <= p.incubation_days:
            problems["first_payment_days"] = "The first payment comes after the incubation."
        elif p.interval_days and p.regular_payments >= 1:
            last = p.first_payment_days + (p.regular_payments - 1) * p.interval_days
            if last > p.contract_days:
                problems["regular_payments"] = (f"The last regular payment (day {last}) falls after the "
                                                f"contract end (day {p.contract_days}).")
    return problems


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return getattr(value, "value", value)


async def update_product(context: AppContext, edited: FundProduct) -> tuple[FundProduct, WriteResult | None]:
    """Save the manager's edits of ``edited`` (read from the store, then ``evolve``-d)."""
    problems = product_problems(edited)
    if problems:
        raise ValidationError("The product was not saved: " + " ".join(problems.values()), problems)
    store = context.store
    if store is None:
        raise StorageUnavailable("The fund database is not connected.")
    before = await store.products.get(edited.code)
    changed = {name: {"from": _plain(getattr(before, name)), "to": _plain(getattr(edited, name))}
               for name in _AUDITED if getattr(before, name) != getattr(edited, name)}
    if not changed:
        return before, None
    patch = store.products.patch_of(edited, utc_now())
    assert patch is not None
    op = Operation("product.update", (patch,), Audit(
        activity_type="product_updated", description=f"{edited.code} terms changed: {', '.join(changed)}",
        fund_code=edited.code, details={"changes": changed}))
    result = await context.writer.submit(op)  # ConflictError if someone changed the same terms
    saved = await store.products.get(edited.code) if result.saved else edited
    return saved, result
