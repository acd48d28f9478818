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


def secret_sections(settings: Settings, entry: str) -> frozenset[str]:
    """The sections that read the keyring entry ``entry`` (a new bridge key is an MT5 change)."""
    mt5, google = settings.mt5, settings.google
    found = set()
    if entry == settings.storage.mongo_uri_secret and settings.storage.backend == "mongodb":
        found.add("storage")
    if (entry == mt5.password_secret or entry.startswith(f"{mt5.password_secret}-")
            or entry in {b.api_key_secret for b in mt5.bridges}):
        found.add("mt5")
    if entry in (google.client_secret_entry, google.token_entry):
        found.add("google")
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class SettingsChange:
    old: Settings
    new: Settings
    #: Keyring entries given a new value with this change (names only, never values).
    secrets: frozenset[str] = frozenset()

    @property
    def sections(self) -> frozenset[str]:
        """Top-level names whose value changed (``mt5``, ``storage``, ``fund_name``...), and those
        reading a keyring entry that changed."""
        changed = {f.name for f in dataclasses.fields(Settings) if getattr(self.old, f.name) != getattr(self.new, f.name)}
        for entry in self.secrets:
            changed |= secret_sections(self.new, entry)
        return frozenset(changed)

    def touches(self, *sections: str) -> bool:
        return bool(self.sections & set(sections))

    @property
    def restart_needed(self) -> bool:
        return bool(self.sections & RESTART_SECTIONS)
