"""The Portfolio panel: seven tabs over the core's portfolio service.

The service holds the book and its figures and keeps them current from every change; this panel
only asks it for what the visible tab shows (the dashboard, a calendar selection, the
investments table's rows) and redraws when it says the book changed
(``EventType.PORTFOLIO_UPDATED``), once per burst, and only the tab in sight: hidden tabs
redraw when shown.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from fidus_desktop.events import EventType
from fidus_desktop.collation import collation_key
from fidus_desktop.errors import FidusError
from fidus_desktop.portfolio.figures import listed_codes
from fidus_desktop.services.portfolio_service import PortfolioService, PortfolioUpdate

from ..panels.base import Panel
from ..widgets.lazy_tabs import LazyTabs
from . import operations
from .calendar_view import CalendarView, MarkPaidDialog
from .commissions_view import CommissionsView
from .dashboard_view import DashboardView
from .investment_dialog import InvestmentDialog, StatusDialog
from .investments_view import InvestmentsView
from .money_tabs import MoneyTabs
from .products_view import ProductDialog, ProductsView
from .redemptions_view import RedemptionsView
from .statements_view import StatementsView


class PortfolioPanel(Panel):
    NAME = "portfolio"
    TITLE = "Portfolio"
    SHORTCUT = "Ctrl+2"
    REQUIRES = ("store",)

    def __init__(self, context, tasks, parent: QWidget | None = None, *, bridge=None) -> None:
        super().__init__(context, tasks, parent, bridge=bridge)
        self.service = context.service(PortfolioService)
        self._dialog: Any = None
        self._stale_tabs: set[int] = set()
        self._generation: dict[str, int] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        self.state = QLabel("Loading the portfolio…", self)
        self.state.setObjectName("panelSubheading")
        layout.addWidget(self.state)
        self.tabs = LazyTabs(self)
        self.money = MoneyTabs(self)
        for name, title, make in (("dashboard", "Dashboard", self._make_dashboard),
                                  ("investments", "Investments", self._make_investments),
                                  ("calendar", "Payment calendar", self._make_calendar),
                                  ("redemptions", "Redemptions", self._make_redemptions),
                                  ("commissions", "Commissions", self._make_commissions),
                                  ("products", "Products", self._make_products),
                                  ("statements", "Statements", self._make_statements)):
            self.tabs.add_page(name, title, make)
        layout.addWidget(self.tabs, 1)
        self.tabs.currentChanged.connect(self._tab_shown)
        if bridge is not None:
            bridge.on(EventType.PORTFOLIO_UPDATED, self._on_update)

    # ---- the tabs, each built when first needed (ui/widgets/lazy_tabs.py) ---------------------

    dashboard = property(lambda self: self.tabs.page("dashboard"))
    investments = property(lambda self: self.tabs.page("investments"))
    calendar = property(lambda self: self.tabs.page("calendar"))
    redemptions = property(lambda self: self.tabs.page("redemptions"))
    commissions = property(lambda self: self.tabs.page("commissions"))
    products = property(lambda self: self.tabs.page("products"))
    statements = property(lambda self: self.tabs.page("statements"))

    def _make_dashboard(self, holder: QWidget) -> DashboardView:
        view = DashboardView(holder)
        view.reconcile_requested.connect(self.money.reconcile)
        return view

    def _make_investments(self, holder: QWidget) -> InvestmentsView:
        view = InvestmentsView(self.tasks, holder)
        view.new_requested.connect(self.new_investment)
        view.edit_requested.connect(self.edit_investment)
        view.status_requested.connect(self.change_status)
        view.filter_changed.connect(lambda _flt: self._fill("investments"))
        view.detail_requested.connect(self.show_detail)
        view.redemption_requested.connect(self.money.new_redemption)
        return view

    def _make_calendar(self, holder: QWidget) -> CalendarView:
        view = CalendarView(self.tasks, holder)
        view.filter_changed.connect(lambda _flt: self._fill("calendar"))
        view.mark_paid_requested.connect(self.mark_paid)
        view.export_requested.connect(self.export_calendar)
        return view

    def _make_redemptions(self, holder: QWidget) -> RedemptionsView:
        view = RedemptionsView(self.tasks, holder)
        view.new_requested.connect(lambda: self.money.new_redemption())
        view.action_requested.connect(self.money.redemption_action)
        return view

    def _make_commissions(self, holder: QWidget) -> CommissionsView:
        view = CommissionsView(self.tasks, holder)
        view.salesperson_selected.connect(self.money.load_commissions)
        view.action_requested.connect(self.money.commission_action)
        return view

    def _make_products(self, holder: QWidget) -> ProductsView:
        view = ProductsView(holder)
        view.edit_requested.connect(self.edit_product)
        return view

    def _make_statements(self, holder: QWidget) -> StatementsView:
        view = StatementsView(self.context.settings.fund_name, holder)
        view.export_requested.connect(self.export_statements)
        view.preview_requested.connect(self.preview_statement)
        return view

    # ---- redrawing -------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return (self.service is not None and self.service.book is not None and not self.stale
                and self.tabs.currentIndex() not in self._stale_tabs)

    def _on_update(self, update: PortfolioUpdate) -> None:
        self.invalidate("figures")

    def refresh(self, why: set[str]) -> None:
        service = self.service
        if service is None or service.book is None:
            self.state.setText(service.error if service is not None and service.error else "Loading the portfolio…")
            return
        book = service.book
        self.state.setText(f"{len(book.active_slots()):,} active investments, {len(book.clients):,} clients; "
                           f"figures as of {book.as_of.isoformat()} (UTC)"
                           + (f"; {len(service.pending)} investment(s) with changes waiting to be saved"
                              if service.pending else "") + ".")
        self._stale_tabs = set(range(self.tabs.count()))
        self._tab_shown(self.tabs.currentIndex())

    def _tab_shown(self, index: int) -> None:
        if index not in self._stale_tabs or self.service is None or self.service.book is None:
            return
        self._stale_tabs.discard(index)
        self._fill(self.tabs.name_of(index))

    def _fill(self, tab: str | None) -> None:
        """Fill the tab called ``tab`` (by name: comparing pages would build every one)."""
        service = self.service
        if service is None or service.book is None:
            return
        book = service.book
        if tab == "dashboard" and service.dashboard is not None:
            self.dashboard.show_dashboard(service.dashboard)
            self.money.load_revenue()
        elif tab == "redemptions":
            self.money.load_redemptions()
        elif tab == "commissions":
            self.money.load_people()
        elif tab == "investments":
            self.investments.prepare(book)
            self._latest("investments", service.holdings(self.investments.current_filter()),
                         lambda slots: self.investments.show_slots(book, slots, set(service.pending)))
        elif tab == "calendar":
            self.calendar.prepare(book.as_of, listed_codes(book))
            self._latest("calendar", service.calendar(self.calendar.current_filter()), self.calendar.show_selection)
        elif tab == "products":
            self.products.set_products(list(book.products.values()), book.as_of)
        elif tab == "statements":
            def clients() -> list[tuple[str, str]]:
                with book.lock:
                    invested = {book.client_ids[s] for s in book.slots()}
                return sorted(((book.clients.get(c) or c, c) for c in invested), key=lambda p: collation_key(p[0]))

            self.tasks.run(clients, lane="cpu", name="statement clients",
                           on_success=lambda rows: self.statements.set_clients(book.as_of, rows))

    def _latest(self, what: str, work: Any, show: Any) -> None:
        """Run ``work``; show its result only if no newer request for ``what`` came meanwhile."""
        generation = self._generation.get(what, 0) + 1
        self._generation[what] = generation

        def done(result: Any) -> None:
            if self._generation.get(what) == generation:
                show(result)

        self.tasks.run(work, on_success=done, name=f"portfolio {what}")

    def on_closing(self) -> None:
        self._dialog = None

    # ---- investments -----------------------------------------------------------------------

    def show_detail(self, investment_id: str) -> None:
        if self.service is None:
            return
        self.tasks.run(self.service.investment_detail(investment_id), name="investment detail",
                       on_success=self.investments.show_detail,
                       on_failure=self._detail_failed)

    def _detail_failed(self, exc: BaseException) -> None:
        if isinstance(exc, FidusError):
            self.investments.show_detail(None, exc.message)
        else:
            self.investments.show_detail(None, "The investment could not be read.")
            self.tasks.report(exc, "investment detail")

    def _open(self, dialog: Any, save: Any) -> None:
        self._dialog = dialog  # one edit dialog at a time, kept alive while open
        dialog.submitted.connect(save)
        dialog.finished.connect(lambda _: setattr(self, "_dialog", None))
        dialog.open()

    def _saved(self, dialog: Any) -> Any:
        def done(result: Any) -> None:
            write = result[1] if isinstance(result, tuple) else getattr(result, "write", None)
            dialog.accept()
            if write is not None and write.queued:
                self.state.setText(f"Saved on this computer: {write.reason} It is written to the database when "
                                   "it is back.")

        return done

    def new_investment(self) -> None:
        service = self.service
        if service is None or service.book is None:
            return
        book = service.book

        def open_dialog(clients: list) -> None:
            dialog = InvestmentDialog(clients, book.products.values(), None, self, today=book.as_of)
            self._open(dialog, lambda draft: operations.create_investment(
                tasks=self.tasks, context=self.context, draft=draft, initiator=self,
                on_success=self._saved(dialog), on_failure=dialog.show_failure))

        self.tasks.run(service.clients_for_new_investment(), on_success=open_dialog, name="clients for investing")

    def edit_investment(self, investment_id: str) -> None:
        service = self.service
        if service is None or service.book is None:
            return
        book = service.book

        def open_dialog(detail: Any) -> None:
            dialog = InvestmentDialog([], book.products.values(), detail.investment, self)
            self._open(dialog, lambda edited: operations.update_investment(
                tasks=self.tasks, context=self.context, edited=edited, initiator=self,
                on_success=self._saved(dialog), on_failure=dialog.show_failure))

        self.tasks.run(service.investment_detail(investment_id), on_success=open_dialog, name="open investment")

    def change_status(self, investment_id: str) -> None:
        if self.service is None:
            return

        def open_dialog(detail: Any) -> None:
            investment = detail.investment
            dialog = StatusDialog(investment, self)
            self._open(dialog, lambda payload: operations.change_status(
                tasks=self.tasks, context=self.context, investment=investment, status=payload[0],
                reason=payload[1], initiator=self, on_success=self._saved(dialog), on_failure=dialog.show_failure))

        self.tasks.run(self.service.investment_detail(investment_id), on_success=open_dialog, name="open investment")

    # ---- calendar, products, statements ------------------------------------------------------

    def mark_paid(self, rows: list) -> None:
        dialog = MarkPaidDialog(rows, self.service.book.as_of if self.service and self.service.book else date.today(),
                                self)

        def recorded(result: Any) -> None:
            dialog.accept()
            note = f"; {len(result.already_paid)} were already recorded" if result.already_paid else ""
            queued = result.write is not None and result.write.queued
            where = " on this computer (the database is away; saved when it is back)" if queued else ""
            self.calendar.summary.setText(f"{len(result.recorded)} payment(s) recorded as paid{where}{note}.")

        self._open(dialog, lambda payload: operations.mark_paid(
            tasks=self.tasks, context=self.context, rows=rows, paid_on=payload[0], reference=payload[1],
            initiator=self, on_success=recorded, on_failure=dialog.show_failure))

    def export_calendar(self, rows: Any, path: str) -> None:
        operations.export_calendar_csv(tasks=self.tasks, parent=self, context=self.context, rows=rows, path=Path(path),
                                       on_success=lambda p: self.calendar.summary.setText(f"Exported to {p}."))

    def edit_product(self, product: Any) -> None:
        dialog = ProductDialog(product, self)
        self._open(dialog, lambda edited: operations.update_product(
            tasks=self.tasks, context=self.context, edited=edited, initiator=self,
            on_success=self._saved(dialog), on_failure=dialog.show_failure))

    def preview_statement(self, client_id: str, first: date, last: date) -> None:
        if self.service is None or self.service.book is None:
            return

        def failed(exc: BaseException) -> None:
            if isinstance(exc, FidusError):  # a rule's refusal: said where the preview goes
                self.statements.show_preview(client_id, None, exc.message)
            else:
                self.statements.show_preview(client_id, None, "The preview could not be made.")
                self.tasks.report(exc, "statement preview")

        operations.preview_statement(tasks=self.tasks, context=self.context, book=self.service.book,
                                     client_id=client_id, first=first, last=last,
                                     on_success=lambda images: self.statements.show_preview(client_id, images),
                                     on_failure=failed)

    def export_statements(self, client_ids: list, first: date, last: date, folder: Path, pdf: bool,
                          csv: bool, email: bool = False) -> None:
        if self.service is None or self.service.book is None:
            return
        operations.export_statements(tasks=self.tasks, context=self.context, book=self.service.book,
                                     client_ids=client_ids, first=first, last=last, folder=folder, pdf=pdf, csv=csv,
                                     email=email, initiator=self, on_success=self.statements.exported)

    def actions(self) -> list[tuple[str, object]]:
        return [("Portfolio: new investment", self.new_investment),
                ("Portfolio: reconcile the past", self.money.reconcile),
                ("Portfolio: new redemption request", lambda: self.money.new_redemption())]
