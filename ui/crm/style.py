"""Messages and field marks of the CRM's widgets, through the app's style sheet.

A widget's own ``setStyleSheet`` makes Qt re-polish it against the whole application sheet,
which costs milliseconds per call: colours are named by object name and property instead
(``QLabel#crmError[level=...]`` in ``resources/style/light.qss``), and only what changes is
touched."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from ..widgets.form_dialog import ERROR_STYLE


def message_label(parent: QWidget) -> QLabel:
    label = QLabel("", parent)
    label.setObjectName("crmError")
    label.setWordWrap(True)
    label.hide()
    return label


def show_message(label: QLabel, text: str, *, error: bool = True) -> None:
    label.setText(text)
    level = "error" if error else "ok"
    if label.property("level") != level:
        label.setProperty("level", level)
        label.style().unpolish(label)
        label.style().polish(label)
    label.setVisible(bool(text))


class FieldMarks:
    """Marks fields refused by a rule (a red border and the reason as tooltip)."""

    def __init__(self, widgets: dict[str, QWidget]) -> None:
        self.widgets = widgets
        self._marked: set[str] = set()

    def show(self, fields: dict[str, str]) -> None:
        self.clear()
        for name, reason in fields.items():
            widget = self.widgets.get(name)
            if widget is not None:
                widget.setStyleSheet(ERROR_STYLE)
                widget.setToolTip(reason)
                self._marked.add(name)

    def clear(self) -> None:
        for name in self._marked:
            widget = self.widgets[name]
            widget.setStyleSheet("")
            widget.setToolTip("")
        self._marked.clear()
