"""Client statements: the right payments in the period, CSV, and a PDF whose text holds the amounts."""

import csv
import io
import threading
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from fidus_desktop.errors import ValidationError
from fidus_desktop.portfolio.calendar import select
from fidus_desktop.portfolio.loader import load_book
from fidus_desktop.services.payment_calendar import CalendarFilter, PaymentState, mark_paid
from fidus_desktop.services.statement_export import ExportOptions, write_statements
from fidus_desktop.services.statements import build_statement, statement_csv

from .conftest import client, investment

FUND = "FIDUS Investment Management"


async def statement_fund(store, context):
    await store.clients.add_many([client(), client("client_bruno", "Bruno Rojas")])
    await store.investments.add_many([
        investment("inv-core", "CORE", "10000"),
        investment("inv-bal", "BALANCE", "100000"),
        investment("inv-other", "CORE", "20000", client_id="client_bruno"),
    ])
    book = await load_book(store, date(2026, 1, 14))
    [december] = select(book, CalendarFilter(client_id="client_ana", states=frozenset({PaymentState.OVERDUE}))).rows()
    await mark_paid(context, [december], paid_on=date(2025, 12, 31))
    return await load_book(store, date(2026, 1, 14))


async def test_statement_holds_the_clients_holdings_and_payments_of_the_period(store, context):
    data = await statement_fund(store, context)
    s = build_statement(data, "client_ana", date(2025, 12, 1), date(2026, 2, 28), FUND)
    assert [h.investment_id for h in s.holdings] == ["inv-bal", "inv-core"]
    assert s.holdings_start == s.holdings_end == 110000
    assert [(r.due, r.amount, r.paid_on) for r in s.payments_made] == [
        (date(2025, 12, 30), 150, date(2025, 12, 31))]
    assert s.interest_paid == 150 and s.principal_returned == 0
    # not paid by the end of the period: CORE 2026-01-29 and 2026-02-28, BALANCE's first quarter
    # 2026-02-28 (overdue then), and everything after; nothing of Bruno's
    assert [(r.due.isoformat(), str(r.amount)) for r in s.payments_due[:4]] == [
        ("2026-01-29", "150.00"), ("2026-02-28", "7500.00"), ("2026-02-28", "150.00"), ("2026-03-30", "150.00")]
    assert s.overdue == (3, Decimal("7800.00"))
    assert (s.next_payment.due, s.next_payment.amount, s.next_payment.count) == (date(2026, 3, 30), 150, 1)
    # all still to pay: CORE 11 x 150 + 10,000, BALANCE 4 x 7,500 + 100,000
    assert s.due_total == Decimal("141650.00") and s.paid_total == 150
    assert {r.investment_id for r in s.payments_due} == {"inv-core", "inv-bal"}


async def test_statement_csv_has_every_section_with_amounts_to_the_cent(store, context):
    data = await statement_fund(store, context)
    rows = list(csv.reader(io.StringIO(statement_csv(
        build_statement(data, "client_ana", date(2025, 12, 1), date(2026, 2, 28), FUND)))))
    assert rows[0] == [FUND, "Client statement"]
    flat = [cell for row in rows for cell in row]
    assert "110000.00" in flat and "141650.00" in flat and "150.00" in flat
    assert "inv-other" not in flat


async def test_reversed_period_is_refused(store, context):
    data = await statement_fund(store, context)
    with pytest.raises(ValidationError):
        build_statement(data, "client_ana", date(2026, 2, 1), date(2026, 1, 1), FUND)


@pytest.mark.gui
async def test_pdf_statement_text_holds_the_fund_client_and_amounts(store, context, tmp_path, qapp):
    from ui.portfolio.statement_pdf import write_statement_pdf

    data = await statement_fund(store, context)
    progress = []
    # Written from a worker thread, as the Statements tab does through its io lane.
    result = {}
    ana = client()
    worker = threading.Thread(target=lambda: result.setdefault("r", write_statements(
        data, [ana], date(2025, 12, 1), date(2026, 2, 28), tmp_path / "out", ExportOptions(FUND, csv=True),
        pdf_writer=write_statement_pdf, progress=lambda f, m: progress.append(f))))
    worker.start()
    worker.join(30)
    pdf = next(p for p in result["r"].paths if p.suffix == ".pdf")
    assert pdf.name == "statement_Ana_Castro_2025-12-01_2026-02-28.pdf"
    # pypdf renders the gaps between positioned words as tabs or newlines
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(pdf).pages).split())
    for expected in (FUND, "Ana Castro", "client_ana@example.com", "1 December 2025 to 28 February 2026",
                     "110,000.00", "10,000.00", "100,000.00", "7,500.00", "141,650.00", "150.00", "2025-12-31"):
        assert expected in text, expected
    assert "Bruno" not in text and "20,000.00" not in text
    assert progress[0] == 0 and progress[-1] == 1.0
    assert not list((tmp_path / "out").glob("*.part"))


async def test_statement_and_calendar_read_the_originals_document_shapes(store, context):
    from .test_portfolio_service import ORIGINAL_SHAPES

    await store.clients.add_many([client(), client("client_bruno", "Bruno Rojas")])
    await store.investments.insert_documents(ORIGINAL_SHAPES)
    data = await load_book(store, date(2025, 11, 1))
    s = build_statement(data, "client_ana", date(2025, 12, 1), date(2026, 2, 28), FUND)
    # B (Decimal128) BALANCE 100,000 and C (amount only) CORE 10,000 are held; the contract that
    # ended in March 2025 (its principal back at its contract end) is no holding of this period
    assert {(h.investment_id, h.status) for h in s.holdings} == {
        ("INV-1a2b3c4d", "active"), ("inv_ana_core_001", "active")}
    assert s.holdings_end == 110000
    late = [(r.due.isoformat(), r.investment_id, str(r.amount)) for r in s.payments_due if s.is_overdue(r)]
    assert late == [
        ("2025-12-30", "inv_ana_core_001", "150.00"), ("2026-01-29", "inv_ana_core_001", "150.00"),
        ("2026-02-28", "INV-1a2b3c4d", "7500.00"), ("2026-02-28", "inv_ana_core_001", "150.00")]
    assert s.overdue == (4, Decimal("7950.00"))
    bruno = select(data, CalendarFilter(client_id="client_bruno")).rows()
    # A with its rate in percent (3.5): 52,500 per half-year; the unvalidated D shape has no schedule
    assert [(r.due.isoformat(), r.amount) for r in bruno] == [
        ("2026-05-29", Decimal("52500")), ("2026-11-25", Decimal("52500")), ("2026-12-01", Decimal("250000"))]
