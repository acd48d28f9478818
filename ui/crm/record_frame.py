"""What a CRM record pane is made of, for prospects and clients alike: the record's heading and
message over its fields (scrolling), and its timeline below, the two parts split by a handle the
manager can drag."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QScrollArea, QSplitter, QVBoxLayout, QWidget

from .style import message_label
from .timeline_view import TimelineView


class RecordFrame(QWidget):
    note_submitted = Signal(str)
    more_timeline = Signal()
    open_panel = Signal(str)  # "portfolio" / "mt5"

    def __init__(self, empty_title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Top-down, every widget in its final parent (see ui/crm/panel.py).
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 0, 0)
        split = QSplitter(Qt.Orientation.Vertical, self)
        layout.addWidget(split)
        scroll = QScrollArea(split)
        scroll.setWidgetResizable(True)
        split.addWidget(scroll)
        #: The record's part: subclasses add their fields to ``column``, parented to ``top``.
        self.top = QWidget(scroll.viewport())
        scroll.setWidget(self.top)
        self.column = QVBoxLayout(self.top)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel(empty_title, self.top)
        self.title.setObjectName("panelHeading")
        self.title.setWordWrap(True)
        self.message = message_label(self.top)
        self.column.addWidget(self.title)
        self.column.addWidget(self.message)
        self.timeline = TimelineView(split)
        split.addWidget(self.timeline)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.timeline.note_submitted.connect(self.note_submitted)
        self.timeline.more_requested.connect(self.more_timeline)
