"""The filters both pipeline views share, and the saved ones. Emits ``filter_changed`` (after a
pause in typing); holds no rule: the core's :class:`PipelineFilter` is what it edits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLineEdit, QMenu, QToolButton, QWidget

from fidus_desktop.crm.filters import Due, PipelineFilter, SavedFilter
from fidus_desktop.domain.people import KycStatus
from fidus_desktop.domain.prospects import Stage

TYPING_PAUSE_MS = 250
_DUE_LABELS = {Due.ANY: "Any next action", Due.OVERDUE: "Overdue", Due.THIS_WEEK: "Due this week",
               Due.NONE: "No next action"}


class _Choices(QToolButton):
    """A button with a menu of checkable values (stages, KYC statuses)."""

    changed = Signal()

    def __init__(self, title: str, values: Sequence[tuple[str, object]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self)
        self.actions_: dict[object, QAction] = {}
        for label, value in values:
            action = QAction(label, menu)
            action.setCheckable(True)
            action.toggled.connect(lambda _on: (self._label(), self.changed.emit()))
            menu.addAction(action)
            self.actions_[value] = action
        self.setMenu(menu)
        self._label()

    def chosen(self) -> frozenset:
        return frozenset(v for v, a in self.actions_.items() if a.isChecked())

    def set_chosen(self, values: Iterable[object]) -> None:
        wanted = set(values)
        for value, action in self.actions_.items():
            action.blockSignals(True)
            action.setChecked(value in wanted)
            action.blockSignals(False)
        self._label()

    def _label(self) -> None:
        n = len(self.chosen())
        self.setText(f"{self.title}: all" if n == 0 else f"{self.title}: {n}")


class FilterBar(QWidget):
    filter_changed = Signal(object)  # PipelineFilter
    save_requested = Signal(object)  # PipelineFilter
    saved_chosen = Signal(str)  # name of a saved filter

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search name, e-mail, phone, notes")
        self.search.setClearButtonEnabled(True)
        self.stages = _Choices("Stage", [(s.label, s) for s in Stage], self)
        self.source = QComboBox(self)
        self.owner = QComboBox(self)
        self.due = QComboBox(self)
        for due, label in _DUE_LABELS.items():
            self.due.addItem(label, due)
        self.kyc = _Choices("KYC", [(k.value.replace("_", " "), k) for k in KycStatus], self)
        self.leads = QCheckBox("Portal leads", self)
        self.leads.setChecked(True)
        self.saved = QComboBox(self)
        self.saved.setToolTip("Saved filters")
        self.save = QToolButton(self)
        self.save.setText("Save filter…")
        for widget in (self.search,):
            layout.addWidget(widget, 2)
        for widget in (self.stages, self.source, self.owner, self.due, self.kyc, self.leads, self.saved, self.save):
            layout.addWidget(widget)
        self._fill(self.source, "Any source", [])
        self._fill(self.owner, "Any owner", [])
        self.set_saved([])
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(TYPING_PAUSE_MS)
        self._timer.timeout.connect(self._emit)
        self.search.textChanged.connect(self._timer.start)
        for combo in (self.source, self.owner, self.due):
            combo.currentIndexChanged.connect(lambda _i: self._emit())
        self.stages.changed.connect(self._emit)
        self.kyc.changed.connect(self._emit)
        self.leads.toggled.connect(lambda _on: self._emit())
        self.save.clicked.connect(lambda: self.save_requested.emit(self.current()))
        self.saved.activated.connect(self._saved_activated)
        self._quiet = False

    def current(self) -> PipelineFilter:
        return PipelineFilter(stages=self.stages.chosen(), source=self.source.currentData() or "",
                              owner=self.owner.currentData() or "", due=Due(self.due.currentData() or ""),
                              kyc=self.kyc.chosen(), text=self.search.text(), include_leads=self.leads.isChecked())

    def set_filter(self, flt: PipelineFilter) -> None:
        """Show ``flt`` (a saved filter chosen) and announce it once."""
        self._quiet = True
        try:
            self.search.setText(flt.text)
            self.stages.set_chosen(flt.stages)
            self.kyc.set_chosen(flt.kyc)
            for combo, value, empty in ((self.source, flt.source, "Any source"), (self.owner, flt.owner, "Any owner")):
                if value and combo.findData(value) < 0:
                    combo.addItem(value, value)
                combo.setCurrentIndex(max(0, combo.findData(value)) if value else 0)
            self.due.setCurrentIndex(max(0, self.due.findData(flt.due)))
            self.leads.setChecked(flt.include_leads)
        finally:
            self._quiet = False
        self._timer.stop()
        self._emit()

    def set_choices(self, sources: Sequence[str], owners: Sequence[str]) -> None:
        self._fill(self.source, "Any source", sources)
        self._fill(self.owner, "Any owner", owners)

    def set_saved(self, saved: Sequence[SavedFilter]) -> None:
        self.saved.blockSignals(True)
        self.saved.clear()
        self.saved.addItem("Saved filters", "")
        for item in saved:
            self.saved.addItem(item.name, item.name)
        self.saved.blockSignals(False)

    def _saved_activated(self, index: int) -> None:
        name = self.saved.itemData(index)
        if name:
            self.saved_chosen.emit(name)

    def _fill(self, combo: QComboBox, empty: str, values: Sequence[str]) -> None:
        current = combo.currentData() if combo.count() else ""
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(empty, "")
        for value in values:
            combo.addItem(value, value)
        if current and combo.findData(current) < 0:
            combo.addItem(current, current)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.blockSignals(False)

    def _emit(self) -> None:
        if not self._quiet:
            self.filter_changed.emit(self.current())
