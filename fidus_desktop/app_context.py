"""Everything a front end needs, opened once: paths, settings, secrets, events, health, the fund
store and the local cache. Qt-free, so the GUI, the CLI and tests build it the same way.

Opening never fails because a database is unreachable: the store stays ``None``, the DATABASE
status says OFFLINE with the reason, and the window still starts.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Settings, load_settings, save_settings
from .errors import FidusError
from .events import EventBus
from .logs import register_secret
from .paths import AppPaths
from .services.health import HealthRegistry, ServiceName, ServiceState

if TYPE_CHECKING:
    from .secrets import SecretStore
    from .storage.cache import LocalCache
    from .storage.store import FundStore

log = logging.getLogger(__name__)

EMBEDDED_SOURCE = "SQLite on this computer"
_MT5_SOURCES = {"demo": "demo terminal", "direct": "MetaTrader 5 on this computer", "bridge": "MT5 bridge"}


def register_uri_secret(uri: str) -> None:
    """Keep every form of the password inside a database URI out of every log line.

    The rest of the URI (hosts, user, database) stays readable in the log: it is what support
    needs to see which server the app tried.
    """
    # Imported here: the package loads the MongoDB driver, which only MongoDB users should pay for.
    from .storage.mongo.address import MongoAddress

    for secret in MongoAddress.parse(uri).secrets:
        register_secret(secret)


def mongo_display(uri: str) -> str:
    """``MongoDB cluster0.example.net``: the hosts of a URI, never its user or password."""
    from .storage.mongo.address import MongoAddress

    return f"MongoDB {MongoAddress.parse(uri).hosts}"


@dataclass(frozen=True, slots=True)
class StorageTarget:
    """Which database this session uses. ``uri`` may hold a password: never print or log it."""

    kind: str
    uri: str
    database: str
    display: str
    #: Only the embedded default ever receives demo data.
    embedded_path: Path | None = None


@dataclass(eq=False)
class AppContext:
    paths: AppPaths
    settings: Settings
    events: EventBus
    health: HealthRegistry
    store: FundStore | None = None
    cache: LocalCache | None = None
    #: Shown once by the front end (no keyring, settings reset...).
    startup_warnings: list[str] = field(default_factory=list)
    #: True when this session loaded the demo fund into an empty embedded store.
    demo_loaded: bool = False
    _secrets: SecretStore | None = field(default=None, repr=False)
    _mongo_uri: str | None = field(default=None, repr=False)
    _database: str | None = None
    _closed: bool = False

    @classmethod
    def create(cls, paths: AppPaths, *, settings: Settings | None = None) -> AppContext:
        """The synchronous half: cheap enough to run before the first window is painted."""
        paths.ensure()
        warnings: list[str] = []
        if settings is None:
            settings, warning = load_settings(paths.settings_file)
            if warning:
                warnings.append(warning)
        events = EventBus()
        context = cls(paths, settings, events, HealthRegistry(events), startup_warnings=warnings)
        context._report_initial_services()
        return context

    @property
    def secrets(self) -> SecretStore:
        """The keyring, reached on first use: importing keyring and finding its backend takes
        about 0.3 s, which must not delay the first paint. ``open_storage`` touches it, so the
        "no keyring" warning is known by the time the fund is open."""
        if self._secrets is None:
            from .secrets import SecretStore

            self._secrets = SecretStore()
            if self._secrets.warning:
                self.startup_warnings.append(self._secrets.warning)
        return self._secrets

    def _report_initial_services(self) -> None:
        # The MT5 and Google issues replace these with live states; until then say what is known.
        mt5 = self.settings.mt5
        self.health.report(ServiceName.MT5, ServiceState.UNKNOWN, _MT5_SOURCES.get(mt5.source, mt5.source),
                           "Starts as soon as the fund is open.")
        google = self.settings.google
        if google.account_email:
            self.health.report(ServiceName.GOOGLE, ServiceState.UNKNOWN, google.account_email)
        else:
            self.health.report(ServiceName.GOOGLE, ServiceState.NOT_CONFIGURED, "Google Workspace",
                               "No Google account connected yet.")

    # ---- storage -------------------------------------------------------------------------

    def storage_target(self) -> StorageTarget | None:
        """The database to open, or ``None`` when MongoDB is chosen but no URI is saved.

        Raises :class:`ConfigError` when the settings file did not say which one to use."""
        storage = self.settings.storage
        if self._mongo_uri is None:
            storage.require_known()
        if self._mongo_uri is None and storage.backend == "sqlite":
            return self.storage_target_embedded()
        uri = self._mongo_uri or self.secrets.get(storage.mongo_uri_secret)
        if not uri:
            return None
        register_uri_secret(uri)
        database = self._database or storage.mongo_database
        return StorageTarget("mongodb", uri, database, mongo_display(uri))

    def storage_target_embedded(self) -> StorageTarget:
        """This computer's fund file, whichever backend the settings choose."""
        storage = self.settings.storage
        storage.require_known()  # the file may name another fund file than the default
        path = Path(storage.sqlite_path) if storage.sqlite_path else self.paths.fund_db
        path = path.expanduser().absolute()
        # A plain path means the embedded store to ``open_store`` on every platform.
        return StorageTarget("sqlite", str(path), "", EMBEDDED_SOURCE, path)

    async def open_storage(self, *, mongo_uri: str | None = None, database: str | None = None,
                           demo: bool = False) -> None:
        """Open the fund store and the local cache; report DATABASE health instead of raising."""
        self.secrets  # noqa: B018 (reaches the keyring now, so its warning is in startup_warnings)
        if mongo_uri:
            register_uri_secret(mongo_uri)
            self._mongo_uri = mongo_uri
        self._database = database or self._database
        await self._open_store(demo=demo)
        await self._open_cache()

    async def reconnect(self) -> None:
        """Try the database again (the Health panel's button); a no-op while it is open."""
        if self.store is None and not self._closed:
            await self._open_store(demo=False)

    async def _open_store(self, *, demo: bool) -> None:
        from .storage.open import open_store  # the drivers cost import time; load them off the first paint

        try:
            target = self.storage_target()
        except FidusError as exc:  # the settings file does not say which database holds the fund
            self.health.report(ServiceName.DATABASE, ServiceState.NOT_CONFIGURED, "settings file", str(exc))
            return
        if target is None:
            entry = self.settings.storage.mongo_uri_secret
            self.health.report(ServiceName.DATABASE, ServiceState.NOT_CONFIGURED, "MongoDB",
                               f"No MongoDB address is saved (keyring entry '{entry}').")
            return
        self.health.report(ServiceName.DATABASE, ServiceState.CONNECTING, target.display)
        first_run = target.embedded_path is not None and not target.embedded_path.exists()
        if first_run:
            await self._load_demo(target)  # built beside the fund, moved into place only complete
        try:
            store = await open_store(target.uri, database=target.database,
                                     timeout_seconds=self.settings.storage.timeout_seconds,
                                     daily_backup=True, backups_kept=self.settings.storage.backups_kept)
        except (FidusError, OSError) as exc:
            log.warning("database %s unavailable: %s", target.display, exc)
            self.health.report(ServiceName.DATABASE, ServiceState.OFFLINE, target.display, str(exc))
            return
        except BaseException as exc:
            # A bug, or cancellation: never leave the badge saying "connecting" forever.
            self.health.report(ServiceName.DATABASE, ServiceState.OFFLINE, target.display,
                               f"Opening stopped: {type(exc).__name__}")
            raise
        if self._closed:  # the window was closed while we were connecting
            await store.close()
            return
        self.store = store
        if demo and target.kind != "sqlite":
            self.startup_warnings.append("Demo data is only ever loaded into the embedded database, "
                                         "never into MongoDB.")
        elif target.kind == "sqlite" and demo and not self.demo_loaded and await store.is_empty():
            await self._load_demo(target, store)
        self.health.report(ServiceName.DATABASE, ServiceState.ONLINE, target.display)

    async def _load_demo(self, target: StorageTarget, store: FundStore | None = None) -> None:
        """Into a new fund file (all or nothing), or into the open, empty ``store``."""
        from .demo.fund import create_demo_fund_file, load_demo_fund

        try:
            if store is None:
                assert target.embedded_path is not None
                await create_demo_fund_file(target.embedded_path)
            else:
                await load_demo_fund(store)
        except (FidusError, OSError) as exc:  # start empty rather than not at all
            log.warning("demo fund not loaded: %s", exc)
            self.startup_warnings.append(f"The demo fund could not be loaded ({exc}); the fund starts empty.")
            return
        self.demo_loaded = True
        log.info("first run: demo fund loaded into %s", target.embedded_path)

    async def _open_cache(self) -> None:
        from .storage.cache import LocalCache

        cache = LocalCache(self.paths.cache_db)
        try:
            await cache.open()
        except (FidusError, OSError) as exc:
            log.warning("local cache unavailable: %s", exc)
            self.startup_warnings.append(f"The local cache could not be opened ({exc}); "
                                         "changes made while offline cannot be kept.")
            return
        self.cache = cache

    # ---- settings ------------------------------------------------------------------------

    def update_settings(self, settings: Settings) -> None:
        """Keep ``settings`` for this session and write them atomically."""
        self.settings = settings
        save_settings(settings, self.paths.settings_file)

    def update_ui_settings(self, **changes: str) -> None:
        self.update_settings(self.settings.replace(ui=dataclasses.replace(self.settings.ui, **changes)))

    # ---- shutdown ------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    async def close(self) -> None:
        """Close the store and the cache; safe to call twice, never raises."""
        if self._closed:
            return
        self._closed = True
        for name in ("store", "cache"):
            resource = getattr(self, name)
            setattr(self, name, None)
            if resource is None:
                continue
            try:
                await resource.close()
            except Exception:
                log.exception("closing the %s failed", name)


async def open_context(paths: AppPaths, *, settings: Settings | None = None, mongo_uri: str | None = None,
                       database: str | None = None, demo: bool = False) -> AppContext:
    context = AppContext.create(paths, settings=settings)
    await context.open_storage(mongo_uri=mongo_uri, database=database, demo=demo)
    return context
