"""Every portfolio action the panel offers, bound to the task runner: one greppable name each.

Views only render and emit; the panel calls these. Services run as coroutines on the loop (the
write path publishes their ``Changes`` from the core), files go to the ``io`` lane. Each write
names the panel as its initiator so it can tell its own echo.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QWidget

from fidus_desktop.domain.funds import FundProduct
from fidus_desktop.domain.investments import Investment, InvestmentStatus
from fidus_desktop.services import investments as investment_service
from fidus_desktop.exports import csv_format, write_bytes
from fidus_desktop.services import payment_calendar, products, statements

from .. import file_dialogs
from ..export_flow import run_export

if TYPE_CHECKING:
    from fidus_desktop.app_context import AppContext
    from fidus_desktop.portfolio.book import PortfolioBook
    from ui.tasks import TaskHandle, TaskRunner

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None] | None


def create_investment(*, tasks: TaskRunner, context: AppContext, draft: investment_service.InvestmentDraft,
                      initiator: object, on_success: Done, on_failure: Failed) -> TaskHandle:
    return tasks.run(investment_service.create_investment(context, draft), on_success=on_success,
                     on_failure=on_failure, name="create investment", initiator=initiator)


def update_investment(*, tasks: TaskRunner, context: AppContext, edited: Investment, initiator: object,
                      on_success: Done, on_failure: Failed) -> TaskHandle:
    return tasks.run(investment_service.update_investment(context, edited), on_success=on_success,
                     on_failure=on_failure, name="save investment", initiator=initiator)


def change_status(*, tasks: TaskRunner, context: AppContext, investment: Investment, status: InvestmentStatus,
                  reason: str, initiator: object, on_success: Done, on_failure: Failed) -> TaskHandle:
    return tasks.run(investment_service.change_status(context, investment, status, reason=reason),
                     on_success=on_success, on_failure=on_failure, name="change investment status",
                     initiator=initiator)


def update_product(*, tasks: TaskRunner, context: AppContext, edited: FundProduct, initiator: object,
                   on_success: Done, on_failure: Failed) -> TaskHandle:
    return tasks.run(products.update_product(context, edited), on_success=on_success, on_failure=on_failure,
                     name="save product", initiator=initiator)


def mark_paid(*, tasks: TaskRunner, context: AppContext, rows: Sequence[payment_calendar.CalendarRow],
              paid_on: date, reference: str, initiator: object, on_success: Done, on_failure: Failed) -> TaskHandle:
    return tasks.run(payment_calendar.mark_paid(context, rows, paid_on=paid_on, reference=reference),
                     on_success=on_success, on_failure=on_failure, name="mark paid", initiator=initiator)


def export_calendar_csv(*, tasks: TaskRunner, parent: QWidget, context: AppContext,
                        rows: Callable[[], Sequence[payment_calendar.CalendarRow]], path: Path,
                        on_success: Done) -> TaskHandle:
    fmt = csv_format(context.settings.exports)

    def write(target: Path) -> Path:
        return write_bytes(target, fmt.encode(payment_calendar.calendar_csv(rows(), fmt)))

    def other(current: Path, then: Callable[[Path], None]) -> None:
        file_dialogs.save_file(parent, "Save the payment calendar as", f"{current.stem} (2).{current.suffix[1:]}",
                               "CSV files (*.csv)", then, suffix=fmt.extension)

    return run_export(tasks, parent, write, path, name="export payment calendar", on_success=on_success,
                      choose_other=other)


def export_statements(*, tasks: TaskRunner, parent: QWidget, context: AppContext, book: PortfolioBook,
                      client_ids: Sequence[str], first: date, last: date, fund_name: str, folder: Path, pdf: bool,
                      csv: bool, on_success: Done) -> TaskHandle:
    from .statement_pdf import write_statement_pdf

    fmt = csv_format(context.settings.exports)

    def export(target: Path, progress: Callable[[float, str], None]) -> list[Path]:
        with book.lock:  # the service's updates wait for the batch (the file writes are short)
            return statements.export_statements(
                book, client_ids, first, last, fund_name, target, pdf_writer=write_statement_pdf if pdf else None,
                with_csv=csv, csv_format=fmt, progress=progress)

    def other(current: Path, then: Callable[[Path], None]) -> None:
        file_dialogs.choose_folder(parent, "Another folder for the statements", then)

    return run_export(tasks, parent, export, folder, name="export statements", on_success=on_success,
                      choose_other=other, progress_label="Writing statements…")
