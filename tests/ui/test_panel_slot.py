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


def slot_for(module: str, source: str, target: str, *, qtbot, qloop, tmp_path, monkeypatch,
             errors: list) -> tuple[QStackedWidget, PanelSlot]:
    """A slot in a stack for the panel ``target`` of a module written from ``source`` (not yet imported)."""
    (tmp_path / f"{module}.py").write_text(source, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, module, raising=False)
    tasks = TaskRunner(lambda exc, name: errors.append((exc, name)), loop=qloop)
    stack = QStackedWidget()
    qtbot.addWidget(stack)
    name = target.partition(":")[2].removesuffix("Panel").lower()
    slot = PanelSlot(PanelEntry(name, name.title(), "", f"{module}:{target.partition(':')[2]}", "crm"), tasks,
                     lambda exc, what: errors.append((exc, what)), stack)
    stack.addWidget(slot)
    return stack, slot


def test_a_panel_module_not_yet_imported_is_imported_off_the_gui_thread(qtbot, qloop, tmp_path, monkeypatch):
    errors: list[tuple[BaseException, str]] = []
    stack, slot = slot_for("slow_panel_module", MODULE, "slow_panel_module:SlowPanel", qtbot=qtbot, qloop=qloop,
                           tmp_path=tmp_path, monkeypatch=monkeypatch, errors=errors)
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


WARMED = '''
import threading
from ui.panels.base import Panel

IMPORTED_ON = threading.current_thread()
STEPS = []


class WarmPanel(Panel):
    NAME = "warm"
    TITLE = "Warm"

    @classmethod
    def warm_up(cls, parent):
        for n in range(3):
            STEPS.append(n)
            yield
'''


def test_preparing_a_slot_imports_off_the_gui_thread_and_warms_up_without_building(qtbot, qloop, tmp_path,
                                                                                  monkeypatch):
    """While the fund opens, the first panel's module is loaded and its warm-up steps run, one
    per loop turn; the panel itself is built only when the fund is there."""
    errors: list[tuple[BaseException, str]] = []
    _stack, slot = slot_for("warm_panel_module", WARMED, "warm_panel_module:WarmPanel", qtbot=qtbot, qloop=qloop,
                            tmp_path=tmp_path, monkeypatch=monkeypatch, errors=errors)

    slot.prepare()
    assert "warm_panel_module" not in sys.modules or sys.modules["warm_panel_module"].STEPS == []
    qtbot.waitUntil(lambda: "warm_panel_module" in sys.modules and sys.modules["warm_panel_module"].STEPS == [0, 1, 2],
                    timeout=5000)
    assert sys.modules["warm_panel_module"].IMPORTED_ON is not threading.main_thread()
    assert slot.panel is None and errors == []


def test_the_crm_panels_warm_up_builds_and_drops_its_widgets(qtbot):
    from PySide6.QtWidgets import QWidget

    from ui.crm.panel import CrmPanel

    parent = QWidget()
    qtbot.addWidget(parent)
    steps = list(CrmPanel.warm_up(parent))
    assert len(steps) == 3
    qtbot.waitUntil(lambda: not parent.findChildren(QWidget), timeout=5000)  # all deleted again
