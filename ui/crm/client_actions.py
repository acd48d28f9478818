"""What the manager does with clients from the CRM panel's Clients tab: create, edit, KYC,
readiness, deactivate, delete (confirmed), notes, merge duplicates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fidus_desktop.crm import clients as client_service
from fidus_desktop.crm import merge
from fidus_desktop.crm.pipeline_service import ClientRow
from fidus_desktop.crm.prospects import DuplicatesFound
from fidus_desktop.crm.records import ClientRecord, open_client
from fidus_desktop.crm.timeline import PAGE, timeline
from fidus_desktop.domain.people import CLIENT_EDITABLE_FIELDS
from fidus_desktop.errors import ConflictError, FidusError, ValidationError

from .dialogs import ClientDialog, ConfirmDeleteDialog, DuplicatesDialog, MergeDialog

if TYPE_CHECKING:
    from .panel import CrmPanel


def _reason(exc: BaseException) -> str:
    return getattr(exc, "message", "") or str(exc) or type(exc).__name__


class ClientActions:
    def connect_clients(self: CrmPanel) -> None:
        view, pane = self.clients, self.clients.pane
        view.selected.connect(self.open_client)
        view.new_requested.connect(self.new_client)
        pane.save_requested.connect(self.save_client)
        pane.active_requested.connect(self.set_client_active)
        pane.delete_requested.connect(self.delete_client)
        pane.readiness_requested.connect(self.save_readiness)
        pane.note_submitted.connect(self.add_client_note)
        pane.more_timeline.connect(lambda: self.load_client_timeline(more=True))
        pane.open_panel.connect(self.open_other_panel)

    def open_client(self: CrmPanel, row: ClientRow, note: str = "") -> None:
        self.tasks.run(open_client(self.context, row.key, row.origin), name="open client",
                       on_success=lambda record: self._show_client(record, note),
                       on_failure=lambda exc: self.clients.pane.show_failure(_reason(exc), {}))

    def _show_client(self: CrmPanel, record: ClientRecord, note: str = "") -> None:
        self.clients.pane.show_record(record, note)
        self.load_client_timeline()

    def _reopen_client(self: CrmPanel, record: ClientRecord, note: str) -> None:
        c = record.client
        self.open_client(ClientRow(c.client_id, c.name, c.email, c.phone, c.status, c.kyc_status, c.created_at,
                                   c.origin), note)

    def load_client_timeline(self: CrmPanel, more: bool = False) -> None:
        pane, store = self.clients.pane, self.context.store
        if pane.record is None or store is None:
            return
        offset = len(pane.timeline.items) if more else 0
        self.tasks.run(timeline(store, pane.record.person, offset, PAGE), name="client timeline",
                       on_success=pane.timeline.show_page)

    def new_client(self: CrmPanel) -> None:
        self.tabs.setCurrentIndex(1)
        dialog = ClientDialog(self)
        self._dialog = dialog

        def submitted(draft: client_service.ClientDraft, allow: bool = False) -> None:
            async def create() -> Any:
                index = await self.service.duplicates() if self.service is not None and not allow else None
                return await client_service.create_client(self.context, draft, duplicates=index, allow_duplicates=allow)

            def failed(exc: BaseException) -> None:
                dialog.show_failure(exc)
                if isinstance(exc, DuplicatesFound):
                    again = DuplicatesDialog(exc.duplicates, self)
                    again.merge.setEnabled(False)
                    again.save_anyway.connect(lambda: submitted(draft, True))
                    self._dialog_extra = again
                    again.open()

            self.tasks.run(create(), name="create client", initiator=self, on_failure=failed,
                           on_success=lambda result: (dialog.accept(), self.clients_changed(
                               f"Client {result[0].name} created (username {result[0].username}).")))

        dialog.submitted.connect(submitted)
        dialog.open()

    def clients_changed(self: CrmPanel, note: str) -> None:
        self.state.setText(note)
        self.clients.pane.show_failure(note, {}, error=False)

    def save_client(self: CrmPanel, values: dict[str, Any], *, allow_duplicates: bool = False) -> None:
        pane = self.clients.pane
        if pane.record is None:
            return
        edited = pane.record.client.evolve(**values)

        async def save() -> Any:
            index = await self.service.duplicates() if self.service is not None and not allow_duplicates else None
            return await client_service.save_client(self.context, edited, duplicates=index,
                                                    allow_duplicates=allow_duplicates)

        def failed(exc: BaseException) -> None:
            if isinstance(exc, DuplicatesFound):
                pane.show_failure(_reason(exc), exc.fields)
                dialog = DuplicatesDialog(exc.duplicates, self)
                dialog.save_anyway.connect(lambda: self.save_client(values, allow_duplicates=True))
                dialog.merge_with.connect(lambda dup: self.merge_client(dup.party.key))
                self._dialog = dialog
                dialog.open()
            elif isinstance(exc, ValidationError):
                pane.show_failure(_reason(exc), exc.fields)
            elif isinstance(exc, ConflictError):
                pane.show_failure(f"{_reason(exc)} Your edits are kept: copy what you need, then reopen the client.", {})
            elif isinstance(exc, FidusError):
                pane.show_failure(_reason(exc) + " Your edits are kept; press Save to try again.", {})
            else:
                pane.show_failure("The client could not be saved; your edits are kept.", {})
                self.tasks.report(exc, "save client")

        def done(result: tuple[Any, Any]) -> None:
            client, write = result
            note = "Nothing to save." if write is None else "Saved." if write.saved else \
                f"Saved on this computer: {write.reason}"
            record = pane.record
            if record is not None:
                self._reopen_client(ClientRecord(client, record.readiness, record.investments), note)

        self.tasks.run(save(), name="save client", initiator=self, on_success=done, on_failure=failed)

    def set_client_active(self: CrmPanel, active: bool) -> None:
        pane = self.clients.pane
        if pane.record is None:
            return
        record = pane.record
        self.tasks.run(client_service.set_active(self.context, record.client, active), name="client status",
                       initiator=self, on_failure=lambda exc: pane.show_failure(_reason(exc), {}),
                       on_success=lambda result: self._reopen_client(
                           ClientRecord(result[0], record.readiness, record.investments),
                           "Reactivated." if active else "Deactivated."))

    def delete_client(self: CrmPanel) -> None:
        pane = self.clients.pane
        if pane.record is None:
            return
        client = pane.record.client
        dialog = ConfirmDeleteDialog(client.name, "the client", self)
        self._dialog = dialog
        dialog.submitted.connect(lambda name: self.tasks.run(
            client_service.delete_client(self.context, client, confirmed_name=name), name="delete client",
            initiator=self, on_failure=dialog.show_failure,
            on_success=lambda _w: (dialog.accept(), self.clients_changed(f"Client {client.name} deleted."))))
        dialog.open()

    def save_readiness(self: CrmPanel, kyc_done: bool, signed: bool, notes: str) -> None:
        pane = self.clients.pane
        if pane.record is None:
            return
        record = pane.record
        self.tasks.run(client_service.save_readiness(self.context, record.client.client_id, aml_kyc_completed=kyc_done,
                                                     agreement_signed=signed, notes=notes, known=record.readiness),
                       name="save readiness", initiator=self,
                       on_failure=lambda exc: pane.show_failure(_reason(exc), {}),
                       on_success=lambda result: self._reopen_client(record, "Readiness saved."))

    def add_client_note(self: CrmPanel, text: str) -> None:
        pane = self.clients.pane
        if pane.record is None:
            return
        self.tasks.run(client_service.add_client_note(self.context, pane.record.client, text), name="client note",
                       initiator=self, on_success=lambda _w: (pane.timeline.note_saved(), self.load_client_timeline()),
                       on_failure=lambda exc: pane.timeline.note_failed(_reason(exc) + " The note is kept."))

    def merge_client(self: CrmPanel, other_key: str) -> None:
        pane = self.clients.pane
        if pane.record is None:
            return
        keep = pane.record.client
        row = self.service.clients.get(other_key) if self.service is not None else None
        if row is None:
            pane.show_failure("Only two clients can be merged here.", {})
            return

        def ask(other: ClientRecord) -> None:
            dialog = MergeDialog(CLIENT_EDITABLE_FIELDS, keep, other.client, self)
            self._dialog = dialog
            dialog.chosen.connect(lambda choices: self.tasks.run(
                merge.merge_clients(self.context, keep, other.client, choices), name="merge clients", initiator=self,
                on_failure=dialog.show_failure, on_success=lambda result: (dialog.accept(), self._reopen_client(
                    ClientRecord(result[0], pane.record.readiness if pane.record else None), "Merged."))))
            dialog.open()

        self.tasks.run(open_client(self.context, row.key, row.origin), name="open duplicate client", on_success=ask,
                       on_failure=lambda exc: pane.show_failure(_reason(exc), {}))
