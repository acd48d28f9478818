"""The payment calendar over the book: which payments a filter selects, in date order, as arrays.

A selection holds one entry per payment (investment slot, payment number, due day, amount,
state, kind); the calendar table asks for the few rows on screen (:meth:`CalendarSelection.row`),
so half a million payments cost a few arrays, not half a million row objects.

Besides the client payments of the schedules it lists the referral commission on each interest
payment of a referred investment (an outgoing payment of its own kind, due on the client's
payment day) and each part of a payment paid ahead of its due day (a redemption), as paid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import numpy as np

from ..collation import contains, search_array, text_ranks
from ..domain.schedules import PaymentKind
from ..domain.values import ZERO
from ..services.payment_calendar import CalendarFilter, CalendarRow, PaymentState
from .book import MICRO, PortfolioBook
from .figures import commission_cents, payment_slots, unpaid_commissions

STATES = (PaymentState.DUE, PaymentState.OVERDUE, PaymentState.PAID)
_STATE_CODE = {state: code for code, state in enumerate(STATES)}
#: Row kinds in the selection's ``kinds`` array.
PRINCIPAL, INTEREST, COMMISSION, PART = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class CalendarSelection:
    book: PortfolioBook
    slots: np.ndarray
    numbers: np.ndarray
    due: np.ndarray
    #: In millionths, for every kind of payment.
    amount: np.ndarray
    state: np.ndarray
    kinds: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    #: Part rows, built when selected (there are few): ``refs`` indexes them for ``PART`` rows.
    refs: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    parts: tuple[CalendarRow, ...] = ()

    def __len__(self) -> int:
        return len(self.slots)

    def row(self, i: int) -> CalendarRow:
        book, slot, number = self.book, int(self.slots[i]), int(self.numbers[i])
        kind_code = int(self.kinds[i]) if len(self.kinds) else (PRINCIPAL if number == 0 else INTEREST)
        if kind_code == PART:
            return self.parts[int(self.refs[i])]
        due = date.fromordinal(int(self.due[i]))
        state = STATES[int(self.state[i])]
        amount = Decimal(int(self.amount[i])) / MICRO
        if kind_code == COMMISSION:
            inv_id = book.ids[slot]
            held = book.commissions.state(inv_id, number) if state is PaymentState.PAID else None
            payee = book.salespeople[slot]
            return CalendarRow(due, PaymentKind.COMMISSION, amount.quantize(Decimal("0.01")), inv_id, number,
                               book.client_ids[slot], book.client_name(slot), book.code_of(slot), state,
                               (held.paid_on or due) if held else None, payee, book.salesperson_name(payee))
        kind = PaymentKind.PRINCIPAL if kind_code == PRINCIPAL else PaymentKind.INTEREST
        return CalendarRow(due, kind, _money_of(book, slot, kind, amount), book.ids[slot], number,
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


def _money_of(book: PortfolioBook, slot: int, kind: PaymentKind, amount: Decimal) -> Decimal:
    """The amount as the domain writes it: the principal as stored, interest in cents."""
    if kind is PaymentKind.PRINCIPAL:
        ahead = int(book.principal[slot]) - int(amount * MICRO)
        return book.principal_of(slot) - (Decimal(ahead) / MICRO if ahead else ZERO)
    return amount.quantize(Decimal("0.01"))


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


def _wanted_kinds(flt: CalendarFilter) -> set[int]:
    if flt.salesperson_id:
        return {COMMISSION} if flt.kind in (None, PaymentKind.COMMISSION) else set()
    if flt.kind is PaymentKind.COMMISSION:
        return {COMMISSION}
    if flt.kind is PaymentKind.INTEREST:
        return {INTEREST, PART}
    if flt.kind is PaymentKind.PRINCIPAL:
        return {PRINCIPAL, PART}
    return {PRINCIPAL, INTEREST, PART} | ({COMMISSION} if flt.commissions else set())


def _part_rows(book: PortfolioBook, slots: np.ndarray, flt: CalendarFilter) -> list[tuple[int, CalendarRow]]:
    """``(slot, row)`` for every part paid ahead on the investments of ``slots``."""
    if not book.parts or PaymentState.PAID not in flt.states:
        return []
    wanted = set(int(s) for s in slots)
    rows = []
    for inv_id in book.parts.investments():
        slot = book.index.get(inv_id)
        if slot is None or slot not in wanted:
            continue
        template = book.template_of(slot)
        start = int(book.start[slot])
        for r in book.parts.of(inv_id):
            k = template.slot_of(r.kind, r.due.toordinal() - start) if template else None
            if k is None or flt.first and r.due < flt.first or flt.last and r.due > flt.last:
                continue
            if flt.kind is not None and flt.kind.value != r.kind:
                continue
            number = int(template.numbers[k - 1]) if k else 0  # type: ignore[union-attr]
            kind = PaymentKind.PRINCIPAL if k == 0 else PaymentKind.INTEREST
            rows.append((slot, CalendarRow(r.due, kind, r.amount, inv_id, number, book.client_ids[slot],
                                           book.client_name(slot), book.code_of(slot), PaymentState.PAID,
                                           r.paid_on, part=True)))
    return rows


def select(book: PortfolioBook, flt: CalendarFilter = CalendarFilter()) -> CalendarSelection:
    """The payments ``flt`` selects, ordered by due day, client name, investment id, then the
    schedule's own order (interest before the principal on the same day), a part paid ahead
    after its payment and a commission after the client payment it is on."""
    today = book.as_of.toordinal()
    slots = book.active_slots()
    if flt.product:
        slots = slots[book.product[slots] == book.product_index(flt.product)]
    if flt.client_id:
        slots = np.intersect1d(slots, book.client_slots(flt.client_id))
    if flt.salesperson_id:
        from ..services.commissions import salesperson_codes

        named, codes = salesperson_codes(book)
        code = named.index(flt.salesperson_id) if flt.salesperson_id in named else -2
        slots = slots[codes[slots] == code]
    needle = flt.text.strip()
    if needle and len(slots):
        names, ids = search_text(book)
        slots = slots[contains(names[slots], needle) | contains(ids[slots], needle)]
    first = flt.first.toordinal() if flt.first else None
    last = flt.last.toordinal() if flt.last else None
    wanted = np.array([state in flt.states for state in STATES])
    kinds = _wanted_kinds(flt)
    parts: list[tuple[np.ndarray, ...]] = []

    def take(s_slots: np.ndarray, number: int, due: np.ndarray, micro: np.ndarray, state: np.ndarray,
             kind: int) -> None:
        keep = wanted[state]
        if first is not None:
            keep &= due >= first
        if last is not None:
            keep &= due <= last
        n = int(keep.sum())
        parts.append((s_slots[keep], np.full(n, number, dtype=np.int16), due[keep], micro[keep], state[keep],
                      np.full(n, kind, dtype=np.int8), np.zeros(n, dtype=np.int64)))

    for s in payment_slots(book, slots):
        kind = PRINCIPAL if s.number == 0 else INTEREST
        if kind in kinds:
            state = np.where(~s.unpaid, 2, np.where(s.due < today, 1, 0)).astype(np.int8)
            take(s.slots, s.number, s.due, s.amount * (MICRO // s.unit), state, kind)
        if kind == INTEREST and COMMISSION in kinds:
            referred = book.referred[s.slots]
            if referred.any():
                unpaid = unpaid_commissions(book, s)[referred]
                due = s.due[referred]
                state = np.where(~unpaid, 2, np.where(due < today, 1, 0)).astype(np.int8)
                take(s.slots[referred], s.number, due, commission_cents(s.full[referred]) * (MICRO // 100), state,
                     COMMISSION)
    extra = _part_rows(book, slots, flt) if PART in kinds else []
    if extra:
        n = len(extra)
        parts.append((np.array([s for s, _ in extra], dtype=np.int64),
                      np.array([r.number for _, r in extra], dtype=np.int16),
                      np.array([r.due.toordinal() for _, r in extra], dtype=np.int64),
                      np.array([int(r.amount * MICRO) for _, r in extra], dtype=np.int64),
                      np.full(n, 2, dtype=np.int8), np.full(n, PART, dtype=np.int8), np.arange(n, dtype=np.int64)))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return CalendarSelection(book, empty, empty.astype(np.int16), empty, empty, empty.astype(np.int8),
                                 empty.astype(np.int8), empty)
    slot_a, number_a, due_a, amount_a, state_a, kind_a, ref_a = (
        np.concatenate(column) for column in zip(*parts, strict=True))
    principal_last = (number_a == 0).astype(np.int8)
    order = np.lexsort((ref_a, kind_a, number_a, principal_last, id_ranks(book)[slot_a], name_ranks(book)[slot_a],
                        due_a))
    return CalendarSelection(book, slot_a[order], number_a[order], due_a[order], amount_a[order], state_a[order],
                             kind_a[order], ref_a[order], tuple(r for _, r in extra))


def paid_rows_outside_schedules(book: PortfolioBook, client_id: str) -> list[CalendarRow]:
    """Payments recorded for a client's investments that no longer pay (completed, redeemed):
    still money the client received, so their statement lists it (parts paid ahead included)."""
    rows = []
    for slot in book.client_slots(client_id):
        if book.active[slot]:
            continue
        template = book.template_of(int(slot))
        if template is None:
            continue
        start = int(book.start[slot])
        inv_id = book.ids[slot]
        ahead = book.parts.totals(inv_id)
        for (kind, due), (paid_on, _log) in book.paid.get(inv_id, {}).items():
            number = template.slot_of("principal" if kind == 0 else "interest", due - start)
            if number is None:
                continue
            if number == 0:
                amount = book.principal_of(int(slot)) - Decimal(ahead.get((0, due), 0)) / MICRO
            else:
                amount = book.interest_of(int(slot)) - Decimal(ahead.get((1, due), 0)).scaleb(-2)
            rows.append(CalendarRow(date.fromordinal(due), PaymentKind.PRINCIPAL if number == 0 else PaymentKind.INTEREST,
                                    amount, inv_id, int(template.numbers[number - 1]) if number else 0,
                                    client_id, book.client_name(int(slot)), book.code_of(int(slot)),
                                    PaymentState.PAID, date.fromordinal(paid_on)))
        for r in book.parts.of(inv_id):
            k = template.slot_of(r.kind, r.due.toordinal() - start)
            if k is None:
                continue
            rows.append(CalendarRow(r.due, PaymentKind.PRINCIPAL if k == 0 else PaymentKind.INTEREST, r.amount, inv_id,
                                    int(template.numbers[k - 1]) if k else 0, client_id, book.client_name(int(slot)),
                                    book.code_of(int(slot)), PaymentState.PAID, r.paid_on, part=True))
    return rows
