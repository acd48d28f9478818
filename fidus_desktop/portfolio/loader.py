"""Reading the book from the fund store: the query columns only, never whole documents.

Every value comes through the same field readers as the codecs (``IndexedField.extract``), on
SQLite from the columns they filled and on MongoDB from only the paths they read, so the book
sees exactly what the rest of the app sees, at a fraction of the cost of decoding documents.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np

from ..domain.activity import ActivityEntry
from ..domain.funds import FundProduct
from ..domain.investments import Investment
from ..domain.mt5_accounts import Mt5AccountLink
from ..domain.people import Client
from ..lanes import shared_lanes
from ..services.portfolio import PAID_TYPES
from ..storage.problems import DocumentProblem, untrusted_rows
from ..domain.referrals import CommissionRecord
from ..services.portfolio import PART_TYPES
from ..storage.query import In, Query
from ..storage.store import FundStore
from .book import INVESTMENT_FIELDS, KIND_CODE, PaidRecord, PortfolioBook
from .ledgers import CommissionState, PartRecord
from .paid import PaidColumns

PAID_FIELDS = ("investment_id", "activity_type", "due_date", "paid_on", "untrusted")
#: Parts paid ahead also need their amount (read apart: a million paid records need none).
PART_FIELDS = ("investment_id", "activity_type", "due_date", "paid_on", "amount", "untrusted")
_KIND_OF_TYPE = {activity_type: kind.value for kind, activity_type in PAID_TYPES.items()}
_KIND_OF_PART = {activity_type: kind.value for kind, activity_type in PART_TYPES.items()}
#: Fields read from ``referral_commissions`` for the commissions' state.
COMMISSION_FIELDS = ("investment_id", "payment_number", "status", "paid_date")
#: Keys per ``In`` query when refreshing part of the book.
_CHUNK = 500


async def with_book[T](book: PortfolioBook, fn: Callable[[], T], action: str = "portfolio: update") -> T:
    """Run ``fn`` (which changes ``book``) in the cpu lane under the book's lock: a change may
    touch every investment (new product terms), and readers in other lanes must not see it half
    done."""
    def locked() -> T:
        with book.lock:
            return fn()

    return await shared_lanes().cpu.run(locked, action=action)


def _days(due: Any, paid_on: Any) -> tuple[date, date | None] | None:
    try:
        return (date.fromisoformat(str(due)[:10]),
                date.fromisoformat(str(paid_on)[:10]) if paid_on else None)
    except ValueError:
        return None


def _day(value: Any) -> int:
    """The ordinal of a stored date or moment (its first ten characters)."""
    return date.fromisoformat(str(value)[:10]).toordinal()


def _paid_row(row: Sequence[Any], day: Callable[[Any], int] = _day) -> tuple[str, str, str, int, int | None] | None:
    """``(log_id, investment_id, kind, due ordinal, paid-on ordinal or None)`` of a
    ``(log_id, *PAID_FIELDS)`` row, or None for a row naming no payment (a record someone wrote
    by hand matches no scheduled payment, as in the calendar) or one the codec refuses."""
    log_id, investment_id, activity_type, due, paid_on, *untrusted = row
    kind = _KIND_OF_TYPE.get(activity_type)
    if kind is None or not investment_id or not due or any(untrusted):
        return None
    try:
        return str(log_id), str(investment_id), kind, day(due), day(paid_on) if paid_on else None
    except (ValueError, TypeError):
        return None


def paid_records(rows: Iterable[Sequence[Any]]) -> list[PaidRecord]:
    """Paid records from ``(log_id, *PAID_FIELDS)`` rows (:func:`_paid_row`)."""
    return [PaidRecord(log_id, investment_id, kind, date.fromordinal(due), date.fromordinal(paid) if paid else None)
            for log_id, investment_id, kind, due, paid in filter(None, map(_paid_row, rows))]


def paid_columns(rows: Iterable[Sequence[Any]]) -> PaidColumns:
    """As :func:`paid_records`, as columns (what a bulk load of the book takes), with no object
    per payment or per date: dates repeat across a fund, so each distinct text is read once."""
    days: dict[Any, int] = {}

    def day(value: Any) -> int:
        held = days.get(value)
        if held is None:
            held = days[value] = _day(value)
        return held

    log_ids: list[str] = []
    investment_ids: list[str] = []
    codes, dues, ons = array("b"), array("i"), array("i")
    for row in rows:
        read = _paid_row(row, day)
        if read is None:
            continue
        log_id, investment_id, kind, due, paid = read
        log_ids.append(log_id)
        investment_ids.append(investment_id)
        codes.append(KIND_CODE[kind])
        dues.append(due)
        ons.append(paid or due)
    return PaidColumns(log_ids, investment_ids, np.asarray(codes, dtype=np.int8), np.asarray(dues, dtype=np.int32),
                       np.asarray(ons, dtype=np.int32))


def part_records(rows: Iterable[Sequence[Any]]) -> list[PartRecord]:
    """Parts paid ahead from ``(log_id, *PART_FIELDS)`` rows; one without a readable positive amount is skipped."""
    records = []
    for log_id, investment_id, activity_type, due, paid_on, amount, *untrusted in rows:
        kind = _KIND_OF_PART.get(activity_type)
        days = _days(due, paid_on) if kind is not None and investment_id and due and not any(untrusted) else None
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
    book = PortfolioBook(as_of)  # nobody reads it before it is returned: no lock needed
    book.set_products(await store.products.find())
    book.set_clients({key: name or "" for key, name in await store.clients.project(("name",))})
    book.set_accounts(await store.mt5_accounts.find())
    rows = await store.investments.project(INVESTMENT_FIELDS)
    await cpu.run(lambda: book.load_investments(rows), action="portfolio: investments")
    # Listed with every other reader's finds (the Health panel, report, doctor).
    store.problems.replace("investments", [p for p in book.problems if p.collection == "investments"])
    paid = await store.activity.project(PAID_FIELDS, _paid_query())

    def take_paid() -> list[DocumentProblem]:  # passes over a million rows at scale: off the loop
        book.load_paid(paid_columns(paid))
        return untrusted_rows("activity_logs", paid)

    bad = await cpu.run(take_paid, action="portfolio: payments")
    paid = []  # gone before the next read
    parts = await store.activity.project(PART_FIELDS, _paid_query(types=tuple(PART_TYPES.values())))

    def take_parts() -> list[DocumentProblem]:
        book.put_parts(part_records(parts))
        return untrusted_rows("activity_logs", parts)

    bad += await cpu.run(take_parts, action="portfolio: partial payments")
    for problem in bad:  # other readers list the other entries
        store.problems.record(problem)
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
    book.load_investments([(i.investment_id, i.client_id, i.product, str(i.status), i.start_date, i.principal,
                            i.interest_rate, i.client_name, i.shape.value, i.salesperson_id, None)
                           for i in investments])
    entries = list(paid_entries)
    book.load_paid(paid_columns((e.log_id, e.investment_id, e.activity_type, e.details.get("due_date"),
                              e.details.get("paid_on")) for e in entries))
    book.put_parts(part_records((e.log_id, e.investment_id, e.activity_type, e.details.get("due_date"),
                                 e.details.get("paid_on"), e.amount) for e in entries))
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
        found = {str(r[0]) for r in rows}

        def take_in(rows: list = rows, chunk: tuple = chunk, found: set = found) -> None:
            book.put_investments(rows)
            book.remove_investments([k for k in chunk if k not in found])

        await with_book(book, take_in)
        bad = {p.key: p for p in book.problems if p.collection == "investments"}
        for key in chunk:
            if key in bad:
                store.problems.record(bad[key])
            else:
                store.problems.resolve("investments", key)


async def refresh_paid(store: FundStore, book: PortfolioBook, log_ids: Iterable[str]) -> None:
    for chunk in _chunks(log_ids):
        rows = await store.activity.project(PAID_FIELDS, _paid_query(chunk))
        bad = {p.key: p for p in untrusted_rows("activity_logs", rows)}
        for key in chunk:
            if key in bad:
                store.problems.record(bad[key])
            else:
                store.problems.resolve("activity_logs", key)
        records = paid_records(rows)
        found = {r.log_id for r in records}
        part_rows = await store.activity.project(PART_FIELDS, _paid_query(chunk, tuple(PART_TYPES.values())))
        for problem in untrusted_rows("activity_logs", part_rows):
            bad.setdefault(problem.key, problem)
            store.problems.record(problem)
        parts = part_records(part_rows)
        found_parts = {r.log_id for r in parts}

        def take_in(records: list = records, chunk: tuple = chunk, found: set = found, parts: list = parts,
                    found_parts: set = found_parts) -> None:
            book.put_paid(records)
            book.put_parts(parts)
            book.remove_paid([k for k in chunk if k not in found])
            book.remove_parts([k for k in chunk if k not in found_parts])

        await with_book(book, take_in)


async def refresh_commissions(store: FundStore, book: PortfolioBook, keys: Iterable[str]) -> None:
    for chunk in _chunks(keys):
        rows = await store.commissions.project(COMMISSION_FIELDS, Query(where=(In("commission_key", chunk),)))
        states = commission_states(rows)
        found = {s.key for s in states}

        def take_in(states: list = states, chunk: tuple = chunk, found: set = found) -> None:
            book.put_commissions(states)
            book.remove_commissions([k for k in chunk if k not in found])

        await with_book(book, take_in)


async def refresh_clients(store: FundStore, book: PortfolioBook, ids: Iterable[str]) -> None:
    names = dict(book.clients)
    for chunk in _chunks(ids):
        rows = await store.clients.project(("name",), Query(where=(In("client_id", chunk),)))
        found = {str(key): name or "" for key, name in rows}
        for key in chunk:
            names.pop(key, None)
        names.update(found)
    await with_book(book, lambda: book.set_clients(names))
