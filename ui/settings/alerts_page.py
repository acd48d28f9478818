"""MT5 alerts: the rules (one row each, every field of a rule) and how alerts are shown."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from fidus_desktop.config import AlertRule, AlertSettings, describe
from fidus_desktop.errors import ValidationError

from .fields import FieldEditor, label_of
from .page import SettingsPage

RULE_FIELDS = tuple(f.name for f in dataclasses.fields(AlertRule))


#: Three lines per rule: what is watched and its limit; which accounts; its name and switch.
LAYOUT = (("kind", "threshold", "window_seconds"), ("account", "fund", "hysteresis_pct"), ("name", "enabled"))


class RuleRow(QFrame):
    """One rule of a settings list of rules (a frozen dataclass, every field an editor), laid out
    in ``layout``'s lines; the MT5 alert rules by default, Google's workflow rules too."""

    def __init__(self, rule: object, parent: QWidget | None = None, *, kind: type = AlertRule,
                 layout: tuple[tuple[str, ...], ...] = LAYOUT) -> None:
        super().__init__(parent)
        self.kind = kind
        self.setObjectName("alertRule")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 4, 6, 4)
        names = [f.name for f in dataclasses.fields(kind)]
        self.editors = {name: FieldEditor(kind, name, self, description=False) for name in names}
        for line, row in enumerate(layout):
            for column, name in enumerate(row):
                label = QLabel(label_of(name), self)
                label.setToolTip(describe(kind, name))
                grid.addWidget(label, line, 2 * column)
                grid.addWidget(self.editors[name], line, 2 * column + 1)
                grid.setColumnStretch(2 * column + 1, 1)
        for name in names:
            self.editors[name].set_value(getattr(rule, name))
        self.remove = QPushButton("Remove", self)
        grid.addWidget(self.remove, len(layout) - 1, 5)

    def rule(self) -> object:
        return self.kind(**{name: editor.value() for name, editor in self.editors.items()})


class AlertsPage(SettingsPage):
    TITLE = "Alerts"
    PREFIXES = ("alerts",)

    def __init__(self, session, tasks, parent: QWidget | None = None) -> None:
        super().__init__(session, tasks, parent)
        general = self.form("Notifications")
        for name in ("notify", "snooze_minutes", "settle_seconds", "drawdown_percent", "margin_level_percent"):
            general.field(f"alerts.{name}", AlertSettings)
        rules = self.form("Rules")
        self.rules_box = QWidget(self)
        column = QVBoxLayout(self.rules_box)
        column.setContentsMargins(0, 0, 0, 0)
        self.rows_layout = QVBoxLayout()
        column.addLayout(self.rows_layout)
        self.problem = QLabel("", self)
        self.problem.setObjectName("settingProblem")
        self.problem.hide()
        column.addWidget(self.problem)
        add = QPushButton("Add a rule", self)
        add.clicked.connect(lambda: self._add(AlertRule(threshold=self.session.settings.alerts.margin_level_percent)))
        line = QHBoxLayout()
        line.addWidget(add)
        line.addStretch(1)
        column.addLayout(line)
        notes = QLabel("\n".join(f"{label_of(n)}: {describe(AlertRule, n)}" for n in RULE_FIELDS), self)
        notes.setObjectName("settingDescription")
        notes.setWordWrap(True)
        column.addWidget(notes)
        rules.row("", self.rules_box)
        self.layout_.addStretch(1)
        self.rows: list[RuleRow] = []
        self._pending: list[AlertRule] = []

    def _add(self, rule: AlertRule) -> RuleRow:
        row = RuleRow(rule, self.rules_box)
        row.remove.clicked.connect(lambda: self._remove(row))
        self.rows.append(row)
        self.rows_layout.addWidget(row)
        return row

    def _remove(self, row: RuleRow) -> None:
        self.rows.remove(row)
        row.deleteLater()

    def load_extra(self) -> None:
        for row in self.rows:
            row.deleteLater()
        self.rows = []
        self._pending = list(self.session.settings.alerts.rules)
        self._add_pending()

    def _add_pending(self) -> None:
        # One rule's row a loop turn (about ten editors each): the window keeps painting.
        if self._pending:
            self._add(self._pending.pop(0))
            QTimer.singleShot(0, self._add_pending)

    def collect_extra(self) -> None:
        while self._pending:  # rows not drawn yet are still the manager's rules
            self._add(self._pending.pop(0))
        try:
            rules = tuple(row.rule() for row in self.rows)
        except ValidationError as exc:
            raise ValidationError(exc.message, {"alerts.rules": exc.message}) from None
        self.session.edit("alerts", rules=rules)

    def show_extra_problems(self, problems: dict[str, str]) -> None:
        reasons = [f"Rule {k.split('[')[1].split(']')[0]}: {v}" for k, v in problems.items()
                   if k.startswith("alerts.rules[")]
        text = " ".join(reasons) or problems.get("alerts.rules", "")
        self.problem.setText(text)
        self.problem.setVisible(bool(text))

    def extra_covered(self) -> set[str]:
        return {"alerts.rules"}
