"""Tabs whose pages are built when first needed, so opening a panel builds one page, not seven.

Building a page's widgets under the theme's style sheet costs 5-45 ms each (the polish of every
child); a panel that built all its tabs at once held the window 250-350 ms when first shown. A
:class:`LazyTabs` builds the page in sight at once and the others one per turn of the event loop
afterwards (each turn well under the 50 ms a manager notices), or at once when code asks for one
(:meth:`page`). Code that pushes data to pages asks :meth:`built` first and leaves an unbuilt page
alone: its factory fills it from the panel's current state when it is built.

Each page sits in a container the tab widget owns; :meth:`currentWidget`, :meth:`widget`,
:meth:`indexOf` and :meth:`setCurrentWidget` speak of the pages themselves, so callers never see
the containers.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from fidus_desktop.runtime.watchdog import doing

#: Pause between two background page builds: the page in sight gets its data first.
IDLE_BUILD_MS = 30


class _Page:
    __slots__ = ("name", "title", "make", "holder", "widget")

    def __init__(self, name: str, title: str, make: Callable[[QWidget], QWidget], holder: QWidget) -> None:
        self.name, self.title, self.make, self.holder = name, title, make, holder
        self.widget: QWidget | None = None


class LazyTabs(QTabWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pages: list[_Page] = []
        self._by_name: dict[str, _Page] = {}
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(IDLE_BUILD_MS)
        self._idle.timeout.connect(self._build_one_more)
        # Connected before any caller's slot: the page exists when they hear the tab changed.
        self.currentChanged.connect(self._shown)

    def add_page(self, name: str, title: str, make: Callable[[QWidget], QWidget]) -> None:
        """``make(holder)`` builds the page (parented to ``holder``) and wires it; called once."""
        holder = QWidget(self)
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(0, 0, 0, 0)
        page = _Page(name, title, make, holder)
        self._pages.append(page)
        self._by_name[name] = page
        self.addTab(holder, title)

    # ---- pages -----------------------------------------------------------------------------

    def page(self, name: str) -> QWidget:
        """The page called ``name``, built now if it was not yet."""
        return self._build(self._by_name[name])

    def built(self, name: str) -> QWidget | None:
        """The page if it was built, else None (it will be filled when it is)."""
        return self._by_name[name].widget

    def name_of(self, index: int) -> str | None:
        return self._pages[index].name if 0 <= index < len(self._pages) else None

    def _build(self, page: _Page) -> QWidget:
        if page.widget is None:
            with doing(f"build the {page.title} tab"):
                widget = page.make(page.holder)
                page.holder.layout().addWidget(widget)
                page.widget = widget
            if any(p.widget is None for p in self._pages):
                self._idle.start()
        return page.widget

    def _shown(self, index: int) -> None:
        # Not while hidden (the first page added becomes current then): built when shown.
        if self.isVisible() and 0 <= index < len(self._pages):
            self._build(self._pages[index])

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt naming)
        index = self.currentIndex()
        if 0 <= index < len(self._pages):
            self._build(self._pages[index])
        super().showEvent(event)

    def _build_one_more(self) -> None:
        for page in self._pages:
            if page.widget is None:
                self._build(page)  # restarts the timer while pages remain
                return

    # ---- QTabWidget's look-ups, in terms of pages ---------------------------------------------

    def widget(self, index: int) -> QWidget | None:  # type: ignore[override]
        if 0 <= index < len(self._pages):
            return self._build(self._pages[index])
        return super().widget(index)

    def currentWidget(self) -> QWidget | None:  # noqa: N802 (Qt naming)
        return self.widget(self.currentIndex())

    def indexOf(self, widget: QWidget) -> int:  # noqa: N802
        for n, page in enumerate(self._pages):
            if widget is page.widget or widget is page.holder:
                return n
        return super().indexOf(widget)

    def setCurrentWidget(self, widget: QWidget) -> None:  # noqa: N802
        index = self.indexOf(widget)
        if index >= 0:
            self.setCurrentIndex(index)
