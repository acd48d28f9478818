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


def setting(default: Any = dataclasses.MISSING, description: str = "", *, low: float | None = None,
            high: float | None = None, path: bool = False, saved: bool = True, required: bool = False,
            **kwargs: Any) -> Any:
    """A settings field, declared once: its default, the one-line ``description`` the settings
    editor shows beside it, and what the file reader checks: ``low``/``high`` bounds (of each
    item for a tuple), ``path`` for a file path (no control characters; ``/`` accepted on
    Windows), ``saved=False`` for session state that is never read from or written to the file,
    ``required`` for a value the file must give (the empty default only starts an editor's row).
    Defaults are immutable (tuples of frozen rules are fine)."""
    metadata = {"low": low, "high": high, "path": path, "saved": saved, "description": description,
                "required": required}
    if default is dataclasses.MISSING:
        return field(metadata=metadata, **kwargs)
    return field(default=default, metadata=metadata, **kwargs)


def describe(settings_class: type, name: str) -> str:
    """The description of a settings field ("" when it has none)."""
    return next((f.metadata.get("description", "") for f in dataclasses.fields(settings_class) if f.name == name), "")


@dataclass(frozen=True, slots=True)
class WorkflowRule:
    """One workflow mail rule (evaluated by ``fidus_desktop.google.workflow``)."""

    trigger: Literal["stage", "payment_due"] = setting(
        "stage", "When the mail is prepared: a prospect enters a stage, or a client's payment falls due.")
    stage: str = setting("", "Stage only: the stage entered (lead, qualified, proposal, negotiation, won, lost).")
    template: Literal["document_request", "meeting_followup", "welcome", "investment_report"] = setting(
        "welcome", "The mail template prepared for the person.")
    days_before: int = setting(3, "Payment only: how many days before the due date the mail is prepared.", low=0,
                               high=365)
    enabled: bool = setting(True, "Off keeps the rule without preparing mails.")


DEFAULT_WORKFLOW_RULES: tuple[WorkflowRule, ...] = (
    WorkflowRule("stage", "qualified", "document_request"),
    WorkflowRule("stage", "proposal", "meeting_followup"),
    WorkflowRule("stage", "won", "welcome"),
    WorkflowRule("payment_due", "", "investment_report", days_before=3),
)


@dataclass(frozen=True, slots=True)
class StorageSettings:
    backend: Literal["sqlite", "mongodb"] = setting(
        "sqlite", "Where the fund lives: the embedded database on this computer, or a MongoDB (the web "
        "platform's Atlas database). A change takes effect after a restart.")
    sqlite_path: str = setting(
        "", "The embedded fund's file; empty = fund.sqlite3 in the app's data folder. Not on a network drive "
        "or in a synced folder (OneDrive, Dropbox, iCloud, Google Drive). '/' works in Windows paths.", path=True)
    mongo_uri_secret: str = setting(
        SECRET_MONGO_URI, "Keyring entry holding the full MongoDB URI (it usually carries a password); the "
        "address itself is never written to the settings file.")
    mongo_database: str = setting(
        "fidus_production", "The fund's MongoDB database (the web platform uses fidus_production).")
    timeout_seconds: float = setting(
        8.0, "How long to wait for the database server before the app says it is offline (seconds).", low=0.5, high=300)
    demo_on_first_run: bool = setting(
        True, "A new, empty embedded fund starts with the demo fund's records (off: it starts empty). Never "
        "applies to MongoDB or to a fund that has records.")
    backups_kept: int = setting(10, "Rolling backups of the embedded fund kept in backups/ beside it (one a day, "
                                "and one before every upgrade).", low=1, high=1000)
    #: Not from the file: why the storage choice could not be read from it ("" when it could).
    #: While set, no fund is opened and these settings are never saved over the file.
    unreadable: str = setting("", saved=False, compare=False)

    def require_known(self) -> None:
        """Raises :class:`ConfigError` when the settings file did not say which database to use."""
        if self.unreadable:
            raise ConfigError(self.unreadable)


@dataclass(frozen=True, slots=True)
class BridgeEndpoint:
    name: str = setting("", "A short name for this bridge (shown in the MT5 and Health panels).", required=True)
    url: str = setting("", "The bridge's address, e.g. https://vps1.example.net or http://127.0.0.1:8000.",
                       required=True)
    api_key_secret: str = setting("", "Keyring entry holding this bridge's API key.")


@dataclass(frozen=True, slots=True)
class Mt5AccountInterval:
    login: int = setting(0, "The MT5 login.", low=1, high=2**63 - 1, required=True)
    seconds: float = setting(5.0, "Seconds between this account's polls.", low=0.5, high=3600)


def account_intervals_text(intervals: tuple[Mt5AccountInterval, ...]) -> str:
    """``88001001: 2, 88001002: 30`` (what the settings editor shows)."""
    return ", ".join(f"{i.login}: {i.seconds:g}" for i in intervals)


def read_account_intervals(text: str) -> tuple[Mt5AccountInterval, ...]:
    """The editor's ``login: seconds, ...`` back as intervals; ``ValueError`` naming the bad part."""
    out = []
    for part in text.replace(";", ",").split(","):
        if not part.strip():
            continue
        login, sep, seconds = part.partition(":")
        try:
            value = Mt5AccountInterval(int(login), float(seconds)) if sep else None
        except ValueError:
            value = None
        if value is None or not 1 <= value.login < 2**63 or not 0.5 <= value.seconds <= 3600:
            raise ValueError(f"'{part.strip()}' is not 'login: seconds' (a login, then 0.5 to 3600 seconds)")
        out.append(value)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Mt5Settings:
    source: Literal["demo", "direct", "bridge"] = setting(
        "demo", "Where MT5 data comes from: the demo terminal, the MetaTrader 5 terminal on this Windows "
        "computer, or MT5 bridges (the first that answers, primary first).")
    terminal_path: str = setting(
        "", "Direct only: the full path of terminal64.exe. Required when several terminals are installed, "
        "or the wrong one may attach.", path=True)
    portable: bool = setting(
        False, "Direct only: the terminal was installed /portable (its data folder is its install folder). "
        "Needs the terminal path.")
    login: int = setting(
        0, "Direct only: the MT5 account the terminal logs in to at start; 0 = the one it was left on.", low=0, high=2**63 - 1)
    server: str = setting("", "Direct only: the broker's trade server of that login (e.g. MEXAtlantic-Real).")
    password_secret: str = setting(
        "mt5-password", "Keyring entry holding that login's password; other logins use <entry>-<login>.")
    bridges: tuple[BridgeEndpoint, ...] = setting(
        (), "Bridge only: the bridges in order of preference, with failover and return to the first.")
    poll_seconds: float = setting(5.0, "How often the accounts are read (seconds).", low=0.5, high=3600)
    connect_timeout: float = setting(3.0, "Seconds to wait for a bridge to accept a connection.", low=0.1, high=120)
    read_timeout: float = setting(
        10.0, "Seconds a bridge or the terminal may take to answer one request (history: three times this).", low=0.1, high=600)
    demo_seed: int = setting(
        1, "Demo only: which demo terminal (the same number gives the same accounts and history).", low=0, high=2**32 - 1)
    #: The broker's clock: hours east of UTC in winter, plus its summer-time rule (mt5-api.md §8).
    server_utc_offset: float = setting(
        2.0, "Direct only: the broker's clock, hours east of UTC in winter (most brokers: 2). A bridge is "
        "told its own (fidus-bridge serve --server-utc-offset).", low=-12, high=14)
    server_dst: Literal["none", "eu", "us"] = setting(
        "eu", "Direct only: the broker's summer-time rule: EU (last Sunday of March to last of October), US "
        "(second Sunday of March to first of November) or none. A wrong rule puts times an hour off part of the "
        "year.")
    accounts: tuple[int, ...] = setting(
        (), "Direct only: more logins the terminal watches besides the login above (passwords saved in the "
        "terminal, or in the keyring as <password entry>-<login>).", low=1, high=2**63 - 1)
    poll_concurrency: int = setting(
        1, "How many accounts are polled at the same time at most. A terminal holds one account at a "
        "time, so against one bridge more only adds login switches; raise it for several terminals.", low=1, high=64)
    account_intervals: tuple[Mt5AccountInterval, ...] = setting(
        (), "Accounts polled at their own interval instead of every poll_seconds.")
    call_deadline_seconds: float = setting(
        0.0, "How long one MT5 read may take before the poll is abandoned and the cache shown; "
        "0 = connect timeout + read timeout.", low=0, high=600)
    backoff_max_seconds: float = setting(
        60.0, "After failed polls an account is polled less often, doubling up to this many seconds.", low=1,
        high=3600)
    deal_sync_seconds: float = setting(60.0, "How often each account's new deals are fetched.", low=5, high=86400)


@dataclass(frozen=True, slots=True)
class GoogleSettings:
    client_secret_entry: str = setting(
        SECRET_GOOGLE_CLIENT, "Keyring entry holding the OAuth client file's JSON (\"Desktop app\" client); "
        "the file itself is never copied.")
    token_entry: str = setting(
        SECRET_GOOGLE_TOKEN, "Keyring entry holding what rebuilds the sign-in (refresh token, scopes, account).")
    account_email: str = setting("", "The connected Google account (set by Connect, cleared by Disconnect).")
    max_requests_per_second: float = setting(
        5.0, "Calendar and Drive: calls per second, per API (a batched call counts once).", low=0.1, high=100)
    gmail_units_per_second: float = setting(
        200.0, "Gmail quota units per second (Google allows 250 per user; a read costs 5, a send 100).")
    #: API roots (``api_endpoint`` of the client library). Batch requests go to the same host
    #: (``/batch/...``), uploads to ``/upload/...`` of that host.
    gmail_api_root: str = setting(
        "https://gmail.googleapis.com/", "Gmail API address (change only for a corporate proxy or tests).")
    calendar_api_root: str = setting("https://www.googleapis.com/calendar/v3/", "Calendar API address.")
    drive_api_root: str = setting("https://www.googleapis.com/drive/v3/", "Drive API address.")
    revoke_uri: str = setting("https://oauth2.googleapis.com/revoke", "Where Disconnect revokes FIDUS's access.")
    ca_bundle: str = setting(
        "", "A PEM file of extra certificate authorities (a corporate proxy's), trusted on top of the usual "
        "ones for every Google call; empty = the usual ones only.")
    request_timeout_seconds: float = setting(30.0, "Seconds a single exchange with Google may take.")
    consent_timeout_seconds: float = setting(
        300.0, "How long the browser sign-in may take before it is abandoned (seconds).")
    retry_attempts: int = setting(5, "Retries of a failed Google call (rate limits, server errors).")
    retry_base_seconds: float = setting(1.0, "The first wait before a retry (seconds; it doubles each time).")
    retry_max_seconds: float = setting(32.0, "The longest wait between two retries (seconds).")
    gmail_sync_limit: int = setting(500, "Messages kept by the first Gmail sync, newest first.")
    calendar_sync_days_back: int = setting(
        90, "Days back the first Calendar sync reaches (later syncs fetch only the changes).")
    time_zone: str = setting(
        "", "IANA time zone sent with new events (e.g. Europe/Madrid); empty = the zone of the times given.")
    sync_interval_seconds: float = setting(
        120.0, "How often the Gmail and Calendar copies on this computer are brought up to date, in seconds "
        "(Sync now in the Workspace panel does it at once).", low=15, high=86400)
    workflow_rules: tuple[WorkflowRule, ...] = setting(
        DEFAULT_WORKFLOW_RULES, "Mails prepared for your review when a prospect enters a stage or a payment "
        "falls due; none is sent until you send it.")


AlertKind = Literal["margin_level_below", "drawdown_over", "equity_drop", "source_down", "balance_operation_over",
                    "position_without_sl"]


@dataclass(frozen=True, slots=True)
class AlertRule:
    """One MT5 alert rule (evaluated by ``fidus_desktop.mt5.alerts``)."""

    kind: AlertKind = setting(
        "margin_level_below", "What is watched: margin level below, drawdown over, equity drop within a "
        "window, source down for, a deposit or withdrawal over, a position opened without stop loss.")
    threshold: float = setting(
        150.0, "The limit: % for margin level, drawdown and equity drop; seconds for source down; an amount "
        "in the account currency for a deposit or withdrawal; grace seconds for a position without stop loss.")
    window_seconds: float = setting(3600.0, "Equity drop only: the drop is measured over this many seconds.")
    account: int = setting(0, "Only this MT5 login; 0 = every account (of the fund below, if one is named).")
    fund: str = setting("", "Only the accounts of this fund (CORE, BALANCE, DYNAMIC...); empty = every fund.")
    hysteresis_pct: float = setting(
        10.0, "How far back past the limit, in % of it, a value must come before the alert clears and can "
        "fire again (so a value hovering at the limit notifies once).")
    enabled: bool = setting(True, "Off keeps the rule without evaluating it.")
    name: str = setting("", "Shown in the alert list and the notification; empty = a name made from the rule.")


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
    drawdown_percent: float = setting(10.0, "Drawdown limit (%) offered for a new drawdown rule.", low=0, high=100)
    margin_level_percent: float = setting(150.0, "Margin level limit (%) offered for a new margin rule.",
                                          low=0, high=100_000)
    rules: tuple[AlertRule, ...] = setting(DEFAULT_ALERT_RULES, "The MT5 alert rules, per account or per fund.")
    notify: bool = setting(True, "Show a desktop notification (system tray) when an alert fires.")
    snooze_minutes: float = setting(60.0, "How long Snooze silences an alert, in minutes.")
    settle_seconds: float = setting(
        120.0, "Drawdown and equity drop are judged on samples at least this old, so deposits and "
        "withdrawals (known once the deal history syncs) are never mistaken for losses.")


@dataclass(frozen=True, slots=True)
class ExportSettings:
    csv_encoding: Literal["utf-8-sig", "utf-8", "cp1252"] = setting(
        "utf-8-sig", "How CSV files are encoded: UTF-8 with a byte-order mark (Excel then reads accents "
        "right), plain UTF-8 (other programs), or Windows-1252 (old software; characters it lacks become ?).")
    csv_separator: Literal["locale", ",", ";", "tab"] = setting(
        "locale", "What separates CSV columns: this computer's list separator (what Excel expects here: "
        "';' where the decimal sign is a comma), or always ',', ';' or a tab.")


@dataclass(frozen=True, slots=True)
class StatementSettings:
    paper: Literal["A4", "Letter"] = setting("A4", "Paper size of the client statements: A4 or US Letter.")
    logo_path: str = setting(
        "", path=True, description="An image file (PNG or JPEG) printed at the top left of every statement page; empty: no logo.")
    email_from: str = setting(
        "", "The sender named in the e-mails written beside the statements (.eml files); empty: none.")
    note: str = setting("", "Printed at the end of each statement instead of the standard note; empty: the "
                               "standard note.")


@dataclass(frozen=True, slots=True)
class CrmSavedFilter:
    """A pipeline filter the manager saved under a name (``fidus_desktop.crm.filters``)."""

    name: str = setting("", "The name the filter is listed under.")
    stages: tuple[str, ...] = setting((), "Stages shown (lead, qualified, proposal, negotiation, won, lost); "
                                              "empty = all.")
    source: str = setting("", "Only prospects from this source; empty = any.")
    owner: str = setting("", "Only prospects this person looks after; empty = anyone.")
    due: str = setting("", "Next action: overdue, this_week, none, or empty = any.")
    kyc: tuple[str, ...] = setting((), "AML/KYC statuses shown; empty = all.")
    text: str = setting("", "Text searched in name, e-mail, phone and notes.")
    include_leads: bool = setting(True, "Show the web portal's leads too.")


@dataclass(frozen=True, slots=True)
class CrmSettings:
    saved_filters: tuple[CrmSavedFilter, ...] = setting((), "Pipeline filters saved by name (CRM panel).")
    default_owner: str = setting("", "Owner given to prospects created in this window; empty = none.")
    reminder_check_seconds: float = setting(60.0, "How often due next-action reminders are looked for, in "
                                                     "seconds.", low=5, high=3600)
    kanban_page_size: int = setting(40, "Cards a kanban column shows before 'show more'.", low=5, high=1000)
    folded_stages: tuple[str, ...] = setting(("won", "lost"), "Kanban columns shown folded.")


@dataclass(frozen=True, slots=True)
class UiSettings:
    theme: Literal["light", "dark"] = setting(
        "light", "The window's colours; set in full by FIDUS, so Windows' dark mode never mixes the two.")
    #: Window state the app keeps for itself (not options): ``QMainWindow.saveGeometry()`` /
    #: ``saveState()`` as base64, written on close; the last panel and export folder.
    window_geometry: str = setting("", "Size and place of the window (kept on close).")
    window_state: str = setting("", "Layout of the window (kept on close).")
    last_panel: str = setting("crm", "The panel shown at start (the last one used).")
    last_folder: str = setting("", "Where file dialogs open (the last folder used; empty = Documents).")


@dataclass(frozen=True, slots=True)
class Settings:
    config_version: int = setting(CONFIG_VERSION, "Version of the settings file's layout.")
    fund_name: str = setting("FIDUS Investment Management", "The fund's name, in the title bar and on "
                                "statements.")
    storage: StorageSettings = field(default_factory=StorageSettings)
    mt5: Mt5Settings = field(default_factory=Mt5Settings)
    google: GoogleSettings = field(default_factory=GoogleSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    exports: ExportSettings = field(default_factory=ExportSettings)
    statements: StatementSettings = field(default_factory=StatementSettings)
    crm: CrmSettings = field(default_factory=CrmSettings)
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
