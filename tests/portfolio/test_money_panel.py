"""The Portfolio panel's money tabs driven like the manager would: the revenue picture, reconciling
a fund from the web platform, a redemption from request to completion, paying a salesperson."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from fidus_desktop.domain.redemption_requests import RedemptionStatus
from fidus_desktop.portfolio.figures import compute_dashboard
from fidus_desktop.services.payment_calendar import PaymentState
from fidus_desktop.services.portfolio_service import PortfolioService
from fidus_desktop.storage.query import Eq, Query
from ui.portfolio.panel import PortfolioPanel
from ui.widgets.format import money

from .conftest import client
from .gui_env import gui  # noqa: F401
from .test_panel import panel, show_tab  # noqa: F401
from .test_portfolio_service import ORIGINAL_SHAPES

pytestmark = pytest.mark.gui


def test_dashboard_shows_what_the_fund_keeps_and_the_managers_fees(gui, panel):
    box = panel.dashboard.revenue
    gui.wait(lambda: box.model.rowCount() == 4)  # the demo's four money managers
    picture = gui.run(panel.service.revenue())
    assert box.values["kept"].text() == money(picture.kept)
    assert box.values["commissions"].text() == money(picture.commissions_due) != "0.00"
    assert box.values["fees"].text() == money(picture.fees_due)
    assert "no high-water mark" in box.note.text()
    assert not panel.dashboard.unrecorded.isVisible()  # the demo fund has recorded its past payments


@pytest.fixture
def web_fund_panel(gui, qtbot):
    gui.run(gui.store.clients.add_many([client(), client("client_bruno", "Bruno Rojas")]))
    gui.run(gui.store.investments.insert_documents(ORIGINAL_SHAPES))
    service = gui.context.services.add(PortfolioService(gui.context))
    gui.run(gui.context.services.start())
    widget = PortfolioPanel(gui.context, gui.tasks, bridge=gui.bridge)
    qtbot.addWidget(widget)
    widget.resize(1400, 900)
    widget.show()
    widget.on_shown()
    gui.wait(lambda: service.book is not None and widget.ready)
    return widget


def test_dashboard_offers_to_reconcile_a_fund_from_the_web_platform(gui, web_fund_panel):
    panel = web_fund_panel
    dash = panel.service.dashboard
    assert dash.unrecorded_overdue.count == dash.overdue.count > 0
    gui.wait(lambda: panel.dashboard.unrecorded.isVisible())
    assert f"{dash.overdue.count:,} overdue payment(s), {money(dash.overdue.amount)}" in \
        panel.dashboard.unrecorded_text.text()
    panel.dashboard.reconcile_button.click()
    gui.wait(lambda: panel._dialog is not None)
    dialog = panel._dialog
    gui.wait(lambda: dialog._shown is not None)
    assert f"{dash.overdue.count:,} payment(s), {money(dash.overdue.amount)}" in dialog.summary.text()
    dialog.buttons.accepted.emit()
    gui.wait(lambda: not dialog.isVisible())
    gui.wait(lambda: panel.service.dashboard.overdue.count == 0)
    gui.wait(lambda: not panel.dashboard.unrecorded.isVisible())
    assert f"{dash.overdue.count:,} past payment(s), {money(dash.overdue.amount)}, recorded as paid" in \
        panel.dashboard.notice.text()


def test_a_redemption_from_request_to_completion(gui, panel):
    book = panel.service.book
    # an active CORE investment past its first payment: its interest of the current period is redeemable
    asked = {r.investment_id for r in gui.run(gui.store.redemptions.find())}  # the demo's own request
    slot = next(int(s) for s in book.active_slots() if book.code_of(int(s)) == "CORE" and book.ids[s] not in asked
                and book.as_of - timedelta(days=120) > date.fromordinal(int(book.start[s])))
    investment_id = book.ids[slot]
    panel.money.new_redemption(investment_id)
    dialog = panel._dialog
    dialog.amount.setText("999999")
    gui.wait(lambda: "\u2717" in dialog.rules.text())  # every rule that blocks, with its reason
    assert "principal is held" in dialog.rules.text() and "above the current value" in dialog.rules.text()
    detail = gui.run(panel.service.investment_detail(investment_id))
    amount = min(detail.quote.interest_available, Decimal("50.00"))
    assert amount > 0
    dialog.amount.setText(str(amount))
    gui.wait(lambda: "Every rule allows it" in dialog.rules.text())
    dialog.buttons.accepted.emit()
    gui.wait(lambda: not dialog.isVisible())
    view = panel.redemptions

    def mine() -> int | None:
        return next((i for i in range(view.model.rowCount()) if view.model.row(i)[0].investment_id == investment_id),
                    None)

    gui.wait(lambda: view.model.rowCount() == 2 and mine() is not None)  # beside the demo's own request
    view.table.selectRow(mine())
    view.buttons["approve"].click()
    gui.wait(lambda: mine() is not None and view.model.row(mine())[0].status is RedemptionStatus.APPROVED)
    view.table.selectRow(mine())
    view.buttons["complete"].click()
    complete = panel._dialog
    complete.buttons.accepted.emit()
    gui.wait(lambda: not complete.isVisible())
    view.status.setCurrentIndex(view.status.findData("completed"))
    gui.wait(lambda: view.model.rowCount() == 1 and mine() == 0)
    # the part paid ahead shows in the calendar as paid, and the next payment pays only the rest
    gui.wait(lambda: bool(panel.service.book.parts.of(investment_id)))
    [part] = panel.service.book.parts.of(investment_id)
    assert part.amount == amount
    audits = gui.run(gui.store.activity.find(Query(where=(Eq("investment_id", investment_id),))))
    kinds = [e.activity_type for e in audits]
    for kind in ("redemption_requested", "redemption_approved", "redemption_completed", "interest_part_paid"):
        assert kinds.count(kind) == 1, kind


def test_paying_a_salesperson(gui, panel):
    show_tab(gui, panel, panel.commissions)
    view = panel.commissions
    gui.wait(lambda: view.people_model.rowCount() == 3)  # the demo's three referral agents
    view.people.selectRow(0)
    gui.wait(lambda: view.model.rowCount() > 0)
    today = panel.service.book.as_of
    due = [i for i in range(view.model.rowCount())
           if view.model.row(i).state is not PaymentState.PAID and view.model.row(i).due <= today]
    assert due, "the demo leaves the last 45 days of commissions to pay"
    view.table.selectRow(due[0])
    chosen = view.selected_rows()
    due_before = panel.service.dashboard.commissions_due.amount
    view.buttons["approve"].click()
    gui.wait(lambda: panel.service.book.commissions.state(chosen[0].investment_id, chosen[0].number) is not None)
    gui.wait(lambda: view.model.rowCount() > due[0] and view.model.row(due[0]).investment_id == chosen[0].investment_id)
    view.table.selectRow(due[0])
    view.buttons["pay"].click()
    dialog = panel._dialog
    dialog.reference.setText("TRF-77")
    dialog.buttons.accepted.emit()
    gui.wait(lambda: not dialog.isVisible())
    gui.wait(lambda: panel.service.book.commissions.state(chosen[0].investment_id, chosen[0].number).status == "paid")
    [record] = [r for r in gui.run(gui.store.commissions.find()) if r.investment_id == chosen[0].investment_id
                and r.payment_number == chosen[0].number]
    assert (record.payment_reference, record.payment_method) == ("TRF-77", "bank_transfer")
    # what the fund owes salespeople went down by what was paid
    gui.wait(lambda: compute_dashboard(panel.service.book).commissions_due.amount == due_before - chosen[0].amount)
