"""Client statements as data: holdings, payments made in the period, payments still due.

Everything comes from the portfolio book, so a statement agrees with the dashboard and the
calendar to the cent. The summary a client reads first is computed from the tables below it
(never separately), so its figures are always the sums of what the tables list:

* holdings at the start and at the end of the period: each investment's principal not yet
  returned on that day (a completed investment with no record of its principal coming back is
  taken as returned at its contract end, as its status says);
* interest paid and principal returned in the period: the payments made table, by kind;
* still to be paid: every payment not paid by the end of the period, overdue (due by then) or
  scheduled, and the next one after the period, with its day.

The layout of the printed statement is :mod:`.statement_layout`; the PDF is drawn by the window
(``ui/portfolio/statement_pdf.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from ..domain.investments import InvestmentStatus
from ..domain.schedules import PaymentKind
from ..domain.values import ZERO
from ..errors import NotFoundError, ValidationError
from ..exports import CsvFormat
from ..portfolio import calendar as calendar_view
from ..portfolio.book import MICRO, PortfolioBook
from ..portfolio.holdings import row as holding_row
from .payment_calendar import CalendarFilter, CalendarRow, PaymentState

CURRENCY = "USD"
#: Statuses whose investments a client held (the others were never under management).
_HELD = frozenset({InvestmentStatus.ACTIVE, InvestmentStatus.COMPLETED, InvestmentStatus.REDEEMED,
                   InvestmentStatus.CLOSED})


@dataclass(frozen=True, slots=True)
class Holding:
    investment_id: str
    product: str
    product_name: str
    start_date: date
    principal: Decimal
    monthly_rate: Decimal | None
    contract_end: date | None
    status: str
    #: Principal not yet returned at the start and at the end of the period.
    at_start: Decimal = ZERO
    at_end: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class NextPayment:
    due: date
    amount: Decimal
    count: int


@dataclass(frozen=True, slots=True)
class Statement:
    fund_name: str
    client_id: str
    client_name: str
    client_email: str
    period_start: date
    period_end: date
    issued_on: date
    holdings: tuple[Holding, ...]
    payments_made: tuple[CalendarRow, ...]
    payments_due: tuple[CalendarRow, ...]
    client_phone: str = ""
    currency: str = CURRENCY

    @property
    def holdings_start(self) -> Decimal:
        return sum((h.at_start for h in self.holdings), ZERO)

    @property
    def holdings_end(self) -> Decimal:
        return sum((h.at_end for h in self.holdings), ZERO)

    @property
    def interest_paid(self) -> Decimal:
        return sum((r.amount for r in self.payments_made if r.kind is PaymentKind.INTEREST), ZERO)

    @property
    def principal_returned(self) -> Decimal:
        return sum((r.amount for r in self.payments_made if r.kind is PaymentKind.PRINCIPAL), ZERO)

    @property
    def paid_total(self) -> Decimal:
        return sum((r.amount for r in self.payments_made), ZERO)

    @property
    def due_total(self) -> Decimal:
        return sum((r.amount for r in self.payments_due), ZERO)

    def is_overdue(self, row: CalendarRow) -> bool:
        """Due by the end of the period and not paid by then."""
        return row.due <= self.period_end

    @property
    def overdue(self) -> tuple[int, Decimal]:
        late = [r for r in self.payments_due if self.is_overdue(r)]
        return len(late), sum((r.amount for r in late), ZERO)

    @property
    def next_payment(self) -> NextPayment | None:
        ahead = [r for r in self.payments_due if not self.is_overdue(r)]
        if not ahead:
            return None
        first = min(r.due for r in ahead)
        on_day = [r for r in ahead if r.due == first]
        return NextPayment(first, sum((r.amount for r in on_day), ZERO), len(on_day))


def _outstanding(book: PortfolioBook, slot: int, day: date, contract_end: date | None) -> Decimal:
    """Principal of the investment in ``slot`` not yet returned at the end of ``day``."""
    start = date.fromordinal(int(book.start[slot]))
    if start > day:
        return ZERO
    principal = book.principal_of(slot)
    inv_id = book.ids[slot]
    returned = [date.fromordinal(paid_on) for (kind, _due), (paid_on, _log) in book.paid.get(inv_id, {}).items()
                if kind == 0]
    if returned:
        if min(returned) <= day:
            return ZERO
    elif not book.active[slot] and contract_end is not None and day >= contract_end:
        return ZERO  # finished, its principal's return never recorded: back at the contract end
    ahead = sum((r.amount for r in book.parts.of(inv_id) if r.kind == "principal" and r.paid_on <= day), ZERO)
    return max(ZERO, principal - ahead)


def build_statement(book: PortfolioBook, client_id: str, period_start: date, period_end: date,
                    fund_name: str, *, client_email: str = "", client_phone: str = "") -> Statement:
    """A client's statement for the period, from the portfolio book (the figures the window shows)."""
    if period_end < period_start:
        raise ValidationError("The period ends before it starts.", {"period_end": "After the start."})
    own = [int(slot) for slot in book.client_slots(client_id)]
    if client_id not in book.clients and not own:
        raise NotFoundError(f"No client '{client_id}'.")
    made_all = [r for r in calendar_view.paid_rows_outside_schedules(book, client_id)]
    every = calendar_view.select(book, CalendarFilter(client_id=client_id, states=frozenset(PaymentState),
                                                      commissions=False)).rows()
    made_all += [r for r in every if r.state is PaymentState.PAID]
    made = [r for r in made_all if r.paid_on is not None and period_start <= r.paid_on <= period_end]
    holdings = []
    for slot in sorted(own, key=lambda s: (int(book.start[s]), book.ids[s])):
        if book.statuses[slot] not in _HELD:
            continue
        row = holding_row(book, slot)
        product = book.products.get(row.product)
        at_start = _outstanding(book, slot, period_start - timedelta(days=1), row.contract_end)
        at_end = _outstanding(book, slot, period_end, row.contract_end)
        returned = any(r.investment_id == row.investment_id and r.kind is PaymentKind.PRINCIPAL for r in made)
        if not (at_start or at_end or returned):
            continue  # not held at any time in the period
        holdings.append(Holding(row.investment_id, row.product, product.name if product else row.product,
                                row.start, row.principal, row.rate, row.contract_end, row.status, at_start, at_end))
    due = [r for r in every if not r.part and (r.state is not PaymentState.PAID or
                                               (r.paid_on is not None and r.paid_on > period_end))]
    name = book.clients.get(client_id) or (book.client_name(own[0]) if own else client_id)
    return Statement(
        fund_name=fund_name, client_id=client_id, client_name=name, client_email=client_email,
        client_phone=client_phone, period_start=period_start, period_end=period_end, issued_on=book.as_of,
        holdings=tuple(holdings),
        payments_made=tuple(sorted(made, key=lambda r: (r.paid_on or r.due, r.due, r.investment_id, r.part))),
        payments_due=tuple(sorted(due, key=lambda r: (r.due, r.investment_id, r.kind is PaymentKind.PRINCIPAL))))


def rate_text(rate: Decimal | None) -> str:
    return "performance share" if rate is None else f"{rate * 100:.2f} %/month"


def statement_csv(s: Statement, fmt: CsvFormat = CsvFormat()) -> str:
    """The statement as CSV text in ``fmt`` (separator and decimal sign; see :mod:`..exports`)."""
    money = fmt.amount
    rows: list[tuple[object, ...]] = [
        (s.fund_name, "Client statement"), ("client", s.client_name, s.client_id),
        ("period", s.period_start.isoformat(), s.period_end.isoformat()), ("currency", s.currency), (),
        ("summary", "holdings_start", money(s.holdings_start)), ("", "holdings_end", money(s.holdings_end)),
        ("", "interest_paid", money(s.interest_paid)), ("", "principal_returned", money(s.principal_returned)),
        ("", "still_to_pay", money(s.due_total)), (),
        ("holdings", "investment_id", "product", "start_date", "principal", "monthly_rate", "contract_end", "status",
         "at_start", "at_end")]
    for h in s.holdings:
        rows.append(("", h.investment_id, h.product, h.start_date.isoformat(), money(h.principal),
                     "" if h.monthly_rate is None else fmt.number(h.monthly_rate),
                     h.contract_end.isoformat() if h.contract_end else "", h.status, money(h.at_start),
                     money(h.at_end)))
    rows.append(("", "total", "", "", "", "", "", "", money(s.holdings_start), money(s.holdings_end)))
    for title, lines, total in (("payments made", s.payments_made, s.paid_total),
                                ("payments due", s.payments_due, s.due_total)):
        rows += [(), (title, "due_date", "paid_on", "product", "investment_id", "payment", "amount")]
        rows += [("", r.due.isoformat(), r.paid_on.isoformat() if r.paid_on and title == "payments made" else "",
                  r.product, r.investment_id, r.label, money(r.amount)) for r in lines]
        rows.append(("", "total", "", "", "", "", money(total)))
    return fmt.text(rows)


def statement_stem(s: Statement) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "_", s.client_name).strip("_")[:60] or re.sub(r"[^A-Za-z0-9]+", "_", s.client_id)
    return f"statement_{slug}_{s.period_start.isoformat()}_{s.period_end.isoformat()}"


def statement_filename(s: Statement, extension: str) -> str:
    return f"{statement_stem(s)}.{extension}"


def micro_to_money(value: int) -> Decimal:
    return Decimal(value) / MICRO if value else ZERO
