"""The base of the portfolio's edit dialogs.

A dialog never closes on a failed save: the input stays as typed and the reason is shown next to
the field the rule names (``ValidationError.fields``) or at the top (conflicts, offline database).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from fidus_desktop.errors import ConflictError, FidusError, ValidationError

from ..errors import ErrorReport, report_error

ERROR_STYLE = "border: 1px solid #B00020;"


class FormDialog(QDialog):
    """Emits ``submitted(payload)``; the owner saves, then calls ``accept()`` or ``show_failure(exc)``."""

    submitted = Signal(object)

    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        self.layout_ = QVBoxLayout(self)
        self.error = QLabel("", self)
        self.error.setObjectName("formError")
        self.error.setStyleSheet("color: #B00020")
        self.error.setWordWrap(True)
        self.error.hide()
        self.layout_.addWidget(self.error)
        self.form = QFormLayout()
        self.layout_.addLayout(self.form)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel,
                                        parent=self)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        self.layout_.addWidget(self.buttons)
        self.fields: dict[str, QWidget] = {}

    def _submit(self) -> None:
        self._clear_errors()
        try:
            payload = self.payload()
        except ValidationError as exc:
            self.show_failure(exc)
            return
        self.buttons.setEnabled(False)
        self.error.setText("Saving…")
        self.error.setStyleSheet("color: #555")
        self.error.show()
        self.submitted.emit(payload)

    def payload(self) -> object:
        raise NotImplementedError

    def _clear_errors(self) -> None:
        self.error.hide()
        for widget in self.fields.values():
            widget.setStyleSheet("")
            widget.setToolTip("")

    def show_failure(self, exc: BaseException) -> None:
        """The save failed: keep everything as typed and say why."""
        self.buttons.setEnabled(True)
        self.error.setStyleSheet("color: #B00020")
        if isinstance(exc, ValidationError):
            lines = []
            for name, reason in exc.fields.items():
                widget = self.fields.get(name)
                if widget is not None:
                    widget.setStyleSheet(ERROR_STYLE)
                    widget.setToolTip(reason)
                lines.append(reason)
            text = "\n".join(lines) or str(exc)
        elif isinstance(exc, ConflictError):
            text = f"{exc} Close this dialog and open the record again to see the current values."
        elif isinstance(exc, FidusError):
            text = exc.message
        else:
            # A bug, not a refusal: through the one error path (logged with its traceback,
            # redacted), and said here so the input stays on screen beside it.
            reports: list[ErrorReport] = []
            report_error(exc, self.windowTitle(), reports.append)
            text = (reports[0].message if reports else "Unexpected error.") + " Nothing was saved; the details are in the log."
        self.error.setText(text)
        self.error.show()
