"""CSV import (read, map, preview, then one unit) and export of the current selection, as long
work with progress and cancel, off the GUI thread."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QFileDialog

from fidus_desktop.crm import csv_import
from fidus_desktop.crm.csv_export import write_csv
from fidus_desktop.errors import FidusError, ValidationError

from .import_dialog import ImportDialog

if TYPE_CHECKING:
    from .panel import CrmPanel


def _reason(exc: BaseException) -> str:
    return getattr(exc, "message", "") or str(exc) or type(exc).__name__


class ImportExport:
    # ---- import ----------------------------------------------------------------------------------------

    def choose_import_file(self: CrmPanel) -> None:
        dialog = QFileDialog(self, "Import prospects from a CSV file")
        dialog.setNameFilters(["CSV files (*.csv *.txt)", "All files (*)"])
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda path: self.import_file(Path(path)))
        self._file_dialog = dialog
        dialog.open()

    def import_file(self: CrmPanel, path: Path) -> None:
        """Read ``path`` in the io lane, guess the mapping, then show the preview."""
        def read() -> tuple[csv_import.CsvFile, dict[int, str]]:
            if path.stat().st_size > csv_import.MAX_BYTES:
                raise ValidationError(f"{path.name} is larger than {csv_import.MAX_BYTES // 1_000_000} MB; split it.")
            file = csv_import.read_csv(path.read_bytes(), path.name)
            return file, csv_import.guess_mapping(file.header)

        def failed(exc: BaseException) -> None:
            reason = exc.strerror if isinstance(exc, OSError) else _reason(exc)
            self.state.setText(f"{path.name} was not imported: {reason}")
            if not isinstance(exc, FidusError | OSError):
                self.tasks.report(exc, "read the CSV file")

        self.tasks.run(read, lane="io", name="read the CSV file", on_success=lambda r: self._preview(*r),
                       on_failure=failed)

    def _preview(self: CrmPanel, file: csv_import.CsvFile, mapping: dict[int, str]) -> None:
        dialog = ImportDialog(file, mapping, self)
        self._dialog = dialog
        self._preview_generation = 0
        dialog.mapping_changed.connect(lambda m: self._check_rows(dialog, m))
        dialog.import_requested.connect(lambda include: self._commit(dialog, include))
        dialog.open()
        self._check_rows(dialog, mapping)

    def _check_rows(self: CrmPanel, dialog: ImportDialog, mapping: dict[int, str]) -> None:
        self._preview_generation += 1
        generation = self._preview_generation
        dialog.checking()

        async def check() -> csv_import.ImportPreview:
            index = await self.service.duplicates() if self.service is not None else None
            return await self.context.lanes.cpu.run(lambda: csv_import.preview(dialog.file, mapping, index),
                                                    action="check the CSV rows")

        def failed(exc: BaseException) -> None:
            if isinstance(exc, FidusError):
                dialog.show_mapping_problem(_reason(exc))
            else:
                dialog.show_mapping_problem("The rows could not be checked.")
                self.tasks.report(exc, "check the CSV rows")

        self.tasks.run(check(), name="check the CSV rows", on_failure=failed,
                       on_success=lambda p: dialog.show_preview(p) if generation == self._preview_generation else None)

    def _commit(self: CrmPanel, dialog: ImportDialog, include_duplicates: bool) -> None:
        preview = dialog.preview
        if preview is None:
            return

        def done(outcome: csv_import.ImportOutcome) -> None:
            dialog.accept()
            queued = outcome.result is not None and outcome.result.queued
            where = " (kept on this computer until the database is back)" if queued else ""
            self.state.setText(f"{len(outcome.imported):,} prospect(s) imported from {preview.file.name}{where}.")

        self.tasks.run(csv_import.commit(self.context, preview, include_duplicates=include_duplicates),
                       name="import prospects", initiator=self, progress_label="Importing prospects…",
                       on_success=done, on_failure=dialog.show_failure)

    # ---- export ----------------------------------------------------------------------------------------

    def choose_export_file(self: CrmPanel) -> None:
        dialog = QFileDialog(self, "Export the pipeline to a CSV file")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters(["CSV files (*.csv)"])
        dialog.setDefaultSuffix("csv")
        dialog.fileSelected.connect(lambda path: self.export_file(Path(path)))
        self._file_dialog = dialog
        dialog.open()

    def export_file(self: CrmPanel, path: Path) -> None:
        """Export what the current filter shows, in the current order."""
        service = self.service
        if service is None:
            return
        flt, sort = self.filter, self.sort

        async def export(progress: Any = None) -> int:
            snapshot, slots = await service.select(flt, sort)
            return await self.context.lanes.io.run(lambda: write_csv(path, snapshot, slots, progress=progress),
                                                   action="export the pipeline")

        def failed(exc: BaseException) -> None:
            reason = exc.strerror if isinstance(exc, OSError) else _reason(exc)
            self.state.setText(f"The export to {path.name} failed: {reason}")
            if not isinstance(exc, FidusError | OSError):
                self.tasks.report(exc, "export the pipeline")

        self.tasks.run(export, name="export the pipeline", progress_label="Exporting the pipeline…",
                       on_success=lambda n: self.state.setText(f"{n:,} record(s) exported to {path}."),
                       on_failure=failed)
