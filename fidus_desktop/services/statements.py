"""Client statements: holdings, payments made and payments due over a period, as data, CSV and
the HTML layout the UI prints to PDF (``ui/portfolio/statement_pdf.py``).

Everything comes from one :class:`~.portfolio.PortfolioData`, so a statement agrees with the
dashboard and the calendar to the cent.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from ..domain.investments import InvestmentStatus
from ..domain.values import ZERO
from ..errors import NotFoundError, ValidationError
from ..exports import CsvFormat, unique_name, write_bytes, write_with
from ..portfolio import calendar as calendar_view
from ..portfolio.book import PortfolioBook
from ..portfolio.holdings import row as holding_row
from .payment_calendar import CalendarFilter, CalendarRow, PaymentState

CURRENCY = "USD"


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

    @property
    def holdings_total(self) -> Decimal:
        return sum((h.principal for h in self.holdings if h.status == InvestmentStatus.ACTIVE), ZERO)

    @property
    def paid_total(self) -> Decimal:
        return sum((r.amount for r in self.payments_made), ZERO)

    @property
    def due_total(self) -> Decimal:
        return sum((r.amount for r in self.payments_due), ZERO)


def build_statement(book: PortfolioBook, client_id: str, period_start: date, period_end: date,
                    fund_name: str, *, client_email: str = "") -> Statement:
    """A client's statement for the period, from the portfolio book (the figures the window shows)."""
    if period_end < period_start:
        raise ValidationError("The period ends before it starts.", {"period_end": "After the start."})
    own = [int(slot) for slot in book.slots() if book.client_ids[slot] == client_id]
    if client_id not in book.clients and not own:
        raise NotFoundError(f"No client '{client_id}'.")
    holdings = []
    for slot in sorted(own, key=lambda s: (int(book.start[s]), book.ids[s])):
        start = date.fromordinal(int(book.start[slot]))
        if start > period_end or book.statuses[slot] == InvestmentStatus.CANCELLED:
            continue
        row = holding_row(book, slot)
        product = book.products.get(row.product)
        holdings.append(Holding(row.investment_id, row.product, product.name if product else row.product, start,
                                row.principal, row.rate, row.contract_end, row.status))
    every = calendar_view.select(book, CalendarFilter(client_id=client_id, states=frozenset(PaymentState))).rows()
    made = [r for r in every if r.paid_on is not None and period_start <= r.paid_on <= period_end]
    made += [r for r in calendar_view.paid_rows_outside_schedules(book, client_id)
             if r.paid_on is not None and period_start <= r.paid_on <= period_end]
    due = [r for r in every if r.state is not PaymentState.PAID and period_start <= r.due <= period_end]
    name = book.clients.get(client_id) or (book.client_name(own[0]) if own else client_id)
    return Statement(
        fund_name=fund_name, client_id=client_id, client_name=name, client_email=client_email,
        period_start=period_start, period_end=period_end, issued_on=book.as_of, holdings=tuple(holdings),
        payments_made=tuple(sorted(made, key=lambda r: (r.paid_on or r.due, r.due))), payments_due=tuple(due))


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _rate(rate: Decimal | None) -> str:
    return "performance share" if rate is None else f"{rate * 100:.2f} % / month"


def statement_csv(s: Statement, fmt: CsvFormat = CsvFormat()) -> str:
    """The statement as CSV text in ``fmt`` (separator and decimal sign; see :mod:`..exports`)."""
    money = fmt.amount
    rows: list[tuple[object, ...]] = [
        (s.fund_name, "Client statement"), ("client", s.client_name, s.client_id),
        ("period", s.period_start.isoformat(), s.period_end.isoformat()), ("currency", CURRENCY), (),
        ("holdings", "investment_id", "product", "start_date", "principal", "monthly_rate", "contract_end", "status")]
    for h in s.holdings:
        rows.append(("", h.investment_id, h.product, h.start_date.isoformat(), money(h.principal),
                     "" if h.monthly_rate is None else fmt.number(h.monthly_rate),
                     h.contract_end.isoformat() if h.contract_end else "", h.status))
    rows.append(("", "total active", "", "", money(s.holdings_total)))
    for title, payments, total in (("payments made", s.payments_made, s.paid_total),
                                   ("payments due", s.payments_due, s.due_total)):
        rows += [(), (title, "due_date", "paid_on", "product", "investment_id", "payment", "amount")]
        for r in payments:
            rows.append(("", r.due.isoformat(), r.paid_on.isoformat() if r.paid_on else "", r.product,
                         r.investment_id, r.label, money(r.amount)))
        rows.append(("", "total", "", "", "", "", money(total)))
    return fmt.text(rows)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], total: str | None,
           numeric: set[int], total_label: str = "Total") -> str:
    def cell(tag: str, i: int, text: str) -> str:
        align = ' align="right"' if i in numeric else ""
        return f"<{tag}{align}>{html.escape(text)}</{tag}>"
    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(r)) + "</tr>" for r in rows)
    if not rows:
        body = f'<tr><td colspan="{len(headers)}"><i>None in this period.</i></td></tr>'
    if total is not None:
        body += (f'<tr><td colspan="{len(headers) - 1}"><b>{html.escape(total_label)}</b></td>'
                 f'<td align="right"><b>{html.escape(total)}</b></td></tr>')
    return (f'<table width="100%" cellspacing="0" cellpadding="4" border="1" '
            f'style="border-collapse:collapse">{"<tr>" + head + "</tr>"}{body}</table>')


def statement_html(s: Statement) -> str:
    """A printable layout (Qt's rich-text subset of HTML): header, three tables, totals."""
    holdings = [(h.product_name, h.investment_id[:13], h.start_date.isoformat(), _rate(h.monthly_rate),
                 h.contract_end.isoformat() if h.contract_end else "", h.status, _money(h.principal))
                for h in s.holdings]
    made = [(r.paid_on.isoformat() if r.paid_on else "", r.due.isoformat(), r.product, r.label,
             _money(r.amount)) for r in s.payments_made]
    due = [(r.due.isoformat(), r.product, r.label, r.state.value, _money(r.amount)) for r in s.payments_due]
    e = html.escape
    return f"""<html><body style="font-family:'DejaVu Sans',sans-serif; font-size:9pt">
<h2>{e(s.fund_name)}</h2>
<h3>Client statement</h3>
<p><b>{e(s.client_name)}</b> ({e(s.client_id)}){'<br>' + e(s.client_email) if s.client_email else ''}<br>
Period: {s.period_start.isoformat()} to {s.period_end.isoformat()}<br>
Issued: {s.issued_on.isoformat()} &middot; Amounts in {CURRENCY}</p>
<h4>Holdings</h4>
{_table(("Product", "Investment", "Start", "Rate", "Contract end", "Status", "Principal"), holdings,
        _money(s.holdings_total), {6}, "Total of active holdings")}
<h4>Payments made</h4>
{_table(("Paid on", "Due", "Product", "Payment", "Amount"), made, _money(s.paid_total), {4})}
<h4>Payments due</h4>
{_table(("Due", "Product", "Payment", "State", "Amount"), due, _money(s.due_total), {4})}
<p style="font-size:7pt">Interest is simple interest on principal, paid on the dates of each product's
schedule; each payment is rounded to the cent. This statement is for information.</p>
</body></html>"""


def statement_stem(s: Statement) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "_", s.client_name).strip("_") or s.client_id
    return f"statement_{slug}_{s.period_start.isoformat()}_{s.period_end.isoformat()}"


def statement_filename(s: Statement, extension: str) -> str:
    return f"{statement_stem(s)}.{extension}"


PdfWriter = Callable[[Statement, Path], None]


def export_statements(book: PortfolioBook, client_ids: Sequence[str], period_start: date, period_end: date,
                      fund_name: str, folder: Path, *, pdf_writer: PdfWriter | None = None, with_csv: bool = True,
                      csv_format: CsvFormat | None = None, emails: Mapping[str, str] | None = None,
                      progress: Callable[[float, str], None] | None = None) -> list[Path]:
    """Write each client's statement into ``folder``; cancel by raising from ``progress``.

    Each file is written beside its name and put in place whole (:func:`..exports.write_with`):
    a file open in another program raises :class:`..exports.FileInUse` and leaves no part file.
    Two clients whose names differ only in case (or not at all) get distinct files: NTFS would
    otherwise let the second overwrite the first.
    """
    fmt = csv_format or CsvFormat()
    written: list[Path] = []
    stems: set[str] = set()
    for n, client_id in enumerate(client_ids):
        statement = build_statement(book, client_id, period_start, period_end, fund_name,
                                    client_email=(emails or {}).get(client_id, ""))
        if progress is not None:
            progress(n / max(1, len(client_ids)), f"Statement for {statement.client_name}")
        stem = statement_stem(statement)
        if stem.casefold() in stems:
            stem = f"{stem}_{re.sub(r'[^A-Za-z0-9]+', '_', client_id).strip('_')}"
        stem = unique_name(stem, stems)
        if pdf_writer is not None:
            written.append(write_with(folder / f"{stem}.pdf", lambda path, s=statement: pdf_writer(s, path)))
        if with_csv:
            written.append(write_bytes(folder / f"{stem}.{fmt.extension}", fmt.encode(statement_csv(statement, fmt))))
    if progress is not None:
        progress(1.0, f"{len(written)} file(s) written")
    return written
