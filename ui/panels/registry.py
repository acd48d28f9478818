"""The panels of the main window, in navigation order.

Each entry names its class as ``"module:Class"`` and is imported only when the panel is first
needed: panels pull in pyqtgraph and numpy (about a second), which must not delay the first
paint (the last-used panel's module is imported in the ``io`` lane while the fund opens, see
``ui/app.py``). To put a real panel in place of a placeholder, change its ``target`` (one line):

    PanelEntry("crm", "CRM", "Ctrl+1", "ui.crm.panel:CrmPanel", "crm"),

The class's ``NAME`` must equal the entry's name (checked when it is loaded).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .base import Panel


@dataclass(frozen=True, slots=True)
class PanelEntry:
    name: str
    title: str
    shortcut: str
    target: str
    #: Base name of the SVG in ``resources/icons``.
    icon: str

    @property
    def module(self) -> str:
        """The module the panel's class is in."""
        return self.target.partition(":")[0]

    def load(self) -> type[Panel]:
        cls = getattr(importlib.import_module(self.module), self.target.partition(":")[2])
        if cls.NAME != self.name:
            raise TypeError(f"{self.target} has NAME {cls.NAME!r}, but the registry lists it as {self.name!r}")
        return cls


PANELS: tuple[PanelEntry, ...] = (
    PanelEntry("crm", "CRM", "Ctrl+1", "ui.crm.panel:CrmPanel", "crm"),
    PanelEntry("portfolio", "Portfolio", "Ctrl+2", "ui.portfolio.panel:PortfolioPanel", "portfolio"),
    PanelEntry("mt5", "MT5", "Ctrl+3", "ui.mt5.panel:Mt5Panel", "mt5"),
    PanelEntry("workspace", "Workspace", "Ctrl+4", "ui.workspace.panel:WorkspacePanel", "workspace"),
    PanelEntry("health", "Health", "Ctrl+5", "ui.panels.health:HealthPanel", "health"),
)

