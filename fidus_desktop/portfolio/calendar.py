"""The payment calendar over the book: which payments a filter selects, in date order, as arrays.

A selection holds one entry per payment (investment slot, payment number, due day, amount,
state); the calendar table asks for the few rows on screen (:meth:`CalendarSelection.row`), so
half a million payments cost a few arrays, not half a million row objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np

from ..collation import contains, search_array, text_ranks
from ..domain.schedules import PaymentKind
from ..domain.values import ZERO
from ..services.payment_calendar import CalendarFilter, CalendarRow, PaymentState
from .book import MICRO, PortfolioBook
from .figures import payment_slots

STATES = (PaymentState.DUE, PaymentState.OVERDUE, PaymentState.PAID)
_STATE_CODE = {state: code for code, state in enumerate(STATES)}


@dataclass(frozen=True, slots=True)
class CalendarSelection:
    book: PortfolioBook
    slots: np.ndarray
    numbers: np.ndarray
    due: np.ndarray
    #: In millionths, for every kind of payment.
    amount: np.ndarray
    state: np.ndarray

    def __len__(self) -> int:
        return len(self.slots)

    def row(self, i: int) -> CalendarRow:
        book, slot, number = self.book, int(self.slots[i]), int(self.numbers[i])
        due = date.fromordinal(int(self.due[i]))
        kind = PaymentKind.PRINCIPAL if number == 0 else PaymentKind.INTEREST
        state = STATES[int(self.state[i])]
        amount = book.principal_of(slot) if number == 0 else book.interest_of(slot)
        return CalendarRow(due, kind, amount, book.ids[slot], number,
                           book.client_ids[slot], book.client_name(slot), book.code_of(slot), state,
                           book.paid_on(slot, kind.value, due) if state is PaymentState.PAID else None)

    def rows(self, indices: np.ndarray | None = None) -> list[CalendarRow]:
        picked = range(len(self)) if indices is None else (int(i) for i in indices)
        return [self.row(i) for i in picked]

    def still_to_pay(self) -> Decimal:
        total = int(self.amount[self.state != _STATE_CODE[PaymentState.PAID]].sum())
        return Decimal(total) / MICRO if total else ZERO

    def count(self, state: PaymentState) -> int:
        return int((self.state == _STATE_CODE[state]).sum())


def name_ranks(book: PortfolioBook) -> np.ndarray:
    n = len(book.ids)
    return book.cached("name_ranks", lambda: text_ranks([book.client_name(i) if book.ids[i] else ""
                                                          for i in range(n)]))


def id_ranks(book: PortfolioBook) -> np.ndarray:
    return book.cached("id_ranks", lambda: text_ranks([i or "" for i in book.ids]))


def search_text(book: PortfolioBook) -> tuple[np.ndarray, np.ndarray]:
    """Lower-cased client names and investment ids, per investment slot."""
    n = len(book.ids)
    return book.cached("search", lambda: (search_array([book.client_name(i) if book.ids[i] else ""
                                                        for i in range(n)]),
                                          search_array([i or "" for i in book.ids])))


def select(book: PortfolioBook, flt: CalendarFilter = CalendarFilter()) -> CalendarSelection:
    """The payments ``flt`` selects, ordered by due day, client name, investment id, then the
    schedule's own order (interest before the principal on the same day)."""
    today = book.as_of.toordinal()
    slots = book.active_slots()
    if flt.product:
        slots = slots[book.product[slots] == book.product_index(flt.product)]
    if flt.client_id:
        slots = slots[np.array([book.client_ids[s] == flt.client_id for s in slots], dtype=bool)]
    needle = flt.text.strip()
    if needle and len(slots):
        names, ids = search_text(book)
        slots = slots[contains(names[slots], needle) | contains(ids[slots], needle)]
    first = flt.first.toordinal() if flt.first else None
    last = flt.last.toordinal() if flt.last else None
    wanted = np.array([state in flt.states for state in STATES])
    parts: list[tuple[np.ndarray, ...]] = []
    for s in payment_slots(book, slots):
        if flt.kind is PaymentKind.PRINCIPAL and s.number != 0 or flt.kind is PaymentKind.INTEREST and s.number == 0:
            continue
        keep = np.ones(len(s.slots), dtype=bool)
        if first is not None:
            keep &= s.due >= first
        if last is not None:
            keep &= s.due <= last
        state = np.where(~s.unpaid, 2, np.where(s.due < today, 1, 0)).astype(np.int8)
        keep &= wanted[state]
        amount = s.amount[keep] * (MICRO // s.unit)
        parts.append((s.slots[keep], np.full(int(keep.sum()), s.number, dtype=np.int16), s.due[keep], amount,
                      state[keep]))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return CalendarSelection(book, empty, empty.astype(np.int16), empty, empty, empty.astype(np.int8))
    slot_a, number_a, due_a, amount_a, state_a = (np.concatenate(column) for column in zip(*parts, strict=True))
    principal_last = (number_a == 0).astype(np.int8)
    order = np.lexsort((number_a, principal_last, id_ranks(book)[slot_a], name_ranks(book)[slot_a], due_a))
    return CalendarSelection(book, slot_a[order], number_a[order], due_a[order], amount_a[order], state_a[order])


def paid_rows_outside_schedules(book: PortfolioBook, client_id: str) -> list[CalendarRow]:
    """Payments recorded for a client's investments that no longer pay (completed, redeemed):
    still money the client received, so their statement lists it."""
    rows = []
    for slot in book.slots():
        if book.client_ids[slot] != client_id or book.active[slot]:
            continue
        template = book.template_of(int(slot))
        start = int(book.start[slot])
        for (kind, due), (paid_on, _log) in book.paid.get(book.ids[slot], {}).items():
            number = template.slot_of("principal" if kind == 0 else "interest", due - start) if template else None
            if number is None:
                continue
            amount = book.principal_of(int(slot)) if number == 0 else book.interest_of(int(slot))
            rows.append(CalendarRow(date.fromordinal(due), PaymentKind.PRINCIPAL if number == 0 else PaymentKind.INTEREST,
                                    amount, book.ids[slot], int(template.numbers[number - 1]) if number else 0,
                                    client_id, book.client_name(int(slot)), book.code_of(int(slot)),
                                    PaymentState.PAID, date.fromordinal(paid_on)))
    return rows
