"""A settings change, as announced on ``EventType.SETTINGS_CHANGED``.

Whoever read a setting at start (the MT5 monitor's source, a panel's poll interval, the fund
name in the window title) subscribes and applies the new value; sections that cannot change
under a running app (which database) say so, and the window asks for a restart.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..config import Settings

#: Sections whose change takes effect only after a restart.
RESTART_SECTIONS = frozenset({"storage"})


@dataclass(frozen=True, slots=True)
class SettingsChange:
    old: Settings
    new: Settings

    @property
    def sections(self) -> frozenset[str]:
        """Top-level names whose value changed (``mt5``, ``storage``, ``fund_name``...)."""
        return frozenset(f.name for f in dataclasses.fields(Settings)
                         if getattr(self.old, f.name) != getattr(self.new, f.name))

    def touches(self, *sections: str) -> bool:
        return bool(self.sections & set(sections))

    @property
    def restart_needed(self) -> bool:
        return bool(self.sections & RESTART_SECTIONS)
