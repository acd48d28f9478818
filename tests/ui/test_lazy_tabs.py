"""Tabs built when first needed: opening a panel builds the page in sight, the others follow one per
loop turn, and code asking for a page gets it built, wired, once."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from ui.widgets.lazy_tabs import LazyTabs


def make_tabs(qtbot) -> tuple[LazyTabs, list[str]]:
    built: list[str] = []

    def page(name: str):
        def make(holder: QWidget) -> QLabel:
            built.append(name)
            return QLabel(name, holder)
        return make

    tabs = LazyTabs()
    qtbot.addWidget(tabs)
    for name in ("first", "second", "third"):
        tabs.add_page(name, name.title(), page(name))
    return tabs, built


def test_nothing_is_built_until_shown_then_the_page_in_sight_first(qtbot):
    tabs, built = make_tabs(qtbot)
    assert built == []  # adding pages builds nothing, even though the first became current
    tabs.show()
    assert built == ["first"]
    assert tabs.built("second") is None
    qtbot.waitUntil(lambda: built == ["first", "second", "third"], timeout=2000)  # then the rest, in idle turns


def test_a_page_asked_for_is_built_at_once_and_only_once(qtbot):
    tabs, built = make_tabs(qtbot)
    third = tabs.page("third")
    assert built == ["third"] and third.text() == "third"
    assert tabs.page("third") is third and built == ["third"]
    tabs.show()
    tabs.setCurrentWidget(third)  # the page itself, not its holder, names the tab
    assert tabs.currentIndex() == 2 and tabs.currentWidget() is third
    assert tabs.indexOf(third) == 2


def test_switching_tabs_builds_the_new_page_before_callers_hear_of_it(qtbot):
    tabs, built = make_tabs(qtbot)
    tabs.show()
    seen: list[object] = []
    tabs.currentChanged.connect(lambda i: seen.append(tabs.built(tabs.name_of(i))))
    tabs.setCurrentIndex(1)
    assert isinstance(seen[0], QLabel) and seen[0].text() == "second"
