"""Opening the fund store named by a URI: the one place that knows which backend a URI means.

- ``sqlite:///home/me/fund.sqlite3`` (also ``sqlite:////home/...``), ``sqlite:///C:/Funds/fund.sqlite3``
  or a plain file path
  -> the embedded SQLite file (created if missing);
- ``mongodb://...`` / ``mongodb+srv://...`` -> MongoDB (Atlas, or the web platform's database).
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from urllib.parse import unquote

from ..errors import StorageUnavailable
from .store import FundStore

_MONGO_SCHEMES = ("mongodb://", "mongodb+srv://")
_SQLITE_SCHEME = "sqlite://"
#: URI options whose value may be a secret (``tlsCertificateKeyFilePassword``, the AWS session
#: token inside ``authMechanismProperties``).
_SECRET_OPTION = re.compile(r"(?i)password|token|secret|authmechanismproperties")


def is_mongodb_uri(uri: str) -> bool:
    return uri.strip().startswith(_MONGO_SCHEMES)


def sqlite_path(uri: str) -> Path | None:
    """The file a URI names when it means SQLite, else ``None``."""
    if uri.startswith(_SQLITE_SCHEME):
        path = unquote(uri[len(_SQLITE_SCHEME):])
        if path.startswith("//"):
            path = "/" + path.lstrip("/")  # sqlite:////abs (SQLAlchemy's form) = sqlite:///abs
        if re.match(r"^/[A-Za-z]:[/\\]", path):
            path = path[1:]  # sqlite:///C:/x -> C:/x
        if not path.strip("/"):
            raise StorageUnavailable("The SQLite address names no file: use sqlite:///<path to the file>.",
                                     reason="config")
        return Path(path).expanduser()
    if "://" not in uri:
        return Path(uri).expanduser()
    return None


async def open_store(uri: str, *, database: str = "fidus_production", timeout_seconds: float = 8.0,
                     daily_backup: bool = False, backups_kept: int = 10, wal: bool = True) -> FundStore:
    """Open (and prepare) the fund store at ``uri``; the caller closes it. ``wal=False``: an
    embedded fund on a network drive or in a synced folder (:mod:`.location`).

    ``daily_backup``: an embedded fund gets the day's backup, ``backups_kept`` kept (the window
    asks for it; one-off commands do not).

    Raises :class:`StorageUnavailable` (``reason="config"`` for an address that cannot mean any
    store) or :class:`StorageCorrupt`, with messages that never contain the password.
    """
    uri = uri.strip()
    if not uri:
        raise StorageUnavailable("No database address is set.", reason="config")
    path = sqlite_path(uri)
    if path is not None:
        from .sqlite import SqliteBackend

        backend = SqliteBackend(path.absolute(), daily_backup=daily_backup, backups_kept=backups_kept, wal=wal)
    elif uri.startswith(_MONGO_SCHEMES):
        # Imported here: the MongoDB driver is only loaded by those who use it.
        from .mongo import MongoBackend

        backend = MongoBackend(uri, database=database, timeout_seconds=timeout_seconds)
    else:
        raise StorageUnavailable(f"'{describe_uri(uri)}' is not a database address FIDUS Desktop knows: "
                                 "use a file path, sqlite:///..., mongodb://... or mongodb+srv://...",
                                 reason="config")
    try:
        return await FundStore.open(backend)
    except BaseException:
        # The error that stopped the opening is the one worth reporting, not a failed cleanup.
        with contextlib.suppress(Exception):
            await backend.close()
        raise


async def check_store(uri: str, *, database: str = "fidus_production", timeout_seconds: float = 8.0) -> str:
    """Open the store at ``uri`` and close it again: what "Test" does before an address is saved.

    Returns a sentence for the manager ("Connected: 12 clients, 40 investments."); raises what
    :func:`open_store` raises. Blocking work of the driver (DNS look-ups of ``mongodb+srv``) is
    the caller's to keep off the window's thread: :func:`check_store_blocking` in a lane.
    """
    store = await open_store(uri, database=database, timeout_seconds=timeout_seconds)
    try:
        clients, investments = await store.clients.count(), await store.investments.count()
    finally:
        await store.close()
    return f"Connected: {clients:,} client(s), {investments:,} investment(s) in {describe_uri(uri)}."


def check_store_blocking(uri: str, *, database: str = "fidus_production", timeout_seconds: float = 8.0) -> str:
    """:func:`check_store` on an event loop of its own, for a worker thread (a lane): nothing of
    the test, not even the driver's name resolution, runs on the caller's loop."""
    import asyncio

    return asyncio.run(check_store(uri, database=database, timeout_seconds=timeout_seconds))


def describe_uri(uri: str) -> str:
    """``uri`` fit for a status bar, a log or an error message: passwords removed.

    A URI with ``user:password`` before the host loses the password (``user@host``), and a
    ``tlsCertificateKeyFilePassword`` option its value (``***``).
    """
    scheme, sep, rest = uri.strip().partition("://")
    if not sep:
        return uri.strip()
    address, qmark, options = rest.partition("?")
    # The host list never holds '@', so the last '@' ends the user information even when an
    # unescaped password contains '@' or '/'.
    at = address.rfind("@")
    if at >= 0:
        user = address[:at].split(":", 1)[0]
        address = (user + "@" if user else "") + address[at + 1:]
    if qmark:
        options = "&".join(_masked(option) for option in options.split("&"))
    return f"{scheme}{sep}{address}{qmark}{options}"


def _masked(option: str) -> str:
    name, eq, _ = option.partition("=")
    return f"{name}=***" if eq and _SECRET_OPTION.search(name) else option
