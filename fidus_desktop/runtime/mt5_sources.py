"""Building the configured MT5 source from the settings: demo, direct terminal, or bridges.

The core decides which source the settings mean; ``bridge_link`` only knows how to reach each.
Whatever is chosen, the result is wrapped by :class:`CachedSource` when a local cache is given,
so every front end gets the same behaviour: live when possible, the last good copy otherwise.
Building may be slow (the demo terminal computes its history, ``MetaTrader5`` loads a DLL):
the monitor service calls it in the ``io`` lane.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bridge_link.cached import CachedSource, SnapshotStore
from bridge_link.demo_terminal.source import DEMO_NAME, build_demo_source
from bridge_link.direct import DirectSource
from bridge_link.errors import BridgeError, ErrorReason
from bridge_link.failover import FailoverSource
from bridge_link.models import AccountRef
from bridge_link.server_time import ServerZone
from bridge_link.source import Mt5Source
from bridge_link.terminals import find_terminals, terminal_problem

from ..config import Mt5Settings
from ..secrets import SecretStore

__all__ = ["DEMO_NAME", "DIRECT_NAME", "build_bridge_source", "build_demo_source", "build_direct_source",
           "build_source"]

DIRECT_NAME = "direct terminal"


def _password_lookup(settings: Mt5Settings, secrets: SecretStore):
    def password_for(login: int) -> str | None:
        specific = secrets.get(f"{settings.password_secret}-{login}")
        if specific:
            return specific
        return secrets.get(settings.password_secret) if login == settings.login else None

    return password_for


def build_direct_source(settings: Mt5Settings, secrets: SecretStore,
                        terminals: Callable[[], tuple[Path, ...]] = find_terminals) -> DirectSource:
    try:
        import MetaTrader5  # noqa: N813 - Windows-only dependency
    except ImportError as exc:
        raise BridgeError(ErrorReason.NOT_CONNECTED,
                          "MetaTrader 5 can only be reached directly on Windows; choose a bridge or the demo.") from exc
    # Without a path the module attaches to whichever terminal it finds first: with several
    # installed that may be the wrong broker's, so the path is required then.
    if problem := terminal_problem(settings.terminal_path, settings.portable, () if settings.terminal_path
                                   else terminals()):
        raise BridgeError(ErrorReason.NOT_CONNECTED, f"{problem} (Settings → MT5)")
    logins = [settings.login, *settings.accounts] if settings.login else list(settings.accounts)
    refs = [AccountRef(login=login, server=settings.server if login == settings.login else "")
            for login in dict.fromkeys(logins)]
    return DirectSource(MetaTrader5, name=DIRECT_NAME, path=settings.terminal_path, portable=settings.portable,
                        login=settings.login,
                        server=settings.server, password_for=_password_lookup(settings, secrets),
                        zone=ServerZone(settings.server_utc_offset, settings.server_dst), accounts=refs,
                        call_timeout=settings.read_timeout)


def build_bridge_source(settings: Mt5Settings, secrets: SecretStore) -> FailoverSource:
    if not settings.bridges:
        raise BridgeError(ErrorReason.NOT_CONNECTED, "No MT5 bridge is configured.")
    # Imported here, in the lane that builds the source: the HTTP client is some 100 ms of imports
    # a demo or direct set-up never needs, and they delayed every start.
    from bridge_link.remote import RemoteSource

    remotes = [RemoteSource(b.name, b.url, secrets.get(b.api_key_secret) or "",
                            connect_timeout=settings.connect_timeout, read_timeout=settings.read_timeout)
               for b in settings.bridges]
    return FailoverSource(remotes, probe_interval=max(1.0, settings.poll_seconds))


def build_source(settings: Mt5Settings, secrets: SecretStore, cache: SnapshotStore | None = None) -> Mt5Source:
    if settings.source == "demo":
        source: Mt5Source = build_demo_source(settings.demo_seed)
    elif settings.source == "direct":
        source = build_direct_source(settings, secrets)
    else:
        source = build_bridge_source(settings, secrets)
    return CachedSource(source, cache) if cache is not None else source
