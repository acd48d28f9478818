"""What the book holds besides the schedules: parts of payments paid ahead of their due date,
and the recorded state of referral commissions. Both are sparse (a few investments have them),
so they live in dictionaries beside the book's arrays and are laid over them where used.

A *part* is money paid towards one scheduled payment before it is due (a completed redemption
of accrued interest, see ``services/redemptions.py``): the payment then pays only the rest, and
the part is shown as a payment made on its own day. It is an ``activity_logs`` entry of type
``interest_part_paid`` / ``principal_part_paid`` naming the payment (``details.due_date``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

#: Book kind codes, as ``book.KIND_CODE``.
PRINCIPAL, INTEREST = 0, 1
MICRO = 10**6


@dataclass(frozen=True, slots=True)
class PartRecord:
    log_id: str
    investment_id: str
    kind: str
    due: date
    paid_on: date
    amount: Decimal

    @property
    def kind_code(self) -> int:
        return PRINCIPAL if self.kind == "principal" else INTEREST

    @property
    def units(self) -> int:
        """Cents for interest, millionths for principal (the book's units)."""
        return int(self.amount * (MICRO if self.kind_code == PRINCIPAL else 100))


class PartsLedger:
    def __init__(self) -> None:
        self._records: dict[str, PartRecord] = {}
        self._by_investment: dict[str, dict[str, PartRecord]] = {}

    def __bool__(self) -> bool:
        return bool(self._records)

    def put(self, records: Iterable[PartRecord]) -> set[str]:
        touched: set[str] = set()
        for record in records:
            touched |= self.remove([record.log_id])
            self._records[record.log_id] = record
            self._by_investment.setdefault(record.investment_id, {})[record.log_id] = record
            touched.add(record.investment_id)
        return touched

    def remove(self, log_ids: Iterable[str]) -> set[str]:
        touched: set[str] = set()
        for log_id in log_ids:
            record = self._records.pop(log_id, None)
            if record is not None:
                held = self._by_investment.get(record.investment_id, {})
                held.pop(log_id, None)
                if not held:
                    self._by_investment.pop(record.investment_id, None)
                touched.add(record.investment_id)
        return touched

    def log_ids(self) -> set[str]:
        return set(self._records)

    def investments(self) -> list[str]:
        return list(self._by_investment)

    def of(self, investment_id: str) -> list[PartRecord]:
        return sorted(self._by_investment.get(investment_id, {}).values(), key=lambda r: (r.paid_on, r.log_id))

    def totals(self, investment_id: str) -> dict[tuple[int, int], int]:
        """``(kind code, due ordinal) -> units`` paid ahead, per payment of one investment."""
        out: dict[tuple[int, int], int] = {}
        for r in self._by_investment.get(investment_id, {}).values():
            key = (r.kind_code, r.due.toordinal())
            out[key] = out.get(key, 0) + r.units
        return out

    def amounts(self, investment_id: str) -> dict[tuple[str, date], Decimal]:
        """``(kind, due) -> amount`` paid ahead, per payment of one investment."""
        out: dict[tuple[str, date], Decimal] = {}
        for r in self._by_investment.get(investment_id, {}).values():
            out[(r.kind, r.due)] = out.get((r.kind, r.due), Decimal(0)) + r.amount
        return out


@dataclass(frozen=True, slots=True)
class CommissionState:
    """The recorded state of one commission (its ``referral_commissions`` document)."""

    key: str
    investment_id: str
    number: int
    status: str
    paid_on: date | None = None


class CommissionLedger:
    def __init__(self) -> None:
        self._by_key: dict[str, CommissionState] = {}
        self._keys: dict[tuple[str, int], set[str]] = {}
        #: investment id -> payment number -> the state that counts for that payment.
        self._by_investment: dict[str, dict[int, CommissionState]] = {}

    def __bool__(self) -> bool:
        return bool(self._by_key)

    def put(self, states: Iterable[CommissionState]) -> set[str]:
        touched: set[str] = set()
        for state in states:
            touched |= self.remove([state.key])
            self._by_key[state.key] = state
            self._keys.setdefault((state.investment_id, state.number), set()).add(state.key)
            self._elect(state.investment_id, state.number)
            touched.add(state.investment_id)
        return touched

    def remove(self, keys: Iterable[str]) -> set[str]:
        touched: set[str] = set()
        for key in keys:
            state = self._by_key.pop(key, None)
            if state is not None:
                payment = (state.investment_id, state.number)
                self._keys.get(payment, set()).discard(key)
                self._elect(*payment)
                touched.add(state.investment_id)
        return touched

    def _elect(self, investment_id: str, number: int) -> None:
        """Which document counts for a payment: the original wrote duplicates; a paid one wins,
        then the most advanced status, then the lowest key (a stable choice)."""
        rank = {"paid": 0, "approved": 1, "ready_to_pay": 2, "pending": 3, "cancelled": 4}
        held = [self._by_key[k] for k in self._keys.get((investment_id, number), ())]
        payments = self._by_investment.setdefault(investment_id, {})
        if held:
            payments[number] = min(held, key=lambda s: (rank.get(s.status, 5), s.key))
            return
        self._keys.pop((investment_id, number), None)
        payments.pop(number, None)
        if not payments:
            del self._by_investment[investment_id]

    def keys(self) -> set[str]:
        return set(self._by_key)

    def state(self, investment_id: str, number: int) -> CommissionState | None:
        return self._by_investment.get(investment_id, {}).get(number)

    def paid_numbers(self, investment_id: str) -> list[int]:
        return [n for n, s in self._by_investment.get(investment_id, {}).items() if s.status == "paid"]

    def states(self) -> list[CommissionState]:
        return [s for payments in self._by_investment.values() for s in payments.values()]
