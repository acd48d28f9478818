"""The runtime a front end drives: paths, settings, secrets, events, health, the fund store and
the local cache, the one write path, the worker lanes, and the long-lived services (MT5 monitor,
outbox, database link, change watcher, portfolio). Qt-free, so the GUI, the CLI and tests build
it the same way; the CLI opens only what a command needs, the window calls :meth:`start`.

Opening never fails because a database is unreachable: the store stays ``None``, the DATABASE
status says OFFLINE with the reason, the database link keeps trying, and the window still starts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Settings, load_settings, save_settings
from .errors import FidusError, SecretStoreUnavailable
from .events import EventBus, EventType
from .lanes import Lanes, shared_lanes
from .logs import register_secret
from .paths import AppPaths
from .runtime.heap import settle
from .runtime.service import ServiceHost
from .runtime.settings_change import SettingsChange
from .runtime.writer import WritePath
from .services.health import HealthRegistry, ServiceName, ServiceState

if TYPE_CHECKING:
    from .secrets import SecretStore
    from .storage.location import LocationRisk
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
    #: Why the embedded fund's folder is unsafe (a network drive, a synced folder), if it is;
    #: the fund is then opened without WAL and the window offers to move it.
    location_risk: LocationRisk | None = None
    #: The worker lanes (the process's, shared with storage and the MT5 source).
    lanes: Lanes = field(default_factory=shared_lanes, repr=False)
    #: Long-lived services, started by :meth:`start` (the window), not by CLI commands.
    services: ServiceHost = field(default_factory=ServiceHost, repr=False)
    _secrets: SecretStore | None = field(default=None, repr=False)
    _mongo_uri: str | None = field(default=None, repr=False)
    _database: str | None = None
    _closed: bool = False
    #: Feature services :meth:`start` held back, until :meth:`start_held` has started them.
    _held: list[_Feature] = field(default_factory=list, repr=False)
    _held_start: asyncio.Task[None] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        #: The one write path: every change goes through ``writer.submit``.
        self.writer = WritePath(self)

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
        # Finding the keyring back-end takes a few tenths of a second: not on the loop's thread.
        # Reached now, so its "no keyring" warning is in startup_warnings when the fund opens.
        await self.lanes.io.run(lambda: self.secrets, action="find the keyring")
        if mongo_uri:
            register_uri_secret(mongo_uri)
            self._mongo_uri = mongo_uri
        self._database = database or self._database
        await self._open_store(demo=demo)
        await self._open_cache()

    async def reconnect(self) -> None:
        """Try the database again (the Health panel's button); a no-op while it is open."""
        if self.store is None and not self._closed:
            await self._open_store(demo=False, retrying=True)

    async def _open_store(self, *, demo: bool, retrying: bool = False) -> None:
        from .storage.open import open_store  # the drivers cost import time; load them off the first paint

        try:
            target = self.storage_target()
        except SecretStoreUnavailable as exc:  # the address is in a keyring that does not answer
            self.health.report(ServiceName.DATABASE, ServiceState.OFFLINE, "MongoDB", exc.message)
            return
        except FidusError as exc:  # the settings file does not say which database holds the fund
            self.health.report(ServiceName.DATABASE, ServiceState.NOT_CONFIGURED, "settings file", str(exc))
            return
        if target is None:
            entry = self.settings.storage.mongo_uri_secret
            self.health.report(ServiceName.DATABASE, ServiceState.NOT_CONFIGURED, "MongoDB",
                               f"No MongoDB address is saved (keyring entry '{entry}').")
            return
        if not retrying:  # a retry keeps saying offline (with the reason) until it succeeds
            self.health.report(ServiceName.DATABASE, ServiceState.CONNECTING, target.display)
        first_run = target.embedded_path is not None and not target.embedded_path.exists()
        wal = await self._check_location(target.embedded_path) if target.embedded_path is not None else True
        if first_run and self.settings.storage.demo_on_first_run:
            await self._load_demo(target)  # built beside the fund, moved into place only complete
        try:
            store = await open_store(target.uri, database=target.database,
                                     timeout_seconds=self.settings.storage.timeout_seconds,
                                     daily_backup=True, backups_kept=self.settings.storage.backups_kept, wal=wal)
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

    async def _check_location(self, path: Path) -> bool:
        """Whether WAL may be used for the fund at ``path``; says why not, once per session."""
        from .storage.location import assess_location

        risk = await self.lanes.io.run(lambda: assess_location(path), action="check the fund's folder")
        if risk is not None and self.location_risk is None:
            log.warning("fund file in an unsafe place (%s): opened without WAL", risk.where)
            self.startup_warnings.append(risk.message)
        self.location_risk = risk
        return risk is None

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

    # ---- services -------------------------------------------------------------------------

    async def start(self, *, mongo_uri: str | None = None, database: str | None = None, demo: bool = False,
                    mt5: bool = True, first_panel: str | None = None) -> None:
        """Open the fund and start the long-lived services (what the window runs on).

        ``first_panel``: the panel the window opens on. Only the services it shows are started
        now; the others (their imports included) wait for :meth:`start_held`, which the window
        calls once that panel shows real data, or a panel that shows one of them is opened: at
        start they only competed with it for the interpreter (a CRM window started 0.4 s later
        for a portfolio book nobody looked at yet)."""
        await self.open_storage(mongo_uri=mongo_uri, database=database, demo=demo)
        now: list[_Feature] = []
        for feature in _feature_services(self, mt5=mt5):
            (now if first_panel is None or first_panel in feature.panels else self._held).append(feature)
        await self._import_in_lane(now)
        self._add_infrastructure()
        for feature in now:
            feature.add()
        await self.services.start()
        settle("start-up")  # the modules imported so far live as long as the app

    async def _import_in_lane(self, features: list[_Feature]) -> None:
        # On the loop's thread these imports (numpy-heavy figures, the MT5 models) held the window.
        modules = [m for feature in features for m in feature.modules]
        if any(m not in sys.modules for m in modules):
            await self.lanes.io.run(lambda: [importlib.import_module(m) for m in modules], action="import the services")

    @property
    def services_held(self) -> bool:
        """Some services wait for :meth:`start_held`."""
        return bool(self._held)

    def held_for(self, panel: str) -> bool:
        """A service the panel called ``panel`` shows is held back (not running yet)."""
        return any(panel in feature.panels for feature in self._held)

    async def start_held(self) -> None:
        """Start the services :meth:`start` held back. Callers at the same time wait for the one
        start; once it is done, calls return at once."""
        if not self._held:
            return
        if self._held_start is None:
            self._held_start = asyncio.ensure_future(self._start_held())
        await asyncio.shield(self._held_start)  # one caller giving up does not stop it for the others

    async def _start_held(self) -> None:
        try:
            await self._import_in_lane(self._held)
        except BaseException:
            self._held_start = None  # a later call tries again
            raise
        if self._closed:  # closed while the modules loaded
            return
        for feature in self._held:
            feature.add()
        self._held = []
        await self.services.start()
        settle("the held services' start")

    def _add_infrastructure(self) -> None:
        """The services every panel relies on: the outbox, the database link, the change watcher."""
        from .runtime.database_link import DatabaseLink
        from .runtime.outbox import OutboxService
        from .runtime.watcher import ChangeWatcher

        outbox = self.services.add(OutboxService(self, self.writer))
        link = self.services.add(DatabaseLink(self, on_back=outbox.wake))
        self.writer.on_database_lost = link.lost
        self.services.add(ChangeWatcher(self, self.writer))
        if not self.settings.google.account_email:
            # A mail queued before a disconnect waits for the next connection, never dropped.
            from .google.mail_outbox import MAIL_KIND, waiting_for_account

            outbox.add_handler(MAIL_KIND, waiting_for_account, ordered=False)

    def service[S](self, kind: type[S]) -> S | None:
        """The running service of type ``kind`` (``context.service(Mt5MonitorService)``)."""
        return next((s for s in self.services if isinstance(s, kind)), None)  # type: ignore[misc]

    # ---- settings ------------------------------------------------------------------------

    def update_settings(self, settings: Settings, *, secrets: frozenset[str] = frozenset()) -> SettingsChange:
        """Keep ``settings`` for this session, write them atomically, and announce the change
        (``EventType.SETTINGS_CHANGED``) so whoever read a setting at start applies the new one.
        ``secrets``: keyring entries just given a new value (a bridge's key changes MT5)."""
        old, self.settings = self.settings, settings
        save_settings(settings, self.paths.settings_file)
        change = SettingsChange(old, settings, secrets)
        if change.sections:
            self.events.publish(EventType.SETTINGS_CHANGED, change)
        return change

    def update_ui_settings(self, **changes: str) -> None:
        self.update_settings(self.settings.replace(ui=dataclasses.replace(self.settings.ui, **changes)))

    # ---- shutdown ------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    async def close(self) -> None:
        """Stop the services, then close the store and the cache; safe to call twice, never raises."""
        if self._closed:
            return
        self._closed = True
        if self._held_start is not None and not self._held_start.done():
            self._held_start.cancel()  # the held-back services need not start now
            await asyncio.gather(self._held_start, return_exceptions=True)
        await self.services.stop()
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


@dataclass(frozen=True, slots=True)
class _Feature:
    #: The panels that show what the service holds.
    panels: frozenset[str]
    #: Its modules (imported in the I/O lane before it is added, when it was held back).
    modules: tuple[str, ...]
    add: Callable[[], Any]


def _feature_services(context: AppContext, *, mt5: bool) -> list[_Feature]:
    """Each feature service: the portfolio book, the CRM pipeline and reminders, the MT5
    monitor, Google (while an account is connected; its client library loads later, in a lane)."""
    def portfolio() -> None:
        from .services.portfolio_service import PortfolioService

        context.services.add(PortfolioService(context))

    def pipeline() -> None:
        from .crm.pipeline_service import PipelineService
        from .crm.reminders import ReminderService

        context.services.add(PipelineService(context))
        context.services.add(ReminderService(context, interval_seconds=context.settings.crm.reminder_check_seconds))

    def mt5_monitor() -> None:
        from .services.mt5_monitor import Mt5MonitorService

        context.services.add(Mt5MonitorService(context))

    def google() -> None:
        from .google.workflow import WorkflowMailService
        from .services.google_service import GoogleService

        context.services.add(GoogleService(context))
        context.services.add(WorkflowMailService(context))

    features = [_Feature(frozenset({"portfolio"}), ("fidus_desktop.services.portfolio_service",), portfolio),
                _Feature(frozenset({"crm"}), ("fidus_desktop.crm.pipeline_service", "fidus_desktop.crm.reminders"),
                         pipeline)]
    if mt5:
        features.append(_Feature(frozenset({"mt5"}), ("fidus_desktop.services.mt5_monitor",
                                                      "fidus_desktop.runtime.mt5_sources"), mt5_monitor))
    if context.settings.google.account_email:
        features.append(_Feature(frozenset({"workspace"}), ("fidus_desktop.services.google_service",
                                                            "fidus_desktop.google.workflow"), google))
    return features
