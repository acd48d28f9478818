"""The portfolio book: every investment's terms and payment state, held column by column.

At 100,000 investments the fund has about a million scheduled payments. Holding them as Python
objects costs gigabytes and garbage-collection pauses the window feels; the book instead keeps
one slot per investment in NumPy arrays (start day, principal in millionths, interest per
payment in cents, product, status, which payments are recorded as paid) and a few Python lists
for the text. Figures, the calendar and the investments table are array operations over it
(``figures.py``, ``calendar.py``, ``holdings.py``), and a change to one investment or one
payment updates one slot, never the whole book.

Money stays exact: principal in integer millionths, interest in integer cents (each payment is
already rounded to the cent, half-up, by the domain rule), turned back into ``Decimal`` at the
edge. An investment whose principal does not fit that grid, or whose values the app cannot
trust, is left out of every figure and listed in :attr:`PortfolioBook.problems`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import threading

import numpy as np

from ..domain.funds import PRODUCT_CODES, FundProduct
from ..domain.investments import InvestmentStatus
from ..domain.mt5_accounts import Mt5AccountLink
from ..domain.schedules import interest_per_period
from ..domain.values import ZERO
from ..storage.problems import DocumentProblem as Problem
from .ledgers import CommissionLedger, CommissionState, PartRecord, PartsLedger
from .paid import PaidColumns, PaidLedger
from .templates import ProductTemplate, product_template

MICRO = 10**6
#: Fields read from ``investments`` without decoding documents (see InvestmentCodec's spec).
INVESTMENT_FIELDS = ("client_id", "product", "status", "start_date", "principal_amount", "interest_rate",
                     "client_name", "shape", "salesperson_id", "untrusted")
_FIRST_YEAR, _LAST_YEAR = 1970, 2200
KIND_CODE = {"principal": 0, "interest": 1}


@dataclass(frozen=True, slots=True)
class PaidRecord:
    """One payment recorded as made (an ``activity_logs`` entry of type ``*_paid``)."""

    log_id: str
    investment_id: str
    kind: str
    due: date
    paid_on: date | None


def principal_problem(principal: object) -> str:
    """Why ``principal`` cannot be an investment's amount (``""``: it can)."""
    if not isinstance(principal, Decimal) or not principal.is_finite():
        return "no readable amount"
    if principal <= 0:
        return f"the amount {principal} is not positive"
    try:
        micro = principal * MICRO
    except InvalidOperation:
        return "the amount is out of range"
    if micro != micro.to_integral_value() or abs(micro) >= 2**62:
        return f"the amount {principal} is not a sum of money"
    return ""


def _memoized_amount_check() -> Callable[[object], str]:
    seen: dict[object, str] = {}

    def check(principal: object) -> str:
        try:
            return seen[principal]
        except KeyError:
            reason = seen[principal] = principal_problem(principal)
            return reason
        except TypeError:  # not hashable: not an amount either
            return principal_problem(principal)

    return check


def _grow(array: np.ndarray, size: int) -> np.ndarray:
    if size <= len(array):
        return array
    bigger = np.zeros(max(size, len(array) * 2, 64), dtype=array.dtype)
    bigger[:len(array)] = array
    return bigger


@dataclass(eq=False)
class PortfolioBook:
    as_of: date
    products: dict[str, FundProduct] = field(default_factory=dict)
    templates: dict[str, ProductTemplate] = field(default_factory=dict)
    #: Product index -> code: the four products first, then any other code seen.
    codes: list[str] = field(default_factory=lambda: list(PRODUCT_CODES))
    clients: dict[str, str] = field(default_factory=dict)
    accounts: tuple[Mt5AccountLink, ...] = ()
    problems: list[Problem] = field(default_factory=list)
    #: Bumped by every change, so views know whether what they hold is current.
    version: int = 0

    def __post_init__(self) -> None:
        #: Held by whoever changes the book or reads it in a lane (several lanes and the
        #: service's updates meet here); never taken on the loop's thread, which only reads the
        #: few rows on screen.
        self.lock = threading.RLock()
        self.ids: list[str] = []
        self.index: dict[str, int] = {}
        self.client_ids: list[str] = []
        self.own_names: list[str] = []
        self.statuses: list[str] = []
        self.principals: list[Decimal] = []
        self.rates: list[Decimal | None] = []
        self.shapes: list[str] = []
        #: ``sp_<hex>`` of the salesperson who referred each investment ("" when none).
        self.salespeople: list[str] = []
        #: Bumped when names or ids change (sort ranks and search arrays are cached on it).
        self.names_version = 0
        self._cache: dict[str, tuple[int, object]] = {}
        self._free: list[int] = []
        self.alive = np.zeros(0, dtype=bool)
        self.active = np.zeros(0, dtype=bool)
        self.product = np.zeros(0, dtype=np.int16)
        self.start = np.zeros(0, dtype=np.int32)
        self.principal = np.zeros(0, dtype=np.int64)
        self.interest = np.zeros(0, dtype=np.int64)
        self.paid_bits = np.zeros(0, dtype=np.int64)
        #: Bit k set: the commission on interest payment slot k is recorded as paid.
        self.commission_bits = np.zeros(0, dtype=np.int64)
        self.client = np.zeros(0, dtype=np.int32)
        #: The investment was referred by a salesperson: its interest payments earn commissions.
        self.referred = np.zeros(0, dtype=bool)
        #: Parts of payments paid ahead of their due date (redemptions), and commissions' state.
        self.parts = PartsLedger()
        self.commissions = CommissionLedger()
        self.salesperson_names: dict[str, str] = {}
        #: Payments recorded as paid, per investment: (kind code, due ordinal) -> (paid_on ordinal, log id).
        self.paid = PaidLedger()
        self._client_codes: dict[str, int] = {}
        self._problem_keys: dict[tuple[str, str], Problem] = {}

    # ---- products, clients, accounts ----------------------------------------------------------

    def set_products(self, products: Iterable[FundProduct]) -> None:
        self.products = {p.code: p for p in products}
        self.templates = {code: product_template(p) for code, p in self.products.items()}
        for code in sorted(c for c in self.products if c not in self.codes):
            self.codes.append(code)
        for slot in self.slots():  # terms changed: interest and paid slots follow
            self._schedule_slot(slot)
        self.version += 1

    def set_clients(self, clients: Mapping[str, str]) -> None:
        self.clients = dict(clients)
        self.names_version += 1
        self.version += 1

    def set_accounts(self, accounts: Iterable[Mt5AccountLink]) -> None:
        self.accounts = tuple(accounts)
        self.version += 1

    def product_index(self, code: str) -> int:
        try:
            return self.codes.index(code)
        except ValueError:
            self.codes.append(code)
            return len(self.codes) - 1

    # ---- investments ----------------------------------------------------------------------------

    def slots(self) -> np.ndarray:
        """Indices of the investments the book holds."""
        return np.nonzero(self.alive[:len(self.ids)])[0]

    def put_investments(self, rows: Iterable[Sequence[object]]) -> list[str]:
        """Add or replace investments from ``(investment_id, *INVESTMENT_FIELDS)`` rows (what
        ``store.investments.project(INVESTMENT_FIELDS)`` returns); returns the ids taken in."""
        taken = []
        for row in rows:
            inv_id = str(row[0])
            problem = self._check(row)
            self._problem_keys.pop(("investments", inv_id), None)
            if problem is not None:
                self._problem_keys[("investments", inv_id)] = problem
                self._drop(inv_id)
                continue
            self._put(row)
            taken.append(inv_id)
        self.names_version += 1
        self.problems = [p for p in self.problems if p.collection != "investments"] + list(
            v for (c, _), v in self._problem_keys.items() if c == "investments")
        self.version += 1
        return taken

    def load_investments(self, rows: Sequence[Sequence[object]]) -> None:
        """The whole book's investments at once (an empty book: the first read). The same checks
        and values as :meth:`put_investments`, in a few passes over columns instead of a Python
        call per row: 100,000 investments take a fraction of a second, so the lane holding the
        interpreter never makes the window wait."""
        assert not self.index, "load_investments fills an empty book"
        good, bad = [], []
        check = _memoized_amount_check()
        for row in rows:
            problem = self._check(row, check)
            if problem is None:
                good.append(row)
            else:
                bad.append(problem)
        n = len(good)
        if n:
            ids, clients, products, statuses, starts, principals, rates, names, shapes, sellers, _ = (
                list(c) for c in zip(*good))
        else:
            ids = clients = products = statuses = starts = principals = rates = names = shapes = sellers = []
        self.ids = [str(i) for i in ids]
        self.index = {inv_id: slot for slot, inv_id in enumerate(self.ids)}
        self.client_ids = [str(c or "") for c in clients]
        self.own_names = [str(x or "") for x in names]
        self.statuses = [str(x).strip().lower() for x in statuses]
        self.principals = principals  # type: ignore[assignment]
        self.rates = rates  # type: ignore[assignment]
        self.shapes = [str(x or "A") for x in shapes]
        self.salespeople = [str(x or "") for x in sellers]
        self.referred = np.array([bool(x) for x in sellers], dtype=bool)
        self.commission_bits = np.zeros(n, dtype=np.int64)  # the commissions' states come after
        self.alive = np.ones(n, dtype=bool)
        self.active = np.array([x == InvestmentStatus.ACTIVE.value for x in self.statuses], dtype=bool)
        codes = {code: self.product_index(code) for code in dict.fromkeys(str(p) for p in products)}
        self.product = np.array([codes[str(p)] for p in products], dtype=np.int16)
        self.start = np.array([d.date().toordinal() for d in starts], dtype=np.int32)  # type: ignore[union-attr]
        self.principal = np.array([int(p * MICRO) for p in principals], dtype=np.int64)  # type: ignore[operator]
        self._client_codes = {}
        self.client = np.array([self._client_codes.setdefault(c, len(self._client_codes)) for c in self.client_ids],
                               dtype=np.int32)
        self.paid_bits = np.zeros(n, dtype=np.int64)
        self.interest = self._interest_of_all()
        self._free = []
        self._problem_keys = {("investments", p.key): p for p in bad}
        self.problems = [p for p in self.problems if p.collection != "investments"] + bad
        self.names_version += 1
        self.version += 1

    def _interest_of_all(self) -> np.ndarray:
        """Interest per payment in cents for every slot, exactly as ``interest_per_period``
        rounds it (half-up to the cent), with integer arithmetic per (product, rate) group."""
        interest = np.zeros(len(self.ids), dtype=np.int64)
        groups: dict[tuple[int, Decimal | None], list[int]] = {}
        for slot, (code, rate) in enumerate(zip(self.product.tolist(), self.rates, strict=True)):
            groups.setdefault((code, rate), []).append(slot)
        for (code, rate), slots in groups.items():
            product = self.products.get(self.codes[code])
            template = self.templates.get(self.codes[code])
            monthly = rate or (product.monthly_rate if product else None)
            if product is None or template is None or not monthly or template.months <= 0:
                continue
            num, den = (monthly * template.months).as_integer_ratio()
            # cents = round_half_up(micro / 10^6 * num / den * 100) for non-negative amounts
            scale, half = 2 * den * (MICRO // 100), den * (MICRO // 100)
            values = [(2 * int(self.principal[s]) * num + half) // scale for s in slots]
            interest[slots] = values
        return interest

    def load_paid(self, columns: PaidColumns) -> None:
        """The whole book's paid payments at once (``loader.paid_columns``)."""
        paid = PaidLedger()
        paid.load(*columns)
        self.paid = paid
        self.paid_bits = self._paid_bits_of(paid)
        self.version += 1

    def _paid_bits_of(self, paid: PaidLedger) -> np.ndarray:
        """Bit k of an investment set: its payment slot k is recorded as paid (every investment at
        once, product by product, as :meth:`_schedule_slot` does for one)."""
        bits = np.zeros(len(self.ids), dtype=np.int64)
        investment_ids, codes, kinds, dues = paid.shown_rows()
        if not len(codes):
            return bits
        slot_of_code = np.array([self.index.get(i, -1) for i in investment_ids], dtype=np.int64)
        slots = slot_of_code[codes]
        known = slots >= 0
        slots, kinds, dues = slots[known], kinds[known], dues[known]
        offsets = dues.astype(np.int64) - self.start[slots]
        products = self.product[slots]
        for product in np.unique(products).tolist():
            template = self.templates.get(self.codes[product])
            if template is None:
                continue
            mine = products == product
            k = template.slots_of(kinds[mine], offsets[mine])
            found = k >= 0
            np.bitwise_or.at(bits, slots[mine][found], np.left_shift(np.int64(1), k[found]))
        return bits

    def remove_investments(self, ids: Iterable[str]) -> None:
        for inv_id in ids:
            self._drop(inv_id)
            self._problem_keys.pop(("investments", inv_id), None)
        self.problems = [p for p in self.problems if p.collection != "investments"] + list(
            v for (c, _), v in self._problem_keys.items() if c == "investments")
        self.names_version += 1
        self.version += 1

    def cached[T](self, name: str, build: Callable[[], T], *, stamp: int | None = None) -> T:
        """``build()`` once per ``stamp`` (default: ``names_version``; name ranks, search text)."""
        stamp = self.names_version if stamp is None else stamp
        held = self._cache.get(name)
        if held is None or held[0] != stamp:
            held = self._cache[name] = (stamp, build())
        return held[1]  # type: ignore[return-value]

    def _check(self, row: Sequence[object], amount_problem: Callable[[object], str] | None = None) -> Problem | None:
        inv_id, client_id, product, status, start, principal, rate, _name, _shape, _salesperson, untrusted = row
        key = str(inv_id)

        def problem(name: str, reason: str) -> Problem:
            return Problem("investments", key, name, reason)

        if untrusted:  # what the codec refuses (one definition of trust, storage/codecs/investments.py)
            name, _, reason = str(untrusted).partition("\t")
            return problem(name, reason)
        # What only the book needs: an amount it can hold exactly, a start day it can count from.
        reason = (amount_problem or principal_problem)(principal)
        if reason:
            return problem("principal_amount", reason)
        if not isinstance(start, datetime) or not _FIRST_YEAR <= start.year <= _LAST_YEAR:
            return problem("start_date", "no start date between 1970 and 2200")
        return None

    def _put(self, row: Sequence[object]) -> None:
        inv_id, client_id, product, status, start, principal, rate, own_name, shape, salesperson, _untrusted = row
        inv_id = str(inv_id)
        slot = self.index.get(inv_id)
        if slot is None:
            slot = self._free.pop() if self._free else len(self.ids)
            if slot == len(self.ids):
                for name in ("ids", "client_ids", "own_names", "statuses", "principals", "rates", "shapes",
                             "salespeople"):
                    getattr(self, name).append(None)
                size = slot + 1
                for name in ("alive", "active", "product", "start", "principal", "interest", "paid_bits", "client",
                             "referred", "commission_bits"):
                    setattr(self, name, _grow(getattr(self, name), size))
            self.index[inv_id] = slot
        client = str(client_id or "")
        status_text = str(status).strip().lower()
        self.ids[slot] = inv_id
        self.client_ids[slot] = client
        self.own_names[slot] = str(own_name or "")
        self.statuses[slot] = status_text
        self.principals[slot] = principal  # type: ignore[assignment]
        self.rates[slot] = rate  # type: ignore[assignment]
        self.shapes[slot] = str(shape or "A")
        self.salespeople[slot] = str(salesperson or "")
        self.referred[slot] = bool(salesperson)
        self.alive[slot] = True
        self.active[slot] = status_text == InvestmentStatus.ACTIVE.value
        self.product[slot] = self.product_index(str(product))
        assert isinstance(start, datetime)
        self.start[slot] = start.date().toordinal()
        self.principal[slot] = int(principal * MICRO)  # type: ignore[operator]
        self.client[slot] = self._client_codes.setdefault(client, len(self._client_codes))
        self._schedule_slot(slot)

    def _drop(self, inv_id: str) -> None:
        slot = self.index.pop(inv_id, None)
        if slot is None:
            return
        self.alive[slot] = False
        self.active[slot] = False
        self._free.append(slot)

    def _schedule_slot(self, slot: int) -> None:
        """Interest per payment and the paid bits of one investment, from its terms."""
        code = self.codes[int(self.product[slot])]
        product = self.products.get(code)
        template = self.templates.get(code)
        if product is None or template is None:
            self.interest[slot] = 0
            self.paid_bits[slot] = 0
            self.commission_bits[slot] = 0
            return
        rate = self.rates[slot] or product.monthly_rate
        amount = interest_per_period(self.principals[slot], rate, template.months)
        self.interest[slot] = int(amount * 100)
        bits = 0
        start = int(self.start[slot])
        for (kind, due), _ in self.paid.get(self.ids[slot], {}).items():
            k = template.slot_of("principal" if kind == 0 else "interest", due - start)
            if k is not None:
                bits |= 1 << k
        self.paid_bits[slot] = bits
        cbits = 0
        for number in self.commissions.paid_numbers(self.ids[slot]):
            k = int(np.searchsorted(template.numbers, number))
            if k < template.slots and int(template.numbers[k]) == number:
                cbits |= 1 << (k + 1)
        self.commission_bits[slot] = cbits

    # ---- payments recorded as paid --------------------------------------------------------------

    def put_paid(self, records: Iterable[PaidRecord]) -> set[str]:
        """Record payments as paid; returns the investment ids whose payment state changed."""
        touched: set[str] = set()
        for r in records:
            kind = KIND_CODE.get(r.kind)
            if kind is None:
                continue
            self.paid.put(r.investment_id, (kind, r.due.toordinal()), ((r.paid_on or r.due).toordinal(), r.log_id))
            touched.add(r.investment_id)
        self._rebit(touched)
        return touched

    def remove_paid(self, log_ids: Iterable[str]) -> set[str]:
        touched = {inv for inv in (self.paid.forget(log_id) for log_id in log_ids) if inv}
        self._rebit(touched)
        return touched

    def _rebit(self, investment_ids: Iterable[str]) -> None:
        for inv_id in investment_ids:
            slot = self.index.get(inv_id)
            if slot is not None:
                self._schedule_slot(slot)
        self.version += 1

    def put_parts(self, records: Iterable[PartRecord]) -> set[str]:
        touched = self.parts.put(records)
        self.version += 1
        return touched

    def remove_parts(self, log_ids: Iterable[str]) -> set[str]:
        touched = self.parts.remove(log_ids)
        self.version += 1
        return touched

    def put_commissions(self, states: Iterable[CommissionState]) -> set[str]:
        touched = self.commissions.put(states)
        self._rebit(touched)
        return touched

    def remove_commissions(self, keys: Iterable[str]) -> set[str]:
        touched = self.commissions.remove(keys)
        self._rebit(touched)
        return touched

    def set_salespeople(self, names: Mapping[str, str]) -> None:
        self.salesperson_names = dict(names)
        self.version += 1

    def salesperson_name(self, key: str) -> str:
        return self.salesperson_names.get(key) or key

    def paid_on(self, slot: int, kind: str, due: date) -> date | None:
        held = self.paid.entry(self.ids[slot], (KIND_CODE[kind], due.toordinal()))
        return date.fromordinal(held[0]) if held else None

    # ---- reading --------------------------------------------------------------------------------

    def client_name(self, slot: int) -> str:
        client = self.client_ids[slot]
        return self.clients.get(client) or self.own_names[slot] or client

    def template_of(self, slot: int) -> ProductTemplate | None:
        return self.templates.get(self.codes[int(self.product[slot])])

    def code_of(self, slot: int) -> str:
        return self.codes[int(self.product[slot])]

    def principal_of(self, slot: int) -> Decimal:
        return self.principals[slot]

    def interest_of(self, slot: int) -> Decimal:
        """One interest payment, in cents as the domain rounds it (``150.00``)."""
        return Decimal(int(self.interest[slot])).scaleb(-2)

    def client_slots(self, client_id: str) -> np.ndarray:
        """Indices of the investments of one client (any status)."""
        code = self._client_codes.get(client_id)
        if code is None:
            return np.zeros(0, dtype=np.int64)
        n = len(self.ids)
        return np.nonzero(self.alive[:n] & (self.client[:n] == code))[0]

    def active_slots(self) -> np.ndarray:
        n = len(self.ids)
        return np.nonzero(self.alive[:n] & self.active[:n])[0]

    def __len__(self) -> int:
        return len(self.index)

    def total(self, micro: int) -> Decimal:
        return Decimal(micro) / MICRO if micro else ZERO
