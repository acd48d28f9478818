"""The CSV import preview: how the file was read, which column goes to which field (editable),
every row's result with its reason, and nothing written until the manager presses Import."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QGridLayout, QLabel, QScrollArea,
                               QVBoxLayout, QWidget)

from fidus_desktop.crm.csv_import import FIELD_TITLES, CsvFile, ImportPreview

from .style import message_label, show_message
from ..widgets.table_model import Column, KeyedTableModel, list_data, table_view

_STATUS = {"ok": "will import", "refused": "refused", "duplicate": "duplicate"}
ROW_COLUMNS = (
    Column("Line", lambda r: str(r.line), sort="line", numeric=True),
    Column("Result", lambda r: _STATUS[r.status], sort="status"),
    Column("Name", lambda r: r.values.get("name", ""), sort="name"),
    Column("E-mail", lambda r: r.values.get("email", "")),
    Column("Phone", lambda r: r.values.get("phone", "")),
    Column("Stage", lambda r: r.values.get("stage", "")),
    Column("Reason", lambda r: r.reason),
)
_TINT = {"refused": "#B00020", "duplicate": "#a07a2c"}


class ImportDialog(QDialog):
    mapping_changed = Signal(object)  # {column index: field}
    import_requested = Signal(bool)  # include duplicates

    def __init__(self, file: CsvFile, mapping: dict[int, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Import prospects: {file.name}")
        self.resize(980, 640)
        self.file = file
        self.preview: ImportPreview | None = None
        layout = QVBoxLayout(self)
        info = QLabel(f"{file.name}: {file.encoding}, {file.delimiter_name}-separated, {len(file.rows):,} data row(s). "
                      "The first row is read as the header.", self)
        info.setWordWrap(True)
        layout.addWidget(info)
        self.problems = message_label(self)
        show_message(self.problems, "\n".join(file.problems))
        layout.addWidget(self.problems)
        grid_host = QWidget(self)
        grid = QGridLayout(grid_host)
        grid.setContentsMargins(0, 0, 0, 0)
        self.combos: dict[int, QComboBox] = {}
        for i, title in enumerate(file.header):
            combo = QComboBox(grid_host)
            combo.addItem("(not imported)", "")
            for name, label in FIELD_TITLES.items():
                combo.addItem(label, name)
            combo.setCurrentIndex(max(0, combo.findData(mapping.get(i, ""))))
            combo.currentIndexChanged.connect(lambda _i: self.mapping_changed.emit(self.mapping()))
            grid.addWidget(QLabel(title or f"(column {i + 1})", grid_host), 0, i)
            grid.addWidget(combo, 1, i)
            self.combos[i] = combo
        scroll = QScrollArea(self)
        scroll.setWidget(grid_host)
        scroll.setWidgetResizable(True)
        scroll.setMaximumHeight(90)
        layout.addWidget(scroll)
        self.counts = QLabel("Checking rows…", self)
        layout.addWidget(self.counts)
        self.model = KeyedTableModel(ROW_COLUMNS, None, self)
        self.table = table_view(self, self.model, sort_column=None)
        self.table.horizontalHeader().setSortIndicatorShown(False)
        layout.addWidget(self.table, 1)
        self.duplicates = QCheckBox("Also import the rows flagged as duplicates", self)
        layout.addWidget(self.duplicates)
        self.error = message_label(self)
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, parent=self)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self._import)
        self.buttons.rejected.connect(self.reject)
        self.duplicates.toggled.connect(lambda _on: self._label_button())
        layout.addWidget(self.buttons)

    def mapping(self) -> dict[int, str]:
        return {i: combo.currentData() for i, combo in self.combos.items() if combo.currentData()}

    def checking(self) -> None:
        self.import_button.setEnabled(False)
        self.counts.setText("Checking rows…")

    def show_preview(self, preview: ImportPreview) -> None:
        self.preview = preview
        self.error.hide()
        self.model.set_data(list_data(preview.rows, {"line": lambda r: r.line, "status": lambda r: r.status,
                                                     "name": lambda r: r.values.get("name", "")},
                                      tint=lambda r: _TINT.get(r.status)))
        self.counts.setText(f"{preview.count('ok'):,} will be imported, {preview.count('refused'):,} refused, "
                            f"{preview.count('duplicate'):,} duplicate(s).")
        self._label_button()

    def show_mapping_problem(self, message: str) -> None:
        self.preview = None
        self.model.set_data(list_data([]))
        self.counts.setText(message)
        self.import_button.setEnabled(False)

    def _label_button(self) -> None:
        n = len(self.preview.to_import(self.duplicates.isChecked())) if self.preview else 0
        self.import_button.setText(f"Import {n:,} row(s)")
        self.import_button.setEnabled(n > 0)

    def _import(self) -> None:
        self.import_button.setEnabled(False)
        self.counts.setText("Importing…")
        self.import_requested.emit(self.duplicates.isChecked())

    def show_failure(self, exc: BaseException) -> None:
        self.error.setText(getattr(exc, "message", None) or str(exc) or type(exc).__name__)
        self.error.show()
        self._label_button()
