"""The money the fund pays out, on the Portfolio panel: reconciling the past and the revenue
picture (Dashboard tab), redemption requests (Redemptions tab) and referral commissions
(Commissions tab). Views render and emit; this binds them to the core's services through the
task runner, each write naming the panel as its initiator."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject

from fidus_desktop.errors import FidusError
from fidus_desktop.portfolio.figures import listed_codes
from fidus_desktop.portfolio.holdings import HoldingsFilter, row as holding_row
from fidus_desktop.services import commissions as commission_service
from fidus_desktop.services import redemptions as redemption_service
from fidus_desktop.services import reconcile as reconcile_service
from fidus_desktop.services.reconcile import ReconcileScope

from ..widgets.format import money
from .commissions_view import PayDialog
from .reconcile_dialog import ReconcileDialog
from .redemptions_view import CompleteDialog, ReasonDialog, RedemptionDialog

if TYPE_CHECKING:
    from .panel import PortfolioPanel

#: Investments the request dialog offers for a search.
MATCHES = 50


def invested_clients(book: Any) -> list[tuple[str, str]]:
    """``(name, client id)`` of every client with an active investment, in reading order."""
    from fidus_desktop.collation import collation_key

    ids = {book.client_ids[s] for s in book.active_slots()}
    return sorted(((book.clients.get(c) or c, c) for c in ids), key=lambda p: collation_key(p[0]))


class MoneyTabs(QObject):
    def __init__(self, panel: PortfolioPanel) -> None:
        super().__init__(panel)
        self.panel = panel
        # The tabs' signals are wired to this object by the panel as it builds each tab.
        self.context, self.tasks, self.service = panel.context, panel.tasks, panel.service

    def _failed(self, what: str, show: Callable[[str], None]) -> Callable[[BaseException], None]:
        def failed(exc: BaseException) -> None:
            if isinstance(exc, FidusError):
                show(exc.message)
            else:
                show(f"The {what} could not be worked out; details are in the log.")
                self.tasks.report(exc, what)
        return failed

    @property
    def today(self) -> date:
        book = self.service.book if self.service is not None else None
        return book.as_of if book is not None else date.today()

    # ---- dashboard ------------------------------------------------------------------------

    def load_revenue(self) -> None:
        if self.service is None:
            return
        box = self.panel.dashboard.revenue
        self.panel._latest("revenue", self.service.revenue(), box.show_picture)

    def reconcile(self) -> None:
        service = self.service
        if service is None or service.book is None:
            return
        book = service.book
        never = service.dashboard.unrecorded_overdue if service.dashboard else None

        def preview(scope: ReconcileScope, show: Callable[[Any], None]) -> None:
            self.tasks.run(service.reconcile_preview(scope), on_success=show, name="reconcile preview",
                           on_failure=lambda exc: dialog.show_failure(exc))

        dialog = ReconcileDialog(book.as_of, listed_codes(book), preview, self.panel,
                                 unrecorded=f"Found: {never.count:,} overdue payment(s), {money(never.amount)}, of "
                                            "investments with no payment ever recorded." if never and never.count
                                 else "")

        self.tasks.run(lambda: invested_clients(book), lane="cpu", name="reconcile clients",
                       on_success=dialog.set_clients)

        def done(result: Any) -> None:
            dialog.accept()
            where = " on this computer (saved when the database is back)" if result.write and result.write.queued else ""
            note = f"; {result.already_paid} had been recorded meanwhile" if result.already_paid else ""
            self.panel.dashboard.notice.setText(f"{result.recorded:,} past payment(s), {money(result.total)}, "
                                                f"recorded as paid{where}{note}.")

        self.panel._open(dialog, lambda preview_shown: self.tasks.run(
            reconcile_service.reconcile(self.context, preview_shown), on_success=done, on_failure=dialog.show_failure,
            name="reconcile the past", initiator=self.panel))

    # ---- redemptions ----------------------------------------------------------------------

    def load_redemptions(self) -> None:
        book = self.service.book if self.service else None
        names = dict(book.clients) if book else {}
        self.panel._latest("redemptions", redemption_service.list_redemptions(self.context),
                           lambda requests: self.panel.redemptions.show_requests(requests, names))

    def _find(self, text: str, show: Callable[[list[tuple[str, str]]], None]) -> None:
        service = self.service
        if service is None or service.book is None:
            return
        book = service.book

        def labels(slots: Any) -> list[tuple[str, str]]:
            out = []
            for slot in slots[:MATCHES]:
                r = holding_row(book, int(slot))
                out.append((f"{r.client_name} - {r.product} {money(r.principal)} - {r.investment_id[:13]}",
                            r.investment_id))
            return out

        async def work() -> list[tuple[str, str]]:
            return labels(await service.holdings(HoldingsFilter(text=text)))

        self.tasks.run(work(), on_success=show, name="find investments")

    def new_redemption(self, investment_id: str | None = None) -> None:
        book = self.service.book if self.service else None
        if book is None:
            return
        preset = None
        if investment_id and investment_id in book.index:
            r = holding_row(book, book.index[investment_id])
            preset = (f"{r.client_name} - {r.product} {money(r.principal)} - {r.investment_id[:13]}", investment_id)

        def check(inv: str, amount: Decimal, on: date, show: Callable[[Any], None]) -> None:
            self.tasks.run(redemption_service.check_redemption(self.context, inv, amount, on), on_success=show,
                           on_failure=lambda exc: show(getattr(exc, "message", str(exc))), name="redemption rules")

        dialog = RedemptionDialog(self.today, self._find, check, self.panel, investment=preset)

        def done(result: Any) -> None:
            dialog.accept()
            self.panel.tabs.setCurrentWidget(self.panel.redemptions)
            self.load_redemptions()

        self.panel._open(dialog, lambda p: self.tasks.run(
            redemption_service.request_redemption(self.context, p[0], p[1], p[2], reason=p[3], notes=p[4]),
            on_success=done, on_failure=dialog.show_failure, name="record redemption", initiator=self.panel))

    def redemption_action(self, name: str, request: Any) -> None:
        async def fresh() -> Any:  # act on the request as stored now, never on a stale row
            return await redemption_service.get_redemption(self.context, request.redemption_id)

        def done(dialog: Any) -> Callable[[Any], None]:
            def finish(_result: Any) -> None:
                if dialog is not None:
                    dialog.accept()
                self.load_redemptions()
            return finish

        if name == "approve":
            async def approve() -> Any:
                return await redemption_service.approve_redemption(self.context, await fresh())

            self.tasks.run(approve(), on_success=done(None), name="approve redemption", initiator=self.panel,
                           on_failure=self._failed("approval", self.panel.redemptions.summary.setText))
            return
        if name in ("reject", "cancel"):
            dialog: Any = ReasonDialog("Reject the redemption" if name == "reject" else "Cancel the request",
                                       "Why" if name == "reject" else "Why (optional)", self.panel,
                                       required=name == "reject")
            act = redemption_service.reject_redemption if name == "reject" else redemption_service.cancel_redemption

            async def move(reason: str) -> Any:
                return await act(self.context, await fresh(), reason)

            self.panel._open(dialog, lambda reason: self.tasks.run(
                move(reason), on_success=done(dialog), on_failure=dialog.show_failure, name=f"{name} redemption",
                initiator=self.panel))
            return
        dialog = CompleteDialog(request, self.today, self.panel)

        async def complete(payload: tuple[date, str]) -> Any:
            return await redemption_service.complete_redemption(self.context, await fresh(), payload[0],
                                                                notes=payload[1])

        self.panel._open(dialog, lambda payload: self.tasks.run(
            complete(payload), on_success=done(dialog), on_failure=dialog.show_failure, name="complete redemption",
            initiator=self.panel))

    # ---- commissions ----------------------------------------------------------------------

    def load_people(self) -> None:
        if self.service is not None:
            self.panel._latest("salespeople", self.service.salespeople(), self.panel.commissions.show_people)

    def load_commissions(self, key: str) -> None:
        if self.service is not None:
            self.panel._latest("commissions", self.service.commissions(key),
                               lambda selection: self.panel.commissions.show_commissions(key, selection))

    def commission_action(self, name: str, rows: list) -> None:
        service, view = self.service, self.panel.commissions
        book = service.book if service else None
        if book is None:
            return
        report = self._failed("commission change", view.summary.setText)
        if name == "approve":
            self.tasks.run(commission_service.approve_commissions(self.context, book, rows), on_failure=report,
                           name="approve commissions", initiator=self.panel)
        elif name == "write":
            self.tasks.run(commission_service.write_pending(self.context, book, view.selected_person()),
                           on_failure=report, name="write commissions", initiator=self.panel,
                           on_success=lambda r: view.summary.setText(
                               "Nothing to write: every commission has its document." if r is None else
                               "Pending commissions written for the web platform."))
        else:
            dialog = PayDialog(rows, self.today, parent=self.panel)
            self.panel._open(dialog, lambda p: self.tasks.run(
                commission_service.pay_commissions(self.context, book, rows, method=p[0], reference=p[1],
                                                   paid_on=p[2], notes=p[3], payment_hash=p[4]),
                on_success=lambda _r: dialog.accept(), on_failure=dialog.show_failure, name="pay commissions",
                initiator=self.panel))
