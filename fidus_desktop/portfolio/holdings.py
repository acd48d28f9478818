"""The investments table over the book: filters, the next payment of each investment, sort keys.

What used to be worked out in the table's view (the next payment due and its amount, the
contract end, the rate in force) is computed here, for every investment at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

import numpy as np

from ..collation import contains, text_ranks
from .book import MICRO, PortfolioBook
from .calendar import id_ranks, name_ranks, search_text
from .figures import payment_slots

NONE_DAY = np.iinfo(np.int32).max


class HoldingRow(NamedTuple):
    """One row of the investments table (display values, exact money)."""

    investment_id: str
    client_id: str
    client_name: str
    product: str
    principal: Decimal
    start: date
    status: str
    rate: Decimal | None
    contract_end: date | None
    next_due: date | None
    next_amount: Decimal | None
    shape: str
    pending: bool = False


@dataclass(frozen=True, slots=True)
class HoldingsFilter:
    client_id: str = ""
    product: str = ""
    #: ``""`` for every status.
    status: str = "active"
    text: str = ""


def next_payments(book: PortfolioBook) -> tuple[np.ndarray, np.ndarray]:
    """Per investment slot: the next unpaid due day from today (``NONE_DAY`` if none) and the
    total of the payments due that day, in millionths (interest and principal on the same day are
    one transfer). Only active investments owe payments."""
    def build() -> tuple[np.ndarray, np.ndarray]:
        n = len(book.ids)
        today = book.as_of.toordinal()
        first = np.full(n, NONE_DAY, dtype=np.int64)
        every = book.active_slots()
        for s in payment_slots(book, every):
            ahead = s.unpaid & (s.due >= today)
            np.minimum.at(first, s.slots[ahead], s.due[ahead])
        amount = np.zeros(n, dtype=np.int64)
        for s in payment_slots(book, every):
            hit = s.unpaid & (s.due == first[s.slots])
            np.add.at(amount, s.slots[hit], s.amount[hit] * (MICRO // s.unit))
        return first, amount

    return book.cached("next", build, stamp=book.version)


def select(book: PortfolioBook, flt: HoldingsFilter = HoldingsFilter()) -> np.ndarray:
    """Investment slots matching ``flt``, by client name then start date."""
    slots = book.slots()
    if flt.status:
        slots = slots[np.array([book.statuses[s] == flt.status for s in slots], dtype=bool)]
    if flt.product:
        slots = slots[book.product[slots] == book.product_index(flt.product)]
    if flt.client_id:
        slots = np.intersect1d(slots, book.client_slots(flt.client_id))
    needle = flt.text.strip()
    if needle and len(slots):
        names, ids = search_text(book)
        slots = slots[contains(names[slots], needle) | contains(ids[slots], needle)]
    order = np.lexsort((id_ranks(book)[slots], book.start[slots], name_ranks(book)[slots]))
    return slots[order]


def row(book: PortfolioBook, slot: int) -> HoldingRow:
    template = book.template_of(slot)
    product = book.products.get(book.code_of(slot))
    start = date.fromordinal(int(book.start[slot]))
    first, amount = next_payments(book)
    due = int(first[slot])
    rate = book.rates[slot] or (product.monthly_rate if product else None)
    return HoldingRow(
        book.ids[slot], book.client_ids[slot], book.client_name(slot), book.code_of(slot), book.principals[slot],
        start, book.statuses[slot], rate,
        start + timedelta(days=template.contract_days) if template else None,
        None if due == NONE_DAY else date.fromordinal(due),
        None if due == NONE_DAY else Decimal(int(amount[slot])) / MICRO, book.shapes[slot])


#: Column name -> how to order slots by it (an array aligned with the slots given).
def sort_key(book: PortfolioBook, column: str, slots: np.ndarray) -> np.ndarray:
    if column == "client":
        return name_ranks(book)[slots]
    if column == "investment_id":
        return id_ranks(book)[slots]
    if column == "principal":
        return book.principal[slots]
    if column == "start":
        return book.start[slots]
    if column in ("next_due", "next_amount"):
        first, amount = next_payments(book)
        return (first if column == "next_due" else amount)[slots]
    if column == "contract_end":
        ends = np.array([t.contract_days if (t := book.template_of(int(s))) else 10**7 for s in slots], dtype=np.int64)
        return book.start[slots].astype(np.int64) + ends
    if column == "rate":
        def rate(s: int) -> float:
            product = book.products.get(book.code_of(s))
            return float(book.rates[s] or (product.monthly_rate if product else 0) or 0)

        return np.array([rate(int(s)) for s in slots], dtype=np.float64)
    values = {"product": lambda s: book.code_of(s), "status": lambda s: book.statuses[s],
              "shape": lambda s: book.shapes[s]}[column]
    return text_ranks([values(int(s)) for s in slots])
