"""The base of a settings page: forms of field editors keyed by the settings' dotted names,
loaded from and collected into the core's :class:`~fidus_desktop.setup.session.SettingsSession`."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout, QWidget

from fidus_desktop.errors import ValidationError
from fidus_desktop.setup.session import SettingsSession

from ..tasks import TaskRunner
from .fields import FieldEditor, Form


def read(settings: Any, key: str) -> Any:
    value = settings
    for part in key.split("."):
        value = getattr(value, part)
    return value


def status_label(parent: QWidget) -> QLabel:
    label = QLabel("", parent)
    label.setWordWrap(True)
    label.setObjectName("checkResult")
    return label


def show_result(label: QLabel, ok: bool | None, text: str) -> None:
    label.setObjectName({True: "checkPassed", False: "checkFailed", None: "checkResult"}[ok])
    label.setText(text)
    label.setVisible(bool(text))
    label.style().unpolish(label)
    label.style().polish(label)


class SettingsPage(QWidget):
    TITLE = ""
    #: Problems under these settings (``storage``, ``mt5.bridges``...) belong to this page.
    PREFIXES: tuple[str, ...] = ()

    def __init__(self, session: SettingsSession, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.tasks = tasks
        self.forms: list[Form] = []
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(4, 4, 4, 4)

    def form(self, title: str = "") -> Form:
        form = Form(self)
        if title:
            box = QGroupBox(title, self)
            inner = QVBoxLayout(box)
            inner.addWidget(form)
            self.layout_.addWidget(box)
            form.box = box  # type: ignore[attr-defined]
        else:
            self.layout_.addWidget(form)
        self.forms.append(form)
        return form

    @property
    def editors(self) -> dict[str, FieldEditor]:
        return {key: editor for form in self.forms for key, editor in form.editors.items()}

    # ---- to and from the session ---------------------------------------------------------------

    def load(self) -> None:
        for key, editor in self.editors.items():
            editor.set_value(read(self.session.settings, key))
        self.load_extra()

    def load_extra(self) -> None:
        """Widgets that are not plain fields (secrets, lists)."""

    def collect(self) -> None:
        """Put what is on the page into the session; :class:`ValidationError` for unreadable input."""
        sections: dict[str | None, dict[str, Any]] = defaultdict(dict)
        problems: dict[str, str] = {}
        for key, editor in self.editors.items():
            try:
                value = editor.value()
            except ValidationError as exc:
                problems |= exc.fields or {key: exc.message}
                continue
            section, _, name = key.rpartition(".")
            sections[section or None][name] = value
        if problems:
            raise ValidationError(next(iter(problems.values())), problems)
        for section, values in sections.items():
            self.session.edit(section, **values)
        self.collect_extra()

    def collect_extra(self) -> None:
        pass

    def show_problems(self, problems: dict[str, str]) -> bool:
        for key, editor in self.editors.items():
            editor.set_problem(problems.get(key, ""))
        self.show_extra_problems(problems)
        return any(key == p or key.startswith((p + ".", p + "[")) for key in problems for p in self.PREFIXES)

    def show_extra_problems(self, problems: dict[str, str]) -> None:
        pass

    def covered(self) -> set[str]:
        """Every setting this page edits (the dialog's test checks none is left out)."""
        return set(self.editors) | self.extra_covered()

    def extra_covered(self) -> set[str]:
        return set()
