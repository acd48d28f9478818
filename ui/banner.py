"""Inline messages above the panels: errors from background work and one-time startup notices.

Inline rather than modal so a failure never blocks the window, and several can be read at once.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from .errors import ErrorReport, Level, copy_to_clipboard

#: Older rows are dropped beyond this, so a burst of failures cannot push the panel away.
MAX_ROWS = 4


class BannerRow(QFrame):
    def __init__(self, level: Level, text: str, detail: str, parent: QWidget | None = None,
                 action: tuple[str, Callable[[], object]] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setProperty("level", level)  # styled per level by the QSS theme
        self.text = text
        self.detail = detail
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 6, 6)
        label = QLabel(text, self)
        label.setWordWrap(True)
        label.setObjectName("bannerText")
        layout.addWidget(label, 1)
        if action is not None:
            button = QPushButton(action[0], self)
            button.setObjectName("bannerButton")
            button.clicked.connect(lambda: action[1]())
            layout.addWidget(button)
        if detail:
            copy = QPushButton("Copy details", self)
            copy.setObjectName("bannerButton")
            copy.clicked.connect(lambda: copy_to_clipboard(self.detail))
            layout.addWidget(copy)
        dismiss = QPushButton("Dismiss", self)
        dismiss.setObjectName("bannerButton")
        dismiss.clicked.connect(self.dismiss)
        layout.addWidget(dismiss)

    def dismiss(self) -> None:
        self.hide()
        self.deleteLater()


class BannerArea(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(1)
        self._rows: list[BannerRow] = []

    def show_report(self, report: ErrorReport) -> BannerRow:
        text = report.message if report.unexpected else f"{report.title}: {report.message}"
        return self.show_message(text, level=report.level, detail=report.detail)

    def show_message(self, text: str, *, level: Level = "info", detail: str = "",
                     action: tuple[str, Callable[[], object]] | None = None) -> BannerRow:
        """``action``: a button (label, what it does) beside the text."""
        row = BannerRow(level, text, detail, self, action)
        row.destroyed.connect(lambda _=None, r=row: self._forget(r))
        self._rows.append(row)
        self._layout.addWidget(row)
        while len(self.rows()) > MAX_ROWS:
            self.rows()[0].dismiss()
        return row

    def _forget(self, row: BannerRow) -> None:
        if row in self._rows:
            self._rows.remove(row)

    def rows(self) -> list[BannerRow]:
        """Rows still shown (newest last)."""
        return [r for r in self._rows if not r.isHidden()]

    def messages(self) -> list[str]:
        return [r.text for r in self.rows()]
