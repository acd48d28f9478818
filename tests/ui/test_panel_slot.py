"""A navigation slot builds its panel without freezing the window."""

from __future__ import annotations

import sys
import threading

import pytest
from PySide6.QtWidgets import QStackedWidget

from fidus_desktop.app_context import AppContext
from fidus_desktop.paths import AppPaths
from ui.panels.host import PanelSlot
from ui.panels.registry import PanelEntry
from ui.tasks import TaskRunner

pytestmark = pytest.mark.gui

MODULE = '''
import threading
from ui.panels.base import Panel

IMPORTED_ON = threading.current_thread()


class SlowPanel(Panel):
    NAME = "slow"
    TITLE = "Slow"
'''


def test_a_panel_module_not_yet_imported_is_imported_off_the_gui_thread(qtbot, qloop, tmp_path, monkeypatch):
    (tmp_path / "slow_panel_module.py").write_text(MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "slow_panel_module", raising=False)
    errors: list[tuple[BaseException, str]] = []
    tasks = TaskRunner(lambda exc, name: errors.append((exc, name)), loop=qloop)
    stack = QStackedWidget()
    qtbot.addWidget(stack)
    slot = PanelSlot(PanelEntry("slow", "Slow", "", "slow_panel_module:SlowPanel", "crm"), tasks,
                     lambda exc, what: errors.append((exc, what)), stack)
    stack.addWidget(slot)
    slot.set_context(AppContext.create(AppPaths.default()))

    slot.activate()
    assert slot.panel is None and "Opening Slow" in slot.notice.text.text()  # not built on this call
    qtbot.waitUntil(lambda: slot.panel is not None, timeout=5000)

    module = sys.modules["slow_panel_module"]
    assert module.IMPORTED_ON is not threading.main_thread()
    assert type(slot.panel).__name__ == "SlowPanel" and stack.currentWidget() is slot
    assert errors == []
    slot.panel.deleteLater()


def test_a_panel_whose_module_fails_to_import_says_so(qtbot, qloop, tmp_path, monkeypatch):
    (tmp_path / "broken_panel_module.py").write_text("raise ImportError('no such thing')\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    errors: list[tuple[BaseException, str]] = []
    tasks = TaskRunner(lambda exc, name: errors.append((exc, name)), loop=qloop)
    slot = PanelSlot(PanelEntry("broken", "Broken", "", "broken_panel_module:Panel", "crm"), tasks,
                     lambda exc, what: errors.append((exc, what)))
    qtbot.addWidget(slot)
    slot.set_context(AppContext.create(AppPaths.default()))

    slot.activate()
    qtbot.waitUntil(lambda: slot.failed is not None, timeout=5000)
    assert slot.panel is None and "could not be opened" in slot.notice.text.text()
    assert [what for _, what in errors] == ["opening the Broken panel"]
    slot.activate()  # never retried silently
    assert len(errors) == 1
