"""Draw the first page of a demo client's statement to ``docs/statement-page.png`` (and the
PDF beside it in a temporary folder), exactly as the Statements tab writes it.

    QT_QPA_PLATFORM=offscreen uv run python docs/render_statement_page.py

The demo fund as of 1 March 2026, the client with the most investments, the last three months;
a plain placeholder logo stands in for the one the settings name (``statements.logo_path``).
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from datetime import date
from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter

from fidus_desktop.demo.fund import build_demo_fund
from fidus_desktop.domain.funds import DEFAULT_PRODUCTS
from fidus_desktop.portfolio.loader import book_from_records
from fidus_desktop.services.statement_layout import layout_statement
from fidus_desktop.services.statements import build_statement
from ui.portfolio.statement_pdf import render_page, write_layout_pdf

AS_OF = date(2026, 3, 1)
OUT = Path(__file__).with_name("statement-page.png")


def placeholder_logo() -> QImage:
    image = QImage(100, 100, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor("#1f4e79"))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(QRectF(0, 0, 100, 100), 18, 18)
    font = QFont("DejaVu Sans", 44)
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(QRectF(0, 0, 100, 100), Qt.AlignmentFlag.AlignCenter, "F")
    painter.end()
    return image


def main() -> int:
    app = QGuiApplication(sys.argv)  # noqa: F841 (fonts need it)
    fund = build_demo_fund(7, AS_OF)
    book = book_from_records(DEFAULT_PRODUCTS, fund["investments"], fund["clients"], fund["mt5_accounts"],
                             fund["activity"], AS_OF, commissions=fund["commissions"])
    client_id, _ = Counter(i.client_id for i in fund["investments"]).most_common(1)[0]
    person = next(c for c in fund["clients"] if c.client_id == client_id)
    statement = build_statement(book, client_id, date(2025, 12, 1), date(2026, 2, 28), "FIDUS Investment Management",
                                client_email=person.email, client_phone=person.phone)
    logo = placeholder_logo()
    layout = layout_statement(statement, logo_aspect=logo.width() / logo.height())
    render_page(layout, 0, dpi=110, logo=logo).save(str(OUT))
    pdf = Path(tempfile.mkdtemp()) / "statement.pdf"
    write_layout_pdf(layout, pdf, logo)
    print(f"{OUT} ({len(layout.pages)} page(s); PDF: {pdf})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
