"""Ctrl+K: every action of the window and its panels in one filterable list."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget


@dataclass(frozen=True, slots=True)
class PaletteAction:
    label: str
    run: Callable[[], object]
    shortcut: str = ""


def matches(action: PaletteAction, text: str) -> bool:
    """Every word typed appears in the label, in any order ("crm go" finds "Go to CRM")."""
    label = action.label.casefold()
    return all(word in label for word in text.casefold().split())


class CommandPalette(QDialog):
    def __init__(self, actions: list[PaletteAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("commandPalette")
        self.setWindowTitle("Command palette")
        self.setMinimumWidth(460)
        self._actions = actions
        layout = QVBoxLayout(self)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Type a command…")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget(self)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        self.search.textChanged.connect(self._refill)
        self.search.returnPressed.connect(self.trigger_current)
        self.list.itemActivated.connect(lambda _item: self.trigger_current())
        self.search.installEventFilter(self)
        self._refill("")

    def _refill(self, text: str) -> None:
        self.list.clear()
        for action in self._actions:
            if matches(action, text):
                label = f"{action.label}\t{action.shortcut}" if action.shortcut else action.label
                item = QListWidgetItem(label, self.list)
                item.setData(Qt.ItemDataRole.UserRole, action)
        if self.list.count():
            self.list.setCurrentRow(0)

    def visible_labels(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole).label for i in range(self.list.count())]

    def trigger_current(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        action: PaletteAction = item.data(Qt.ItemDataRole.UserRole)
        self.accept()
        action.run()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt naming)
        # Up/Down in the search box move through the list, so the hands stay on the keyboard.
        if watched is self.search and isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress:
            if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                step = 1 if event.key() == Qt.Key.Key_Down else -1
                row = max(0, min(self.list.count() - 1, self.list.currentRow() + step))
                self.list.setCurrentRow(row)
                return True
        return super().eventFilter(watched, event)
