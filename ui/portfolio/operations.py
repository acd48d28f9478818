"""Every portfolio action the panel offers, bound to the task runner: one greppable name each.

Views only render and emit; the panel calls these. Store access runs as coroutines on the loop,
figures over thousands of investments in the ``cpu`` lane, files in the ``io`` lane. Writes
publish their :class:`~fidus_desktop.services.changes.Changes` so every panel can redraw.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from fidus_desktop.domain.funds import FundProduct
from fidus_desktop.domain.investments import Investment, InvestmentStatus
from fidus_desktop.fileio import atomic_write_text
from fidus_desktop.services import investments as investment_service
from fidus_desktop.services import payment_calendar, products, statements
from fidus_desktop.services.changes import Changes, publish_changes
from fidus_desktop.services.portfolio import (Dashboard, PortfolioData, PortfolioRecords, build_portfolio,
                                              compute_dashboard, load_records)

if TYPE_CHECKING:
    from fidus_desktop.app_context import AppContext
    from ui.tasks import TaskHandle, TaskRunner

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None] | None


def current_actor() -> str:
    """Who the audit trail names: the desktop's signed-in user."""
    try:
        return getpass.getuser() or "manager"
    except (OSError, KeyError):
        return "manager"


class PortfolioView(NamedTuple):
    data: PortfolioData
    dashboard: Dashboard


def compute_view(records: PortfolioRecords, as_of: date) -> PortfolioView:
    data = build_portfolio(*records, as_of)
    return PortfolioView(data, compute_dashboard(data))


def load_portfolio(*, tasks: TaskRunner, context: AppContext, as_of: date, on_success: Done,
                   on_failure: Failed = None) -> TaskHandle:
    """Read the records on the loop, then compute schedules and aggregates in the cpu lane."""
    store = context.store
    assert store is not None

    def compute(records: PortfolioRecords) -> None:
        tasks.run(lambda: compute_view(records, as_of), lane="cpu", on_success=on_success,
                  on_failure=on_failure, name="portfolio figures")

    return tasks.run(load_records(store), on_success=compute, on_failure=on_failure, name="load portfolio")


def _write(tasks: TaskRunner, context: AppContext, work: Any, name: str, on_success: Done,
           on_failure: Failed, changes_of: Callable[[Any], Changes]) -> TaskHandle:
    def done(result: Any) -> None:
        publish_changes(context.events, changes_of(result))
        on_success(result)

    return tasks.run(work, on_success=done, on_failure=on_failure, name=name)


def create_investment(*, tasks: TaskRunner, context: AppContext, draft: investment_service.InvestmentDraft,
                      initiator: object, on_success: Done, on_failure: Failed) -> TaskHandle:
    work = investment_service.create_investment(context.store, draft, actor=current_actor(), initiator=initiator)
    return _write(tasks, context, work, "create investment", on_success, on_failure, lambda r: r[1])


def update_investment(*, tasks: TaskRunner, context: AppContext, edited: Investment, initiator: object,
                      on_success: Done, on_failure: Failed) -> TaskHandle:
    work = investment_service.update_investment(context.store, edited, actor=current_actor(), initiator=initiator)
    return _write(tasks, context, work, "save investment", on_success, on_failure, lambda r: r[1])


def change_status(*, tasks: TaskRunner, context: AppContext, investment: Investment, status: InvestmentStatus,
                  reason: str, initiator: object, on_success: Done, on_failure: Failed) -> TaskHandle:
    work = investment_service.change_status(context.store, investment, status, actor=current_actor(),
                                            reason=reason, initiator=initiator)
    return _write(tasks, context, work, "change investment status", on_success, on_failure, lambda r: r[1])


def update_product(*, tasks: TaskRunner, context: AppContext, edited: FundProduct, initiator: object,
                   on_success: Done, on_failure: Failed) -> TaskHandle:
    work = products.update_product(context.store, edited, actor=current_actor(), initiator=initiator)
    return _write(tasks, context, work, "save product", on_success, on_failure, lambda r: r[1])


def mark_paid(*, tasks: TaskRunner, context: AppContext, rows: Sequence[payment_calendar.CalendarRow],
              paid_on: date, reference: str, initiator: object, on_success: Done, on_failure: Failed) -> TaskHandle:
    work = payment_calendar.mark_paid(context.store, rows, actor=current_actor(), paid_on=paid_on,
                                      reference=reference, initiator=initiator)
    return _write(tasks, context, work, "mark paid", on_success, on_failure, lambda r: r.changes)


def export_calendar_csv(*, tasks: TaskRunner, rows: Sequence[payment_calendar.CalendarRow], path: Path,
                        on_success: Done) -> TaskHandle:
    def write() -> Path:
        atomic_write_text(path, payment_calendar.calendar_csv(rows))
        return path

    return tasks.run(write, lane="io", on_success=on_success, name="export payment calendar")


def export_statements(*, tasks: TaskRunner, data: PortfolioData, client_ids: Sequence[str], first: date,
                      last: date, fund_name: str, folder: Path, pdf: bool, csv: bool,
                      on_success: Done) -> TaskHandle:
    from .statement_pdf import write_statement_pdf

    def export(progress: Callable[[float, str], None]) -> list[Path]:
        return statements.export_statements(
            data, client_ids, first, last, fund_name, folder, pdf_writer=write_statement_pdf if pdf else None,
            with_csv=csv, progress=progress)

    return tasks.run(export, lane="io", on_success=on_success, progress_label="Writing statements…",
                     name="export statements")
