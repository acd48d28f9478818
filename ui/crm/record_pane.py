"""The record pane of a prospect (or portal lead): its fields, conversion, KYC decision, linked
investments and MT5 accounts, and its timeline.

What the manager types is never lost: a refused save keeps the edit with the reason; a change
made elsewhere to the open record fills in the fields the manager is not editing, and for a
field both changed the save opens the merge view instead of overwriting.
"""

from __future__ import annotations

import html
from dataclasses import fields as dataclass_fields
from decimal import Decimal

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from fidus_desktop.crm.leads import lead_draft
from fidus_desktop.crm.prospects import ProspectDraft, draft_of
from fidus_desktop.crm.records import ProspectRecord

from ..widgets.format import money
from .prospect_form import ProspectForm
from .style import show_message
from .record_frame import RecordFrame

#: Draft fields compared to tell what the manager is editing.
_COMPARED = tuple(f.name for f in dataclass_fields(ProspectDraft) if f.name != "origin")
_DRAFT_TO_RECORD = {"kyc": "aml_kyc_status"}


def changed_fields(a: ProspectDraft, b: ProspectDraft) -> set[str]:
    out = set()
    for name in _COMPARED:
        left, right = getattr(a, name), getattr(b, name)
        if name == "estimated_value":
            left, right = str(left or "").replace(",", ""), str(right or "").replace(",", "")
            try:
                left, right = Decimal(left or 0), Decimal(right or 0)
            except ArithmeticError:
                pass
        elif isinstance(left, str) and isinstance(right, str):
            left, right = left.strip(), right.strip()
        if left != right:
            out.add(_DRAFT_TO_RECORD.get(name, name))
    return out


class ProspectPane(RecordFrame):
    save_requested = Signal(object)  # ProspectDraft
    convert_requested = Signal()
    kyc_requested = Signal()
    delete_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Select a card or a row.", parent)
        self.record: ProspectRecord | None = None
        self.base: ProspectDraft | None = None
        top, column = self.top, self.column
        self.subtitle = QLabel("", top)
        self.subtitle.setWordWrap(True)
        column.insertWidget(1, self.subtitle)  # under the title, over the message
        self.form = ProspectForm(top)
        column.addWidget(self.form)
        buttons = QHBoxLayout()
        column.addLayout(buttons)
        self.save = QPushButton("Save", top)
        self.revert = QPushButton("Revert", top)
        self.kyc = QPushButton("AML/KYC decision…", top)
        self.convert = QPushButton("Convert to client", top)
        self.delete = QPushButton("Delete…", top)
        for button in (self.save, self.revert, self.kyc, self.convert, self.delete):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.blockers = QLabel("", top)
        self.blockers.setWordWrap(True)
        column.addWidget(self.blockers)
        self.links = QWidget(top)
        self.links_layout = QHBoxLayout(self.links)
        self.links_layout.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.links)
        self.save.clicked.connect(lambda: self.save_requested.emit(self.form.draft()))
        self.revert.clicked.connect(self.revert_edits)
        self.kyc.clicked.connect(self.kyc_requested)
        self.convert.clicked.connect(self.convert_requested)
        self.delete.clicked.connect(self.delete_requested)
        self.form.edited.connect(self._edited)
        self._enable(False)

    # ---- showing a record ----------------------------------------------------------------------------

    @property
    def key(self) -> str:
        return self.record.key if self.record else ""

    def show_record(self, record: ProspectRecord) -> None:
        self.record = record
        self.base = draft_of(record.prospect) if record.prospect is not None else lead_draft(record.lead)  # type: ignore[arg-type]
        self.form.load(self.base)
        self._describe(record)
        self.show_message("")
        self._enable(True)
        self.timeline.clear()

    def _describe(self, record: ProspectRecord) -> None:
        p, lead = record.prospect, record.lead
        if p is None and lead is not None:
            self.title.setText(html.escape(lead.display_name) + " <small>(portal lead)</small>")
            self.subtitle.setText(f"Signed up on the portal; engagement score {lead.engagement_score}, "
                                  f"{lead.simulator_sessions} simulator session(s). Its first edit, move or note "
                                  "takes it into the pipeline.")
        elif p is not None:
            state = f"client {p.client_id}" if p.converted_to_client else p.stage.label
            self.title.setText(f"{html.escape(p.name)} <small>({html.escape(state)})</small>")
            self.subtitle.setText(f"AML/KYC: {p.aml_kyc_status.value.replace('_', ' ')} · prospect {p.prospect_id}")
        self.convert.setEnabled(p is not None and not record.blockers)
        self.kyc.setEnabled(p is not None)
        self.delete.setEnabled(p is not None and not p.converted_to_client)
        if record.blockers and p is not None and not p.converted_to_client:
            self.blockers.setText("Cannot convert yet: " + "; ".join(record.blockers) + ".")
        elif p is not None and p.converted_to_client:
            self.blockers.setText("Converted to a client.")
        else:
            self.blockers.setText("")
        self._links(record)

    def _links(self, record: ProspectRecord) -> None:
        while self.links_layout.count():
            item = self.links_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        for inv in record.investments[:6]:
            button = QPushButton(f"{inv.product} {money(inv.principal)} ({inv.status})", self.links)
            button.setToolTip(f"Investment {inv.investment_id}: open the Portfolio panel")
            button.clicked.connect(lambda _=False: self.open_panel.emit("portfolio"))
            self.links_layout.addWidget(button)
        for login in record.mt5_accounts[:4]:
            button = QPushButton(f"MT5 {login}", self.links)
            button.setToolTip("Open the MT5 panel")
            button.clicked.connect(lambda _=False: self.open_panel.emit("mt5"))
            self.links_layout.addWidget(button)
        self.links_layout.addStretch(1)

    def _enable(self, on: bool) -> None:
        for widget in (self.form, self.save, self.revert):
            widget.setEnabled(on)
        if not on:
            for widget in (self.kyc, self.convert, self.delete):
                widget.setEnabled(False)

    # ---- editing ------------------------------------------------------------------------------------

    def dirty_fields(self) -> set[str]:
        return changed_fields(self.base, self.form.draft()) if self.base is not None else set()

    def _edited(self) -> None:
        self.save.setText("Save *" if self.dirty_fields() else "Save")

    def revert_edits(self) -> None:
        if self.base is not None:
            self.form.load(self.base)
            self.show_message("")
            self._edited()

    def saved(self, record: ProspectRecord, note: str = "") -> None:
        """Saved: the stored record becomes the base (the form shows what is stored)."""
        self.show_record(record)
        self.show_message(note, error=False)

    def show_failure(self, message: str, fields: dict[str, str] | None = None) -> None:
        self.form.show_problems(fields or {})
        self.show_message(message)

    def show_message(self, text: str, *, error: bool = True) -> None:
        show_message(self.message, text, error=error)

    def external_update(self, record: ProspectRecord) -> set[str]:
        """Another writer changed the open record. Fields the manager is not editing show the new
        values; if none of theirs is being edited, the new record becomes the base. Returns the
        fields both changed (the save will open the merge view for those)."""
        if record.prospect is None:
            return set()
        theirs = draft_of(record.prospect)
        if self.base is None:
            self.show_record(record)
            return set()
        mine = self.dirty_fields()
        changed = changed_fields(self.base, theirs)
        both = mine & changed
        if not mine:
            self.show_record(record)
            self.show_message("Updated with changes made elsewhere.", error=False)
            return set()
        for name in changed - mine:
            self.form.set_field(name, theirs)
        if not both:
            self.record, self.base = record, theirs
            self._describe(record)
            self.show_message("Changes made elsewhere are shown; your edits are kept.", error=False)
        else:  # the base stays as read: the save is checked against it and opens the merge view
            self.show_message(f"Someone else changed {', '.join(sorted(both))} while you were editing. Your typing is "
                              "kept; saving shows both versions to choose from.")
        return both
