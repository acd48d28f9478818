"""One editor per setting, chosen from the field's type, with its declared description under it.

``FieldEditor(owner, name)`` reads the type hint of ``owner.name``: a switch for ``bool``, a
list for a ``Literal``, a number box for ``int``/``float`` (MT5 logins get a text box: they
outgrow a spin box), a line for ``str``, "1, 2, 3" for a tuple of ints. ``value()`` raises
:class:`ValidationError` for what cannot be read, so the dialog says so next to the field.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from functools import cache
from typing import Any, Literal

from PySide6.QtCore import QRegularExpression, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (QAbstractSpinBox, QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QLineEdit,
                               QSizePolicy, QSpinBox, QVBoxLayout, QWidget)

from fidus_desktop.config import describe
from fidus_desktop.errors import ValidationError

#: Field names whose numbers are MT5 logins (up to 19 digits).
LOGIN_FIELDS = frozenset({"login", "account"})
INT_MAX = 2_000_000_000

#: Labels of the choices a ``Literal`` offers, by field name (the value itself otherwise).
CHOICES: Mapping[str, Mapping[str, str]] = {
    "backend": {"sqlite": "On this computer (embedded database)", "mongodb": "MongoDB (the web platform's database)"},
    "source": {"demo": "Demo terminal", "direct": "MetaTrader 5 on this computer", "bridge": "MT5 bridges"},
    "server_dst": {"eu": "EU rule", "us": "US rule", "none": "No summer time"},
    "theme": {"light": "Light", "dark": "Dark"},
    "csv_encoding": {"utf-8-sig": "UTF-8 with BOM (Excel)", "utf-8": "UTF-8", "cp1252": "Windows-1252"},
    "csv_separator": {"locale": "This computer's list separator", ",": "Comma ,", ";": "Semicolon ;",
                      "tab": "Tab"},
    "kind": {"margin_level_below": "Margin level below (%)", "drawdown_over": "Drawdown over (%)",
             "equity_drop": "Equity drop within a window (%)", "source_down": "Source down for (s)",
             "balance_operation_over": "Deposit or withdrawal over", "position_without_sl": "Position without SL"},
}
#: Labels of fields whose name does not read well on its own.
LABELS: Mapping[str, str] = {
    "sqlite_path": "Fund file", "mongo_uri_secret": "Keyring entry of the address", "mongo_database": "Database",
    "timeout_seconds": "Server timeout (s)", "demo_on_first_run": "Start a new fund with the demo",
    "terminal_path": "Terminal path", "portable": "Portable terminal", "password_secret": "Keyring entry of passwords",
    "poll_seconds": "Read every (s)", "poll_concurrency": "Accounts read at once",
    "call_deadline_seconds": "Give up on a read after (s)", "backoff_max_seconds": "Longest back-off (s)",
    "deal_sync_seconds": "Fetch new deals every (s)", "paper": "Paper", "logo_path": "Logo image",
    "email_from": "E-mail sender", "note": "Closing note", "default_owner": "Owner of new prospects",
    "reminder_check_seconds": "Look for due reminders every (s)", "kanban_page_size": "Cards per column",
    "sync_interval_seconds": "Bring up to date every (s)", "trigger": "When", "stage": "Stage",
    "template": "Template", "days_before": "Days before", "connect_timeout": "Connect timeout (s)", "read_timeout": "Answer timeout (s)",
    "demo_seed": "Demo terminal number", "server_utc_offset": "Broker's UTC offset (h)",
    "server_dst": "Broker's summer time", "accounts": "More logins", "client_secret_entry": "Keyring entry of the client",
    "token_entry": "Keyring entry of the sign-in", "account_email": "Account",
    "max_requests_per_second": "Calendar/Drive calls per second", "gmail_units_per_second": "Gmail units per second",
    "gmail_api_root": "Gmail API", "calendar_api_root": "Calendar API", "drive_api_root": "Drive API",
    "revoke_uri": "Revoke address", "ca_bundle": "Extra certificates (PEM)", "request_timeout_seconds": "Call timeout (s)",
    "consent_timeout_seconds": "Sign-in timeout (s)", "retry_base_seconds": "First retry after (s)",
    "retry_max_seconds": "Longest retry wait (s)", "gmail_sync_limit": "Messages in the first sync",
    "calendar_sync_days_back": "Calendar days back", "time_zone": "Time zone", "drawdown_percent": "Drawdown limit (%)",
    "margin_level_percent": "Margin level limit (%)", "notify": "Desktop notifications",
    "snooze_minutes": "Snooze (minutes)", "settle_seconds": "Settle time (s)", "csv_encoding": "CSV encoding",
    "csv_separator": "CSV separator", "fund_name": "Fund name", "backend": "Where the fund lives",
    "source": "MT5 source", "login": "Login", "server": "Trade server", "hysteresis_pct": "Hysteresis (%)",
    "window_seconds": "Window (s)", "threshold": "Limit", "theme": "Colours", "name": "Name", "url": "Address",
}


@cache
def _hints(owner: type) -> dict[str, Any]:
    # Resolving a class's string annotations evaluates each of them: once per class, not per field.
    return typing.get_type_hints(owner)


def _narrow(spin: QAbstractSpinBox) -> QAbstractSpinBox:
    # A spin box sizes itself for the widest number of its range (-1000000000.00): let the
    # layout give it the room there is instead.
    spin.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
    spin.setMinimumWidth(90)
    return spin


def label_of(name: str) -> str:
    return LABELS.get(name, name.replace("_", " ").capitalize())


class FieldEditor(QWidget):
    changed = Signal()

    def __init__(self, owner: type, name: str, parent: QWidget | None = None, *, key: str = "",
                 description: bool = True) -> None:
        super().__init__(parent)
        self.owner, self.name, self.key = owner, name, key or name
        self.hint = _hints(owner)[name]
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.widget = self._make()
        self.widget.setObjectName(f"setting:{self.key}")
        layout.addWidget(self.widget)
        self.problem = QLabel("", self)
        self.problem.setObjectName("settingProblem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        layout.addWidget(self.problem)
        text = describe(owner, name)
        self.description = QLabel(text, self)
        self.description.setObjectName("settingDescription")
        self.description.setWordWrap(True)
        self.description.setVisible(description and bool(text))
        layout.addWidget(self.description)
        self.widget.setToolTip(text)

    def _make(self) -> QWidget:
        hint, origin = self.hint, typing.get_origin(self.hint)
        if hint is bool:
            box = QCheckBox(self)
            box.toggled.connect(self.changed)
            return box
        if origin is Literal:
            combo = QComboBox(self)
            labels = CHOICES.get(self.name, {})
            for choice in typing.get_args(hint):
                combo.addItem(labels.get(choice, str(choice)), choice)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(14)
            combo.currentIndexChanged.connect(self.changed)
            return combo
        if hint is int and self.name not in LOGIN_FIELDS:
            spin = QSpinBox(self)
            spin.setRange(0, INT_MAX)
            spin.valueChanged.connect(self.changed)
            return _narrow(spin)
        if hint is float:
            spin = QDoubleSpinBox(self)
            spin.setRange(-1e9, 1e9)
            spin.setDecimals(2)
            spin.valueChanged.connect(self.changed)
            return _narrow(spin)
        line = QLineEdit(self)
        if hint is int:
            line.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,19}"), line))
        line.textChanged.connect(self.changed)
        return line

    # ---- values ------------------------------------------------------------------------------

    def set_value(self, value: Any) -> None:
        w = self.widget
        if isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QComboBox):
            index = w.findData(value)
            w.setCurrentIndex(max(0, index))
        elif isinstance(w, QSpinBox | QDoubleSpinBox):
            w.setValue(value)
        elif typing.get_origin(self.hint) is tuple:
            w.setText(", ".join(str(v) for v in value))  # type: ignore[union-attr]
        else:
            w.setText("" if value in (0, None) and self.hint is int else str(value))  # type: ignore[union-attr]

    def value(self) -> Any:
        w = self.widget
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QComboBox):
            return w.currentData()
        if isinstance(w, QSpinBox):
            return int(w.value())
        if isinstance(w, QDoubleSpinBox):
            return float(w.value())
        text = w.text().strip()  # type: ignore[union-attr]
        if typing.get_origin(self.hint) is tuple:
            try:
                return tuple(int(part) for part in text.replace(";", ",").split(",") if part.strip())
            except ValueError:
                raise ValidationError("Write the logins as numbers separated by commas.",
                                      {self.key: "Write the logins as numbers separated by commas."}) from None
        if self.hint is int:
            return int(text) if text else 0
        return text

    def set_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))


class Form(QWidget):
    """Label: editor rows, keyed by the settings' dotted names (``mt5.poll_seconds``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_ = QFormLayout(self)
        self.layout_.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.editors: dict[str, FieldEditor] = {}

    def field(self, key: str, owner: type, name: str | None = None, *, label: str | None = None) -> FieldEditor:
        name = name or key.rsplit(".", 1)[-1]
        editor = FieldEditor(owner, name, self, key=key)
        self.layout_.addRow(label or label_of(name), editor)
        self.editors[key] = editor
        return editor

    def row(self, label: str, widget: QWidget) -> None:
        self.layout_.addRow(label, widget)
