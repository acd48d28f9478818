"""The Alerts tab: the alert list (acknowledge, snooze), its history, and the rules, editable here.

Rules are settings (``settings.alerts``): saving them goes through ``context.update_settings``,
which writes the settings file and announces the change; the monitor judges the next board with
the new rules, no restart.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QSpinBox, QSplitter, QTabWidget, QVBoxLayout, QWidget)
from PySide6.QtCore import Qt

from fidus_desktop.config import AlertRule, AlertSettings, describe
from fidus_desktop.errors import ValidationError
from fidus_desktop.mt5.alerts import Alert, rule_label
from fidus_desktop.services.mt5_accounts import FUND_CODES

from ..widgets.form_dialog import FormDialog
from ..widgets.format import local_moment
from ..widgets.table_model import Column, KeyedTableModel, TableData, list_data, selected_positions
from .tables import mt5_table, state_icon

KIND_LABELS = {"margin_level_below": "Margin level below (%)", "drawdown_over": "Drawdown over (%)",
               "equity_drop": "Equity drop within a window (%)", "source_down": "No live data for (seconds)",
               "balance_operation_over": "Deposit or withdrawal of at least (amount)",
               "position_without_sl": "Position without stop loss after (seconds)"}


def alert_state(alert: Alert) -> str:
    if alert.active:
        text = "Active"
    else:
        text = f"Cleared {local_moment(alert.cleared_at)}"
    if alert.acknowledged_at is not None:
        text += ", acknowledged"
    elif not alert.active:
        text += ", not acknowledged"
    if alert.snoozed_until is not None:
        text += f", snoozed until {local_moment(alert.snoozed_until)}"
    return text


ALERT_COLUMNS = (
    Column("State", alert_state, sort="state", icon=lambda a: state_icon("alert" if a.active else "stale")),
    Column("Fired", lambda a: local_moment(a.fired_at), sort="fired"),
    Column("Rule", lambda a: a.rule, sort="rule"),
    Column("Account", lambda a: str(a.account or ""), sort="account"),
    Column("Fund", lambda a: a.fund, sort="fund"),
    Column("What", lambda a: a.message, sort="message", tooltip=lambda a: a.message),
)


def alerts_data(alerts: tuple[Alert, ...] | list[Alert]) -> TableData:
    return list_data(list(alerts), {
        "state": lambda a: (not a.active, a.acknowledged_at is not None), "fired": lambda a: a.fired_at,
        "rule": lambda a: a.rule, "account": lambda a: a.account or 0, "fund": lambda a: a.fund,
        "message": lambda a: a.message}, tint=lambda a: "#b42318" if a.active else None)


RULE_COLUMNS = (
    Column("On", lambda r: "on" if r.enabled else "off"),
    Column("Rule", rule_label),
    Column("Applies to", lambda r: f"account {r.account}" if r.account else (f"fund {r.fund}" if r.fund else "every account")),
    Column("Limit", lambda r: f"{r.threshold:g}", numeric=True),
    Column("Window", lambda r: f"{r.window_seconds:g} s" if r.kind == "equity_drop" else "", numeric=True),
    Column("Hysteresis", lambda r: f"{r.hysteresis_pct:g} %", numeric=True, tooltip=describe(AlertRule, "hysteresis_pct")),
)


class RuleDialog(FormDialog):
    """Edit one rule; emits the new :class:`AlertRule`."""

    def __init__(self, rule: AlertRule | None, parent: QWidget | None = None) -> None:
        super().__init__("Edit alert rule" if rule else "New alert rule", parent)
        rule = rule or AlertRule()
        self.kind = QComboBox(self)
        for kind, label in KIND_LABELS.items():
            self.kind.addItem(label, kind)
        self.kind.setCurrentIndex(self.kind.findData(rule.kind))
        self.threshold = QDoubleSpinBox(self)
        self.threshold.setRange(0, 1e12)
        self.threshold.setDecimals(2)
        self.threshold.setValue(rule.threshold)
        self.window = QDoubleSpinBox(self)
        self.window.setRange(60, 30 * 86400)
        self.window.setValue(rule.window_seconds)
        self.account = QSpinBox(self)
        self.account.setRange(0, 2**31 - 1)
        self.account.setValue(rule.account)
        self.account.setSpecialValueText("every account")
        self.fund = QComboBox(self)
        self.fund.addItem("every fund", "")
        for code in FUND_CODES:
            self.fund.addItem(code, code)
        self.fund.setCurrentIndex(max(0, self.fund.findData(rule.fund)))
        self.hysteresis = QDoubleSpinBox(self)
        self.hysteresis.setRange(0, 100)
        self.hysteresis.setValue(rule.hysteresis_pct)
        self.enabled = QCheckBox("evaluated", self)
        self.enabled.setChecked(rule.enabled)
        self.name = QLineEdit(rule.name, self)
        self.fields = {"kind": self.kind, "threshold": self.threshold, "window_seconds": self.window,
                       "account": self.account, "fund": self.fund, "hysteresis_pct": self.hysteresis,
                       "name": self.name}
        for label, widget in (("Watch", self.kind), ("Limit", self.threshold), ("Window (s, equity drop)", self.window),
                              ("Only account", self.account), ("Only fund", self.fund),
                              ("Hysteresis %", self.hysteresis), ("Name", self.name)):
            widget.setToolTip(describe(AlertRule, next(k for k, v in self.fields.items() if v is widget)))
            self.form.addRow(label, widget)
        self.form.addRow("", self.enabled)

    def payload(self) -> AlertRule:
        kind = self.kind.currentData()
        if kind in ("margin_level_below", "drawdown_over", "equity_drop") and self.threshold.value() <= 0:
            raise ValidationError("A percentage limit must be above 0.", {"threshold": "Above 0, e.g. 150."})
        return AlertRule(kind=kind, threshold=self.threshold.value(), window_seconds=self.window.value(),
                         account=self.account.value(), fund=self.fund.currentData(),
                         hysteresis_pct=self.hysteresis.value(), enabled=self.enabled.isChecked(),
                         name=self.name.text().strip())


class AlertsView(QWidget):
    acknowledge_requested = Signal(list)
    snooze_requested = Signal(list, float)
    history_requested = Signal()
    #: New alert settings to save (rules, notifications, snooze length).
    settings_edited = Signal(object)

    def __init__(self, tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = AlertSettings()
        self.dialog: RuleDialog | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        top = QWidget(splitter)
        column = QVBoxLayout(top)
        column.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.summary = QLabel("No alert.", top)
        self.summary.setObjectName("panelSubheading")
        self.ack = QPushButton("Acknowledge", top)
        self.snooze = QPushButton("Snooze", top)
        self.snooze_minutes = QSpinBox(top)
        self.snooze_minutes.setRange(5, 24 * 60)
        self.snooze_minutes.setSuffix(" min")
        self.ack.clicked.connect(lambda: self.acknowledge_requested.emit(self.chosen_keys()))
        self.snooze.clicked.connect(lambda: self.snooze_requested.emit(self.chosen_keys(),
                                                                         float(self.snooze_minutes.value())))
        for widget in (self.summary,):
            bar.addWidget(widget, 1)
        for widget in (self.ack, self.snooze, self.snooze_minutes):
            bar.addWidget(widget)
        column.addLayout(bar)
        self.lists = QTabWidget(top)
        self.model = KeyedTableModel(ALERT_COLUMNS, tasks, self)
        self.table = mt5_table(self.lists, self.model, sort_column=1, descending=True, multi=True)
        self.past = KeyedTableModel(ALERT_COLUMNS, tasks, self)
        self.lists.addTab(self.table, "Needs attention")
        self.lists.addTab(mt5_table(self.lists, self.past, sort_column=1, descending=True), "History")
        self.lists.currentChanged.connect(lambda i: i == 1 and self.history_requested.emit())
        column.addWidget(self.lists, 1)

        bottom = QWidget(splitter)
        rules = QVBoxLayout(bottom)
        rules.setContentsMargins(0, 4, 0, 0)
        rbar = QHBoxLayout()
        title = QLabel("Rules (saved in your settings; applied from the next poll)", bottom)
        title.setObjectName("panelSubheading")
        self.notify = QCheckBox("Desktop notification when an alert fires", bottom)
        self.notify.toggled.connect(self._notify_toggled)
        rbar.addWidget(title, 1)
        rbar.addWidget(self.notify)
        for text, slot in (("Add…", self.add_rule), ("Edit…", self.edit_rule), ("On/off", self.toggle_rule),
                           ("Remove", self.remove_rule)):
            button = QPushButton(text, bottom)
            button.clicked.connect(slot)
            rbar.addWidget(button)
        rules.addLayout(rbar)
        self.rules = KeyedTableModel(RULE_COLUMNS, None, self)
        self.rules_table = mt5_table(bottom, self.rules, sort_column=None)
        self.rules_table.doubleClicked.connect(lambda _index: self.edit_rule())
        rules.addWidget(self.rules_table, 1)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        layout.addWidget(splitter, 1)

    # ---- the list --------------------------------------------------------------------------------

    def show_alerts(self, alerts: tuple[Alert, ...]) -> None:
        self.model.set_data(alerts_data(alerts))
        active = sum(1 for a in alerts if a.active)
        waiting = sum(1 for a in alerts if a.needs_attention)
        self.summary.setText(f"{active} active alert(s), {waiting} not acknowledged" if alerts else "No alert.")

    def show_history(self, alerts: list[Alert]) -> None:
        self.past.set_data(alerts_data(alerts))

    def chosen_keys(self) -> list[str]:
        rows = selected_positions(self.table) or ([0] if self.model.rowCount() == 1 else [])
        return [self.model.row(i).key for i in rows]

    # ---- the rules --------------------------------------------------------------------------------

    def show_settings(self, settings: AlertSettings) -> None:
        self.settings = settings
        self.rules.set_data(list_data(settings.rules))
        self.notify.blockSignals(True)
        self.notify.setChecked(settings.notify)
        self.notify.blockSignals(False)
        self.snooze_minutes.setValue(int(settings.snooze_minutes))

    def _chosen_rule(self) -> int | None:
        rows = selected_positions(self.rules_table)
        return rows[0] if rows else None

    def _save_rules(self, rules: tuple[AlertRule, ...]) -> None:
        self.settings_edited.emit(dataclasses.replace(self.settings, rules=rules))

    def _notify_toggled(self, on: bool) -> None:
        self.settings_edited.emit(dataclasses.replace(self.settings, notify=on))

    def add_rule(self) -> RuleDialog:
        return self._open(None, lambda rule: (*self.settings.rules, rule))

    def edit_rule(self) -> RuleDialog | None:
        index = self._chosen_rule()
        if index is None:
            return None
        rules = list(self.settings.rules)

        def replaced(rule: AlertRule) -> tuple[AlertRule, ...]:
            rules[index] = rule
            return tuple(rules)

        return self._open(rules[index], replaced)

    def _open(self, rule: AlertRule | None, apply) -> RuleDialog:  # noqa: ANN001
        dialog = RuleDialog(rule, self)
        self.dialog = dialog

        def save(new: AlertRule) -> None:
            self._save_rules(apply(new))
            dialog.accept()

        dialog.submitted.connect(save)
        dialog.finished.connect(lambda _: setattr(self, "dialog", None))
        dialog.open()
        return dialog

    def toggle_rule(self) -> None:
        index = self._chosen_rule()
        if index is not None:
            rules = list(self.settings.rules)
            rules[index] = dataclasses.replace(rules[index], enabled=not rules[index].enabled)
            self._save_rules(tuple(rules))

    def remove_rule(self) -> None:
        index = self._chosen_rule()
        if index is not None:
            self._save_rules(tuple(r for i, r in enumerate(self.settings.rules) if i != index))
