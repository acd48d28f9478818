"""The printed statement read back from the PDF, as a client's software reads it: pages, the header
on every page, page numbers, the summary equal to the tables' sums, type of at least 9 pt,
amounts aligned on the decimal point, paper sizes and the fund's logo."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader

from fidus_desktop.domain.funds import DEFAULT_PRODUCTS
from fidus_desktop.domain.investments import Investment
from fidus_desktop.portfolio.loader import book_from_records
from fidus_desktop.services.payment_calendar import history_paid_entries
from fidus_desktop.services.statement_layout import MIN_SIZE, layout_statement
from fidus_desktop.services.statements import build_statement

from .conftest import client

pytestmark = pytest.mark.gui
FUND = "FIDUS Investment Management"
AS_OF = date(2026, 1, 10)
AMOUNT = r"(\d{1,3}(?:,\d{3})*\.\d\d)"


def forty_payments():
    """Four CORE investments paying 10 interest payments each in April-December 2025: 40 payments."""
    invs = [Investment(investment_id=f"inv-core-{n}", client_id="client_ana", product="CORE",
                       principal=Decimal(10_000 * (n + 1)), start_date=datetime(2025, 1, 1, tzinfo=UTC))
            for n in range(4)]
    book = book_from_records(DEFAULT_PRODUCTS, invs, [client()], (), (), AS_OF)
    paid = history_paid_entries(book, until=date(2026, 1, 1), actor="test")
    book = book_from_records(DEFAULT_PRODUCTS, invs, [client()], (), paid, AS_OF)
    return build_statement(book, "client_ana", date(2025, 4, 1), date(2025, 12, 31), FUND,
                           client_email="ana@example.com", client_phone="+34 600 000 001")


def money(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def page_texts(path):
    return [" ".join(page.extract_text().split()) for page in PdfReader(path).pages]


@pytest.fixture
def pdf(tmp_path, qapp):
    from ui.portfolio.statement_pdf import write_statement_pdf

    statement = forty_payments()
    path = tmp_path / "statement.pdf"
    write_statement_pdf(statement, path)
    return statement, path


def test_forty_payments_span_two_pages_with_the_header_and_page_numbers_on_each(pdf):
    statement, path = pdf
    assert len(statement.payments_made) == 40
    first, second = page_texts(path)
    for n, text in enumerate((first, second), start=1):
        assert text.startswith(f"{FUND} Client statement 1 April 2025 to 31 December 2025"), text[:80]
        assert text.endswith(f"{FUND} - statement for Ana Castro Page {n} of 2")
    assert "Summary" in first and "Summary" not in second
    # the payments table runs onto page 2, its title and column headers repeated there
    assert "Payments made in the period Paid on Due Product Investment Payment Amount" in first
    assert "Payments made in the period (continued) Paid on Due Product Investment Payment Amount" in second
    rows = [re.findall(rf"\d{{4}}-\d\d-\d\d \d{{4}}-\d\d-\d\d CORE inv-core-\d Interest #\d+ {AMOUNT}", t)
            for t in (first, second)]
    assert len(rows[0]) + len(rows[1]) == 40 and rows[0] and rows[1]


def test_the_summary_is_the_sum_of_the_tables(pdf):
    statement, path = pdf
    text = " ".join(page_texts(path))

    def figure(label: str) -> Decimal:
        return money(re.search(re.escape(label) + rf"[^0-9]*?(?:\(\S+\) )?{AMOUNT}", text).group(1))

    made = [money(a) for a in re.findall(rf"\d{{4}}-\d\d-\d\d \d{{4}}-\d\d-\d\d CORE inv-core-\d Interest #\d+ {AMOUNT}",
                                         text)]
    due = [money(a) for a in re.findall(rf"\d{{4}}-\d\d-\d\d CORE inv-core-\d (?:Interest #\d+|Principal) "
                                        rf"(?:overdue|scheduled) {AMOUNT}", text)]
    holdings = re.findall(rf"Core Fund inv-core-\d [\d-]+ 1.50 %/month [\d-]+ {AMOUNT} {AMOUNT}", text)
    assert len(made) == 40 and len(due) == 12 and len(holdings) == 4
    assert figure("Interest paid in the period") == sum(made) == figure("Total paid") == Decimal("15000.00")
    assert figure("Principal returned in the period") == 0
    assert figure("Still to be paid, all payments scheduled") == sum(due) == figure("Total still to be paid")
    assert figure("Holdings at the start of the period") == sum(money(a) for a, _ in holdings) == Decimal("100000.00")
    assert figure("Holdings at the end of the period") == sum(money(b) for _, b in holdings)
    # the next payment: all four investments on 2026-01-26, 150 + 300 + 450 + 600
    assert re.search(rf"Next payment due 2026-01-26, 4 payments {AMOUNT}", text).group(1) == "1,500.00"
    assert sum(made) == statement.interest_paid and sum(due) == statement.due_total


def text_runs(path):
    """``(page, text, size in points, x, bold)`` of every text run, from the PDF's own operators."""
    runs = []
    for number, page in enumerate(PdfReader(path).pages):
        def visit(text, cm, tm, font, size, number=number):
            if text.strip():
                scale = abs(tm[3] * cm[3]) or abs(tm[0] * cm[0])
                bold = "Bold" in str((font or {}).get("/BaseFont", ""))
                runs.append((number, text.strip(), size * scale, tm[4] * cm[0] + cm[4], bold))
        page.extract_text(visitor_text=visit)
    return runs


def test_every_text_is_at_least_9_points(pdf):
    _, path = pdf
    sizes = [size for _page, _text, size, _x, _bold in text_runs(path)]
    assert sizes and min(sizes) >= MIN_SIZE - 0.05
    assert max(sizes) <= 16  # the fund's name
    body = sorted(sizes)[len(sizes) // 2]
    assert 9 <= body <= 10.5


def test_amounts_are_aligned_on_the_decimal_point(pdf, qapp):
    from PySide6.QtGui import QFontMetricsF, QPdfWriter

    from ui.portfolio.statement_pdf import RESOLUTION_DPI, _font

    _, path = pdf
    # where each table amount's point falls: its start + the width of what comes before the point
    writer = QPdfWriter(str(path.with_name("probe.pdf")))
    writer.setResolution(RESOLUTION_DPI)
    metrics = QFontMetricsF(_font(9.0, False), writer)
    points, widths = set(), set()
    for _page, text, size, x, bold in text_runs(path):
        if re.fullmatch(AMOUNT, text) and round(size, 1) == 9.0 and not bold:
            points.add(round(x + metrics.horizontalAdvance(text.rsplit(".", 1)[0]) * 72 / RESOLUTION_DPI, 1))
            widths.add(len(text))
    # "150.00" and "40,000.00" alike: two columns of amounts (holdings at the start; at the end and
    # the payments tables, which share the right edge), each with its points at one place
    assert len(widths) > 1 and len(points) == 2, points


def test_letter_paper_and_the_logo(tmp_path, qapp):
    from PySide6.QtGui import QColor, QImage

    from ui.portfolio.statement_pdf import read_logo, write_statement_pdf

    logo_file = tmp_path / "logo.png"
    image = QImage(300, 100, QImage.Format.Format_RGB32)
    image.fill(QColor("#1f4e79"))
    assert image.save(str(logo_file))
    logo, problem = read_logo(str(logo_file))
    assert logo is not None and problem == ""
    path = tmp_path / "letter.pdf"
    write_statement_pdf(forty_payments(), path, paper="Letter", logo=logo)
    reader = PdfReader(path)
    assert [float(v) for v in reader.pages[0].mediabox[2:]] == [612.0, 792.0]
    assert all(len(page.images) == 1 for page in reader.pages)  # on every page's header
    missing, why = read_logo(str(tmp_path / "nope.png"))
    assert missing is None and "could not be found" in why
    (tmp_path / "bad.png").write_bytes(b"not an image")
    assert read_logo(str(tmp_path / "bad.png"))[0] is None


def test_layout_keeps_every_size_above_the_minimum():
    layout = layout_statement(forty_payments())
    from fidus_desktop.services.statement_layout import Text

    assert len(layout.pages) == 2
    assert min(i.size for p in layout.pages for i in p.items if isinstance(i, Text)) >= MIN_SIZE
