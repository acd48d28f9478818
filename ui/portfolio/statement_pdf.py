"""Client statements as PDF, with Qt's own PDF writer (no extra dependency).

The layout is the HTML of :func:`fidus_desktop.services.statements.statement_html`; here it is
only typeset. Safe to call from a worker lane: it paints on a ``QPdfWriter``, never on a widget.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMarginsF, QSizeF
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument

from fidus_desktop.services.statements import Statement, statement_html

RESOLUTION_DPI = 300


def write_statement_pdf(statement: Statement, path: Path) -> None:
    """Write ``statement`` to ``path`` as an A4 PDF with searchable, extractable text. The
    export helper (``fidus_desktop.exports.write_with``) gives a temporary path and puts the
    finished file in place, so a half-written statement never carries the real name."""
    writer = QPdfWriter(str(path))
    writer.setTitle(f"{statement.fund_name} - statement {statement.client_name}")
    writer.setCreator("FIDUS Desktop")
    writer.setResolution(RESOLUTION_DPI)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                     QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter))
    document = QTextDocument()
    document.setHtml(statement_html(statement))
    # Lay the text out on the printable area in device pixels, so tables span the page width.
    area = writer.pageLayout().paintRectPixels(RESOLUTION_DPI)
    document.setPageSize(QSizeF(area.width(), area.height()))
    document.print_(writer)
    del writer  # the PDF is finished when the writer goes away
