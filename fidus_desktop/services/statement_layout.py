"""The printed statement laid out on pages, in points, before anything is drawn.

The layout is data: text runs at a baseline with a size in points, boxes and rules, a place for
the fund's logo. The window draws it on a PDF (or on an image for a preview) with Qt
(``ui/portfolio/statement_pdf.py``); nothing here measures fonts. Every text run is at least
:data:`MIN_SIZE` points (body 9.5, tables 9): readable on paper without zooming.

What a page holds: the fund's name (and logo) and "Client statement" with the period at the top
of every page, "page n of m" and the client's name at the bottom; the first page then the
client's contact and the summary box, then the tables (holdings, payments made in the period,
payments still due). A table that runs onto the next page repeats its title and column headers
there. Amounts are aligned on the decimal point (``align="decimal"``: ``x`` is where the point
goes).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from ..domain.values import to_cents
from .statements import Statement, rate_text

Align = Literal["left", "right", "center", "decimal"]

#: Paper sizes in points (1/72 inch).
PAPERS = {"A4": (595.28, 841.89), "Letter": (612.0, 792.0)}
MIN_SIZE = 9.0
BODY = 9.5
TABLE = 9.0
MARGIN_X = 42.0
TOP = 36.0
BOTTOM = 40.0
ROW = 13.5
INK = "#1a1a1a"
MUTED = "#555555"
RULE = "#9aa3ad"
SHADE = "#e8edf2"
BAND = "#f5f7f9"
ACCENT = "#1f4e79"
LOGO_HEIGHT = 34.0
LOGO_MAX_WIDTH = 110.0


@dataclass(frozen=True, slots=True)
class Text:
    x: float
    #: Baseline.
    y: float
    text: str
    size: float = BODY
    bold: bool = False
    align: Align = "left"
    #: Room the text may take (0: none given); the drawing elides what does not fit.
    width: float = 0.0
    color: str = INK


@dataclass(frozen=True, slots=True)
class Box:
    x: float
    y: float
    w: float
    h: float
    fill: str | None = None
    stroke: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    x1: float
    y1: float
    x2: float
    y2: float
    width: float = 0.6
    color: str = RULE


@dataclass(frozen=True, slots=True)
class Logo:
    """Where the fund's logo goes: fitted into the box, keeping its proportions."""

    x: float
    y: float
    w: float
    h: float


Item = Text | Box | Rule | Logo


@dataclass(slots=True)
class Page:
    number: int
    items: list[Item] = field(default_factory=list)

    def texts(self) -> list[str]:
        return [i.text for i in self.items if isinstance(i, Text)]


@dataclass(frozen=True, slots=True)
class StatementLayout:
    width: float
    height: float
    pages: tuple[Page, ...]
    title: str


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    #: Share of the content width.
    share: float
    align: Align = "left"


def money_text(amount: Decimal) -> str:
    return f"{to_cents(amount):,.2f}"


def _long_date(day: date) -> str:
    return f"{day.day} {day.strftime('%B')} {day.year}"


class _Pages:
    """A cursor down the pages: what fits goes on this page, the rest starts a new one."""

    def __init__(self, width: float, height: float, header: Callable[[Page], float]) -> None:
        self.width, self.height = width, height
        self.left, self.right = MARGIN_X, width - MARGIN_X
        self.bottom = height - BOTTOM - 22  # room for the footer
        self._header = header
        self.pages: list[Page] = []
        self.y = 0.0
        self.new_page()

    @property
    def page(self) -> Page:
        return self.pages[-1]

    def new_page(self) -> None:
        self.pages.append(Page(len(self.pages) + 1))
        self.y = self._header(self.page)

    def room(self, height: float) -> bool:
        return self.y + height <= self.bottom

    def add(self, *items: Item) -> None:
        self.page.items.extend(items)


def layout_statement(s: Statement, *, paper: str = "A4", logo_aspect: float | None = None,
                     note: str = "") -> StatementLayout:
    """The statement on pages of ``paper`` (``A4`` or ``Letter``); ``logo_aspect``: the logo's width
    over its height, to leave it its place (``None``: no logo)."""
    width, height = PAPERS.get(paper, PAPERS["A4"])
    logo_width = min(LOGO_MAX_WIDTH, LOGO_HEIGHT * max(0.2, logo_aspect)) if logo_aspect else 0.0
    period = f"{_long_date(s.period_start)} to {_long_date(s.period_end)}"

    def header(page: Page) -> float:
        x = MARGIN_X
        if logo_width:
            page.items.append(Logo(MARGIN_X, TOP, logo_width, LOGO_HEIGHT))
            x += logo_width + 10
        right = width - MARGIN_X
        page.items += [
            Text(x, TOP + 21, s.fund_name, 15, bold=True, width=right - x - 195, color=ACCENT),
            Text(right, TOP + 14, "Client statement", 12, bold=True, align="right", width=190),
            Text(right, TOP + 29, period, MIN_SIZE, align="right", width=190, color=MUTED),
            Rule(MARGIN_X, TOP + LOGO_HEIGHT + 8, right, TOP + LOGO_HEIGHT + 8, 1.0, ACCENT)]
        return TOP + LOGO_HEIGHT + 26

    pages = _Pages(width, height, header)
    content = pages.right - pages.left
    _client_block(pages, s)
    _summary(pages, s, content)
    _table(pages, "Holdings", (
        Column("Product", 0.17), Column("Investment", 0.135), Column("Start", 0.125), Column("Rate", 0.145),
        Column("Ends", 0.125), Column("At start", 0.15, "decimal"), Column("At end", 0.15, "decimal")),
        [(h.product_name.removeprefix("FIDUS "), h.investment_id, h.start_date.isoformat(), rate_text(h.monthly_rate),
          h.contract_end.isoformat() if h.contract_end else "", money_text(h.at_start), money_text(h.at_end))
         for h in s.holdings],
        ("Total", "", "", "", "", money_text(s.holdings_start), money_text(s.holdings_end)),
        "No holdings in this period.")
    _table(pages, "Payments made in the period", (
        Column("Paid on", 0.12), Column("Due", 0.12), Column("Product", 0.12), Column("Investment", 0.2),
        Column("Payment", 0.28), Column("Amount", 0.16, "decimal")),
        [(r.paid_on.isoformat() if r.paid_on else "", r.due.isoformat(), r.product, r.investment_id, r.label,
          money_text(r.amount)) for r in s.payments_made],
        ("Total paid", "", "", "", "", money_text(s.paid_total)), "No payments in this period.")
    _table(pages, "Payments still to be made", (
        Column("Due", 0.12), Column("Product", 0.12), Column("Investment", 0.2), Column("Payment", 0.24),
        Column("State", 0.16), Column("Amount", 0.16, "decimal")),
        [(r.due.isoformat(), r.product, r.investment_id, r.label,
          "overdue" if s.is_overdue(r) else "scheduled", money_text(r.amount)) for r in s.payments_due],
        ("Total still to be paid", "", "", "", "", money_text(s.due_total)), "Nothing is still to be paid.")
    _notes(pages, note or NOTE, content)
    total = len(pages.pages)
    for page in pages.pages:
        _footer(page, s, width, height, total)
    return StatementLayout(width, height, tuple(pages.pages), f"{s.fund_name} - statement {s.client_name}")


NOTE = ("Interest is simple interest on the principal, paid on the dates of each product's schedule and "
        "rounded to the cent. A payment shown as overdue was due by the end of the period and had not been "
        "recorded as paid by then. Holdings are the principal not yet returned on each day. This statement "
        "is for information; please tell us of any difference within 30 days.")


def _client_block(pages: _Pages, s: Statement) -> None:
    y = pages.y
    lines = [Text(pages.left, y, s.client_name, 11.5, bold=True, width=300)]
    contact = [s.client_email, s.client_phone, f"Client {s.client_id}"]
    for n, text in enumerate(t for t in contact if t):
        lines.append(Text(pages.left, y + 15 + n * 13, text, BODY, width=300, color=MUTED))
    right = pages.right
    lines += [Text(right, y, f"Issued {s.issued_on.isoformat()}", BODY, align="right", width=200, color=MUTED),
              Text(right, y + 13, f"Amounts in {s.currency}", BODY, align="right", width=200, color=MUTED)]
    pages.add(*lines)
    pages.y = y + 15 + 13 * len([t for t in contact if t]) + 12


def _summary(pages: _Pages, s: Statement, content: float) -> None:
    rows: list[tuple[str, Decimal, bool]] = [
        (f"Holdings at the start of the period ({s.period_start.isoformat()})", s.holdings_start, False),
        (f"Holdings at the end of the period ({s.period_end.isoformat()})", s.holdings_end, False),
        ("Interest paid in the period", s.interest_paid, False),
        ("Principal returned in the period", s.principal_returned, False)]
    count, late = s.overdue
    if count:
        rows.append((f"Overdue at the end of the period ({count} payment{'s' if count != 1 else ''})", late, True))
    upcoming = s.next_payment
    if upcoming is not None:
        many = f", {upcoming.count} payments" if upcoming.count > 1 else ""
        rows.append((f"Next payment due {upcoming.due.isoformat()}{many}", upcoming.amount, False))
    rows.append(("Still to be paid, all payments scheduled", s.due_total, True))
    height = 24 + ROW * len(rows) + 6
    top = pages.y
    anchor = pages.right - 40
    pages.add(Box(pages.left, top, content, height, fill=BAND, stroke=RULE),
              Text(pages.left + 10, top + 16, "Summary", 10.5, bold=True, color=ACCENT))
    for n, (label, amount, strong) in enumerate(rows):
        y = top + 32 + n * ROW
        pages.add(Text(pages.left + 10, y, label, BODY, bold=strong, width=content - 150),
                  Text(anchor, y, money_text(amount), BODY, bold=strong, align="decimal", width=120))
    pages.y = top + height + 18


def _cell_x(pages: _Pages, columns: Sequence[Column]) -> list[tuple[float, float]]:
    """``(x, width)`` of each column."""
    content = pages.right - pages.left
    out, x = [], pages.left
    for c in columns:
        w = content * c.share
        out.append((x, w))
        x += w
    return out


def _row_items(pages: _Pages, columns: Sequence[Column], cells: Sequence[str], y: float, *, size: float = TABLE,
               bold: bool = False, color: str = INK, header: bool = False) -> list[Item]:
    """One table row; a left-aligned text may run on over the empty cells after it (a total's label)."""
    items: list[Item] = []
    spots = _cell_x(pages, columns)
    for n, ((x, w), column, text) in enumerate(zip(spots, columns, cells, strict=True)):
        if not text:
            continue
        if column.align == "decimal" and not header:  # the point sits 3 digits from the column's right edge
            items.append(Text(x + w - 4 - 3 * 0.56 * size, y, text, size, bold, "decimal", w - 8, color))
        elif column.align in ("decimal", "right"):
            items.append(Text(x + w - 4, y, text, size, bold, "right", w - 8, color))
        else:
            room = w
            for (_, more), following in zip(spots[n + 1:], cells[n + 1:], strict=True):
                if following:
                    break
                room += more
            items.append(Text(x + 4, y, text, size, bold, "left", room - 8, color))
    return items


def _table(pages: _Pages, title: str, columns: Sequence[Column], rows: Sequence[Sequence[str]],
           total: Sequence[str], empty: str) -> None:
    def head(continued: bool) -> None:
        pages.add(Text(pages.left, pages.y + 12, title + (" (continued)" if continued else ""), 10.5, bold=True,
                       color=ACCENT))
        top = pages.y + 18
        pages.add(Box(pages.left, top, pages.right - pages.left, ROW + 2, fill=SHADE))
        pages.add(*_row_items(pages, columns, [c.title for c in columns], top + ROW - 3, bold=True, header=True))
        pages.y = top + ROW + 2

    if not pages.room(18 + 2 * ROW + 2 + ROW):
        pages.new_page()
    head(False)
    if not rows:
        pages.add(Text(pages.left + 4, pages.y + ROW - 3, empty, TABLE, color=MUTED))
        pages.y += ROW
    for n, cells in enumerate(rows):
        last = n == len(rows) - 1
        if not pages.room(ROW + (ROW + 4 if last else 0)):  # the total stays with the last row
            pages.new_page()
            head(True)
        if n % 2:
            pages.add(Box(pages.left, pages.y, pages.right - pages.left, ROW, fill=BAND))
        pages.add(*_row_items(pages, columns, cells, pages.y + ROW - 3.5))
        pages.y += ROW
    pages.add(Rule(pages.left, pages.y + 1, pages.right, pages.y + 1, 0.8))
    pages.add(*_row_items(pages, columns, total, pages.y + ROW, bold=True))
    pages.y += ROW + 16


def _notes(pages: _Pages, note: str, content: float) -> None:
    lines = textwrap.wrap(note, width=int(content / (0.6 * MIN_SIZE)))
    if not pages.room(len(lines) * 12 + 4):
        pages.new_page()
    for n, line in enumerate(lines):
        pages.add(Text(pages.left, pages.y + 10 + n * 12, line, MIN_SIZE, width=content, color=MUTED))
    pages.y += 12 * len(lines) + 6


def _footer(page: Page, s: Statement, width: float, height: float, total: int) -> None:
    y = height - BOTTOM
    page.items += [Rule(MARGIN_X, y - 12, width - MARGIN_X, y - 12, 0.6),
                   Text(MARGIN_X, y, f"{s.fund_name} - statement for {s.client_name}", MIN_SIZE, width=width / 2,
                        color=MUTED),
                   Text(width - MARGIN_X, y, f"Page {page.number} of {total}", MIN_SIZE, align="right", width=120,
                        color=MUTED)]
