"""Client statements drawn with Qt: a PDF with QPdfWriter (no extra dependency), or a page as an
image for the preview and the documentation.

The layout is :func:`fidus_desktop.services.statement_layout.layout_statement`, in points; here
it is only drawn, at the device's resolution, with fonts set in points (so 9 pt on paper is
9 pt), text the PDF keeps as text (searchable, extractable, readable aloud). Safe to call from a
worker lane: it paints on a ``QPdfWriter`` or a ``QImage``, never on a widget.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import (QColor, QFont, QFontMetricsF, QImage, QImageReader, QPageLayout, QPageSize, QPainter,
                           QPaintDevice, QPdfWriter, QPen)

from fidus_desktop.services.statement_layout import Box, Logo, Rule, StatementLayout, Text, layout_statement
from fidus_desktop.services.statements import Statement

RESOLUTION_DPI = 1200
#: Sans-serif faces in order of preference: Windows, macOS, Linux.
FONT_FAMILIES = ["Segoe UI", "Arial", "Helvetica", "DejaVu Sans", "Liberation Sans"]
#: A logo larger than this (pixels, or bytes on disk) is not read: a statement is no place for it.
LOGO_MAX_PIXELS = 40_000_000
LOGO_MAX_BYTES = 20 * 1024 * 1024


def read_logo(path: str) -> tuple[QImage | None, str]:
    """The logo at ``path``, or ``None`` and why (missing, unreadable, too large)."""
    if not path:
        return None, ""
    file = Path(path).expanduser()
    try:
        size = file.stat().st_size
    except OSError:
        return None, f"The logo {file.name} could not be found; the statements have none."
    if size > LOGO_MAX_BYTES:
        return None, f"The logo {file.name} is over 20 MB; the statements have none."
    reader = QImageReader(str(file))
    dims = reader.size()
    if not dims.isValid() or dims.width() * dims.height() > LOGO_MAX_PIXELS:
        return None, f"The logo {file.name} is not an image Qt can read at a sane size; the statements have none."
    if dims.width() > 1600:  # enough for a 110 pt wide logo at 1,000 dpi and more
        reader.setScaledSize(QSize(1600, max(1, round(dims.height() * 1600 / dims.width()))))
    image = reader.read()
    if image.isNull():
        return None, f"The logo {file.name} could not be read ({reader.errorString()}); the statements have none."
    return image, ""


def _font(size: float, bold: bool) -> QFont:
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setStyleHint(QFont.StyleHint.SansSerif)
    font.setPointSizeF(size)
    font.setBold(bold)
    font.setKerning(True)
    return font


def paint_page(painter: QPainter, device: QPaintDevice, layout: StatementLayout, index: int, dpi: float,
               logo: QImage | None = None) -> None:
    """Draw page ``index`` of ``layout`` with ``painter`` on ``device`` (``dpi``: its resolution)."""
    k = dpi / 72.0
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    metrics: dict[tuple[float, bool], tuple[QFont, QFontMetricsF]] = {}
    for item in layout.pages[index].items:
        if isinstance(item, Box):
            rect = QRectF(item.x * k, item.y * k, item.w * k, item.h * k)
            if item.fill:
                painter.fillRect(rect, QColor(item.fill))
            if item.stroke:
                painter.setPen(QPen(QColor(item.stroke), 0.6 * k))
                painter.drawRect(rect)
        elif isinstance(item, Rule):
            painter.setPen(QPen(QColor(item.color), item.width * k))
            painter.drawLine(QPointF(item.x1 * k, item.y1 * k), QPointF(item.x2 * k, item.y2 * k))
        elif isinstance(item, Logo):
            if logo is not None and not logo.isNull():
                box = QSizeF(item.w * k, item.h * k)
                fitted = QSizeF(logo.size()).scaled(box, Qt.AspectRatioMode.KeepAspectRatio)
                painter.drawImage(QRectF(item.x * k, item.y * k, fitted.width(), fitted.height()), logo)
        elif isinstance(item, Text):
            key = (item.size, item.bold)
            if key not in metrics:
                font = _font(item.size, item.bold)
                metrics[key] = (font, QFontMetricsF(font, device))
            font, fm = metrics[key]
            painter.setFont(font)
            painter.setPen(QColor(item.color))
            _draw_text(painter, fm, item, k)


def _draw_text(painter: QPainter, fm: QFontMetricsF, item: Text, k: float) -> None:
    text = item.text
    room = item.width * k
    if room and fm.horizontalAdvance(text) > room:
        text = fm.elidedText(text, Qt.TextElideMode.ElideRight, room)
    x, y = item.x * k, item.y * k
    if item.align == "decimal":  # one run (copied and read aloud whole), its point at x
        point = text.rfind(".")
        painter.drawText(QPointF(x - fm.horizontalAdvance(text[:point] if point >= 0 else text), y), text)
        return
    if item.align == "right":
        x -= fm.horizontalAdvance(text)
    elif item.align == "center":
        x -= fm.horizontalAdvance(text) / 2
    painter.drawText(QPointF(x, y), text)


def logo_aspect(logo: QImage | None) -> float | None:
    return logo.width() / logo.height() if logo is not None and not logo.isNull() and logo.height() else None


def layout_for(statement: Statement, paper: str, logo: QImage | None, note: str = "") -> StatementLayout:
    return layout_statement(statement, paper=paper, logo_aspect=logo_aspect(logo), note=note)


def write_layout_pdf(layout: StatementLayout, path: Path, logo: QImage | None = None) -> None:
    """Write ``layout`` to ``path`` as a PDF; never leaves a half-written file under that name."""
    tmp = path.with_name(path.name + ".part")
    writer = QPdfWriter(str(tmp))
    writer.setTitle(layout.title)
    writer.setCreator("FIDUS Desktop")
    writer.setResolution(RESOLUTION_DPI)
    writer.setPageLayout(QPageLayout(QPageSize(QSizeF(layout.width, layout.height), QPageSize.Unit.Point),
                                     QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0),
                                     QPageLayout.Unit.Point))
    painter = QPainter()
    if not painter.begin(writer):
        raise OSError(f"cannot write {path}")
    try:
        for index in range(len(layout.pages)):
            if index:
                writer.newPage()
            paint_page(painter, writer, layout, index, RESOLUTION_DPI, logo)
    finally:
        painter.end()
    del writer  # the PDF is finished when the writer goes away
    tmp.replace(path)


def write_statement_pdf(statement: Statement, path: Path, *, paper: str = "A4", logo: QImage | None = None,
                        note: str = "") -> None:
    """Write ``statement`` to ``path`` as a PDF on ``paper`` (``A4`` or ``Letter``)."""
    write_layout_pdf(layout_for(statement, paper, logo, note), path, logo)


def render_page(layout: StatementLayout, index: int = 0, *, dpi: float = 110,
                logo: QImage | None = None) -> QImage:
    """Page ``index`` as an image (the preview, and the picture in the documentation)."""
    k = dpi / 72.0
    image = QImage(round(layout.width * k), round(layout.height * k), QImage.Format.Format_RGB32)
    dots_per_metre = round(dpi / 0.0254)
    image.setDotsPerMeterX(dots_per_metre)
    image.setDotsPerMeterY(dots_per_metre)
    image.fill(QColor("white"))
    painter = QPainter(image)
    try:
        paint_page(painter, image, layout, index, dpi, logo)
    finally:
        painter.end()
    return image
