"""What the manager does with prospects from the CRM panel: open, save, move, create, convert,
the KYC decision, notes, merges and conflicts. Each calls a CRM service through the task runner
(the panel is the initiator of its writes); a failure is shown where the input is, which stays."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from fidus_desktop.crm import conversion, leads, merge, prospects
from fidus_desktop.crm.filters import PipelineFilter, SavedFilter, from_setting, to_setting
from fidus_desktop.crm.records import ProspectRecord, open_prospect
from fidus_desktop.crm.timeline import PAGE, timeline
from fidus_desktop.domain.prospects import EDITABLE_FIELDS, Stage
from fidus_desktop.errors import ConflictError, FidusError, StorageUnavailable, ValidationError
from fidus_desktop.services.changes import Changes

from .dialogs import ConfirmDeleteDialog, ConflictDialog, DuplicatesDialog, KycDialog, MergeDialog, NameDialog

if TYPE_CHECKING:
    from .panel import CrmPanel

_KEEP = " Your changes are kept on screen: press Save to try again."


def _reason(exc: BaseException) -> str:
    return getattr(exc, "message", "") or str(exc) or type(exc).__name__


class PipelineActions:
    # ---- the record pane -------------------------------------------------------------------------------

    def connect_pane(self: CrmPanel) -> None:
        pane = self.pane
        pane.save_requested.connect(self.save_record)
        pane.convert_requested.connect(self.convert)
        pane.kyc_requested.connect(self.kyc_decision)
        pane.delete_requested.connect(self.delete_record)
        pane.note_submitted.connect(self.add_note)
        pane.more_timeline.connect(lambda: self.load_timeline(more=True))
        pane.open_panel.connect(self.open_other_panel)

    def open_record(self: CrmPanel, key: str) -> None:
        if not key or key == self.open_key:
            return
        if self.open_key and self.pane.dirty_fields():
            self._drafts[self.pane.key] = self.pane.form.draft()  # kept, restored when reopened
        self.tasks.run(open_prospect(self.context, key), name="open prospect",
                       on_success=self._show_record, on_failure=lambda exc: self.pane.show_message(_reason(exc)))

    def _show_record(self: CrmPanel, record: ProspectRecord, note: str = "") -> None:
        if self.pane.record is not None and self.pane.key == record.key and self.pane.dirty_fields():
            # A second read of the record already open (a reopen, a late answer) while the manager
            # types: their edits stay, what changed elsewhere merges in (conflicts are named).
            self.pane.external_update(record)
            return
        self.pane.show_record(record)
        kept = self._drafts.pop(record.key, None)
        if kept is not None:
            self.pane.form.load(kept)
            self.pane.show_message("Your unsaved edits of this record are back.", error=False)
        elif note:
            self.pane.show_message(note, error=False)
        self.load_timeline()

    def reopen(self: CrmPanel, key: str, note: str = "") -> None:
        self.tasks.run(open_prospect(self.context, key), name="open prospect",
                       on_success=lambda record: self._show_record(record, note),
                       on_failure=lambda exc: self.pane.show_message(_reason(exc)))

    def load_timeline(self: CrmPanel, more: bool = False) -> None:
        record, store = self.pane.record, self.context.store
        if record is None or store is None or record.prospect is None:
            self.pane.timeline.clear()
            if record is not None and record.lead is not None:
                self.pane.timeline.state.setText("A portal lead has no timeline yet: its first edit, move or note "
                                                 "starts one.")
            return
        offset = len(self.pane.timeline.items) if more else 0
        key = record.key
        self.tasks.run(timeline(store, record.person, offset, PAGE), name="timeline",
                       on_success=lambda page: self.pane.timeline.show_page(page) if self.pane.key == key else None)

    def take_external_change(self: CrmPanel, changes: Changes) -> None:
        """A change to the open record made elsewhere (or by another task): shown without losing
        the manager's typing; its timeline reloads."""
        key = self.open_key
        if not key or changes.is_from(self):
            return
        if key in changes.prospects or "*" in changes.prospects:
            self.tasks.run(open_prospect(self.context, key), name="reload prospect",
                           on_success=lambda record: self._external(record))
        elif changes.activity:
            self.load_timeline()

    def _external(self: CrmPanel, record: ProspectRecord) -> None:
        if record.key == self.pane.key:
            self.pane.external_update(record)
            self.load_timeline()

    # ---- saving ------------------------------------------------------------------------------------------

    def save_record(self: CrmPanel, draft: prospects.ProspectDraft, *, allow_duplicates: bool = False) -> None:
        record = self.pane.record
        if record is None:
            return
        self.pane.show_message("Saving…", error=False)
        self.tasks.run(self._save(record, draft, allow_duplicates), name="save prospect", initiator=self,
                       on_success=lambda result: self._saved(result),
                       on_failure=lambda exc: self._save_failed(exc, draft))

    async def _save(self: CrmPanel, record: ProspectRecord, draft: prospects.ProspectDraft,
                    allow_duplicates: bool) -> tuple[Any, Any]:
        index = await self.service.duplicates() if self.service is not None and not allow_duplicates else None
        if record.lead is not None and record.prospect is None:
            if not allow_duplicates:
                prospects.check_duplicates(index, draft, exclude=(record.key,))
            return await leads.migrate_lead(self.context, record.lead, draft=draft, why="edit")
        assert record.prospect is not None
        edited = prospects.apply_draft(record.prospect, draft)
        return await prospects.save_prospect(self.context, edited, duplicates=index,
                                             allow_duplicates=allow_duplicates)

    def _saved(self: CrmPanel, result: tuple[Any, Any]) -> None:
        prospect, write = result
        note = "Nothing to save." if write is None else (
            f"Saved on this computer: {write.reason} It is written to the database when it is back."
            if write.queued else "Saved.")
        if write is not None and write.queued:
            self.pane.show_message(note, error=False)
            return
        self.reopen(prospect.prospect_id, note)

    def _save_failed(self: CrmPanel, exc: BaseException, draft: prospects.ProspectDraft) -> None:
        if isinstance(exc, prospects.DuplicatesFound):
            self.pane.show_failure(_reason(exc), exc.fields)
            dialog = DuplicatesDialog(exc.duplicates, self)
            dialog.save_anyway.connect(lambda: self.save_record(draft, allow_duplicates=True))
            dialog.merge_with.connect(lambda dup: self.merge_duplicate(dup.party.key))
            self._dialog = dialog
            dialog.open()
        elif isinstance(exc, ValidationError):
            self.pane.show_failure(_reason(exc), exc.fields)
        elif isinstance(exc, ConflictError):
            self.resolve_conflict(draft)
        elif isinstance(exc, FidusError):
            self.pane.show_failure(_reason(exc) + _KEEP)
        else:
            self.pane.show_failure("The changes could not be saved." + _KEEP)
            self.tasks.report(exc, "save prospect")

    def resolve_conflict(self: CrmPanel, draft: prospects.ProspectDraft) -> None:
        """The record changed underneath: show theirs and mine, field by field."""
        record = self.pane.record
        if record is None or record.prospect is None:
            return
        base = record.prospect

        def compare(fresh: ProspectRecord) -> None:
            theirs = fresh.prospect
            if theirs is None:
                return
            mine = prospects.apply_draft(base, draft)
            found = merge.conflicts(base, theirs, mine)
            if not found:  # they changed other fields only: save mine over theirs as they are now
                self.pane.record = fresh
                self.save_record(draft, allow_duplicates=True)
                return
            dialog = ConflictDialog(found, base.name, self)
            self._dialog = dialog

            def chosen(choices: dict[str, str]) -> None:
                edited = merge.rebased(base, theirs, mine, choices)  # type: ignore[arg-type]
                self.tasks.run(prospects.save_prospect(self.context, edited, allow_duplicates=True),
                               name="save merged prospect", initiator=self,
                               on_success=lambda result: (dialog.accept(), self._saved(result)),
                               on_failure=dialog.show_failure)

            dialog.chosen.connect(chosen)
            dialog.open()
            self.pane.show_message("Changed by someone else meanwhile: choose theirs or yours for each field.")

        self.tasks.run(open_prospect(self.context, record.key), name="read the current record", on_success=compare,
                       on_failure=lambda exc: self.pane.show_failure(_reason(exc) + _KEEP))

    # ---- pipeline moves and creation -------------------------------------------------------------------------

    def move(self: CrmPanel, key: str, stage: Stage) -> None:
        name = self._name_of(key)
        self.tasks.run(prospects.move_stage(self.context, key, stage), name="move prospect", initiator=self,
                       on_success=lambda result: self._moved(key, name, stage, result),
                       on_failure=lambda exc: self._action_failed(exc, f"{name} was not moved"))

    def _moved(self: CrmPanel, key: str, name: str, stage: Stage, result: tuple[Any, Any]) -> None:
        prospect, write = result
        where = " (kept on this computer until the database is back)" if write is not None and write.queued else ""
        self.state.setText(f"{name} moved to {stage.label}{where}.")
        # A portal lead became a prospect with its own key: the card stays selected as that.
        self.follow = prospect.prospect_id
        if self.open_key == key:
            self.reopen(prospect.prospect_id)

    def _name_of(self: CrmPanel, key: str) -> str:
        snapshot = self.service.snapshot if self.service is not None else None
        row = snapshot.find(key) if snapshot is not None else None
        return row.name if row is not None else key

    def _action_failed(self: CrmPanel, exc: BaseException, what: str) -> None:
        if isinstance(exc, FidusError):
            self.state.setText(f"{what}: {_reason(exc)}")
        else:
            self.state.setText(f"{what}.")
            self.tasks.report(exc, what)

    def new_prospect(self: CrmPanel) -> None:
        column = self.kanban.columns[Stage.LEAD]
        self.show_view("kanban")
        if column.folded:
            self.kanban.toggle_fold(Stage.LEAD)
        column.quick.show()
        column.quick.name.setFocus()

    def quick_create(self: CrmPanel, stage: Stage, draft: prospects.ProspectDraft, *, allow_duplicates: bool = False) -> None:
        owner = self.context.settings.crm.default_owner
        if owner and not draft.owner:
            draft = dataclasses.replace(draft, owner=owner)
        column = self.kanban.columns[stage]

        async def create() -> Any:
            index = await self.service.duplicates() if self.service is not None else None
            return await prospects.create_prospect(self.context, draft, duplicates=index,
                                                   allow_duplicates=allow_duplicates)

        def failed(exc: BaseException) -> None:
            if isinstance(exc, prospects.DuplicatesFound):
                column.quick.show_problems(_reason(exc), exc.fields)
                dialog = DuplicatesDialog(exc.duplicates, self)
                dialog.merge.setEnabled(False)  # nothing saved yet to merge
                dialog.save_anyway.connect(lambda: self.quick_create(stage, draft, allow_duplicates=True))
                self._dialog = dialog
                dialog.open()
            elif isinstance(exc, ValidationError):
                column.quick.show_problems(_reason(exc), exc.fields)
            else:
                column.quick.show_problems(_reason(exc) + " Your input is kept.", {})

        def done(result: tuple[Any, Any]) -> None:
            prospect, _write = result
            column.quick.clear()
            self.state.setText(f"{prospect.name} added at {stage.label}.")
            self.reopen(prospect.prospect_id)

        self.tasks.run(create(), name="create prospect", initiator=self, on_success=done, on_failure=failed)

    # ---- conversion, KYC, notes, deletion ---------------------------------------------------------------

    def convert(self: CrmPanel) -> None:
        record = self.pane.record
        if record is None:
            return
        self.tasks.run(conversion.convert_prospect(self.context, record.key), name="convert prospect", initiator=self,
                       on_success=lambda c: self.reopen(c.prospect.prospect_id,
                                                        f"{c.prospect.name} is now client {c.client_id} "
                                                        f"(username {c.username})."),
                       on_failure=self._convert_failed)

    def _convert_failed(self: CrmPanel, exc: BaseException) -> None:
        if isinstance(exc, conversion.ConversionRefused):
            self.pane.show_message("Not converted: " + "; ".join(exc.reasons) + ".")
        elif isinstance(exc, StorageUnavailable | FidusError):
            self.pane.show_message(_reason(exc))
        else:
            self.pane.show_message("The conversion failed; nothing was written.")
            self.tasks.report(exc, "convert prospect")

    def kyc_decision(self: CrmPanel) -> None:
        record = self.pane.record
        if record is None or record.prospect is None:
            return
        prospect = record.prospect
        dialog = KycDialog(prospect.name, prospect.aml_kyc_status, self)
        self._dialog = dialog

        def submitted(payload: tuple[Any, str]) -> None:
            status, reason = payload
            self.tasks.run(prospects.record_kyc(self.context, prospect, status, reason), name="record KYC decision",
                           initiator=self, on_success=lambda result: (dialog.accept(), self._saved(result)),
                           on_failure=dialog.show_failure)

        dialog.submitted.connect(submitted)
        dialog.open()

    def add_note(self: CrmPanel, text: str) -> None:
        record = self.pane.record
        if record is None:
            return
        known = record.prospect or record.lead
        self.tasks.run(prospects.add_note(self.context, record.key, text, known=known), name="add note",
                       initiator=self, on_success=lambda write: self._noted(record, write),
                       on_failure=lambda exc: self.pane.timeline.note_failed(_reason(exc) + " The note is kept."))

    def _noted(self: CrmPanel, record: ProspectRecord, write: Any) -> None:
        self.pane.timeline.note_saved()
        if record.prospect is None:  # a portal lead: the note took it into the pipeline
            self.reopen(write.operation.audit.prospect_id, "Note added; the portal lead is now a prospect.")
        else:
            self.load_timeline()

    def delete_record(self: CrmPanel) -> None:
        record = self.pane.record
        if record is None or record.prospect is None:
            return
        prospect = record.prospect
        dialog = ConfirmDeleteDialog(prospect.name, "the prospect", self)
        self._dialog = dialog

        def submitted(name: str) -> None:
            if name.strip() != prospect.name:
                dialog.show_failure(ValidationError("The name does not match.", {"confirm": "Type the name exactly."}))
                return
            self.tasks.run(prospects.delete_prospect(self.context, prospect), name="delete prospect", initiator=self,
                           on_success=lambda _w: (dialog.accept(), self.state.setText(f"{prospect.name} deleted.")),
                           on_failure=dialog.show_failure)

        dialog.submitted.connect(submitted)
        dialog.open()

    # ---- duplicates --------------------------------------------------------------------------------------

    def merge_duplicate(self: CrmPanel, other_key: str) -> None:
        record = self.pane.record
        if record is None or record.prospect is None:
            self.pane.show_message("Save this record first, then merge.")
            return
        keep = record.prospect

        def ask(other: ProspectRecord) -> None:
            if other.prospect is None:
                self.pane.show_message("Only two prospects can be merged here.")
                return
            dialog = MergeDialog(EDITABLE_FIELDS, keep, other.prospect, self)
            self._dialog = dialog
            dialog.chosen.connect(lambda choices: self.tasks.run(
                merge.merge_prospects(self.context, keep, other.prospect, choices), name="merge prospects",
                initiator=self, on_success=lambda result: (dialog.accept(), self.reopen(
                    result[0].prospect_id, "Merged; both timelines are shown here.")),
                on_failure=dialog.show_failure))
            dialog.open()

        self.tasks.run(open_prospect(self.context, other_key), name="open duplicate", on_success=ask,
                       on_failure=lambda exc: self.pane.show_message(_reason(exc)))

    # ---- saved filters ------------------------------------------------------------------------------------

    def save_filter(self: CrmPanel, flt: PipelineFilter) -> None:
        dialog = NameDialog("Save filter", "Name", self)
        self._dialog = dialog

        def named(name: str) -> None:
            crm = self.context.settings.crm
            kept = tuple(s for s in crm.saved_filters if s.name != name)
            self._update_settings(dataclasses.replace(crm, saved_filters=(*kept, to_setting(SavedFilter(name, flt)))))
            self.filters.set_saved([from_setting(s) for s in self.context.settings.crm.saved_filters])
            dialog.accept()

        dialog.submitted.connect(named)
        dialog.open()

    def use_saved_filter(self: CrmPanel, name: str) -> None:
        saved = next((s for s in self.context.settings.crm.saved_filters if s.name == name), None)
        if saved is not None:
            self.filters.set_filter(from_setting(saved).filter)
