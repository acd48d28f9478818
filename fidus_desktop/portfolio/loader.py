"""Reading the book from the fund store: the query columns only, never whole documents.

Every value comes through the same field readers as the codecs (``IndexedField.extract``), on
SQLite from the columns they filled and on MongoDB from only the paths they read, so the book
sees exactly what the rest of the app sees, at a fraction of the cost of decoding documents.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from ..domain.activity import ActivityEntry
from ..domain.funds import FundProduct
from ..domain.investments import Investment
from ..domain.mt5_accounts import Mt5AccountLink
from ..domain.people import Client
from ..lanes import shared_lanes
from ..domain.referrals import CommissionRecord
from ..services.portfolio import PAID_TYPES, PART_TYPES
from ..storage.query import In, Query
from ..storage.store import FundStore
from .book import INVESTMENT_FIELDS, PaidRecord, PortfolioBook
from .ledgers import CommissionState, PartRecord

PAID_FIELDS = ("investment_id", "activity_type", "due_date", "paid_on")
#: Parts paid ahead also need their amount (read apart: a million paid records need none).
PART_FIELDS = (*PAID_FIELDS, "amount")
_KIND_OF_TYPE = {activity_type: kind.value for kind, activity_type in PAID_TYPES.items()}
_KIND_OF_PART = {activity_type: kind.value for kind, activity_type in PART_TYPES.items()}
#: Fields read from ``referral_commissions`` for the commissions' state.
COMMISSION_FIELDS = ("investment_id", "payment_number", "status", "paid_date")
#: Keys per ``In`` query when refreshing part of the book.
_CHUNK = 500


def _days(due: Any, paid_on: Any) -> tuple[date, date | None] | None:
    try:
        return (date.fromisoformat(str(due)[:10]),
                date.fromisoformat(str(paid_on)[:10]) if paid_on else None)
    except ValueError:
        return None


def paid_records(rows: Iterable[Sequence[Any]]) -> list[PaidRecord]:
    """Paid records from ``(log_id, *PAID_FIELDS)`` rows; rows naming no payment are skipped (a
    record someone wrote by hand matches no scheduled payment, as in the calendar)."""
    records = []
    for log_id, investment_id, activity_type, due, paid_on, *_amount in rows:
        kind = _KIND_OF_TYPE.get(activity_type)
        days = _days(due, paid_on) if kind is not None and investment_id and due else None
        if days is not None:
            records.append(PaidRecord(str(log_id), str(investment_id), kind, days[0], days[1]))  # type: ignore[arg-type]
    return records


def part_records(rows: Iterable[Sequence[Any]]) -> list[PartRecord]:
    """Parts paid ahead from the same rows; one without a readable positive amount is skipped."""
    records = []
    for log_id, investment_id, activity_type, due, paid_on, *rest in rows:
        kind = _KIND_OF_PART.get(activity_type)
        amount = rest[0] if rest else None
        days = _days(due, paid_on) if kind is not None and investment_id and due else None
        if days is None or not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
            continue
        if amount != amount.quantize(Decimal("0.01")) or amount >= 10**12:
            continue
        records.append(PartRecord(str(log_id), str(investment_id), kind, days[0], days[1] or days[0],
                                  amount.quantize(Decimal("0.01"))))  # a double reads back as 75.0
    return records


def commission_states(rows: Iterable[Sequence[Any]]) -> list[CommissionState]:
    """The commissions' state from ``(key, *COMMISSION_FIELDS)`` rows."""
    states = []
    for key, investment_id, number, status, paid_date in rows:
        try:
            n = int(number)
        except (TypeError, ValueError):
            continue
        if not investment_id:
            continue
        paid_on = paid_date.date() if hasattr(paid_date, "date") else None
        states.append(CommissionState(str(key), str(investment_id), n, str(status or "pending"), paid_on))
    return states


def _paid_query(keys: Sequence[str] | None = None, types: Sequence[str] = tuple(PAID_TYPES.values())) -> Query:
    where: tuple = (In("activity_type", tuple(types)),)
    if keys is not None:
        where += (In("log_id", tuple(keys)),)
    return Query(where=where)


async def load_book(store: FundStore, as_of: date) -> PortfolioBook:
    """The whole book (at start, or when another writer changed records we cannot name)."""
    cpu = shared_lanes().cpu
    book = PortfolioBook(as_of)
    book.set_products(await store.products.find())
    book.set_clients({key: name or "" for key, name in await store.clients.project(("name",))})
    book.set_accounts(await store.mt5_accounts.find())
    rows = await store.investments.project(INVESTMENT_FIELDS)
    await cpu.run(lambda: book.put_investments(rows), action="portfolio: investments")
    paid = await store.activity.project(PAID_FIELDS, _paid_query())
    await cpu.run(lambda: book.put_paid(paid_records(paid)), action="portfolio: payments")
    del paid
    book.put_parts(part_records(await store.activity.project(PART_FIELDS, _paid_query(types=PART_TYPES.values()))))
    await load_referrals(store, book)
    return book


async def load_salespeople(store: FundStore, book: PortfolioBook) -> None:
    book.set_salespeople({key: name or "" for key, name in await store.salespeople.project(("name",))})


async def load_referrals(store: FundStore, book: PortfolioBook) -> None:
    """Salespeople's names and every commission's recorded state (a book not yet shown)."""
    await load_salespeople(store, book)
    rows = await store.commissions.project(COMMISSION_FIELDS)

    def take_in() -> None:  # a fund may hold many: off the loop's thread
        book.remove_commissions(book.commissions.keys())
        book.put_commissions(commission_states(rows))

    await shared_lanes().cpu.run(take_in, action="portfolio: commissions")


def book_from_records(products: Iterable[FundProduct], investments: Iterable[Investment],
                      clients: Iterable[Client], accounts: Iterable[Mt5AccountLink],
                      paid_entries: Iterable[ActivityEntry], as_of: date, *,
                      commissions: Iterable[CommissionRecord] = (),
                      salespeople: Mapping[str, str] | None = None) -> PortfolioBook:
    """A book from records already in memory (the demo fund being built, tests, benchmarks)."""
    book = PortfolioBook(as_of)
    book.set_products(products)
    book.set_clients({c.client_id: c.name for c in clients})
    book.set_accounts(accounts)
    book.put_investments((i.investment_id, i.client_id, i.product, str(i.status), i.start_date, i.principal,
                          i.interest_rate, i.client_name, i.shape.value, i.salesperson_id) for i in investments)
    rows = [(e.log_id, e.investment_id, e.activity_type, e.details.get("due_date"), e.details.get("paid_on"),
             e.amount) for e in paid_entries]
    book.put_paid(paid_records(rows))
    book.put_parts(part_records(rows))
    book.set_salespeople(salespeople or {})
    book.put_commissions(CommissionState(c.commission_key, c.investment_id, c.payment_number, c.status.value,
                                         c.paid_date.date() if c.paid_date else None) for c in commissions)
    return book


def _chunks(keys: Iterable[str]) -> Iterable[tuple[str, ...]]:
    keys = sorted(set(keys))
    for i in range(0, len(keys), _CHUNK):
        yield tuple(keys[i:i + _CHUNK])


async def refresh_investments(store: FundStore, book: PortfolioBook, ids: Iterable[str]) -> None:
    """Take the current state of these investments in (gone ones leave the book)."""
    for chunk in _chunks(ids):
        rows = await store.investments.project(INVESTMENT_FIELDS, Query(where=(In("investment_id", chunk),)))
        book.put_investments(rows)
        found = {str(r[0]) for r in rows}
        book.remove_investments(k for k in chunk if k not in found)


async def refresh_paid(store: FundStore, book: PortfolioBook, log_ids: Iterable[str]) -> None:
    for chunk in _chunks(log_ids):
        rows = await store.activity.project(PAID_FIELDS, _paid_query(chunk))
        records = paid_records(rows)
        parts = part_records(await store.activity.project(PART_FIELDS, _paid_query(chunk, PART_TYPES.values())))
        book.put_paid(records)
        book.put_parts(parts)
        found = {r.log_id for r in records} | {r.log_id for r in parts}
        book.remove_paid(k for k in chunk if k not in found)
        book.remove_parts(k for k in chunk if k not in found)


async def refresh_commissions(store: FundStore, book: PortfolioBook, keys: Iterable[str]) -> None:
    for chunk in _chunks(keys):
        rows = await store.commissions.project(COMMISSION_FIELDS, Query(where=(In("commission_key", chunk),)))
        states = commission_states(rows)
        book.put_commissions(states)
        found = {s.key for s in states}
        book.remove_commissions(k for k in chunk if k not in found)


async def refresh_clients(store: FundStore, book: PortfolioBook, ids: Iterable[str]) -> None:
    names = dict(book.clients)
    for chunk in _chunks(ids):
        rows = await store.clients.project(("name",), Query(where=(In("client_id", chunk),)))
        found = {str(key): name or "" for key, name in rows}
        for key in chunk:
            names.pop(key, None)
        names.update(found)
    book.set_clients(names)
