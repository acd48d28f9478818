"""The Portfolio panel driven like the manager would: figures, dialogs that keep input on a failed
save, mark paid, product edits and statement export, all through the task runner."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from fidus_desktop.demo.fund import load_demo_fund
from fidus_desktop.domain.funds import ScheduleReading
from fidus_desktop.domain.people import KycStatus
from fidus_desktop.domain.values import utc_now
from fidus_desktop.events import EventType
from fidus_desktop.services.payment_calendar import PaymentState
from fidus_desktop.services.portfolio import compute_dashboard, load_portfolio
from fidus_desktop.storage.query import Eq, Query
from ui.portfolio.format import money
from ui.portfolio.panel import PortfolioPanel

from .gui_env import gui  # noqa: F401

pytestmark = pytest.mark.gui


@pytest.fixture
def panel(gui, qtbot):
    gui.run(load_demo_fund(gui.store, seed=7, as_of=utc_now().date()))
    widget = PortfolioPanel(gui.context, gui.tasks)
    # what the main window's event bridge does for every panel
    gui.context.events.subscribe(EventType.DATA_CHANGED, widget.on_changes)
    qtbot.addWidget(widget)
    widget.resize(1400, 900)
    widget.show()
    widget.on_shown()
    gui.wait(lambda: widget.view is not None)
    return widget


def show_tab(gui, panel, tab):
    """Switch tabs as the manager does: a tab is filled when first shown."""
    panel.tabs.setCurrentWidget(tab)
    if tab is panel.calendar:
        gui.wait(lambda: tab.model.rowCount() > 0)


def test_panel_shows_the_same_figures_as_the_services(gui, panel):
    expected = compute_dashboard(gui.run(load_portfolio(gui.store, utc_now().date())))
    assert panel.dashboard.kpis["aum"].value.text() == money(expected.aum)
    assert panel.dashboard.kpis["due_30"].value.text() == money(expected.due_30.amount)
    assert panel.dashboard.products.rowCount() == len(expected.products)
    assert panel.dashboard.products.item(0, 0).text().startswith("CORE")
    assert panel.investments.model.rowCount() == 0, "tabs not in sight are filled when shown"
    show_tab(gui, panel, panel.investments)
    assert panel.investments.model.rowCount() == len(panel.view.data.active)  # status filter: active
    show_tab(gui, panel, panel.products)
    assert panel.products.model.rowCount() == 4
    assert "D - documented" in panel.products.model.data(panel.products.model.index(0, 11))
    assert len(panel.dashboard.cash_chart.interest.opts["height"]) == 12


def test_new_investment_dialog_keeps_input_and_shows_the_reason(gui, panel):
    panel.new_investment()
    dialog = panel._dialog
    pending = next(c for c in panel.view.data.clients.values() if c.kyc_status is KycStatus.PENDING)
    dialog.client.setCurrentIndex(dialog.client.findData(pending.client_id))
    dialog.product.setCurrentIndex(dialog.product.findData("CORE"))
    dialog.amount.setText("5000")
    dialog.buttons.accepted.emit()
    gui.wait(lambda: dialog.buttons.isEnabled())
    assert dialog.isVisible() and dialog.amount.text() == "5000"
    assert "not cleared AML/KYC" in dialog.error.text() and "at least 10,000.00" in dialog.error.text()
    assert dialog.amount.toolTip() == "FIDUS Core Fund takes at least 10,000.00."

    cleared = next(c for c in panel.view.data.clients.values() if c.kyc_cleared)
    dialog.client.setCurrentIndex(dialog.client.findData(cleared.client_id))
    dialog.amount.setText("12,345.67")
    before = len(panel.view.data.investments)
    dialog.buttons.accepted.emit()
    gui.wait(lambda: not dialog.isVisible())
    gui.wait(lambda: len(panel.view.data.investments) == before + 1)
    created = [i for i in panel.view.data.investments if i.principal == Decimal("12345.67")]
    assert created and created[0].client_id == cleared.client_id


def test_mark_paid_from_the_calendar_records_and_refreshes(gui, panel):
    show_tab(gui, panel, panel.calendar)
    panel.calendar.states[PaymentState.PAID].setChecked(True)

    def paid_records():
        found = gui.run(gui.store.activity.find(Query(where=(Eq("activity_type", "interest_paid"),))))
        found += gui.run(gui.store.activity.find(Query(where=(Eq("activity_type", "principal_paid"),))))
        return {(e.investment_id, e.details["due_date"]): e for e in found}

    def paid_in_view():
        return sum(1 for r in panel.calendar.model.rows() if r.state is PaymentState.PAID)

    before = paid_records()  # the demo fund's history of payments already made
    assert before
    gui.wait(lambda: paid_in_view() == len(before))  # the "paid" filter shows that history
    rows = [r for r in panel.calendar.model.rows() if r.state is not PaymentState.PAID][:2]
    panel.mark_paid(rows)
    dialog = panel._dialog
    dialog.reference.setText("batch 7")
    dialog.buttons.accepted.emit()
    gui.wait(lambda: not dialog.isVisible())
    after = paid_records()
    new = {key: e for key, e in after.items() if key not in before}
    assert set(new) == {(r.investment_id, r.due.isoformat()) for r in rows}
    assert all(e.details["reference"] == "batch 7" for e in new.values())
    gui.wait(lambda: paid_in_view() == len(before) + 2)


def test_switching_a_products_reading_shows_which_is_in_force(gui, panel):
    core = panel.view.data.products["CORE"]
    panel.edit_product(core)
    dialog = panel._dialog
    dialog.reading.setCurrentIndex(dialog.reading.findData(ScheduleReading.CASH_FLOW_CODE))
    dialog.buttons.accepted.emit()
    gui.wait(lambda: not dialog.isVisible())
    gui.wait(lambda: panel.view.data.products["CORE"].schedule_reading is ScheduleReading.CASH_FLOW_CODE)
    show_tab(gui, panel, panel.products)
    panel.products.table.selectRow(next(n for n, p in enumerate(panel.products.model.rows()) if p.code == "CORE"))
    text = panel.products.comparison.text()
    assert "<b>C</b> (in force): 13 interest payments, total 1,950.00" in text
    assert "<b>D</b> (not in force): 12 interest payments, total 1,800.00" in text


def test_product_dialog_refuses_impossible_terms_and_keeps_them(gui, panel):
    panel.edit_product(panel.view.data.products["CORE"])
    dialog = panel._dialog
    dialog.payments.setValue(20)
    dialog.buttons.accepted.emit()
    gui.wait(lambda: dialog.buttons.isEnabled())
    assert dialog.isVisible() and dialog.payments.value() == 20
    assert "after the contract end" in dialog.error.text()


def test_statements_export_pdf_and_csv_for_every_client(gui, panel, tmp_path):
    show_tab(gui, panel, panel.statements)
    ids = [panel.statements.client.itemData(i) for i in range(1, panel.statements.client.count())]
    assert ids and "Client statement" in panel.statements.preview.toPlainText()
    first, last = date(2025, 1, 1), utc_now().date()
    panel.export_statements(ids, first, last, tmp_path / "statements", True, True)
    gui.wait(lambda: "file(s) written" in panel.statements.status.text(), timeout=60)
    assert len(list((tmp_path / "statements").glob("*.pdf"))) == len(ids)
    assert len(list((tmp_path / "statements").glob("*.csv"))) == len(ids)


def test_calendar_filters_by_kind_and_product(gui, panel):
    calendar = panel.calendar
    show_tab(gui, panel, calendar)
    calendar.kind.setCurrentIndex(calendar.kind.findData("principal"))
    calendar.product.setCurrentIndex(calendar.product.findData("BALANCE"))
    calendar.last.setDate(calendar.last.date().addYears(2))
    gui.wait(lambda: calendar.model.rowCount() > 0 and all(
        r.kind.value == "principal" and r.product == "BALANCE" for r in calendar.model.rows()))
    expected = {i.investment_id for i in panel.view.data.active if i.product == "BALANCE"}
    assert {r.investment_id for r in calendar.model.rows()} == expected
