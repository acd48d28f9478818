"""The ordered list of MT5 bridges: name, address and API key per row (the key entered hidden,
kept in the keyring), each with a Test button; rows move up and down (the first is the primary)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from fidus_desktop.config import BridgeEndpoint, describe

from .page import show_result, status_label


class BridgeRow(QWidget):
    def __init__(self, bridge: BridgeEndpoint, key_saved: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry = bridge.api_key_secret
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 4, 0, 4)
        self.name = QLineEdit(bridge.name, self)
        self.name.setPlaceholderText("Name (VPS 1)")
        self.name.setToolTip(describe(BridgeEndpoint, "name"))
        self.url = QLineEdit(bridge.url, self)
        self.url.setPlaceholderText("Address (https://vps1.example.net)")
        self.url.setToolTip(describe(BridgeEndpoint, "url"))
        self.key = QLineEdit(self)
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setPlaceholderText("API key saved: empty keeps it" if key_saved else "API key")
        self.key.setToolTip("The bridge's API key (fidus-bridge set-key on the VPS); kept in this computer's keyring.")
        self.test = QPushButton("Test", self)
        self.up = QPushButton("Up", self)
        self.down = QPushButton("Down", self)
        self.remove = QPushButton("Remove", self)
        for button, tip in ((self.up, "Try this bridge earlier (the first is the primary)"),
                            (self.down, "Try this bridge later")):
            button.setToolTip(tip)
        self.result = status_label(self)
        self.result.hide()
        grid.addWidget(self.name, 0, 0)
        grid.addWidget(self.url, 0, 1)
        grid.addWidget(self.key, 0, 2)
        buttons = QHBoxLayout()
        for button in (self.test, self.up, self.down, self.remove):
            buttons.addWidget(button)
        grid.addLayout(buttons, 0, 3)
        grid.addWidget(self.result, 1, 0, 1, 4)
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(1, 4)
        grid.setColumnStretch(2, 3)

    def values(self) -> tuple[str, str, str, str]:
        return self.name.text(), self.url.text(), self.entry, self.key.text()


class BridgeList(QWidget):
    changed = Signal()

    def __init__(self, test: Callable[[int, BridgeRow], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._test = test
        self.rows: list[BridgeRow] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.body = QVBoxLayout()
        outer.addLayout(self.body)
        self.problem = QLabel("", self)
        self.problem.setObjectName("settingProblem")
        self.problem.hide()
        outer.addWidget(self.problem)
        self.add_button = QPushButton("Add a bridge", self)
        self.add_button.setObjectName("addBridge")
        self.add_button.clicked.connect(lambda: self.add(BridgeEndpoint(), False))
        add_row = QHBoxLayout()
        add_row.addWidget(self.add_button)
        add_row.addStretch(1)
        outer.addLayout(add_row)

    def set_bridges(self, bridges: tuple[BridgeEndpoint, ...], saved: Callable[[str], bool]) -> None:
        for row in self.rows:
            row.deleteLater()
        self.rows = []
        for bridge in bridges:
            self.add(bridge, saved(bridge.api_key_secret))

    def add(self, bridge: BridgeEndpoint, key_saved: bool) -> BridgeRow:
        row = BridgeRow(bridge, key_saved, self)
        row.test.clicked.connect(lambda: self._test(self.rows.index(row), row))
        row.up.clicked.connect(lambda: self._move(row, -1))
        row.down.clicked.connect(lambda: self._move(row, +1))
        row.remove.clicked.connect(lambda: self._remove(row))
        self.rows.append(row)
        self.body.addWidget(row)
        self.changed.emit()
        return row

    def _move(self, row: BridgeRow, step: int) -> None:
        index = self.rows.index(row)
        target = index + step
        if not 0 <= target < len(self.rows):
            return
        self.rows[index], self.rows[target] = self.rows[target], self.rows[index]
        self.body.removeWidget(row)
        self.body.insertWidget(target, row)
        self.changed.emit()

    def _remove(self, row: BridgeRow) -> None:
        self.rows.remove(row)
        self.body.removeWidget(row)
        row.deleteLater()
        self.changed.emit()

    def values(self) -> list[tuple[str, str, str, str]]:
        return [row.values() for row in self.rows]

    def show_problems(self, problems: dict[str, str]) -> None:
        for i, row in enumerate(self.rows):
            reasons = [problems[k] for k in (f"mt5.bridges[{i}].name", f"mt5.bridges[{i}].url",
                                              f"mt5.bridges[{i}].api_key") if k in problems]
            if reasons:
                show_result(row.result, False, " ".join(reasons))
        overall = problems.get("mt5.bridges", "")
        self.problem.setText(overall)
        self.problem.setVisible(bool(overall))
