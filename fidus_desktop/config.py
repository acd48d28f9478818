"""The one typed settings object, loaded once and passed in.

Secrets are not settings: for the MongoDB URI, bridge API keys, MT5 passwords and Google tokens
the settings only name the keyring entry that holds them (see :mod:`fidus_desktop.secrets`).

``CONFIG_VERSION`` rules: bump it whenever a key is renamed, moved or changes meaning, and add a
step to ``_UPGRADES`` that turns the previous version's dict into the new one. New keys with a
default need no bump.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import tempfile
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .domain.values import utc_now
from .errors import ConfigError

log = logging.getLogger(__name__)

CONFIG_VERSION = 1

# Keyring entry names (the service is "fidus-desktop"); the values never touch a file.
SECRET_MONGO_URI = "mongodb-uri"
SECRET_GOOGLE_TOKEN = "google-oauth-token"
SECRET_GOOGLE_CLIENT = "google-oauth-client"


def _described(default: Any, description: str) -> Any:
    """A settings field with the one-line description the settings editor shows next to it
    (immutable defaults only: tuples of frozen rules are fine)."""
    return field(default=default, metadata={"description": description})


def describe(settings_class: type, name: str) -> str:
    """The description of a settings field ("" when it has none)."""
    return next((f.metadata.get("description", "") for f in dataclasses.fields(settings_class) if f.name == name), "")


@dataclass(frozen=True, slots=True)
class StorageSettings:
    backend: Literal["sqlite", "mongodb"] = _described(
        "sqlite", "Where the fund lives: the embedded database on this computer, or a MongoDB (the web "
        "platform's Atlas database). A change takes effect after a restart.")
    sqlite_path: str = _described(
        "", "The embedded fund's file; empty = fund.sqlite3 in the app's data folder. Not on a network drive "
        "or in a synced folder (OneDrive, Dropbox, iCloud, Google Drive). '/' works in Windows paths.")
    mongo_uri_secret: str = _described(
        SECRET_MONGO_URI, "Keyring entry holding the full MongoDB URI (it usually carries a password); the "
        "address itself is never written to the settings file.")
    mongo_database: str = _described(
        "fidus_production", "The fund's MongoDB database (the web platform uses fidus_production).")
    timeout_seconds: float = _described(
        8.0, "How long to wait for the database server before the app says it is offline (seconds).")
    demo_on_first_run: bool = _described(
        True, "A new, empty embedded fund starts with the demo fund's records (off: it starts empty). Never "
        "applies to MongoDB or to a fund that has records.")


@dataclass(frozen=True, slots=True)
class BridgeEndpoint:
    name: str = _described("", "A short name for this bridge (shown in the MT5 and Health panels).")
    url: str = _described("", "The bridge's address, e.g. https://vps1.example.net or http://127.0.0.1:8000.")
    api_key_secret: str = _described("", "Keyring entry holding this bridge's API key.")


@dataclass(frozen=True, slots=True)
class Mt5Settings:
    source: Literal["demo", "direct", "bridge"] = _described(
        "demo", "Where MT5 data comes from: the demo terminal, the MetaTrader 5 terminal on this Windows "
        "computer, or MT5 bridges (the first that answers, primary first).")
    terminal_path: str = _described(
        "", "Direct only: the full path of terminal64.exe. Required when several terminals are installed, "
        "or the wrong one may attach.")
    portable: bool = _described(
        False, "Direct only: the terminal was installed /portable (its data folder is its install folder). "
        "Needs the terminal path.")
    login: int = _described(
        0, "Direct only: the MT5 account the terminal logs in to at start; 0 = the one it was left on.")
    server: str = _described("", "Direct only: the broker's trade server of that login (e.g. MEXAtlantic-Real).")
    password_secret: str = _described(
        "mt5-password", "Keyring entry holding that login's password; other logins use <entry>-<login>.")
    bridges: tuple[BridgeEndpoint, ...] = _described(
        (), "Bridge only: the bridges in order of preference, with failover and return to the first.")
    poll_seconds: float = _described(5.0, "How often the accounts are read (seconds).")
    connect_timeout: float = _described(3.0, "Seconds to wait for a bridge to accept a connection.")
    read_timeout: float = _described(
        10.0, "Seconds a bridge or the terminal may take to answer one request (history: three times this).")
    demo_seed: int = _described(
        1, "Demo only: which demo terminal (the same number gives the same accounts and history).")
    #: The broker's clock: hours east of UTC in winter, plus its summer-time rule (mt5-api.md §8).
    server_utc_offset: float = _described(
        2.0, "Direct only: the broker's clock, hours east of UTC in winter (most brokers: 2). A bridge is "
        "told its own (fidus-bridge serve --server-utc-offset).")
    server_dst: Literal["none", "eu", "us"] = _described(
        "eu", "Direct only: the broker's summer-time rule: EU (last Sunday of March to last of October), US "
        "(second Sunday of March to first of November) or none. A wrong rule puts times an hour off part of the "
        "year.")
    accounts: tuple[int, ...] = _described(
        (), "Direct only: more logins the terminal watches besides the login above (passwords saved in the "
        "terminal, or in the keyring as <password entry>-<login>).")


@dataclass(frozen=True, slots=True)
class GoogleSettings:
    client_secret_entry: str = _described(
        SECRET_GOOGLE_CLIENT, "Keyring entry holding the OAuth client file's JSON (\"Desktop app\" client); "
        "the file itself is never copied.")
    token_entry: str = _described(
        SECRET_GOOGLE_TOKEN, "Keyring entry holding what rebuilds the sign-in (refresh token, scopes, account).")
    account_email: str = _described("", "The connected Google account (set by Connect, cleared by Disconnect).")
    max_requests_per_second: float = _described(
        5.0, "Calendar and Drive: calls per second, per API (a batched call counts once).")
    gmail_units_per_second: float = _described(
        200.0, "Gmail quota units per second (Google allows 250 per user; a read costs 5, a send 100).")
    #: API roots (``api_endpoint`` of the client library). Batch requests go to the same host
    #: (``/batch/...``), uploads to ``/upload/...`` of that host.
    gmail_api_root: str = _described(
        "https://gmail.googleapis.com/", "Gmail API address (change only for a corporate proxy or tests).")
    calendar_api_root: str = _described("https://www.googleapis.com/calendar/v3/", "Calendar API address.")
    drive_api_root: str = _described("https://www.googleapis.com/drive/v3/", "Drive API address.")
    revoke_uri: str = _described("https://oauth2.googleapis.com/revoke", "Where Disconnect revokes FIDUS's access.")
    ca_bundle: str = _described(
        "", "A PEM file of extra certificate authorities (a corporate proxy's), trusted on top of the usual "
        "ones for every Google call; empty = the usual ones only.")
    request_timeout_seconds: float = _described(30.0, "Seconds a single exchange with Google may take.")
    consent_timeout_seconds: float = _described(
        300.0, "How long the browser sign-in may take before it is abandoned (seconds).")
    retry_attempts: int = _described(5, "Retries of a failed Google call (rate limits, server errors).")
    retry_base_seconds: float = _described(1.0, "The first wait before a retry (seconds; it doubles each time).")
    retry_max_seconds: float = _described(32.0, "The longest wait between two retries (seconds).")
    gmail_sync_limit: int = _described(500, "Messages kept by the first Gmail sync, newest first.")
    calendar_sync_days_back: int = _described(
        90, "Days back the first Calendar sync reaches (later syncs fetch only the changes).")
    time_zone: str = _described(
        "", "IANA time zone sent with new events (e.g. Europe/Madrid); empty = the zone of the times given.")


AlertKind = Literal["margin_level_below", "drawdown_over", "equity_drop", "source_down", "balance_operation_over",
                    "position_without_sl"]


@dataclass(frozen=True, slots=True)
class AlertRule:
    """One MT5 alert rule (evaluated by ``fidus_desktop.mt5.alerts``)."""

    kind: AlertKind = _described(
        "margin_level_below", "What is watched: margin level below, drawdown over, equity drop within a "
        "window, source down for, a deposit or withdrawal over, a position opened without stop loss.")
    threshold: float = _described(
        150.0, "The limit: % for margin level, drawdown and equity drop; seconds for source down; an amount "
        "in the account currency for a deposit or withdrawal; grace seconds for a position without stop loss.")
    window_seconds: float = _described(3600.0, "Equity drop only: the drop is measured over this many seconds.")
    account: int = _described(0, "Only this MT5 login; 0 = every account (of the fund below, if one is named).")
    fund: str = _described("", "Only the accounts of this fund (CORE, BALANCE, DYNAMIC...); empty = every fund.")
    hysteresis_pct: float = _described(
        10.0, "How far back past the limit, in % of it, a value must come before the alert clears and can "
        "fire again (so a value hovering at the limit notifies once).")
    enabled: bool = _described(True, "Off keeps the rule without evaluating it.")
    name: str = _described("", "Shown in the alert list and the notification; empty = a name made from the rule.")


DEFAULT_ALERT_RULES: tuple[AlertRule, ...] = (
    AlertRule("margin_level_below", 150.0),
    AlertRule("drawdown_over", 10.0),
    AlertRule("equity_drop", 5.0, window_seconds=3600.0),
    AlertRule("source_down", 120.0),
    AlertRule("balance_operation_over", 50_000.0),
    # Copy-traded accounts often open without a stop loss by design: off until the manager wants it.
    AlertRule("position_without_sl", 300.0, enabled=False),
)


@dataclass(frozen=True, slots=True)
class AlertSettings:
    drawdown_percent: float = _described(10.0, "Drawdown limit (%) offered for a new drawdown rule.")
    margin_level_percent: float = _described(150.0, "Margin level limit (%) offered for a new margin rule.")
    rules: tuple[AlertRule, ...] = _described(DEFAULT_ALERT_RULES, "The MT5 alert rules, per account or per fund.")
    notify: bool = _described(True, "Show a desktop notification (system tray) when an alert fires.")
    snooze_minutes: float = _described(60.0, "How long Snooze silences an alert, in minutes.")
    settle_seconds: float = _described(
        120.0, "Drawdown and equity drop are judged on samples at least this old, so deposits and "
        "withdrawals (known once the deal history syncs) are never mistaken for losses.")


@dataclass(frozen=True, slots=True)
class ExportSettings:
    csv_encoding: Literal["utf-8-sig", "utf-8", "cp1252"] = _described(
        "utf-8-sig", "How CSV files are encoded: UTF-8 with a byte-order mark (Excel then reads accents "
        "right), plain UTF-8 (other programs), or Windows-1252 (old software; characters it lacks become ?).")
    csv_separator: Literal["locale", ",", ";", "tab"] = _described(
        "locale", "What separates CSV columns: this computer's list separator (what Excel expects here: "
        "';' where the decimal sign is a comma), or always ',', ';' or a tab.")


@dataclass(frozen=True, slots=True)
class UiSettings:
    theme: Literal["light", "dark"] = _described(
        "light", "The window's colours; set in full by FIDUS, so Windows' dark mode never mixes the two.")
    #: Window state the app keeps for itself (not options): ``QMainWindow.saveGeometry()`` /
    #: ``saveState()`` as base64, written on close; the last panel and export folder.
    window_geometry: str = _described("", "Size and place of the window (kept on close).")
    window_state: str = _described("", "Layout of the window (kept on close).")
    last_panel: str = _described("crm", "The panel shown at start (the last one used).")
    last_folder: str = _described("", "Where file dialogs open (the last folder used; empty = Documents).")


@dataclass(frozen=True, slots=True)
class Settings:
    config_version: int = _described(CONFIG_VERSION, "Version of the settings file's layout.")
    fund_name: str = _described("FIDUS Investment Management", "The fund's name, in the title bar and on "
                                "statements.")
    storage: StorageSettings = field(default_factory=StorageSettings)
    mt5: Mt5Settings = field(default_factory=Mt5Settings)
    google: GoogleSettings = field(default_factory=GoogleSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    exports: ExportSettings = field(default_factory=ExportSettings)
    ui: UiSettings = field(default_factory=UiSettings)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


# version -> function turning that version's dict into version + 1
_UPGRADES: dict[int, typing.Callable[[dict[str, Any]], dict[str, Any]]] = {}


def _build(cls: type, data: Any, where: str) -> Any:
    """Typed construction from JSON: unknown keys are ignored (with a warning), wrong types fail."""
    if not isinstance(data, dict):
        raise ConfigError(f"Setting '{where}' should be a section, not {type(data).__name__}.")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    for extra in sorted(set(data) - known):
        log.warning("ignoring unknown setting %s.%s", where, extra)
    kwargs = {name: _coerce(hints[name], data[name], f"{where}.{name}") for name in known if name in data}
    return cls(**kwargs)


def _coerce(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, where)
    if origin is tuple:
        (item,) = {a for a in typing.get_args(hint) if a is not Ellipsis}
        if not isinstance(value, list):
            raise ConfigError(f"Setting '{where}' should be a list.")
        return tuple(_coerce(item, v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is Literal:
        if value not in typing.get_args(hint):
            raise ConfigError(f"Setting '{where}' must be one of {', '.join(map(str, typing.get_args(hint)))}.")
        return value
    if origin in (typing.Union, types.UnionType):
        raise ConfigError(f"unsupported setting type at {where}")
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
        raise ConfigError(f"Setting '{where}' should be {hint.__name__}, not {type(value).__name__}.")
    return value


def settings_to_dict(settings: Settings) -> dict[str, Any]:
    return dataclasses.asdict(settings)


def settings_from_dict(data: dict[str, Any]) -> Settings:
    version = data.get("config_version", 1)
    if not isinstance(version, int) or version > CONFIG_VERSION:
        raise ConfigError(f"The settings file is from a newer FIDUS Desktop (version {version}).")
    while version < CONFIG_VERSION:
        data = _UPGRADES[version](data)
        version += 1
    data["config_version"] = CONFIG_VERSION
    return _build(Settings, data, "settings")


def load_settings(path: Path) -> tuple[Settings, str | None]:
    """The settings at ``path`` (defaults when missing) and a warning for the manager, if any.

    A file that cannot be read is moved aside, never overwritten, and defaults are used.
    """
    if not path.exists():
        return Settings(), None
    try:
        return settings_from_dict(json.loads(path.read_text(encoding="utf-8"))), None
    except (ValueError, ConfigError) as exc:
        aside = path.with_name(f"{path.name}.unreadable-{utc_now():%Y%m%dT%H%M%S}")
        path.replace(aside)
        log.warning("settings file unreadable, moved to %s: %s", aside, exc)
        return Settings(), f"Your settings could not be read ({exc}); defaults are in use and the old file was kept as {aside.name}."


def save_settings(settings: Settings, path: Path) -> None:
    """Atomic: written to a temp file in the same folder, flushed, then renamed over the old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(settings_to_dict(settings), indent=2, sort_keys=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
