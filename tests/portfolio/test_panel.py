"""The Portfolio panel driven like the manager would: figures, dialogs that keep input on a failed
save, mark paid, product edits and statement export, all through the core's portfolio service."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from fidus_desktop.demo.fund import load_demo_fund
from fidus_desktop.domain.funds import ScheduleReading
from fidus_desktop.domain.people import KycStatus
from fidus_desktop.domain.values import utc_now
from fidus_desktop.portfolio.figures import compute_dashboard
from fidus_desktop.portfolio.loader import load_book
from fidus_desktop.services.payment_calendar import PaymentState
from fidus_desktop.services.portfolio_service import PortfolioService
from fidus_desktop.storage.query import Eq, In, Query
from ui.portfolio.panel import PortfolioPanel
from ui.widgets.format import money

from .gui_env import gui  # noqa: F401

pytestmark = pytest.mark.gui


@pytest.fixture
def panel(gui, qtbot):
    gui.run(load_demo_fund(gui.store, seed=7, as_of=utc_now().date()))
    service = gui.context.services.add(PortfolioService(gui.context))
    gui.run(gui.context.services.start())
    widget = PortfolioPanel(gui.context, gui.tasks, bridge=gui.bridge)
    qtbot.addWidget(widget)
    widget.resize(1400, 900)
    widget.show()
    widget.on_shown()
    gui.wait(lambda: service.book is not None)
    gui.wait(lambda: widget.ready)
    return widget


def show_tab(gui, panel, tab):
    """Switch tabs as the manager does: a tab is filled when first shown."""
    panel.tabs.setCurrentWidget(tab)
    if tab in (panel.calendar, panel.investments):
        gui.wait(lambda: tab.model.rowCount() > 0)


def rows(model):
    return [model.row(i) for i in range(model.rowCount())]


def test_panel_shows_the_same_figures_as_the_service(gui, panel):
    expected = compute_dashboard(gui.run(load_book(gui.store, utc_now().date())))
    assert panel.dashboard.kpis["aum"].value.text() == money(expected.aum)
    assert panel.dashboard.kpis["due_30"].value.text() == money(expected.due_30.amount)
    assert panel.dashboard.products.rowCount() == len(expected.products)
    assert panel.dashboard.products.item(0, 0).text().startswith("CORE")
    assert panel.investments.model.rowCount() == 0, "tabs not in sight are filled when shown"
    show_tab(gui, panel, panel.investments)
    book = panel.service.book
    assert panel.investments.model.rowCount() == len(book.active_slots())  # status filter: active
    show_tab(gui, panel, panel.products)
    assert panel.products.model.rowCount() == 4
    assert "D - documented" in panel.products.model.data(panel.products.model.index(0, 11))
    gui.wait(lambda: panel.dashboard.cash_chart is not None)  # the charts come after the figures
    assert len(panel.dashboard.cash_chart.interest.opts["height"]) == 12


def test_only_the_rows_on_screen_are_formatted(gui, panel):
    show_tab(gui, panel, panel.calendar)
    calendar = panel.calendar
    calendar.model.formatted = 0
    calendar.states[PaymentState.PAID].setChecked(True)
    calendar.last.setDate(calendar.last.date().addYears(2))
    gui.wait(lambda: calendar.model.rowCount() > 150)
    calendar.table.viewport().repaint()  # what the manager sees, after the new rows came in
    visible = calendar.table.viewport().height() // calendar.table.verticalHeader().defaultSectionSize() + 2
    assert 0 < calendar.model.formatted <= visible < calendar.model.rowCount()


def test_new_investment_dialog_keeps_input_and_shows_the_reason(gui, panel):
    panel.new_investment()
    gui.wait(lambda: panel._dialog is not None)
    dialog = panel._dialog
    clients = gui.run(gui.store.clients.find())
    pending = next(c for c in clients if c.kyc_status is KycStatus.PENDING)
    dialog.client.setCurrentIndex(dialog._client_ids.index(pending.client_id))
    dialog.product.setCurrentIndex(dialog.product.findData("CORE"))
    dialog.amount.setText("5000")
    dialog.buttons.accepted.emit()
    gui.wait(lambda: dialog.buttons.isEnabled())
    assert dialog.isVisible() and dialog.amount.text() == "5000"
    assert "not cleared AML/KYC" in dialog.error.text() and "at least 10,000.00" in dialog.error.text()
    assert dialog.amount.toolTip() == "FIDUS Core Fund takes at least 10,000.00."

    cleared = next(c for c in clients if c.kyc_cleared)
    dialog.client.setCurrentIndex(dialog._client_ids.index(cleared.client_id))
    dialog.amount.setText("12,345.67")
    before = len(panel.service.book)
    dialog.buttons.accepted.emit()
    gui.wait(lambda: not dialog.isVisible())
    gui.wait(lambda: len(panel.service.book) == before + 1)  # the service took the change in
    book = panel.service.book
    created = [s for s in book.slots() if book.principals[s] == Decimal("12345.67")]
    assert created and book.client_ids[created[0]] == cleared.client_id


def test_mark_paid_from_the_calendar_records_and_refreshes(gui, panel):
    show_tab(gui, panel, panel.calendar)
    panel.calendar.states[PaymentState.PAID].setChecked(True)

    def paid_records():
        found = gui.run(gui.store.activity.find(Query(where=(In("activity_type", ("interest_paid", "principal_paid")),))))
        return {(e.investment_id, e.details["due_date"]): e for e in found}

    def paid_in_view():  # client payments (the calendar lists paid referral commissions too)
        return sum(1 for r in rows(panel.calendar.model) if r.state is PaymentState.PAID and r.is_client_payment)

    before = paid_records()  # the demo fund's history of payments already made
    assert before
    gui.wait(lambda: paid_in_view() == len(before))  # the "paid" filter shows that history
    chosen = [r for r in rows(panel.calendar.model) if r.state is not PaymentState.PAID and r.is_client_payment][:2]
    panel.mark_paid(chosen)
    dialog = panel._dialog
    dialog.reference.setText("batch 7")
    dialog.buttons.accepted.emit()
    gui.wait(lambda: not dialog.isVisible())
    after = paid_records()
    new = {key: e for key, e in after.items() if key not in before}
    assert set(new) == {(r.investment_id, r.due.isoformat()) for r in chosen}
    assert all(e.details["reference"] == "batch 7" for e in new.values())
    gui.wait(lambda: paid_in_view() == len(before) + 2)
    [audit] = gui.run(gui.store.activity.find(Query(where=(Eq("activity_type", "payments_recorded"),))))
    assert sorted(audit.details["payments"]) == sorted(e.log_id for e in new.values())


def test_switching_a_products_reading_shows_which_is_in_force(gui, panel):
    core = panel.service.book.products["CORE"]
    panel.edit_product(core)
    dialog = panel._dialog
    dialog.reading.setCurrentIndex(dialog.reading.findData(ScheduleReading.CASH_FLOW_CODE))
    dialog.buttons.accepted.emit()
    gui.wait(lambda: not dialog.isVisible())
    gui.wait(lambda: panel.service.book.products["CORE"].schedule_reading is ScheduleReading.CASH_FLOW_CODE)
    show_tab(gui, panel, panel.products)
    panel.products.table.selectRow(next(n for n, p in enumerate(rows(panel.products.model)) if p.code == "CORE"))
    text = panel.products.comparison.text()
    assert "<b>C</b> (in force): 13 interest payments, total 1,950.00" in text
    assert "<b>D</b> (not in force): 12 interest payments, total 1,800.00" in text


def test_product_dialog_refuses_impossible_terms_and_keeps_them(gui, panel):
    panel.edit_product(panel.service.book.products["CORE"])
    dialog = panel._dialog
    dialog.payments.setValue(20)
    dialog.buttons.accepted.emit()
    gui.wait(lambda: dialog.buttons.isEnabled())
    assert dialog.isVisible() and dialog.payments.value() == 20
    assert "after the contract end" in dialog.error.text()


def test_statements_export_pdf_and_csv_for_every_client(gui, panel, tmp_path):
    show_tab(gui, panel, panel.statements)
    gui.wait(lambda: len(panel.statements._ids) > 1)
    gui.wait(lambda: len(panel.statements.page_labels) >= 1)  # the pages as they will print
    assert "as they will print" in panel.statements.message.text()
    ids = panel.statements.client_ids()
    first, last = date(2025, 1, 1), utc_now().date()
    panel.export_statements(ids, first, last, tmp_path / "statements", True, True, True)
    gui.wait(lambda: "file(s) written" in panel.statements.status.text(), timeout=90)
    assert len(list((tmp_path / "statements").glob("*.pdf"))) == len(ids)
    assert len(list((tmp_path / "statements").glob("*.csv"))) == len(ids)
    assert len(list((tmp_path / "statements").glob("*.eml"))) == len(ids)  # every demo client has an e-mail
    assert "recorded on the client's timeline" in panel.statements.status.text()
    sent = gui.run(gui.store.activity.find(Query(where=(Eq("activity_type", "statement_sent"),))))
    assert sorted(e.client_id for e in sent) == sorted(ids)


def test_calendar_filters_by_kind_and_product(gui, panel):
    calendar = panel.calendar
    show_tab(gui, panel, calendar)
    calendar.kind.setCurrentIndex(calendar.kind.findData("principal"))
    calendar.product.setCurrentIndex(calendar.product.findData("BALANCE"))
    calendar.last.setDate(calendar.last.date().addYears(2))
    gui.wait(lambda: calendar.model.rowCount() > 0 and all(
        r.kind.value == "principal" and r.product == "BALANCE" for r in rows(calendar.model)))
    book = panel.service.book
    expected = {book.ids[s] for s in book.active_slots() if book.code_of(int(s)) == "BALANCE"}
    assert {r.investment_id for r in rows(calendar.model)} == expected


def test_sorting_a_column_orders_like_a_plain_sort_and_is_stable(gui, panel):
    show_tab(gui, panel, panel.investments)
    view, model = panel.investments.table, panel.investments.model
    principal = next(i for i, c in enumerate(model.columns) if c.title == "Principal")
    before = [model.row(i).investment_id for i in range(model.rowCount())]
    view.sortByColumn(principal, view.horizontalHeader().sortIndicatorOrder().DescendingOrder)
    gui.wait(lambda: [model.row(i).investment_id for i in range(model.rowCount())] != before)
    got = [model.row(i) for i in range(model.rowCount())]
    # A stable descending sort by principal of the order the table had (client name, start):
    expected = sorted(rows_in(before, panel), key=lambda r: -r.principal)
    assert [r.investment_id for r in got] == [r.investment_id for r in expected]


def rows_in(ids, panel):
    from fidus_desktop.portfolio.holdings import row

    book = panel.service.book
    return [row(book, book.index[i]) for i in ids]
