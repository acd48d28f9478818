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


def statement_pdf_writer(context: AppContext) -> tuple[Callable[[Any, Path], None], str]:
    """The PDF writer the settings ask for (paper, logo) and a warning about the logo, if any.
    Blocking (it reads the logo): call it in the io lane."""
    from .statement_pdf import read_logo, write_statement_pdf

    settings = context.settings.statements
    logo, warning = read_logo(settings.logo_path)
    return (lambda statement, path: write_statement_pdf(statement, path, paper=settings.paper, logo=logo,
                                                        note=settings.note)), warning


def preview_statement(*, tasks: TaskRunner, context: AppContext, book: PortfolioBook, client_id: str, first: date,
                      last: date, on_success: Done, on_failure: Failed) -> TaskHandle:
    """Build the statement and draw its pages as images (io lane); ``on_success(images)``."""
    from fidus_desktop.services.statement_export import client_records

    from .statement_pdf import layout_for, read_logo, render_page

    settings = context.settings

    async def work() -> list:
        [record] = await client_records(context, book, [client_id])

        def draw() -> list:
            with book.lock:  # the service's updates (cpu lane) wait for this one statement
                statement = statements.build_statement(book, client_id, first, last, settings.fund_name,
                                                       client_email=record.email, client_phone=record.phone)
            logo, _warning = read_logo(settings.statements.logo_path)
            layout = layout_for(statement, settings.statements.paper, logo, settings.statements.note)
            return [render_page(layout, n, dpi=96, logo=logo) for n in range(len(layout.pages))]

        return await context.lanes.io.run(draw, action="statement preview")

    return tasks.run(work(), on_success=on_success, on_failure=on_failure, name="statement preview")


def export_statements(*, tasks: TaskRunner, context: AppContext, book: PortfolioBook, client_ids: Sequence[str],
                      first: date, last: date, folder: Path, pdf: bool, csv: bool, email: bool, initiator: object,
                      on_success: Done) -> TaskHandle:
    """Every chosen client's statement (progress and Cancel in the window), recorded on their timelines."""
    from fidus_desktop.services.statement_export import ExportOptions
    from fidus_desktop.services.statement_export import export_statements as export

    settings = context.settings
    options = ExportOptions(settings.fund_name, pdf=pdf, csv=csv, email=email, email_from=settings.statements.email_from,
                            csv_format=csv_format(settings.exports))

    async def work(progress: Callable[[float, str], None]) -> Any:
        writer, _warning = await context.lanes.io.run(lambda: statement_pdf_writer(context), action="statement logo")
        return await export(context, book, client_ids, first, last, folder, options, pdf_writer=writer,
                            progress=progress)

    return tasks.run(work, on_success=on_success, progress_label="Writing statements…", name="export statements",
                     initiator=initiator)
