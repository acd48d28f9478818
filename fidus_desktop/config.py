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
    """A settings field with the one-line description the settings editor shows (immutable
    defaults only: tuples of frozen rules are fine)."""
    return field(default=default, metadata={"description": description})


def describe(settings_class: type, name: str) -> str:
    """The description of a settings field ("" when it has none)."""
    return next((f.metadata.get("description", "") for f in dataclasses.fields(settings_class) if f.name == name), "")


@dataclass(frozen=True, slots=True)
class StorageSettings:
    backend: Literal["sqlite", "mongodb"] = "sqlite"
    #: Empty means the platform data dir (``fund.sqlite3``).
    sqlite_path: str = ""
    #: Keyring entry holding the full MongoDB URI (it usually embeds a password).
    mongo_uri_secret: str = SECRET_MONGO_URI
    mongo_database: str = "fidus_production"
    #: Server selection / connect timeout: how long before the app says "offline".
    timeout_seconds: float = 8.0


@dataclass(frozen=True, slots=True)
class BridgeEndpoint:
    name: str
    url: str
    #: Keyring entry holding this bridge's API key.
    api_key_secret: str = ""


@dataclass(frozen=True, slots=True)
class Mt5Settings:
    source: Literal["demo", "direct", "bridge"] = "demo"
    terminal_path: str = ""
    login: int = 0
    server: str = ""
    password_secret: str = "mt5-password"
    bridges: tuple[BridgeEndpoint, ...] = ()
    poll_seconds: float = 5.0
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    demo_seed: int = 1
    #: The broker's clock: hours east of UTC in winter, plus its summer-time rule (mt5-api.md §8).
    server_utc_offset: float = 2.0
    server_dst: Literal["none", "eu", "us"] = "eu"
    #: More logins the direct terminal watches besides ``login`` (passwords saved in the terminal,
    #: or in the keyring as ``<password_secret>-<login>``).
    accounts: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class WorkflowRule:
    """One workflow mail rule (evaluated by ``fidus_desktop.google.workflow``)."""

    trigger: Literal["stage", "payment_due"] = _described(
        "stage", "When the mail is prepared: a prospect enters a stage, or a client's payment falls due.")
    stage: str = _described("", "Stage only: the stage entered (lead, qualified, proposal, negotiation, won, lost).")
    template: Literal["document_request", "meeting_followup", "welcome", "investment_report"] = _described(
        "welcome", "The mail template prepared for the person.")
    days_before: int = _described(3, "Payment only: how many days before the due date the mail is prepared.")
    enabled: bool = _described(True, "Off keeps the rule without preparing mails.")


DEFAULT_WORKFLOW_RULES: tuple[WorkflowRule, ...] = (
    WorkflowRule("stage", "qualified", "document_request"),
    WorkflowRule("stage", "proposal", "meeting_followup"),
    WorkflowRule("stage", "won", "welcome"),
    WorkflowRule("payment_due", "", "investment_report", days_before=3),
)


@dataclass(frozen=True, slots=True)
class GoogleSettings:
    #: Keyring entry holding the OAuth client file's JSON ("Desktop app" client), never a file.
    client_secret_entry: str = SECRET_GOOGLE_CLIENT
    #: Keyring entry holding what rebuilds the sign-in (refresh token, scopes, account).
    token_entry: str = SECRET_GOOGLE_TOKEN
    account_email: str = ""
    #: Calendar and Drive: calls per second, per API (batched calls count one each).
    max_requests_per_second: float = 5.0
    #: Gmail counts quota units (250 per user per second; a get costs 5, a send 100).
    gmail_units_per_second: float = 200.0
    #: API roots (``api_endpoint`` of the client library), for a corporate proxy or tests. Batch
    #: requests go to the same host (``/batch/...``), uploads to ``/upload/...`` of that host.
    gmail_api_root: str = "https://gmail.googleapis.com/"
    calendar_api_root: str = "https://www.googleapis.com/calendar/v3/"
    drive_api_root: str = "https://www.googleapis.com/drive/v3/"
    revoke_uri: str = "https://oauth2.googleapis.com/revoke"
    #: A PEM file of extra certificate authorities (a corporate proxy's), trusted on top of the
    #: usual ones for every Google call. Empty: the usual ones only.
    ca_bundle: str = ""
    #: Seconds a single HTTP exchange with Google may take.
    request_timeout_seconds: float = 30.0
    #: How long the browser sign-in may take before the listener is closed.
    consent_timeout_seconds: float = 300.0
    #: Retries of a failed call (429, 5xx, rate-limit 403) and the backoff between them.
    retry_attempts: int = 5
    retry_base_seconds: float = 1.0
    retry_max_seconds: float = 32.0
    #: Messages kept by the first (full) Gmail sync, newest first.
    gmail_sync_limit: int = 500
    #: Days back the first Calendar sync reaches (later syncs are incremental).
    calendar_sync_days_back: int = 90
    #: IANA zone sent with new events (empty: the zone of the times given, else UTC offsets only).
    time_zone: str = ""
    sync_interval_seconds: float = _described(
        120.0, "How often the Gmail and Calendar copies on this computer are brought up to date, in seconds "
        "(Sync now in the Workspace panel does it at once).")
    workflow_rules: tuple[WorkflowRule, ...] = _described(
        DEFAULT_WORKFLOW_RULES, "Mails prepared for your review when a prospect enters a stage or a payment "
        "falls due; none is sent until you send it.")


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
