"""The portfolio as a core service: computed once, then kept current from ``Changes``.

At start (and when the database comes back) the service reads the book (``portfolio/loader``)
and computes the dashboard in the ``cpu`` lane. Every change afterwards, whoever made it (this
window, a background job, a replayed outbox item, the web platform on the shared MongoDB),
arrives as :class:`Changes`: only the investments, payments and clients it names are read again
and the figures recomputed from the book (array operations, milliseconds at 100,000
investments). A change queued in the outbox while the database is away is laid over the book
at once and marked pending, so the manager sees the edit until it is saved.

Views read pages of it: the dashboard, a calendar selection, the investments table's slots;
they are told by ``EventType.PORTFOLIO_UPDATED`` when to redraw.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from ..domain.funds import FundProduct
from ..domain.investments import Investment
from ..domain.people import Client
from ..domain.redemptions import RedemptionQuote, interest_paid_of, redemption_quote
from ..domain.schedules import PaymentKind, ScheduledPayment, payment_schedule
from ..domain.values import read_datetime, utc_now
from ..errors import FidusError, StorageUnavailable
from ..events import EventType
from ..portfolio import calendar as calendar_view
from ..portfolio import holdings
from ..portfolio.book import INVESTMENT_FIELDS, PortfolioBook, Problem
from ..portfolio.figures import compute_dashboard
from ..portfolio.loader import (PAID_FIELDS, PART_FIELDS, load_book, load_salespeople, paid_records, part_records, refresh_clients,
                                refresh_commissions, refresh_investments, refresh_paid, with_book)
from ..runtime.following import ChangeFollower
from ..runtime.heap import settle
from ..storage.store import SPECS
from ..storage.writes import Insert, Patch
from .changes import Changes
from .commissions import SalespersonSummary, commissions_of, salesperson_summaries
from .payment_calendar import CalendarFilter
from .reconcile import ReconcilePreview, ReconcileScope, preview_reconciliation
from .revenue import RevenuePicture, revenue_picture
from .portfolio import Dashboard

if TYPE_CHECKING:
    from ..app_context import AppContext
    from ..runtime.operations import Operation

log = logging.getLogger(__name__)

_WATCHED = ("investments", "activity", "clients", "products", "mt5_accounts", "commissions", "salespeople",
            "redemptions")


@dataclass(frozen=True, slots=True)
class ScheduleLine:
    payment: ScheduledPayment
    #: ``paid``, ``overdue`` or ``due``.
    state: str


@dataclass(frozen=True, slots=True)
class InvestmentDetail:
    """One investment as its record pane shows it: the stored record (to edit), its schedule
    with each payment's state, and what it may redeem today."""

    investment: Investment
    product: FundProduct | None
    schedule: tuple[ScheduleLine, ...]
    quote: RedemptionQuote | None
    pending: bool


@dataclass(frozen=True, slots=True)
class PortfolioUpdate:
    version: int
    #: What was taken in (``None``: the whole book was read).
    changes: Changes | None
    dashboard: Dashboard


class PortfolioService(ChangeFollower):
    name = "portfolio"
    WHAT = "portfolio"
    WATCHED = _WATCHED
    TICK_SECONDS = 60.0  # also wakes every minute, to roll the day over at midnight

    def __init__(self, context: AppContext, *, today: Any = None) -> None:
        self._today = today or (lambda: utc_now().date())
        self.book: PortfolioBook | None = None
        self.dashboard: Dashboard | None = None
        #: Investment ids with a change waiting in the outbox.
        self.pending: set[str] = set()
        super().__init__(context)

    async def ready(self) -> PortfolioBook:
        """The book, once it has been read (waits for the first load)."""
        await self._ready.wait()
        if self.book is None:
            raise FidusError(self.error or "The portfolio could not be read.")
        return self.book

    @property
    def problems(self) -> list[Problem]:
        """Every record the fund's readers left out (investments included), as Health lists them."""
        store = self._context.store
        return store.problems.all() if store is not None else []

    # ---- keeping current --------------------------------------------------------------------------

    def needs_load(self) -> bool:
        return self.book is None or self.book.as_of != self._today()

    async def load(self) -> None:
        store = self._context.store
        if store is None:
            self.error = "The fund database is not connected."
            self._ready.set()
            return
        book = await load_book(store, self._today())
        self.discard_queued()  # the book just read holds them
        for op in self._context.writer.pending():
            self._overlay(book, op)
        self.pending = self._pending_investments()
        await self._publish(book, None)
        settle("the portfolio read whole")

    async def take_in(self, batch: list[Changes], merged: Changes) -> None:
        book, store = self.book, self._context.store
        assert book is not None
        if merged.names_no_record(*self.WATCHED) and store is not None:
            await self.load()
            return
        if any(c.pending for c in batch):  # the database is away: lay the queued edits over the book
            queued = self._context.writer.pending()
            await with_book(book, lambda: [self._overlay(book, op) for op in queued])
        if store is not None and not merged.pending:
            if merged.products:
                products = await store.products.find()
                await with_book(book, lambda: book.set_products(products))
            if merged.mt5_accounts:
                accounts = await store.mt5_accounts.find()
                await with_book(book, lambda: book.set_accounts(accounts))
            if merged.clients:
                await refresh_clients(store, book, merged.clients)
            if merged.investments:
                await refresh_investments(store, book, merged.investments)
            if merged.activity:
                await refresh_paid(store, book, merged.activity)
            if merged.salespeople:
                await load_salespeople(store, book)
            if merged.commissions:
                await refresh_commissions(store, book, merged.commissions)
        self.pending = self._pending_investments()
        await self._publish(book, merged)

    def _pending_investments(self) -> set[str]:
        """Investments a queued operation changes (an edit, or a payment recorded as paid)."""
        ids: set[str] = set()
        for op in self._context.writer.pending():
            ids.update(op.touched().get("investments", ()))
            ids.update(str(w.doc.get("investment_id", "")) for w in op.writes_to("activity_logs")
                       if isinstance(w, Insert))
        ids.discard("")
        return ids

    def _overlay(self, book: PortfolioBook, op: Operation) -> None:
        """Show a queued operation's effect before the database has it."""
        spec = next(s for s in SPECS if s.name == "investments")
        fields = [spec.field(name) for name in INVESTMENT_FIELDS]
        for write in op.writes_to("investments"):
            if isinstance(write, Insert):
                doc = write.doc
                book.put_investments([(str(spec.key.extract(doc)), *(f.extract(doc) for f in fields))])
            elif isinstance(write, Patch) and write.key in book.index:
                slot = book.index[write.key]
                current = (book.client_ids[slot], book.code_of(slot), book.statuses[slot],
                           read_datetime(date.fromordinal(int(book.start[slot]))), book.principals[slot],
                           book.rates[slot], book.own_names[slot], book.shapes[slot], book.salespeople[slot], None)
                values = [f.extract(write.set) if any(n in write.set for n in f.raw_names) else old
                          for f, old in zip(fields, current, strict=True)]
                book.put_investments([(write.key, *values)])
        inserts = [w.doc for w in op.writes_to("activity_logs") if isinstance(w, Insert)]
        if inserts:
            activity = next(s for s in SPECS if s.name == "activity_logs")
            def rows(names: tuple[str, ...]) -> list[tuple]:
                return [(activity.key.extract(d), *(activity.field(n).extract(d) for n in names)) for d in inserts]

            book.put_paid(paid_records(rows(PAID_FIELDS)))
            book.put_parts(part_records(rows(PART_FIELDS)))

    async def _publish(self, book: PortfolioBook, changes: Changes | None) -> None:
        dashboard = await with_book(book, lambda: compute_dashboard(book), "portfolio figures")
        self.book, self.dashboard, self.error = book, dashboard, ""
        self._ready.set()
        self._context.events.publish(EventType.PORTFOLIO_UPDATED, PortfolioUpdate(book.version, changes, dashboard))

    # ---- one investment ---------------------------------------------------------------------------

    async def investment_detail(self, investment_id: str) -> InvestmentDetail:
        store = self._context.store
        if store is None:
            raise StorageUnavailable("The fund database is not connected.")
        investment = await store.investments.get(investment_id)
        product = await store.products.find_one(investment.product)
        book = self.book
        paid = book.paid.get(investment_id, {}) if book else {}
        as_of = book.as_of if book else self._today()
        if product is None:
            return InvestmentDetail(investment, None, (), None, investment_id in self.pending)
        schedule = payment_schedule(investment, product)
        kind_code = {PaymentKind.PRINCIPAL: 0, PaymentKind.INTEREST: 1}
        lines = []
        for p in schedule:
            is_paid = (kind_code[p.kind], p.due.toordinal()) in paid
            lines.append(ScheduleLine(p, "paid" if is_paid else "overdue" if p.due < as_of else "due"))
        paid_keys = {line.payment.key for line in lines if line.state == "paid"}
        parts = {(investment_id, kind, due): amount
                 for (kind, due), amount in (book.parts.amounts(investment_id) if book else {}).items()}
        quote = redemption_quote(investment, product, as_of, schedule=schedule,
                                 interest_paid=interest_paid_of(schedule, paid_keys, parts))
        return InvestmentDetail(investment, product, tuple(lines), quote, investment_id in self.pending)

    async def clients_for_new_investment(self) -> list[Client]:
        store = self._context.store
        if store is None:
            raise StorageUnavailable("The fund database is not connected.")
        return await store.clients.find()

    # ---- reading pages -----------------------------------------------------------------------------

    async def calendar(self, flt: CalendarFilter) -> calendar_view.CalendarSelection:
        book = await self.ready()
        return await with_book(book, lambda: calendar_view.select(book, flt), "payment calendar")

    async def reconcile_preview(self, scope: ReconcileScope) -> ReconcilePreview:
        book = await self.ready()
        return await with_book(book, lambda: preview_reconciliation(book, scope), "reconcile preview")

    async def revenue(self) -> RevenuePicture:
        """What the fund keeps after commissions and manager fees (reads managers and deals)."""
        await self.ready()
        store, dashboard = self._context.store, self.dashboard
        if store is None or dashboard is None:
            raise StorageUnavailable("The fund database is not connected.")
        return await revenue_picture(store, self._context.cache, dashboard, utc_now())

    async def salespeople(self) -> list[SalespersonSummary]:
        book = await self.ready()
        store = self._context.store
        people = await store.salespeople.find() if store is not None else []
        return await with_book(book, lambda: salesperson_summaries(book, people), "salespeople")

    async def commissions(self, salesperson_id: str) -> calendar_view.CalendarSelection:
        book = await self.ready()
        return await with_book(book, lambda: commissions_of(book, salesperson_id), "commissions")

    async def holdings(self, flt: holdings.HoldingsFilter) -> np.ndarray:
        book = await self.ready()

        def work() -> np.ndarray:
            holdings.next_payments(book)  # computed here, not when the first row is drawn
            return holdings.select(book, flt)

        return await with_book(book, work, "investments table")
