"""The CRM's small dialogs: merge views (theirs / mine, and two duplicates), duplicates found,
the KYC decision, a new client, a deletion's confirmation, a filter's name. Each opens
non-modally and emits what the manager chose; a failed save keeps the dialog and its input."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QButtonGroup, QComboBox, QDialog, QDialogButtonBox, QGridLayout, QLabel, QLineEdit,
                               QListWidget, QPlainTextEdit, QPushButton, QRadioButton, QVBoxLayout, QWidget)

from fidus_desktop.crm.clients import ClientDraft
from fidus_desktop.crm.duplicates import Duplicate
from fidus_desktop.crm.merge import FieldConflict
from fidus_desktop.domain.people import KycStatus
from fidus_desktop.domain.prospects import FIELD_LABELS, Stage

from .style import message_label
from ..widgets.form_dialog import FormDialog
from ..widgets.format import local_moment, money


def show_value(value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, datetime):
        return local_moment(value)
    if isinstance(value, Stage):
        return value.label
    if isinstance(value, KycStatus):
        return value.value.replace("_", " ")
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    return text if len(text) <= 120 else text[:120] + "…"


class _ChoiceDialog(QDialog):
    """A grid of fields with two radio buttons each; emits ``{field: side}``."""

    chosen = Signal(object)

    def __init__(self, title: str, intro: str, rows: Sequence[tuple[str, str, Any, Any]], sides: tuple[str, str],
                 headings: tuple[str, str], default: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(620)
        layout = QVBoxLayout(self)
        label = QLabel(intro, self)
        label.setWordWrap(True)
        layout.addWidget(label)
        grid = QGridLayout()
        grid.addWidget(QLabel("<b>Field</b>", self), 0, 0)
        grid.addWidget(QLabel(f"<b>{headings[0]}</b>", self), 0, 1)
        grid.addWidget(QLabel(f"<b>{headings[1]}</b>", self), 0, 2)
        self.groups: dict[str, QButtonGroup] = {}
        self.buttons_by_field: dict[str, dict[str, QRadioButton]] = {}
        for row, (name, label_text, left, right) in enumerate(rows, start=1):
            grid.addWidget(QLabel(label_text, self), row, 0)
            group = QButtonGroup(self)
            radios = {}
            for column, (side, value) in enumerate(zip(sides, (left, right), strict=True), start=1):
                radio = QRadioButton(show_value(value), self)
                radio.setToolTip(str(value))
                group.addButton(radio)
                grid.addWidget(radio, row, column)
                radios[side] = radio
            radios[default].setChecked(True)
            self.groups[name] = group
            self.buttons_by_field[name] = radios
        layout.addLayout(grid)
        self.error = message_label(self)
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel,
                                        parent=self)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def choices(self) -> dict[str, str]:
        return {name: next(side for side, radio in radios.items() if radio.isChecked())
                for name, radios in self.buttons_by_field.items()}

    def pick(self, name: str, side: str) -> None:
        self.buttons_by_field[name][side].setChecked(True)

    def _submit(self) -> None:
        self.buttons.setEnabled(False)
        self.chosen.emit(self.choices())

    def show_failure(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.error.setText(getattr(exc, "message", None) or str(exc) or type(exc).__name__)
        self.error.show()


class ConflictDialog(_ChoiceDialog):
    """Somebody changed the record while the manager edited it: pick theirs or mine per field."""

    def __init__(self, conflicts: Sequence[FieldConflict], name: str, parent: QWidget | None = None) -> None:
        rows = [(c.name, c.label, c.theirs, c.mine) for c in conflicts]
        super().__init__("Changed by someone else", f"{name} was changed elsewhere (the web platform or another "
                         "window) while you were editing. For each field both of you changed, keep their value or "
                         "yours; everything else you changed is saved as you typed it.", rows, ("theirs", "mine"),
                         ("Theirs (saved now)", "Mine (typed)"), "mine", parent)


class MergeDialog(_ChoiceDialog):
    """Two duplicate records: pick each field's value; the second is merged into the first."""

    def __init__(self, fields: Sequence[str], keep: Any, other: Any, parent: QWidget | None = None) -> None:
        rows = [(n, FIELD_LABELS.get(n, n.replace("_", " ").capitalize()), getattr(keep, n), getattr(other, n))
                for n in fields if getattr(keep, n) != getattr(other, n)]
        super().__init__("Merge duplicates", f"Merge {other.name} into {keep.name}. For each field that differs, pick "
                         "the value to keep. Both timelines are kept on the merged record.", rows, ("keep", "other"),
                         (keep.name, other.name), "keep", parent)
        self.keep, self.other = keep, other


class DuplicatesDialog(QDialog):
    """Duplicates found before saving: save anyway, merge with one of them, or go back."""

    save_anyway = Signal()
    merge_with = Signal(object)  # Duplicate

    def __init__(self, duplicates: Sequence[Duplicate], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Possible duplicate")
        self.duplicates = list(duplicates)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("These records share the e-mail or phone:", self))
        self.list = QListWidget(self)
        for d in self.duplicates:
            self.list.addItem(d.describe())
        self.list.setCurrentRow(0)
        layout.addWidget(self.list)
        self.buttons = QDialogButtonBox(parent=self)
        self.save = self.buttons.addButton("Save anyway", QDialogButtonBox.ButtonRole.AcceptRole)
        self.merge = self.buttons.addButton("Merge with selected…", QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.save.clicked.connect(lambda: (self.accept(), self.save_anyway.emit()))
        self.merge.clicked.connect(self._merge)
        self.buttons.rejected.connect(self.reject)
        self.merge.setEnabled(any(d.party.kind in ("prospect", "client") for d in self.duplicates))
        layout.addWidget(self.buttons)

    def _merge(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.duplicates):
            self.accept()
            self.merge_with.emit(self.duplicates[row])


class KycDialog(FormDialog):
    """Record the AML/KYC decision (the original's UI had no working approval)."""

    def __init__(self, name: str, current: KycStatus, parent: QWidget | None = None) -> None:
        super().__init__(f"AML/KYC decision: {name}", parent)
        self.status = QComboBox(self)
        for status in KycStatus:
            self.status.addItem(status.value.replace("_", " "), status)
        self.status.setCurrentIndex(max(0, self.status.findData(current)))
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText("what was checked (kept in the timeline)")
        self.fields = {"aml_kyc_status": self.status, "reason": self.reason}
        self.form.addRow("Decision", self.status)
        self.form.addRow("Reason", self.reason)

    def payload(self) -> tuple[KycStatus, str]:
        return KycStatus(self.status.currentData()), self.reason.text()


class ClientDialog(FormDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("New client", parent)
        self.name, self.email, self.phone = QLineEdit(self), QLineEdit(self), QLineEdit(self)
        self.phone.setPlaceholderText("+1 305 555 0100")
        self.notes = QPlainTextEdit(self)
        self.notes.setMaximumHeight(80)
        self.fields = {"name": self.name, "email": self.email, "phone": self.phone, "notes": self.notes}
        for label, widget in (("Name", self.name), ("E-mail", self.email), ("Phone", self.phone),
                              ("Notes", self.notes)):
            self.form.addRow(label, widget)

    def payload(self) -> ClientDraft:
        return ClientDraft(self.name.text(), self.email.text(), self.phone.text(), self.notes.toPlainText())


class ConfirmDeleteDialog(FormDialog):
    """A deletion is confirmed by typing the record's name (never by an Enter key by mistake)."""

    def __init__(self, name: str, what: str, parent: QWidget | None = None) -> None:
        super().__init__(f"Delete {what}", parent)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText("Delete")
        self.confirm = QLineEdit(self)
        self.confirm.setPlaceholderText(name)
        self.fields = {"confirm": self.confirm}
        note = QLabel(f"This deletes {what} <b>{name}</b> from the database. The audit trail keeps a record of it. "
                      "Type the name to confirm.", self)
        note.setWordWrap(True)
        self.form.addRow(note)
        self.form.addRow("Name", self.confirm)

    def payload(self) -> str:
        return self.confirm.text()


class NameDialog(FormDialog):
    def __init__(self, title: str, label: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.name = QLineEdit(self)
        self.fields = {"name": self.name}
        self.form.addRow(label, self.name)

    def payload(self) -> str:
        from fidus_desktop.errors import ValidationError

        name = self.name.text().strip()
        if not name or len(name) > 80:
            raise ValidationError("Give a name (up to 80 characters).", {"name": "A name of 1 to 80 characters."})
        return name


def more_button(text: str, parent: QWidget) -> QPushButton:
    button = QPushButton(text, parent)
    button.setFlat(True)
    return button
