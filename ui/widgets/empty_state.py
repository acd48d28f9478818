"""A centred message for a panel with nothing (yet) to show, optionally with one action."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class EmptyState(QWidget):
    def __init__(self, title: str = "", text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        # Wrapped labels only get a correct height from a layout that hands them a width: a
        # capped-width column between stretches, rather than centre-aligned labels.
        column = QWidget(self)
        column.setMaximumWidth(640)
        inner = QVBoxLayout(column)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.setSpacing(8)
        self.title = QLabel(title, column)
        self.title.setObjectName("emptyTitle")
        self.text = QLabel(text, column)
        self.text.setObjectName("emptyText")
        self.note = QLabel("", column)
        self.note.setObjectName("emptyNote")
        self.note.hide()
        for label in (self.title, self.text, self.note):
            label.setWordWrap(True)
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            inner.addWidget(label)
        self.button = QPushButton(column)
        self.button.setObjectName("emptyButton")
        self.button.hide()
        self._action: Callable[[], object] | None = None
        self.button.clicked.connect(self._clicked)
        inner.addSpacing(6)
        inner.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)

        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(column, 4)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 32, 32, 32)
        layout.addStretch(2)
        layout.addLayout(row)
        layout.addStretch(3)

    def set_content(self, title: str, text: str, *, note: str = "",
                    button: tuple[str, Callable[[], object]] | None = None) -> None:
        self.title.setText(title)
        self.text.setText(text)
        self.set_note(note)
        self._action = button[1] if button else None
        self.button.setText(button[0] if button else "")
        self.button.setVisible(button is not None)

    def set_note(self, note: str) -> None:
        self.note.setText(note)
        self.note.setVisible(bool(note))

    def _clicked(self) -> None:
        if self._action is not None:
            self._action()
