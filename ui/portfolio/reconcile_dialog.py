"""Reconcile the past: record as paid every payment due before a day, after seeing what it takes.

The preview is worked out by the portfolio service in the cpu lane each time the day or the
scope changes; Save records exactly the previewed payments, in one operation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QStringListModel, QTimer
from PySide6.QtWidgets import QComboBox, QDateEdit, QDialogButtonBox, QLabel, QWidget

from fidus_desktop.errors import ValidationError
from fidus_desktop.services.reconcile import ReconcilePreview, ReconcileScope

from ..widgets.form_dialog import FormDialog
from ..widgets.format import from_qdate, money, to_qdate


class ReconcileDialog(FormDialog):
    """Emits ``submitted(preview)`` with what it showed."""

    def __init__(self, today: date, products: Sequence[str],
                 preview: Callable[[ReconcileScope, Callable[[Any], None]], None], parent: QWidget | None = None,
                 *, unrecorded: str = "") -> None:
        super().__init__("Reconcile the past", parent)
        self._preview_of = preview
        self._shown: ReconcilePreview | None = None
        intro = QLabel("The web platform never recorded an interest payment as paid, so every past payment of a "
                       "fund coming from it looks overdue. Record as paid, on its due date, every payment due "
                       "before the day below (each payment gets its own entry in the audit trail)." +
                       (f"\n\n{unrecorded}" if unrecorded else ""), self)
        intro.setWordWrap(True)
        self.form.addRow(intro)
        self.until = QDateEdit(self)
        self.until.setCalendarPopup(True)
        self.until.setDisplayFormat("yyyy-MM-dd")
        self.until.setMaximumDate(to_qdate(today))
        self.until.setDate(to_qdate(today))
        self.scope = QComboBox(self)
        self.scope.addItem("Every product", "")
        for code in products:
            self.scope.addItem(code, code)
        # thousands of clients: one model filled in one call, never measured item by item
        self.client = QComboBox(self)
        self.client.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.client.setMinimumContentsLength(28)
        self._client_names = QStringListModel(["Every client"], self)
        self.client.setModel(self._client_names)
        self._client_ids = [""]
        self.summary = QLabel("Working out what would be recorded…", self)
        self.summary.setWordWrap(True)
        self.fields = {"until": self.until}
        self.form.addRow("Payments due before", self.until)
        self.form.addRow("Product", self.scope)
        self.form.addRow("Client", self.client)
        self.form.addRow(self.summary)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText("Record as paid")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self.refresh)
        self.until.dateChanged.connect(self._timer.start)
        self.scope.currentIndexChanged.connect(self._timer.start)
        self.client.currentIndexChanged.connect(self._timer.start)
        self.refresh()

    def set_clients(self, clients: Sequence[tuple[str, str]]) -> None:
        """``(name, client id)`` in reading order (worked out off the GUI thread)."""
        self.client.blockSignals(True)
        self._client_ids = [""] + [cid for _, cid in clients]
        self._client_names.setStringList(["Every client"] + [name for name, _ in clients])
        self.client.setCurrentIndex(0)
        self.client.blockSignals(False)

    def current_scope(self) -> ReconcileScope:
        index = self.client.currentIndex()
        client_id = self._client_ids[index] if 0 <= index < len(self._client_ids) else ""
        return ReconcileScope(from_qdate(self.until.date()), product=self.scope.currentData() or "",
                              client_id=client_id)

    def refresh(self) -> None:
        self._shown = None
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)
        self._preview_of(self.current_scope(), self.show_preview)

    def show_preview(self, preview: Any) -> None:
        if not isinstance(preview, ReconcilePreview) or preview.scope != self.current_scope():
            return  # an older answer, or a refusal shown by show_failure
        self._shown = preview
        if not preview.count:
            self.summary.setText("Nothing to record: every payment due before this day is recorded already.")
            return
        parts = ", ".join(f"{code} {n:,} ({money(amount)})" for code, (n, amount) in sorted(preview.by_product.items()))
        self.summary.setText(f"{preview.count:,} payment(s), {money(preview.total)} in all, due from "
                             f"{preview.first_due.isoformat() if preview.first_due else ''}: {parts}.")
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(True)

    def payload(self) -> ReconcilePreview:
        if self._shown is None or not self._shown.count:
            raise ValidationError("Nothing to record for this day and scope.")
        return self._shown
