"""The Portfolio panel: wires its five tabs to the portfolio services through :mod:`.operations`.

Figures are loaded once per change (read on the loop, computed in the cpu lane) and handed to
every tab, so the dashboard, calendar, investments and statements always show the same numbers.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from fidus_desktop.domain.values import utc_now
from fidus_desktop.services.payment_calendar import CalendarFilter, calendar_rows
from fidus_desktop.services.portfolio import product_codes

from ..panels.base import Panel
from . import operations
from .calendar_view import CalendarView, MarkPaidDialog
from .dashboard_view import DashboardView
from .investment_dialog import InvestmentDialog, StatusDialog
from .investments_view import InvestmentsView
from .operations import PortfolioView
from .products_view import ProductDialog, ProductsView
from .statements_view import StatementsView

#: Changes to these make the figures stale.
WATCHED = ("investments", "products", "activity", "mt5_accounts", "clients")
#: Several changes in a burst (a bulk "mark paid") cause one reload.
RELOAD_DELAY_MS = 200


class PortfolioPanel(Panel):
    NAME = "portfolio"
    TITLE = "Portfolio"
    SHORTCUT = "Ctrl+2"
    REQUIRES = ("store",)

    def __init__(self, context, tasks, parent: QWidget | None = None) -> None:
        super().__init__(context, tasks, parent)
        self.view: PortfolioView | None = None
        self._stale = True
        self._loading = False
        self._calendar_generation = 0
        self._dialog: Any = None
        self._unfilled: set[int] = set()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        self.state = QLabel("Loading the portfolio…", self)
        self.state.setObjectName("panelSubheading")
        layout.addWidget(self.state)
        self.tabs = QTabWidget(self)
        self.dashboard = DashboardView(self)
        self.investments = InvestmentsView(self)
        self.calendar = CalendarView(self)
        self.products = ProductsView(self)
        self.statements = StatementsView(context.settings.fund_name, self)
        for widget, title in ((self.dashboard, "Dashboard"), (self.investments, "Investments"),
                              (self.calendar, "Payment calendar"), (self.products, "Products"),
                              (self.statements, "Statements")):
            self.tabs.addTab(widget, title)
        layout.addWidget(self.tabs, 1)
        self.tabs.currentChanged.connect(self._fill_tab)

        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(RELOAD_DELAY_MS)
        self._reload_timer.timeout.connect(self.reload)

        self.investments.new_requested.connect(self.new_investment)
        self.investments.edit_requested.connect(self.edit_investment)
        self.investments.status_requested.connect(self.change_status)
        self.calendar.filter_changed.connect(self.refresh_calendar)
        self.calendar.mark_paid_requested.connect(self.mark_paid)
        self.calendar.export_requested.connect(self.export_calendar)
        self.products.edit_requested.connect(self.edit_product)
        self.statements.export_requested.connect(self.export_statements)

    # ---- loading ---------------------------------------------------------------------------

    def on_shown(self) -> None:
        if self._stale:
            self.reload()

    def on_changes(self, changes: Any) -> None:
        if any(getattr(changes, name, None) for name in WATCHED):
            self._stale = True
            if self.isVisible():
                self._reload_timer.start()

    def reload(self) -> None:
        if self._loading or self.context.store is None:
            return
        self._loading = True
        self._stale = False
        self.state.setText("Loading the portfolio…" if self.view is None else self.state.text() + " (refreshing…)")
        operations.load_portfolio(tasks=self.tasks, context=self.context, as_of=utc_now().date(),
                                  on_success=self.show_view, on_failure=self._load_failed)

    def show_view(self, view: PortfolioView) -> None:
        """Show freshly computed figures (the load task's result)."""
        self._loading = False
        self.view = view
        data = view.data
        self.state.setText(f"{len(data.active)} active investments, {len(data.clients)} clients; "
                           f"figures as of {data.as_of.isoformat()} (UTC).")
        # Only the tab in sight is filled now; the others when first shown (10,000 investments
        # make each table a noticeable fill, and the manager usually looks at one tab).
        self._unfilled = set(range(self.tabs.count()))
        self._fill_tab(self.tabs.currentIndex())
        if self._stale:  # something changed while we were loading
            self._reload_timer.start()

    def _fill_tab(self, index: int) -> None:
        if self.view is None or index not in self._unfilled:
            return
        self._unfilled.discard(index)
        view, data = self.view, self.view.data
        widget = self.tabs.widget(index)
        if widget is self.dashboard:
            self.dashboard.show_dashboard(view.dashboard)
        elif widget is self.investments:
            self.investments.set_data(data)
        elif widget is self.calendar:
            self.calendar.prepare(data.as_of, product_codes(data))
            self.refresh_calendar(self.calendar.current_filter())
        elif widget is self.products:
            self.products.set_products(list(data.products.values()), data.as_of)
        elif widget is self.statements:
            self.statements.set_data(data)

    def _load_failed(self, exc: BaseException) -> None:
        self._loading = False
        self._stale = True
        self.state.setText(f"The portfolio could not be loaded: {exc}")

    def refresh_calendar(self, flt: CalendarFilter) -> None:
        if self.view is None:
            return
        self._calendar_generation += 1
        generation, data = self._calendar_generation, self.view.data

        def show(rows: list) -> None:
            if generation == self._calendar_generation:  # a newer filter has been asked for meanwhile
                self.calendar.show_rows(rows)

        self.tasks.run(lambda: calendar_rows(data, flt), lane="cpu", on_success=show, name="payment calendar")

    # ---- investments -----------------------------------------------------------------------

    def _open(self, dialog: Any, save: Any) -> None:
        self._dialog = dialog  # one edit dialog at a time, kept alive while open
        dialog.submitted.connect(save)
        dialog.finished.connect(lambda _: setattr(self, "_dialog", None))
        dialog.open()

    def _saved(self, dialog: Any) -> Any:
        return lambda _result: dialog.accept()

    def new_investment(self) -> None:
        if self.view is None:
            return
        data = self.view.data
        dialog = InvestmentDialog(list(data.clients.values()), data.products.values(), None, self,
                                  today=data.as_of)
        self._open(dialog, lambda draft: operations.create_investment(
            tasks=self.tasks, context=self.context, draft=draft, initiator=self,
            on_success=self._saved(dialog), on_failure=dialog.show_failure))

    def edit_investment(self, investment: Any) -> None:
        if self.view is None:
            return
        data = self.view.data
        dialog = InvestmentDialog(list(data.clients.values()), data.products.values(), investment, self)
        self._open(dialog, lambda edited: operations.update_investment(
            tasks=self.tasks, context=self.context, edited=edited, initiator=self,
            on_success=self._saved(dialog), on_failure=dialog.show_failure))

    def change_status(self, investment: Any) -> None:
        dialog = StatusDialog(investment, self)
        self._open(dialog, lambda payload: operations.change_status(
            tasks=self.tasks, context=self.context, investment=investment, status=payload[0], reason=payload[1],
            initiator=self, on_success=self._saved(dialog), on_failure=dialog.show_failure))

    # ---- calendar, products, statements ------------------------------------------------------

    def mark_paid(self, rows: list) -> None:
        dialog = MarkPaidDialog(rows, utc_now().date(), self)

        def recorded(result: Any) -> None:
            dialog.accept()
            note = f"; {len(result.already_paid)} were already recorded" if result.already_paid else ""
            self.calendar.summary.setText(f"{len(result.recorded)} payment(s) recorded as paid{note}.")

        self._open(dialog, lambda payload: operations.mark_paid(
            tasks=self.tasks, context=self.context, rows=rows, paid_on=payload[0], reference=payload[1],
            initiator=self, on_success=recorded, on_failure=dialog.show_failure))

    def export_calendar(self, rows: list, path: str) -> None:
        operations.export_calendar_csv(tasks=self.tasks, rows=rows, path=Path(path),
                                       on_success=lambda p: self.calendar.summary.setText(f"Exported to {p}."))

    def edit_product(self, product: Any) -> None:
        dialog = ProductDialog(product, self)
        self._open(dialog, lambda edited: operations.update_product(
            tasks=self.tasks, context=self.context, edited=edited, initiator=self,
            on_success=self._saved(dialog), on_failure=dialog.show_failure))

    def export_statements(self, client_ids: list, first: date, last: date, folder: Path, pdf: bool,
                          csv: bool) -> None:
        if self.view is None:
            return
        operations.export_statements(tasks=self.tasks, data=self.view.data, client_ids=client_ids, first=first,
                                     last=last, fund_name=self.context.settings.fund_name, folder=folder,
                                     pdf=pdf, csv=csv, on_success=self.statements.exported)

    def actions(self) -> list[tuple[str, object]]:
        return [("Portfolio: new investment", self.new_investment),
                ("Portfolio: reload figures", self.reload)]
