"""The payment calendar's rows and filter, and recording payments as made ("mark paid").

The original never recorded a payment made to a client (reference §5.2). We record each one as
an ``activity_logs`` entry (``interest_paid`` / ``principal_paid``) whose ``log_id`` is derived
from the payment itself, so the same payment can never be recorded twice, even from two
windows at once: the second insert is refused by the database's unique key.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from ..domain.activity import ActivityEntry
from ..domain.schedules import PaymentKind, ScheduledPayment
from ..domain.values import ZERO, utc_now
from ..errors import StorageUnavailable, ValidationError
from ..exports import CsvFormat
from ..runtime.operations import Audit, Operation
from ..runtime.writer import WriteResult
from ..storage.query import In, Query
from ..storage.writes import Insert
from .changes import FIGURES, PAYMENTS
from .portfolio import PAID_TYPES

if TYPE_CHECKING:
    from ..app_context import AppContext
    from ..portfolio.book import PortfolioBook


class PaymentState(enum.StrEnum):
    DUE = "due"
    OVERDUE = "overdue"
    PAID = "paid"


class CalendarRow(NamedTuple):
    due: date
    kind: PaymentKind
    amount: Decimal
    investment_id: str
    number: int
    client_id: str
    client_name: str
    product: str
    state: PaymentState
    paid_on: date | None
    #: Commissions: the salesperson paid (``sp_<hex>``) and their name.
    payee_id: str = ""
    payee: str = ""
    #: A part of the payment paid ahead of its due day (a redemption), not the payment itself.
    part: bool = False

    @property
    def label(self) -> str:
        if self.kind is PaymentKind.COMMISSION:
            return f"Commission #{self.number}" + (f" ({self.payee})" if self.payee else "")
        what = "Principal" if self.kind is PaymentKind.PRINCIPAL else f"Interest #{self.number}"
        return f"{what}, paid ahead" if self.part else what

    @property
    def is_client_payment(self) -> bool:
        return self.kind is not PaymentKind.COMMISSION


@dataclass(frozen=True, slots=True)
class CalendarFilter:
    first: date | None = None
    last: date | None = None
    product: str = ""
    client_id: str = ""
    kind: PaymentKind | None = None
    #: Which states to show; default: what is still to pay (due and overdue).
    states: frozenset[PaymentState] = frozenset({PaymentState.DUE, PaymentState.OVERDUE})
    text: str = ""
    #: Referral commissions are listed too (as outgoing payments of their own kind).
    commissions: bool = True
    #: Only this salesperson's commissions (``sp_<hex>``); client payments are left out.
    salesperson_id: str = ""


def paid_on_of(entry: ActivityEntry) -> date:
    """The day a recorded payment was made (the record's own date if it does not say)."""
    text = entry.details.get("paid_on")
    return date.fromisoformat(str(text)[:10]) if text else entry.timestamp.date()


CSV_HEADER = ("due_date", "kind", "payment", "amount", "client_id", "client_name", "product",
              "investment_id", "state", "paid_on")


def calendar_csv(rows: Iterable[CalendarRow], fmt: CsvFormat = CsvFormat()) -> str:
    """CSV for a spreadsheet: ISO dates, amounts without thousands separator, in ``fmt``'s
    separator and decimal sign (see :mod:`..exports`)."""
    return fmt.text([CSV_HEADER, *((r.due.isoformat(), r.kind.value, r.label, fmt.amount(r.amount), r.client_id,
                                    r.client_name, r.product, r.investment_id, r.state.value,
                                    r.paid_on.isoformat() if r.paid_on else "") for r in rows)])


# ---- recording payments -------------------------------------------------------------------


def paid_log_id(payment: CalendarRow | ScheduledPayment) -> str:
    return f"paid:{payment.investment_id}:{payment.kind.value}:{payment.due.isoformat()}"


def paid_entry(row: CalendarRow, *, actor: str, paid_on: date, reference: str = "",
               now: datetime | None = None) -> ActivityEntry:
    """The audit record of one payment made (also usable to seed history, e.g. demo data)."""
    what = "principal" if row.kind is PaymentKind.PRINCIPAL else f"interest payment #{row.number}"
    details = {"due_date": row.due.isoformat(), "paid_on": paid_on.isoformat(), "kind": row.kind.value,
               "payment_number": row.number}
    if reference:
        details["reference"] = reference
    return ActivityEntry(
        log_id=paid_log_id(row), activity_type=PAID_TYPES[row.kind],
        description=f"{row.product} {what} of {row.amount:,.2f} due {row.due.isoformat()} paid",
        timestamp=now or utc_now(), client_id=row.client_id, investment_id=row.investment_id,
        amount=row.amount, fund_code=row.product, actor=actor, details=details)


@dataclass(frozen=True, slots=True)
class MarkPaidResult:
    recorded: tuple[str, ...]
    #: Payments someone had already recorded (here or in another window).
    already_paid: tuple[str, ...]
    #: ``None`` when nothing was left to record.
    write: WriteResult | None


async def mark_paid(context: AppContext, rows: Sequence[CalendarRow], *, paid_on: date,
                    reference: str = "") -> MarkPaidResult:
    """Record each of ``rows`` as paid on ``paid_on``, all in one operation (one audit entry).

    Each payment's record has a key derived from the payment itself, so recording it twice,
    from two windows at once or by replaying the outbox, keeps the first record.
    """
    if any(not r.is_client_payment for r in rows):
        raise ValidationError("Referral commissions are paid on the salesperson's screen (Commissions tab), "
                              "with the payment method and reference.")
    if not rows:
        raise ValidationError("Select at least one payment to mark as paid.")
    if paid_on > utc_now().date():
        raise ValidationError("A payment cannot be recorded as made in the future.",
                              {"paid_on": "Today or earlier."})
    store = context.store
    already = [paid_log_id(r) for r in rows if r.state is PaymentState.PAID]
    todo = [r for r in rows if r.state is not PaymentState.PAID]
    if store is not None and todo:
        try:
            held = await store.activity.find(Query(where=(In("log_id", tuple(paid_log_id(r) for r in todo)),)))
        except StorageUnavailable:  # the database is away: kept for later, a duplicate is skipped then
            held = []
        taken = {e.log_id for e in held}
        already += [paid_log_id(r) for r in todo if paid_log_id(r) in taken]
        todo = [r for r in todo if paid_log_id(r) not in taken]
    if not todo:
        return MarkPaidResult((), tuple(already), None)
    actor = context.writer.actor
    now = utc_now()
    writes = []
    for row in todo:
        entry = paid_entry(row, actor=actor, paid_on=paid_on, reference=reference, now=now)
        writes.append(Insert("activity_logs", activity_document(entry), if_exists="skip"))
    total = sum((r.amount for r in todo), ZERO)
    op = Operation("payments.mark_paid", tuple(writes), Audit(
        activity_type="payments_recorded",
        description=f"{len(todo)} payment(s) of {total:,.2f} recorded as paid on {paid_on.isoformat()}",
        client_id=todo[0].client_id if len({r.client_id for r in todo}) == 1 else "",
        investment_id=todo[0].investment_id if len({r.investment_id for r in todo}) == 1 else "",
        amount=total, details={"payments": [paid_log_id(r) for r in todo], "paid_on": paid_on.isoformat(),
                               **({"reference": reference} if reference else {})}),
        flags=frozenset({PAYMENTS, FIGURES}))
    result = await context.writer.submit(op)
    return MarkPaidResult(tuple(paid_log_id(r) for r in todo), tuple(already), result)


def activity_document(entry: ActivityEntry) -> dict:
    """The ``activity_logs`` document of ``entry``, stamped as created at its timestamp."""
    from ..storage.store import CODECS
    from ..storage.codecs import ActivityCodec

    codec = next(c for c in CODECS if isinstance(c, ActivityCodec))
    doc = codec.encode(entry)
    codec.stamp_create(doc, entry.timestamp)
    return doc


def history_paid_entries(book: PortfolioBook, until: date, *, actor: str) -> list[ActivityEntry]:
    """Records for every unpaid payment due before ``until``, as paid on its due date.

    For a fund whose past payments were made outside the app (the original never recorded them):
    the demo data, or a first import of the web platform's database.
    """
    from ..portfolio.calendar import select

    rows = select(book, CalendarFilter(last=until - timedelta(days=1),
                                       states=frozenset({PaymentState.DUE, PaymentState.OVERDUE}),
                                       commissions=False)).rows()
    return [paid_entry(r, actor=actor, paid_on=r.due, now=datetime.combine(r.due, time(12), tzinfo=UTC))
            for r in rows]
