"""Build the configured MT5 source from the settings: demo, direct terminal, or bridges.

Whatever is chosen, the result is wrapped by :class:`CachedSource` when a local cache is given,
so every front end gets the same behaviour: live when possible, the last good copy otherwise.
"""

from __future__ import annotations

from fidus_desktop.config import Mt5Settings
from fidus_desktop.secrets import SecretStore
from fidus_desktop.storage.cache import LocalCache

from .cached import CachedSource
from .direct import DirectSource
from .errors import BridgeError, ErrorReason
from .failover import FailoverSource
from .models import AccountRef
from .remote import RemoteSource
from .server_time import ServerZone
from .source import Mt5Source

DEMO_NAME = "demo terminal"
DIRECT_NAME = "direct terminal"


def build_demo_source(seed: int = 1) -> DirectSource:
    """The embedded demo: the direct source, unchanged, on a demo terminal."""
    from fidus_desktop.demo.accounts import DEMO_ACCOUNTS

    from .demo_terminal import DemoTerminal

    terminal = DemoTerminal(seed=seed)
    refs = [AccountRef(login=a.login, name=a.name, fund_type=a.fund_type, server=a.server) for a in DEMO_ACCOUNTS]
    return DirectSource(terminal, name=DEMO_NAME, zone=terminal.zone, accounts=refs)


def _password_lookup(settings: Mt5Settings, secrets: SecretStore):
    def password_for(login: int) -> str | None:
        specific = secrets.get(f"{settings.password_secret}-{login}")
        if specific:
            return specific
        return secrets.get(settings.password_secret) if login == settings.login else None

    return password_for


def build_direct_source(settings: Mt5Settings, secrets: SecretStore) -> DirectSource:
    try:
        import MetaTrader5  # noqa: N813 - Windows-only dependency
    except ImportError as exc:
        raise BridgeError(ErrorReason.NOT_CONNECTED,
                          "MetaTrader 5 can only be reached directly on Windows; choose a bridge or the demo.") from exc
    logins = [settings.login, *settings.accounts] if settings.login else list(settings.accounts)
    refs = [AccountRef(login=login, server=settings.server if login == settings.login else "")
            for login in dict.fromkeys(logins)]
    return DirectSource(MetaTrader5, name=DIRECT_NAME, path=settings.terminal_path, login=settings.login,
                        server=settings.server, password_for=_password_lookup(settings, secrets),
                        zone=ServerZone(settings.server_utc_offset, settings.server_dst), accounts=refs,
                        call_timeout=settings.read_timeout)


def build_bridge_source(settings: Mt5Settings, secrets: SecretStore) -> FailoverSource:
    if not settings.bridges:
        raise BridgeError(ErrorReason.NOT_CONNECTED, "No MT5 bridge is configured.")
    remotes = [RemoteSource(b.name, b.url, secrets.get(b.api_key_secret) or "",
                            connect_timeout=settings.connect_timeout, read_timeout=settings.read_timeout)
               for b in settings.bridges]
    return FailoverSource(remotes, probe_interval=max(1.0, settings.poll_seconds))


def build_source(settings: Mt5Settings, secrets: SecretStore, cache: LocalCache | None = None) -> Mt5Source:
    if settings.source == "demo":
        source: Mt5Source = build_demo_source(settings.demo_seed)
    elif settings.source == "direct":
        source = build_direct_source(settings, secrets)
    else:
        source = build_bridge_source(settings, secrets)
    return CachedSource(source, cache) if cache is not None else source
