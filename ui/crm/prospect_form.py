"""The editable fields of a prospect: what the manager types, kept as typed; the reasons the core
gives for a refused value are shown next to the field. No rule lives here."""

from __future__ import annotations

from datetime import UTC, datetime, time

from PySide6.QtCore import QDateTime, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDateTimeEdit, QFormLayout, QHBoxLayout, QLineEdit,
                               QPlainTextEdit, QWidget)

from fidus_desktop.crm.prospects import ProspectDraft
from fidus_desktop.domain.people import KycStatus
from fidus_desktop.domain.prospects import Stage

from .style import FieldMarks

#: Draft fields in the order of the form.
FIELDS = ("name", "email", "phone", "stage", "source", "owner", "estimated_value", "next_action",
          "next_action_due", "notes")


def _money_text(value: object) -> str:
    return "" if value in (None, "") else f"{value:.2f}" if not isinstance(value, str) else value


class ProspectForm(QWidget):
    #: Any field changed by the manager (the pane tracks what is being edited).
    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name, self.email, self.phone = QLineEdit(self), QLineEdit(self), QLineEdit(self)
        self.phone.setPlaceholderText("+1 305 555 0100")
        self.stage = QComboBox(self)
        for stage in Stage:
            self.stage.addItem(stage.label, stage)
        self.source, self.owner, self.value = QLineEdit(self), QLineEdit(self), QLineEdit(self)
        self.value.setPlaceholderText("e.g. 250000 or 250,000.00")
        self.next_action = QLineEdit(self)
        self.next_action.setPlaceholderText("e.g. Call back about the BALANCE fund")
        due_row = QWidget(self)
        self.has_due = QCheckBox("Due", due_row)
        self.due = QDateTimeEdit(due_row)
        self.due.setCalendarPopup(True)
        self.due.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.remind = QCheckBox("Remind me", due_row)
        self.notes = QPlainTextEdit(self)
        self.notes.setMaximumHeight(90)
        row = QHBoxLayout(due_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.has_due)
        row.addWidget(self.due, 1)
        row.addWidget(self.remind)
        self.widgets: dict[str, QWidget] = {
            "name": self.name, "email": self.email, "phone": self.phone, "stage": self.stage, "source": self.source,
            "owner": self.owner, "estimated_value": self.value, "next_action": self.next_action,
            "next_action_due": self.due, "remind": self.remind, "notes": self.notes}
        self.marks = FieldMarks(self.widgets)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        for label, widget in (("Name", self.name), ("E-mail", self.email), ("Phone", self.phone),
                              ("Stage", self.stage), ("Source", self.source), ("Owner", self.owner),
                              ("Prospective value", self.value), ("Next action", self.next_action),
                              ("", due_row), ("Notes", self.notes)):
            form.addRow(label, widget)
        for edit in (self.name, self.email, self.phone, self.source, self.owner, self.value, self.next_action):
            edit.textEdited.connect(lambda _t: self.edited.emit())
        self.notes.textChanged.connect(self._notes_changed)
        self.stage.activated.connect(lambda _i: self.edited.emit())
        for box in (self.has_due, self.remind):
            box.clicked.connect(lambda _c: (self._due_enabled(), self.edited.emit()))
        self.due.dateTimeChanged.connect(lambda _d: self.edited.emit() if not self._loading else None)
        self._loading = False
        self.kyc = KycStatus.PENDING
        self._due_enabled()

    def _notes_changed(self) -> None:
        if not self._loading:
            self.edited.emit()

    def _due_enabled(self) -> None:
        self.due.setEnabled(self.has_due.isChecked())
        self.remind.setEnabled(self.has_due.isChecked())

    # ---- in and out ---------------------------------------------------------------------------------

    def load(self, draft: ProspectDraft) -> None:
        self._loading = True
        try:
            self.name.setText(draft.name)
            self.email.setText(draft.email)
            self.phone.setText(draft.phone)
            self.stage.setCurrentIndex(max(0, self.stage.findData(draft.stage)))
            self.source.setText(draft.source)
            self.owner.setText(draft.owner)
            self.value.setText(_money_text(draft.estimated_value))
            self.next_action.setText(draft.next_action)
            self.has_due.setChecked(draft.next_action_due is not None)
            moment = draft.next_action_due or datetime.combine(datetime.now().date(), time(9)).astimezone(UTC)
            self.due.setDateTime(QDateTime.fromSecsSinceEpoch(int(moment.timestamp())))
            self.remind.setChecked(draft.remind)
            self.notes.setPlainText(draft.notes)
            self.kyc = draft.kyc
            self._due_enabled()
        finally:
            self._loading = False
        self.clear_problems()

    def set_field(self, name: str, draft: ProspectDraft) -> None:
        """Show another writer's value of one field the manager is not editing."""
        self._loading = True
        try:
            if name == "stage":
                self.stage.setCurrentIndex(max(0, self.stage.findData(draft.stage)))
            elif name == "estimated_value":
                self.value.setText(_money_text(draft.estimated_value))
            elif name == "notes":
                self.notes.setPlainText(draft.notes)
            elif name in ("next_action_due", "remind"):
                self.has_due.setChecked(draft.next_action_due is not None)
                if draft.next_action_due is not None:
                    self.due.setDateTime(QDateTime.fromSecsSinceEpoch(int(draft.next_action_due.timestamp())))
                self.remind.setChecked(draft.remind)
                self._due_enabled()
            elif name == "aml_kyc_status":
                self.kyc = draft.kyc
            elif isinstance(self.widgets.get(name), QLineEdit):
                self.widgets[name].setText(getattr(draft, name))  # type: ignore[attr-defined]
        finally:
            self._loading = False

    def draft(self) -> ProspectDraft:
        due = None
        if self.has_due.isChecked():
            due = datetime.fromtimestamp(self.due.dateTime().toSecsSinceEpoch(), UTC)
        return ProspectDraft(name=self.name.text(), email=self.email.text(), phone=self.phone.text(),
                             stage=Stage(self.stage.currentData()), source=self.source.text(), owner=self.owner.text(),
                             estimated_value=self.value.text(), notes=self.notes.toPlainText(),
                             next_action=self.next_action.text(), next_action_due=due,
                             remind=self.remind.isChecked() and due is not None, kyc=self.kyc)

    def show_problems(self, fields: dict[str, str]) -> None:
        self.marks.show(fields)

    def clear_problems(self) -> None:
        self.marks.clear()

    def set_read_only(self, read_only: bool) -> None:
        for widget in self.widgets.values():
            widget.setEnabled(not read_only)
        self.has_due.setEnabled(not read_only)
        if not read_only:
            self._due_enabled()
