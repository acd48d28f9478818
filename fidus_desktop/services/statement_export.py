"""Writing statements for many clients at once, with progress and cancel, and recording each on
the client's timeline.

The files (PDF, CSV, and optionally an e-mail ready to send with the PDF attached, ``.eml``)
are written in the io lane; pressing Cancel stops before the next client, and what was written
until then is kept and recorded. Each statement written becomes an ``activity_logs`` entry of
type ``statement_sent`` for its client (the period, the file, its SHA-256), all in one
operation. The CRM's timeline (being built beside this) shows ``activity_logs`` entries by
client; when it defines a document interface of its own, this is the one place to change.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import TYPE_CHECKING

from ..crm.timeline import EventKind
from ..domain.activity import ActivityEntry
from ..domain.people import Client
from ..domain.values import utc_now
from ..errors import FidusError, UserCancelled
from ..exports import CsvFormat, FileInUse, unique_name, write_bytes, write_with
from ..lanes import shared_lanes
from ..runtime.operations import Audit, Operation
from ..runtime.writer import WriteResult
from ..storage.query import In, Query
from ..storage.writes import Insert
from .changes import TIMELINE
from .payment_calendar import activity_document
from .statements import Statement, build_statement, statement_csv, statement_stem

if TYPE_CHECKING:
    from ..app_context import AppContext
    from ..portfolio.book import PortfolioBook

STATEMENT_SENT = EventKind.STATEMENT.value
#: ``(statement, path)``: draws the PDF (the window's Qt writer; tests pass their own).
PdfWriter = Callable[[Statement, Path], None]
Progress = Callable[[float, str], None]
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class ExportOptions:
    fund_name: str
    pdf: bool = True
    csv: bool = False
    #: Also an e-mail ready to send (``.eml``, the PDF attached) for clients with an address.
    email: bool = False
    #: What the e-mail says above the attachment.
    email_from: str = ""
    #: Separator, decimal sign and encoding of the CSV (the settings' Excel form by default).
    csv_format: CsvFormat = CsvFormat()


@dataclass(frozen=True, slots=True)
class ExportedStatement:
    client_id: str
    client_name: str
    period_start: date
    period_end: date
    paths: tuple[Path, ...]
    #: SHA-256 of the main file (the PDF, else the CSV).
    sha256: str


@dataclass(frozen=True, slots=True)
class ExportResult:
    exported: tuple[ExportedStatement, ...]
    cancelled: bool = False
    #: Clients whose statement could not be made, and why.
    failed: tuple[tuple[str, str], ...] = ()
    write: WriteResult | None = None

    @property
    def paths(self) -> list[Path]:
        return [p for e in self.exported for p in e.paths]


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def email_for(statement: Statement, pdf: Path, sender: str) -> EmailMessage:
    """A message ready to send: to the client, the statement attached (the Workspace sends it)."""
    message = EmailMessage(policy=SMTP)
    message["To"] = statement.client_email
    if sender:
        message["From"] = sender
    message["Subject"] = (f"{statement.fund_name}: your statement, {statement.period_start.isoformat()} to "
                          f"{statement.period_end.isoformat()}")
    message.set_content(
        f"Dear {statement.client_name},\n\nPlease find attached your statement for "
        f"{statement.period_start.isoformat()} to {statement.period_end.isoformat()}.\n\n"
        f"Holdings at the end of the period: {statement.holdings_end:,.2f} {statement.currency}\n"
        f"Interest paid in the period: {statement.interest_paid:,.2f} {statement.currency}\n\n"
        f"Kind regards,\n{statement.fund_name}\n")
    message.add_attachment(pdf.read_bytes(), maintype="application", subtype="pdf", filename=pdf.name)
    return message


def write_statements(book: PortfolioBook, clients: Sequence[Client], period_start: date, period_end: date,
                     folder: Path, options: ExportOptions, *, pdf_writer: PdfWriter | None = None,
                     progress: Progress | None = None) -> ExportResult:
    """Write each client's statement into ``folder`` (blocking: the io lane). Cancelled through
    ``progress`` raising :class:`UserCancelled`: what was written until then is returned."""
    folder.mkdir(parents=True, exist_ok=True)
    done: list[ExportedStatement] = []
    failed: list[tuple[str, str]] = []
    stems: set[str] = set()
    total = max(1, len(clients))
    try:
        for n, client in enumerate(clients):
            if progress is not None:
                progress(n / total, f"Statement {n + 1:,} of {len(clients):,}: {client.name or client.client_id}")
            try:
                with book.lock:  # the service's updates (cpu lane) wait for this one statement
                    statement = build_statement(book, client.client_id, period_start, period_end,
                                                options.fund_name, client_email=client.email,
                                                client_phone=client.phone)
            except FidusError as exc:
                failed.append((client.client_id, exc.message))
                continue
            try:
                # Two clients whose names differ only in case (or not at all) get distinct files: NTFS
                # would otherwise let the second overwrite the first. Each file is put in place whole:
                # one open in another program raises FileInUse and leaves no part file.
                stem = statement_stem(statement)
                if stem.casefold() in stems:
                    stem = f"{stem}_{re.sub(r'[^A-Za-z0-9]+', '_', client.client_id).strip('_')}"
                stem = unique_name(stem, stems)
                paths: list[Path] = []
                if options.pdf and pdf_writer is not None:
                    pdf = write_with(folder / f"{stem}.pdf", lambda path, s=statement: pdf_writer(s, path))
                    paths.append(pdf)
                    if options.email and statement.client_email:
                        paths.append(write_bytes(folder / f"{stem}.eml",
                                                 bytes(email_for(statement, pdf, options.email_from))))
                if options.csv:
                    fmt = options.csv_format
                    paths.append(write_bytes(folder / f"{stem}.{fmt.extension}",
                                             fmt.encode(statement_csv(statement, fmt))))
            except FileInUse as exc:  # open in Acrobat or Excel: this client's fails, the others go on
                failed.append((client.client_id, exc.message))
                continue
            if paths:
                done.append(ExportedStatement(client.client_id, statement.client_name, period_start, period_end,
                                              tuple(paths), _digest(paths[0])))
    except UserCancelled:
        return ExportResult(tuple(done), True, tuple(failed))
    if progress is not None:
        progress(1.0, f"{len(done):,} statement(s) written")
    return ExportResult(tuple(done), False, tuple(failed))


async def client_records(context: AppContext, book: PortfolioBook, client_ids: Sequence[str]) -> list[Client]:
    """The clients' contact (e-mail, phone) from the store, in the order given; a client the store
    does not hold (or a store that is away) gets the name the book knows."""
    found: dict[str, Client] = {}
    store = context.store
    if store is not None:
        try:
            for i in range(0, len(client_ids), _CHUNK):
                chunk = tuple(client_ids[i:i + _CHUNK])
                found.update({c.client_id: c for c in await store.clients.find(Query(where=(In("client_id", chunk),)))})
        except FidusError:
            pass  # the statements are still made, without the contact lines
    return [found.get(cid) or Client(client_id=cid, name=book.clients.get(cid, cid), email="") for cid in client_ids]


def timeline_entries(exported: Sequence[ExportedStatement], *, actor: str, op_id: str) -> list[ActivityEntry]:
    now = utc_now()
    return [ActivityEntry(
        log_id=f"statement:{op_id}:{e.client_id}", activity_type=STATEMENT_SENT,
        description=f"Statement for {e.period_start.isoformat()} to {e.period_end.isoformat()} prepared "
                    f"({e.paths[0].name})", timestamp=now, client_id=e.client_id, actor=actor,
        details={"period_start": e.period_start.isoformat(), "period_end": e.period_end.isoformat(),
                 "files": [p.name for p in e.paths], "sha256": e.sha256, "kind": "document"})
        for e in exported]


async def record_statements(context: AppContext, exported: Sequence[ExportedStatement]) -> WriteResult | None:
    """One operation: a ``statement_sent`` entry on each client's timeline."""
    if not exported:
        return None
    op_id = str(uuid.uuid4())
    entries = timeline_entries(exported, actor=context.writer.actor, op_id=op_id)
    first = exported[0]
    op = Operation("statements.export", tuple(Insert("activity_logs", activity_document(e)) for e in entries), Audit(
        activity_type="statements_exported",
        description=f"{len(exported):,} statement(s) for {first.period_start.isoformat()} to "
                    f"{first.period_end.isoformat()} written",
        client_id=first.client_id if len(exported) == 1 else "",
        details={"statements": len(exported), "period_start": first.period_start.isoformat(),
                 "period_end": first.period_end.isoformat()}),
        flags=frozenset({TIMELINE}), op_id=op_id)
    return await context.writer.submit(op)


async def export_statements(context: AppContext, book: PortfolioBook, client_ids: Sequence[str], period_start: date,
                            period_end: date, folder: Path, options: ExportOptions, *,
                            pdf_writer: PdfWriter | None = None, progress: Progress | None = None) -> ExportResult:
    """Write the statements (io lane) and record them on the clients' timelines. Cancelling the
    task stops the writing before the next client; what was written is still recorded."""
    clients = await client_records(context, book, client_ids)
    future = shared_lanes().io.submit(lambda: write_statements(book, clients, period_start, period_end, folder,
                                                               options, pdf_writer=pdf_writer, progress=progress),
                                      action="write statements")
    waiting = asyncio.wrap_future(future)
    try:
        result = await asyncio.shield(waiting)
    except asyncio.CancelledError:
        result = await waiting  # the writer stops at the next client (its progress raises): keep what it wrote
        await record_statements(context, result.exported)
        raise
    write = await record_statements(context, result.exported)
    return ExportResult(result.exported, result.cancelled, result.failed, write)
