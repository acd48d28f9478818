"""The one typed settings object, loaded once and passed in.

Secrets are not settings: for the MongoDB URI, bridge API keys, MT5 passwords and Google tokens
the settings only name the keyring entry that holds them (see :mod:`fidus_desktop.secrets`).

``CONFIG_VERSION`` rules: bump it whenever a key is renamed, moved or changes meaning, and add a
step to ``_UPGRADES`` (in :mod:`.settings_check`) that turns the previous version's dict into
the new one. New keys with a default need no bump.

A hand-edited file is forgiven where it can be (:mod:`.settings_check`): a byte-order mark is
fine, a wrong value resets only its own setting (and the manager is told which), and a file
that cannot be read at all is kept as it is, with its line and column, while the app refuses to
guess which database holds the fund. Paths may be written with ``/`` on Windows.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from . import fileio
from .domain.values import utc_now
from .errors import ConfigError

log = logging.getLogger(__name__)

CONFIG_VERSION = 1

# Keyring entry names (the service is "fidus-desktop"); the values never touch a file.
SECRET_MONGO_URI = "mongodb-uri"
SECRET_GOOGLE_TOKEN = "google-oauth-token"
SECRET_GOOGLE_CLIENT = "google-oauth-client"


def setting(default: Any = dataclasses.MISSING, *, low: float | None = None, high: float | None = None,
            path: bool = False, saved: bool = True, **kwargs: Any) -> Any:
    """A settings field with what the file reader checks: ``low``/``high`` bounds (of each item
    for a tuple), ``path`` for a file path (no control characters; ``/`` accepted on Windows),
    ``saved=False`` for session state that is never read from or written to the file."""
    metadata = {"low": low, "high": high, "path": path, "saved": saved}
    if default is dataclasses.MISSING:
        return field(metadata=metadata, **kwargs)
    return field(default=default, metadata=metadata, **kwargs)


@dataclass(frozen=True, slots=True)
class StorageSettings:
    backend: Literal["sqlite", "mongodb"] = "sqlite"
    #: Empty means the platform data dir (``fund.sqlite3``).
    sqlite_path: str = setting("", path=True)
    #: Keyring entry holding the full MongoDB URI (it usually embeds a password).
    mongo_uri_secret: str = SECRET_MONGO_URI
    mongo_database: str = "fidus_production"
    #: Server selection / connect timeout: how long before the app says "offline".
    timeout_seconds: float = setting(8.0, low=0.5, high=300)
    #: Rolling backups of the embedded fund kept in ``backups/`` beside it.
    backups_kept: int = setting(10, low=1, high=1000)
    #: Not from the file: why the storage choice could not be read from it ("" when it could).
    #: While set, no fund is opened and these settings are never saved over the file.
    unreadable: str = setting("", saved=False, compare=False)

    def require_known(self) -> None:
        """Raises :class:`ConfigError` when the settings file did not say which database to use."""
        if self.unreadable:
            raise ConfigError(self.unreadable)


@dataclass(frozen=True, slots=True)
class BridgeEndpoint:
    name: str
    url: str
    #: Keyring entry holding this bridge's API key.
    api_key_secret: str = ""


@dataclass(frozen=True, slots=True)
class Mt5Settings:
    source: Literal["demo", "direct", "bridge"] = "demo"
    terminal_path: str = setting("", path=True)
    login: int = setting(0, low=0, high=2**63 - 1)
    server: str = ""
    password_secret: str = "mt5-password"
    bridges: tuple[BridgeEndpoint, ...] = ()
    poll_seconds: float = setting(5.0, low=0.5, high=3600)
    connect_timeout: float = setting(3.0, low=0.1, high=120)
    read_timeout: float = setting(10.0, low=0.1, high=600)
    demo_seed: int = setting(1, low=0, high=2**32 - 1)
    #: The broker's clock: hours east of UTC in winter, plus its summer-time rule (mt5-api.md §8).
    server_utc_offset: float = setting(2.0, low=-12, high=14)
    server_dst: Literal["none", "eu", "us"] = "eu"
    #: More logins the direct terminal watches besides ``login`` (passwords saved in the terminal,
    #: or in the keyring as ``<password_secret>-<login>``).
    accounts: tuple[int, ...] = setting((), low=1, high=2**63 - 1)


@dataclass(frozen=True, slots=True)
class GoogleSettings:
    client_secret_entry: str = SECRET_GOOGLE_CLIENT
    token_entry: str = SECRET_GOOGLE_TOKEN
    account_email: str = ""
    max_requests_per_second: float = setting(5.0, low=0.1, high=100)


@dataclass(frozen=True, slots=True)
class AlertSettings:
    drawdown_percent: float = setting(10.0, low=0, high=100)
    margin_level_percent: float = setting(150.0, low=0, high=100_000)


@dataclass(frozen=True, slots=True)
class UiSettings:
    #: ``QMainWindow.saveGeometry()`` / ``saveState()`` as base64, written on close.
    window_geometry: str = ""
    window_state: str = ""
    last_panel: str = "crm"


@dataclass(frozen=True, slots=True)
class Settings:
    config_version: int = CONFIG_VERSION
    fund_name: str = "FIDUS Investment Management"
    storage: StorageSettings = field(default_factory=StorageSettings)
    mt5: Mt5Settings = field(default_factory=Mt5Settings)
    google: GoogleSettings = field(default_factory=GoogleSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    ui: UiSettings = field(default_factory=UiSettings)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def settings_to_dict(value: Any) -> Any:
    """The JSON form of settings (or any part of them), without the session-only fields."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: settings_to_dict(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.metadata.get("saved", True)}
    if isinstance(value, tuple):
        return [settings_to_dict(item) for item in value]
    return value


def settings_from_dict(data: Any) -> tuple[Settings, list[str]]:
    """Settings from a parsed file, field by field: ``(settings, problems)``, where each problem
    names a setting that was not valid and was reset (the file's other values are kept)."""
    from .settings_check import read_settings

    return read_settings(data)


def load_settings(path: Path) -> tuple[Settings, str | None]:
    """The settings at ``path`` (defaults when missing) and a warning for the manager, if any.

    Never raises for what the file holds. The file itself is never moved or changed here.
    """
    if not path.exists():
        return Settings(), None
    try:
        data = fileio.read_json_file(path)
    except (fileio.JsonFileError, OSError) as exc:
        reason = str(exc) if isinstance(exc, fileio.JsonFileError) else f"{path.name}: {exc.strerror or exc}"
        log.warning("settings file unreadable: %s", reason)
        return _unreadable(Settings(), path, f"could not be read ({reason})")
    settings, problems = settings_from_dict(data)
    if settings.storage.unreadable:
        log.warning("settings file %s: storage choice unreadable: %s", path, "; ".join(problems))
        return _unreadable(settings, path, f"does not say which database to use ({settings.storage.unreadable})")
    if not problems:
        return settings, None
    log.warning("settings file %s: reset to defaults: %s", path, "; ".join(problems))
    return settings, (f"Some settings in {path.name} were not valid and were reset to their defaults: "
                      f"{'; '.join(problems)}. Every other setting was kept.")


def _unreadable(settings: Settings, path: Path, what: str) -> tuple[Settings, str]:
    message = (f"Your settings file {path} {what}. FIDUS Desktop does not know which database holds your "
               "fund, so it opened none rather than guess: fix the file and restart (it was left as it "
               "is), or choose again with 'fidus-desktop database use-embedded' or 'use-mongodb'.")
    return settings.replace(storage=StorageSettings(unreadable=message)), message


def save_settings(settings: Settings, path: Path) -> Path | None:
    """Atomic: written to a temp file in the same folder, flushed, then renamed over the old one.

    Settings whose storage choice was unreadable are not saved (the file they came from is kept
    for the manager to fix). A file on disk that holds invalid values is kept aside, with a
    name saying so, before it is replaced: returns where, or ``None``.
    """
    if settings.storage.unreadable:
        log.info("settings not saved: %s is kept as it is until its storage choice is fixed", path)
        return None
    payload = json.dumps(settings_to_dict(settings), indent=2, sort_keys=True)
    aside = None
    if path.exists() and not _is_clean(path):
        aside = path.with_name(f"{path.name}.invalid-{utc_now():%Y%m%dT%H%M%S}")
        fileio.replace(path, aside)
        log.warning("settings file with invalid values kept as %s", aside)
    fileio.atomic_write_text(path, payload)
    return aside


def _is_clean(path: Path) -> bool:
    try:
        return not settings_from_dict(fileio.read_json_file(path))[1]
    except (fileio.JsonFileError, OSError):
        return False


__all__ = ["CONFIG_VERSION", "AlertSettings", "BridgeEndpoint", "ConfigError", "GoogleSettings", "Mt5Settings",
           "Settings", "StorageSettings", "UiSettings", "load_settings", "save_settings", "settings_from_dict",
           "settings_to_dict"]
