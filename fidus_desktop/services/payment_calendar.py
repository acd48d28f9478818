"""The payment calendar: every interest payment and principal return, and "mark paid".

The original never recorded a payment made to a client (reference §5.2). We record each one as
an ``activity_logs`` entry (``interest_paid`` / ``principal_paid``) whose ``log_id`` is derived
from the payment itself, so the same payment can never be recorded twice, even from two
windows at once: the second insert is refused by the database's unique key.
"""

from __future__ import annotations

import csv
import enum
import io
from operator import attrgetter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import NamedTuple

from ..domain.activity import ActivityEntry
from ..domain.schedules import PaymentKind, ScheduledPayment
from ..domain.values import utc_now
from ..errors import ConflictError, ValidationError
from ..storage.store import FundStore
from .changes import Changes
from .portfolio import PAID_TYPES, PortfolioData


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

    @property
    def label(self) -> str:
        return "Principal" if self.kind is PaymentKind.PRINCIPAL else f"Interest #{self.number}"


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


def calendar_rows(data: PortfolioData, flt: CalendarFilter = CalendarFilter()) -> list[CalendarRow]:
    """Calendar rows in date order, filtered once here rather than per comparison in a view."""
    needle = flt.text.strip().lower()
    inv_by_id = {i.investment_id: i for i in data.active}
    rows: list[CalendarRow] = []
    with_paid = {key[0] for key in data.paid}
    for inv_id, schedule in data.schedules.items():
        inv = inv_by_id[inv_id]
        if flt.product and inv.product != flt.product or flt.client_id and inv.client_id != flt.client_id:
            continue
        name = data.client_name(inv.client_id, inv.client_name)
        if needle and needle not in name.lower() and needle not in inv_id.lower():
            continue
        for p in schedule:
            if flt.first and p.due < flt.first or flt.last and p.due > flt.last:
                continue
            if flt.kind and p.kind is not flt.kind:
                continue
            entry = data.paid.get(p.key) if inv_id in with_paid else None
            state = (PaymentState.PAID if entry else
                     PaymentState.OVERDUE if p.due < data.as_of else PaymentState.DUE)
            if state not in flt.states:
                continue
            paid_on = paid_on_of(entry) if entry else None
            rows.append(CalendarRow(p.due, p.kind, p.amount, inv_id, p.number, inv.client_id, name,
                                    inv.product, state, paid_on))
    # Stable sort: within one investment and day, the schedule's own order (interest, then principal).
    rows.sort(key=attrgetter("due", "client_name", "investment_id"))
    return rows


def paid_on_of(entry: ActivityEntry) -> date:
    """The day a recorded payment was made (the record's own date if it does not say)."""
    text = entry.details.get("paid_on")
    return date.fromisoformat(str(text)[:10]) if text else entry.timestamp.date()


CSV_HEADER = ("due_date", "kind", "payment", "amount", "client_id", "client_name", "product",
              "investment_id", "state", "paid_on")


def calendar_csv(rows: Iterable[CalendarRow]) -> str:
    """Plain CSV for a spreadsheet: ISO dates, amounts as decimal strings (no thousands separator)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for r in rows:
        writer.writerow((r.due.isoformat(), r.kind.value, r.label, f"{r.amount:.2f}", r.client_id,
                         r.client_name, r.product, r.investment_id, r.state.value,
                         r.paid_on.isoformat() if r.paid_on else ""))
    return out.getvalue()


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
    changes: Changes


async def mark_paid(store: FundStore, rows: Sequence[CalendarRow], *, actor: str, paid_on: date,
                    reference: str = "", initiator: object | None = None) -> MarkPaidResult:
    """Record each of ``rows`` as paid on ``paid_on``; one audit entry per payment."""
    if not rows:
        raise ValidationError("Select at least one payment to mark as paid.")
    if not actor.strip():
        raise ValidationError("Say who records the payment.", {"actor": "Required."})
    if paid_on > utc_now().date():
        raise ValidationError("A payment cannot be recorded as made in the future.",
                              {"paid_on": "Today or earlier."})
    recorded, already = [], []
    for row in rows:
        if row.state is PaymentState.PAID:
            already.append(paid_log_id(row))
            continue
        entry = paid_entry(row, actor=actor, paid_on=paid_on, reference=reference)
        try:
            await store.activity.add(entry)
        except ConflictError:
            already.append(entry.log_id)
        else:
            recorded.append(entry.log_id)
    investments = {r.investment_id for r in rows}
    return MarkPaidResult(tuple(recorded), tuple(already),
                          Changes.of(activity=recorded, investments=investments if recorded else (),
                                     initiator=initiator))


def history_paid_entries(data: PortfolioData, until: date, *, actor: str) -> list[ActivityEntry]:
    """Records for every unpaid payment due before ``until``, as paid on its due date.

    For a fund whose past payments were made outside the app (the original never recorded them):
    the demo data, or a first import of the web platform's database.
    """
    rows = calendar_rows(data, CalendarFilter(last=until - timedelta(days=1),
                                              states=frozenset({PaymentState.DUE, PaymentState.OVERDUE})))
    return [paid_entry(r, actor=actor, paid_on=r.due, now=datetime.combine(r.due, time(12), tzinfo=UTC))
            for r in rows]
