"""Reconciling the past: record as paid every payment due before a date, in one operation.

The original never recorded an interest payment as paid (reference §5.2), so a fund coming from
the web platform shows every past payment as overdue on its first day here. The manager picks a
date (and, if he wants, one product or one client), sees what would be recorded, and confirms:
one operation records each of those payments as paid on its due date, each with its own entry
in the audit trail (``interest_paid`` / ``principal_paid``, as "mark paid" writes), plus the
operation's own entry saying who reconciled what. Each payment's record has a key derived from
the payment, so reconciling twice (or replaying the outbox) records nothing more.

Only client payments are concerned: referral commissions are paid on the salesperson's screen.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from ..domain.schedules import PaymentKind
from ..domain.values import ZERO, utc_now
from ..errors import StorageUnavailable, ValidationError
from ..runtime.operations import Audit, Operation
from ..runtime.writer import WriteResult
from ..storage.query import In, Query
from ..storage.writes import Insert
from .changes import FIGURES, PAYMENTS
from .payment_calendar import (CalendarFilter, CalendarRow, PaymentState, activity_document, paid_entry,
                               paid_log_id)

if TYPE_CHECKING:
    from ..app_context import AppContext
    from ..portfolio.book import PortfolioBook

RECONCILED = "payments_reconciled"
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class ReconcileScope:
    #: Payments due strictly before this day are recorded as paid.
    until: date
    product: str = ""
    client_id: str = ""

    def describe(self) -> str:
        where = f" of {self.product}" if self.product else ""
        who = f" for client {self.client_id}" if self.client_id else ""
        return f"every payment{where}{who} due before {self.until.isoformat()}"


@dataclass(frozen=True, slots=True)
class ReconcilePreview:
    scope: ReconcileScope
    rows: tuple[CalendarRow, ...]
    #: Product -> (payments, amount).
    by_product: dict[str, tuple[int, Decimal]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def total(self) -> Decimal:
        return sum((r.amount for r in self.rows), ZERO)

    @property
    def first_due(self) -> date | None:
        return self.rows[0].due if self.rows else None


def check_scope(scope: ReconcileScope, today: date) -> None:
    if scope.until > today:
        raise ValidationError("Only payments already due can be recorded as paid: pick today or an earlier day.",
                              {"until": "Today or earlier."})


def preview_reconciliation(book: PortfolioBook, scope: ReconcileScope) -> ReconcilePreview:
    """What :func:`reconcile` would record (blocking: run it in the cpu lane)."""
    from ..portfolio.calendar import select

    check_scope(scope, book.as_of)
    flt = CalendarFilter(last=scope.until - timedelta(days=1), product=scope.product, client_id=scope.client_id,
                         states=frozenset({PaymentState.DUE, PaymentState.OVERDUE}), commissions=False)
    rows = tuple(r for r in select(book, flt).rows() if r.kind is not PaymentKind.COMMISSION and not r.part)
    by_product: dict[str, tuple[int, Decimal]] = {}
    for r in rows:
        n, amount = by_product.get(r.product, (0, ZERO))
        by_product[r.product] = (n + 1, amount + r.amount)
    return ReconcilePreview(scope, rows, by_product)


@dataclass(frozen=True, slots=True)
class ReconcileResult:
    recorded: int
    total: Decimal
    #: Payments someone recorded meanwhile (another window, the web platform): left as they are.
    already_paid: int
    write: WriteResult | None


async def reconcile(context: AppContext, preview: ReconcilePreview) -> ReconcileResult:
    """Record every payment of ``preview`` as paid on its due date, in one operation."""
    check_scope(preview.scope, utc_now().date())
    todo = list(preview.rows)
    store = context.store
    taken: set[str] = set()
    if store is not None and todo:
        try:
            for i in range(0, len(todo), _CHUNK):
                keys = tuple(paid_log_id(r) for r in todo[i:i + _CHUNK])
                taken |= {key for key, *_ in await store.activity.project(("activity_type",),
                                                                           Query(where=(In("log_id", keys),)))}
        except StorageUnavailable:
            pass  # kept for later; a payment recorded meanwhile is skipped then (keys are the payments')
    already = sum(1 for r in todo if paid_log_id(r) in taken)
    todo = [r for r in todo if paid_log_id(r) not in taken]
    if not todo:
        return ReconcileResult(0, ZERO, already, None)
    op_id = str(uuid.uuid4())
    actor, now = context.writer.actor, utc_now()
    reference = f"reconciled: {preview.scope.describe()}"
    writes = []
    for row in todo:
        entry = paid_entry(row, actor=actor, paid_on=row.due, reference=reference, now=now)
        entry = entry.evolve(description=entry.description + " (past payment, recorded by reconciliation)",
                             details={**entry.details, "operation": op_id})
        writes.append(Insert("activity_logs", activity_document(entry), if_exists="skip"))
    total = sum((r.amount for r in todo), ZERO)
    scope = preview.scope
    op = Operation("payments.reconcile", tuple(writes), Audit(
        activity_type=RECONCILED,
        description=f"{len(todo):,} past payment(s) of {total:,.2f} recorded as paid on their due dates: "
                    f"{scope.describe()}",
        client_id=scope.client_id, amount=total, fund_code=scope.product,
        details={"until": scope.until.isoformat(), "product": scope.product, "client_id": scope.client_id,
                 "payments": len(todo), "total": str(total), "already_paid": already}),
        flags=frozenset({PAYMENTS, FIGURES}), op_id=op_id)
    result = await context.writer.submit(op)
    return ReconcileResult(len(todo), total, already, result)
