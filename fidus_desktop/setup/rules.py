"""What makes a setting usable, said once for the settings dialog and the first-run wizard.

Each check returns ``{field: reason}``; field names are the settings' dotted paths
(``mt5.bridges[1].url``) so a dialog can put the reason next to the widget. Secrets are never
values here: a check only asks whether an entry holds one (``has_secret``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlsplit

from ..config import BridgeEndpoint, Mt5Settings, Settings
from bridge_link.terminals import terminal_problem

HasSecret = Callable[[str], bool]
#: The bridge server refuses keys shorter than this (``bridge_link.server.auth.MIN_LENGTH``).
MIN_BRIDGE_KEY = 16


def bridge_key_entry(name: str, taken: Iterable[str] = ()) -> str:
    """A keyring entry name for a new bridge's API key: ``bridge-vps-1-key``, unique."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "bridge"
    taken = set(taken)
    entry, n = f"bridge-{slug}-key", 2
    while entry in taken:
        entry, n = f"bridge-{slug}-{n}-key", n + 1
    return entry


def url_problem(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Give the bridge's address as http://host:port or https://host."
    if parts.username or parts.password:
        return "No user or password in the address: the API key goes in its own field."
    return ""


def bridge_problems(bridges: tuple[BridgeEndpoint, ...], has_secret: HasSecret,
                    typed_keys: dict[str, str]) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not bridges:
        problems["mt5.bridges"] = "Add at least one bridge (its address and API key)."
    names: set[str] = set()
    for i, bridge in enumerate(bridges):
        where = f"mt5.bridges[{i}]"
        name = bridge.name.strip()
        if not name:
            problems[f"{where}.name"] = f"Bridge {i + 1} needs a name."
        elif name.lower() in names:
            problems[f"{where}.name"] = f"Two bridges are called '{name}': give each its own name."
        names.add(name.lower())
        if reason := url_problem(bridge.url):
            problems[f"{where}.url"] = reason
        typed = typed_keys.get(bridge.api_key_secret, "")
        if typed and len(typed) < MIN_BRIDGE_KEY:
            problems[f"{where}.api_key"] = f"A bridge's API key has at least {MIN_BRIDGE_KEY} characters."
        elif not typed and not (bridge.api_key_secret and has_secret(bridge.api_key_secret)):
            problems[f"{where}.api_key"] = f"Enter the API key of bridge '{name or i + 1}'."
    return problems


def mt5_problems(mt5: Mt5Settings, has_secret: HasSecret, typed: dict[str, str],
                 terminals: Callable[[], tuple[Path, ...]]) -> dict[str, str]:
    """``terminals`` is called only for the direct source (it looks at the disk)."""
    problems: dict[str, str] = {}
    if not -12 <= mt5.server_utc_offset <= 14:
        problems["mt5.server_utc_offset"] = "A clock is between 12 hours west and 14 hours east of UTC."
    for name in ("poll_seconds", "connect_timeout", "read_timeout"):
        if getattr(mt5, name) <= 0:
            problems[f"mt5.{name}"] = "Give a number of seconds above 0."
    if mt5.source == "direct":
        if reason := terminal_problem(mt5.terminal_path, mt5.portable, terminals()):
            problems["mt5.terminal_path"] = reason
        if mt5.login < 0:
            problems["mt5.login"] = "An MT5 login is a positive number (0: the terminal's own)."
        if any(login <= 0 for login in mt5.accounts) or len(set(mt5.accounts)) != len(mt5.accounts):
            problems["mt5.accounts"] = "List each further login once, as positive numbers."
    elif mt5.source == "bridge":
        problems |= bridge_problems(mt5.bridges, has_secret, typed)
    return problems


def storage_problems(settings: Settings, has_secret: HasSecret, typed_uri: str, tested_uri: str) -> dict[str, str]:
    storage = settings.storage
    problems: dict[str, str] = {}
    if storage.timeout_seconds <= 0:
        problems["storage.timeout_seconds"] = "Give a number of seconds above 0."
    if typed_uri and typed_uri != tested_uri:
        problems["storage.mongo_uri"] = "Test this address first: it is saved only once the database answered."
    if storage.backend == "mongodb":
        if not storage.mongo_database.strip():
            problems["storage.mongo_database"] = "Give the MongoDB database's name (the web platform's: " \
                                                 "fidus_production)."
        if not typed_uri and not has_secret(storage.mongo_uri_secret):
            problems["storage.mongo_uri"] = "Enter the MongoDB address (mongodb+srv://user:password@cluster/)."
    return problems


def settings_problems(settings: Settings, has_secret: HasSecret, typed: dict[str, str], tested_uri: str,
                      terminals: Callable[[], tuple[Path, ...]]) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not settings.fund_name.strip():
        problems["fund_name"] = "The fund needs a name."
    typed_uri = typed.get(settings.storage.mongo_uri_secret, "")
    problems |= storage_problems(settings, has_secret, typed_uri, tested_uri)
    problems |= mt5_problems(settings.mt5, has_secret, typed, terminals)
    for i, rule in enumerate(settings.alerts.rules):
        if rule.threshold < 0:
            problems[f"alerts.rules[{i}].threshold"] = "A limit is 0 or more."
        if rule.kind == "equity_drop" and rule.window_seconds <= 0:
            problems[f"alerts.rules[{i}].window_seconds"] = "An equity drop is measured over some seconds."
    return problems
