"""A person's timeline, newest first, a page at a time; a note box; an entry opens its detail."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from fidus_desktop.crm.timeline import TimelineItem, TimelinePage
from fidus_desktop.timeline import links_of

from ..widgets.format import local_moment
from ..widgets.table_model import Column, KeyedTableModel, list_data, table_view

COLUMNS = (
    Column("When", lambda i: local_moment(i.at)),
    Column("Who", lambda i: i.actor),
    Column("What", lambda i: i.label),
    Column("Summary", lambda i: i.summary),
)


class TimelineView(QWidget):
    more_requested = Signal()
    note_submitted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.items: list[TimelineItem] = []
        self.model = KeyedTableModel(COLUMNS, None, self)
        self.view = table_view(self, self.model, sort_column=None)
        self.view.horizontalHeader().setSortIndicatorShown(False)
        self.view.doubleClicked.connect(lambda index: self.open_detail(index.row()))
        self.note = QLineEdit(self)
        self.note.setPlaceholderText("Add a note to the timeline…")
        self.add = QPushButton("Add note", self)
        self.more = QPushButton("Show older", self)
        self.more.hide()
        self.state = QLabel("", self)
        self.state.setWordWrap(True)
        note_row = QHBoxLayout()
        note_row.addWidget(self.note, 1)
        note_row.addWidget(self.add)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(note_row)
        layout.addWidget(self.state)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.more)
        self.add.clicked.connect(self._submit)
        self.note.returnPressed.connect(self._submit)
        self.more.clicked.connect(self.more_requested)
        self._dialog: QDialog | None = None

    def _submit(self) -> None:
        if self.note.text().strip():
            self.note_submitted.emit(self.note.text())

    def note_saved(self) -> None:
        self.note.clear()
        self.state.setText("")

    def note_failed(self, reason: str) -> None:
        self.state.setText(reason)  # the note stays in the box, to try again

    def show_page(self, page: TimelinePage) -> None:
        self.items = list(page.items) if page.offset == 0 else self.items + list(page.items)
        self.model.set_data(list_data(self.items))
        self.more.setVisible(page.more)
        if not self.items:
            self.state.setText("Nothing on this timeline yet.")
        elif self.state.text() == "Nothing on this timeline yet.":
            self.state.setText("")

    def clear(self) -> None:
        self.items = []
        self.model.set_data(list_data([]))
        self.more.hide()

    def open_detail(self, position: int) -> QDialog | None:
        if not 0 <= position < len(self.items):
            return None
        item = self.items[position]
        dialog = QDialog(self)
        dialog.setWindowTitle(f"{item.label}: {local_moment(item.at)}")
        dialog.resize(520, 360)
        body = QTextBrowser(dialog)
        body.setOpenExternalLinks(True)  # only the https links the entry carries (Gmail, Meet, Drive)
        body.setHtml(_detail_html(item))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, parent=dialog)
        buttons.rejected.connect(dialog.close)
        layout = QVBoxLayout(dialog)
        layout.addWidget(body)
        layout.addWidget(buttons)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._dialog = dialog
        dialog.open()
        return dialog


def _detail_html(item: TimelineItem) -> str:
    lines = [f"<p><b>{html.escape(item.summary)}</b></p>",
             f"<p>{html.escape(local_moment(item.at))} by {html.escape(item.actor or 'unknown')}</p>"]
    details: dict[str, Any] = {k: v for k, v in item.details.items() if k not in ("op_id", "operation")}
    text = details.pop("text", None)
    if text:
        lines.append(f"<pre>{html.escape(str(text))}</pre>")
    links = links_of(details)  # https only, from the entry itself (Gmail, Meet, Drive)
    details.pop("links", None)
    if links:
        lines.append("<p>" + " &middot; ".join(f'<a href="{html.escape(link.url, quote=True)}">'
                                               f"{html.escape(link.label)}</a>" for link in links) + "</p>")
    changes = details.pop("changes", None)
    if isinstance(changes, dict):
        rows = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(_short(v.get('from')))}</td>"
                       f"<td>{html.escape(_short(v.get('to')))}</td></tr>"
                       for k, v in changes.items() if isinstance(v, dict))
        lines.append(f"<table border='1' cellpadding='3'><tr><th>Field</th><th>Before</th><th>After</th></tr>"
                     f"{rows}</table>")
    if details:
        lines.append(f"<pre>{html.escape(json.dumps(details, indent=2, default=str, ensure_ascii=False))}</pre>")
    return "".join(lines)


def _short(value: object) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 200 else text[:200] + "…"


def labels(items: Sequence[TimelineItem]) -> list[str]:
    return [f"{i.label}: {i.summary}" for i in items]
