"""The settings dialog's flow, Qt-free: the settings being edited, the secrets typed, the tests.

The dialog reads :attr:`SettingsSession.settings`, writes the manager's input back with
:meth:`edit` / :meth:`set_secret`, runs :meth:`test_mongodb` and :meth:`test_bridge` for its
Test buttons, and calls :meth:`save`. Saving checks everything first (:mod:`.rules`); a MongoDB
address typed but not yet tested is tested then, off the window's thread; nothing is written
unless all is well. Secrets go to the keyring only (in the io lane); the settings (which name the
keyring entries) are saved and announced through ``context.update_settings``, so what can change
under a running app does so at once; :attr:`SettingsChange.restart_needed` says when not.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..commands.secret import named_entries
from ..config import BridgeEndpoint, Settings
from ..errors import SecretStoreUnavailable, ValidationError
from ..runtime.settings_change import SettingsChange
from .checks import CheckResult, check_bridge, check_mongodb
from .rules import bridge_key_entry, settings_problems
from bridge_link.terminals import find_terminals

if TYPE_CHECKING:
    from ..app_context import AppContext

log = logging.getLogger(__name__)


async def save_with_secrets(context: AppContext, settings: Settings, secrets: dict[str, str],
                            forget: tuple[str, ...] = ()) -> SettingsChange:
    """Secrets into the keyring (io lane), then the settings saved and announced. The one way the
    dialog and the wizard apply what the manager chose; a keyring failure saves no setting."""
    def write() -> None:
        store = context.secrets  # finding the keyring takes a few tenths of a second: here, in the lane
        for entry, value in secrets.items():
            store.set(entry, value)
        for entry in forget:
            try:
                store.delete(entry)
            except SecretStoreUnavailable as exc:  # a leftover key is harmless; say it in the log
                log.warning("keyring entry %s not removed: %s", entry, exc)

    if secrets or forget:
        await context.lanes.io.run(write, action="save secrets in the keyring")
    return context.update_settings(settings, secrets=frozenset(secrets))


def rebase(original: Settings, edited: Settings, current: Settings) -> Settings:
    """``edited``'s changes (since ``original``) applied onto ``current``, field by field: what
    changed meanwhile elsewhere (the window's state, a Google connect from the dialog) is kept."""
    def merge(old: Any, new: Any, now: Any) -> Any:
        if not dataclasses.is_dataclass(old) or isinstance(old, type):
            return new if new != old else now
        changes = {f.name: merge(getattr(old, f.name), getattr(new, f.name), getattr(now, f.name))
                   for f in dataclasses.fields(old)}
        return dataclasses.replace(now, **changes)

    return merge(original, edited, current)


class SettingsSession:
    def __init__(self, context: AppContext, *,
                 terminals: Callable[[], tuple[Path, ...]] = find_terminals) -> None:
        self.context = context
        self.original = context.settings
        self.settings = context.settings
        #: Values typed in this session, by keyring entry; never shown, never in a file.
        self._typed: dict[str, str] = {}
        #: Entries known to hold a value in the keyring (filled by :meth:`load`).
        self.saved: set[str] = set()
        #: Said once when the keyring could not be read.
        self.keyring_problem = ""
        self._tested_uri = ""
        self._terminals = terminals
        self._found_terminals: tuple[Path, ...] | None = None

    # ---- reading ------------------------------------------------------------------------------

    async def load(self) -> None:
        """Learn which keyring entries the settings name are set (io lane: the keyring is slow)."""
        entries = list(named_entries(self.settings))

        def read() -> set[str]:
            found = set()
            for entry in entries:
                try:
                    if self.context.secrets.get(entry):
                        found.add(entry)
                except SecretStoreUnavailable as exc:
                    self.keyring_problem = exc.message
            return found

        self.saved = await self.context.lanes.io.run(read, action="read the keyring entries")

    def has_secret(self, entry: str) -> bool:
        return bool(entry) and (entry in self._typed or entry in self.saved)

    def typed(self, entry: str) -> bool:
        return entry in self._typed

    def terminals(self) -> tuple[Path, ...]:
        if self._found_terminals is None:
            self._found_terminals = self._terminals()
        return self._found_terminals

    # ---- editing ------------------------------------------------------------------------------

    def edit(self, section: str | None = None, **changes: Any) -> None:
        """``edit("mt5", source="bridge")``; ``edit(fund_name=...)`` for top-level settings."""
        if section is None:
            self.settings = self.settings.replace(**changes)
        else:
            value = dataclasses.replace(getattr(self.settings, section), **changes)
            self.settings = self.settings.replace(**{section: value})

    def set_secret(self, entry: str, value: str) -> None:
        """What the manager typed for ``entry``; an empty value keeps what the keyring holds."""
        value = value.strip()
        if value:
            self._typed[entry] = value
        else:
            self._typed.pop(entry, None)

    def set_mongo_uri(self, uri: str) -> None:
        self.set_secret(self.settings.storage.mongo_uri_secret, uri)

    @property
    def typed_mongo_uri(self) -> str:
        return self._typed.get(self.settings.storage.mongo_uri_secret, "")

    def new_bridge_entry(self, name: str) -> str:
        """A keyring entry for a bridge being added, unlike any the settings name."""
        taken = {b.api_key_secret for b in self.settings.mt5.bridges} | set(named_entries(self.settings))
        return bridge_key_entry(name, taken)

    def set_bridges(self, rows: list[tuple[str, str, str, str]]) -> None:
        """``(name, url, entry, typed key)`` per bridge, in order; an empty entry gets one."""
        bridges = []
        for name, url, entry, key in rows:
            entry = entry or self.new_bridge_entry(name)
            while entry in {b.api_key_secret for b in bridges}:
                entry = bridge_key_entry(name, {b.api_key_secret for b in bridges} | {entry})
            bridges.append(BridgeEndpoint(name.strip(), url.strip(), entry))
            self.set_secret(entry, key)
        self.edit("mt5", bridges=tuple(bridges))

    # ---- tests --------------------------------------------------------------------------------

    async def test_mongodb(self, uri: str | None = None) -> CheckResult:
        """Try the typed address (or ``uri``) off the window's thread; remember it if it answered."""
        uri = (uri if uri is not None else self.typed_mongo_uri).strip()
        if not uri:
            return CheckResult(False, "Enter the MongoDB address first.")
        storage = self.settings.storage
        result = await check_mongodb(uri, storage.mongo_database, timeout_seconds=storage.timeout_seconds,
                                     lanes=self.context.lanes)
        if result.ok:
            self._tested_uri = uri
        return result

    async def test_bridge(self, index: int) -> CheckResult:
        bridge = self.settings.mt5.bridges[index]
        key = self._typed.get(bridge.api_key_secret)
        if key is None and bridge.api_key_secret in self.saved:
            key = await self.context.lanes.io.run(lambda: self.context.secrets.get(bridge.api_key_secret),
                                                  action="read a bridge key")
        if not key:
            return CheckResult(False, f"Enter the API key of bridge '{bridge.name}' first.")
        mt5 = self.settings.mt5
        return await check_bridge(bridge.name, bridge.url, key, connect_timeout=mt5.connect_timeout,
                                  read_timeout=mt5.read_timeout)

    # ---- saving -------------------------------------------------------------------------------

    def problems(self) -> dict[str, str]:
        return settings_problems(self.settings, self.has_secret, self._typed, self._tested_uri, self.terminals)

    @property
    def changed(self) -> bool:
        return self.settings != self.context.settings or bool(self._typed)

    async def save(self) -> SettingsChange:
        """Check, test a new MongoDB address, write secrets then settings. Raises
        :class:`ValidationError` (with the fields) and saves nothing when anything is wrong."""
        typed_uri = self.typed_mongo_uri
        if typed_uri and typed_uri != self._tested_uri:
            result = await self.test_mongodb(typed_uri)
            if not result.ok:
                raise ValidationError(f"Not saved: {result.message}", {"storage.mongo_uri": result.message})
        problems = self.problems()
        if problems:
            raise ValidationError("Not saved: " + next(iter(problems.values())), problems)
        kept = {b.api_key_secret for b in self.settings.mt5.bridges}
        forget = tuple(b.api_key_secret for b in self.context.settings.mt5.bridges
                       if b.api_key_secret and b.api_key_secret not in kept)
        merged = rebase(self.original, self.settings, self.context.settings)
        change = await save_with_secrets(self.context, merged, dict(self._typed), forget)
        self.saved |= set(self._typed)
        self._typed.clear()
        self.original = self.settings = merged
        return change

    def adopt(self, settings: Settings) -> None:
        """Settings saved outside this session (a Google connect, the wizard): take them in,
        keeping this session's own edits."""
        self.settings = rebase(self.original, self.settings, settings)
        self.original = settings
