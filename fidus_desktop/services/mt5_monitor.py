"""Polls the MT5 accounts through the configured source and says where the numbers come from.

Qt-free: it runs on the app's asyncio loop (qasync in the GUI), reads every account's summary
and positions each ``poll_seconds``, syncs deal history incrementally now and then, and reports
the MT5 service state with the source really answering: "demo terminal", "direct terminal",
"bridge <name>", or STALE "cache (age …)" when only the local cache is left. Listeners get one
:class:`Mt5Board` per poll; the service publishes it on the event bus.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from bridge_link.cached import CACHE_SOURCE, CachedSource
from bridge_link.errors import BridgeError, ErrorReason
from bridge_link.models import AccountRef, AccountSnapshot, DealsSnapshot, PositionsSnapshot
from bridge_link.source import Mt5Source, active_source_name, active_source_since

from ..domain.values import utc_now
from ..events import EventType
from ..lanes import shared_lanes
from ..runtime.service import Service
from .health import HealthRegistry, ServiceName, ServiceState

if TYPE_CHECKING:
    from ..app_context import AppContext
    from ..runtime.settings_change import SettingsChange

log = logging.getLogger(__name__)

Listener = Callable[["Mt5Board"], None]


@dataclass(frozen=True, slots=True)
class Mt5AccountView:
    ref: AccountRef
    account: AccountSnapshot | None = None
    positions: PositionsSnapshot | None = None
    #: Why nothing (or only stale data) could be read, for the manager.
    error: str = ""

    @property
    def stale(self) -> bool:
        return any(s is not None and s.stale for s in (self.account, self.positions))


@dataclass(frozen=True, slots=True)
class Mt5Board:
    accounts: tuple[Mt5AccountView, ...]
    #: What the status line says: "bridge vps-1", "cache (age 3 min)"...
    source: str
    state: ServiceState
    polled_at: datetime = field(default_factory=utc_now)
    detail: str = ""
    #: Since when a failover group has been on the bridge that answers (None for a single source).
    source_since: datetime | None = None

    def view(self, login: int) -> Mt5AccountView | None:
        return next((v for v in self.accounts if v.ref.login == login), None)


def describe_age(seconds: float) -> str:
    if seconds < 90:
        return f"{int(seconds)} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    if seconds < 172800:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} days"


class Mt5Monitor:
    def __init__(self, source: Mt5Source, health: HealthRegistry, *, poll_seconds: float = 5.0,
                 logins: Callable[[], Awaitable[Sequence[AccountRef]]] | None = None,
                 deal_sync_seconds: float = 60.0, concurrency: int = 1,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.source = source
        self.health = health
        self.poll_seconds = poll_seconds
        self.deal_sync_seconds = deal_sync_seconds
        self._logins = logins or source.accounts
        # One account at a time by default: a terminal holds one account, and interleaving accounts
        # costs a login switch per read (benchmarks/bench_bridge_polling.py shows it slower).
        self._limit = asyncio.Semaphore(concurrency)
        self._clock = clock
        self._listeners: list[Listener] = []
        self._last_deal_sync: datetime | None = None
        self.latest: Mt5Board | None = None

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # --- one poll ------------------------------------------------------------------------------------
    async def _read(self, ref: AccountRef) -> Mt5AccountView:
        async with self._limit:
            try:
                account = await self.source.account(ref.login)
                positions = await self.source.positions(ref.login)
            except BridgeError as exc:
                return Mt5AccountView(ref, error=exc.message)
        return Mt5AccountView(ref, account, positions)

    async def poll_once(self) -> Mt5Board:
        if self.latest is None:
            self.health.report(ServiceName.MT5, ServiceState.CONNECTING, active_source_name(self.source))
        try:
            refs = tuple(await self._logins())
        except BridgeError as exc:
            board = Mt5Board((), active_source_name(self.source), ServiceState.OFFLINE, self._clock(), exc.message)
            return self._publish(board)
        if not refs:
            board = Mt5Board((), active_source_name(self.source), ServiceState.NOT_CONFIGURED, self._clock(),
                             "No MT5 account is configured to watch.")
            return self._publish(board)
        views = tuple(await asyncio.gather(*(self._read(ref) for ref in refs)))
        board = self._board(views)
        self._publish(board)
        await self._maybe_sync_deals(refs)
        return board

    def _board(self, views: tuple[Mt5AccountView, ...]) -> Mt5Board:
        now = self._clock()
        live = [v for v in views if v.account is not None and not v.account.stale]
        stale = [v for v in views if v.account is not None and v.account.stale]
        errors = [v.error for v in views if v.error]
        if live:
            sources = {v.account.source for v in live if v.account is not None}
            name = sources.pop() if len(sources) == 1 else active_source_name(self.source)
            detail = f"{len(errors)} account(s) unreadable: {errors[0]}" if errors else ""
            if stale:
                detail = f"{len(stale)} account(s) from the cache. " + detail
            return Mt5Board(views, name, ServiceState.ONLINE, now, detail.strip(), active_source_since(self.source))
        if stale:
            oldest = max(v.account.age_seconds(now) for v in stale if v.account is not None)
            reason = getattr(getattr(self.source, "last_error", None), "message", "") or (errors[0] if errors else "")
            return Mt5Board(views, f"{CACHE_SOURCE} (age {describe_age(oldest)})", ServiceState.STALE, now,
                            reason or "No MT5 source answered; showing the last known values.")
        return Mt5Board(views, active_source_name(self.source), ServiceState.OFFLINE, now,
                        errors[0] if errors else "No MT5 source answered.")

    def _publish(self, board: Mt5Board) -> Mt5Board:
        self.latest = board
        self.health.report(ServiceName.MT5, board.state, board.source, board.detail)
        for listener in list(self._listeners):
            try:
                listener(board)
            except Exception:  # one broken listener must not stop polling
                log.exception("MT5 board listener failed")
        return board

    async def _maybe_sync_deals(self, refs: Sequence[AccountRef]) -> None:
        if not isinstance(self.source, CachedSource):
            return
        now = self._clock()
        if self._last_deal_sync and (now - self._last_deal_sync).total_seconds() < self.deal_sync_seconds:
            return
        self._last_deal_sync = now
        for ref in refs:
            try:
                added = await self.source.sync_deals(ref.login)
            except BridgeError as exc:
                log.info("deal sync of %s skipped: %s", ref.login, exc.message)
                return  # the source is down; the next poll's health says so
            if added:
                log.info("deal sync of %s: %d new deal(s)", ref.login, added)



class Mt5MonitorService(Service):
    """The MT5 monitor as a core service: owned by the runtime, not by any window.

    It builds the configured source off the loop's thread (the demo terminal computes its
    history, ``MetaTrader5`` loads its DLL), polls every ``poll_seconds`` with a deadline per
    poll (a poll that runs past it is abandoned, never queued behind), publishes each
    :class:`Mt5Board` on ``EventType.MT5_BOARD`` and the MT5 status in health, and rebuilds the
    source when the MT5 settings change.
    """

    name = "mt5-monitor"

    def __init__(self, context: AppContext, *, build: Callable[[], Mt5Source] | None = None) -> None:
        super().__init__()
        self._context = context
        self._build = build
        self.source: Mt5Source | None = None
        self.monitor: Mt5Monitor | None = None
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        context.events.subscribe(EventType.SETTINGS_CHANGED, self._on_settings)

    @property
    def latest(self) -> Mt5Board | None:
        return self.monitor.latest if self.monitor is not None else None

    async def start(self) -> None:
        await super().start()
        self._loop_task = self.spawn(self._run(), "poll")

    def poll_now(self) -> None:
        """Skip the rest of the wait (the panel's Refresh button)."""
        self._wake.set()

    def _deadline(self) -> float:
        mt5 = self._context.settings.mt5
        # Generous against a slow bridge, but bounded: a hung source never stops the board.
        return max(5.0, 2 * mt5.poll_seconds, mt5.connect_timeout + mt5.read_timeout)

    async def _open_source(self) -> Mt5Source | None:
        from ..runtime.mt5_sources import build_source

        context, settings = self._context, self._context.settings.mt5
        build = self._build or (lambda: build_source(settings, context.secrets, context.cache))
        try:
            return await shared_lanes().io.run(build, action="build the MT5 source")
        except BridgeError as exc:
            state = ServiceState.NOT_CONFIGURED if settings.source == "bridge" else ServiceState.OFFLINE
            context.health.report(ServiceName.MT5, state, settings.source, exc.message)
            return None

    async def _run(self) -> None:
        source = await self._open_source()
        if source is None:
            return
        self.source = source
        settings = self._context.settings.mt5
        self.monitor = Mt5Monitor(source, self._context.health, poll_seconds=settings.poll_seconds)
        self.monitor.subscribe(lambda board: self._context.events.publish(EventType.MT5_BOARD, board))
        while True:
            try:
                async with asyncio.timeout(self._deadline()):
                    await self.monitor.poll_once()
            except TimeoutError:
                self._context.health.report(ServiceName.MT5, ServiceState.OFFLINE, active_source_name(source),
                                            f"The MT5 source did not answer within {self._deadline():.0f} s.")
            except Exception:  # never let one bad poll end monitoring
                log.exception("MT5 poll failed")
            self._wake.clear()
            try:
                async with asyncio.timeout(max(0.05, self._context.settings.mt5.poll_seconds)):
                    await self._wake.wait()
            except TimeoutError:
                pass

    async def deals(self, login: int, date_from: datetime, date_to: datetime) -> DealsSnapshot:
        if self.source is None:
            raise BridgeError(ErrorReason.NOT_CONNECTED, "MT5 monitoring has not started.")
        return await self.source.deals(login, date_from, date_to)

    def _on_settings(self, change: SettingsChange) -> None:
        if self.running and change.touches("mt5"):
            self.spawn(self._restart(), "restart")

    async def _restart(self) -> None:
        await self._close_source()
        self._loop_task = self.spawn(self._run(), "poll")

    async def _close_source(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
            self._loop_task = None
        source, self.source, self.monitor = self.source, None, None
        if source is not None:
            # A terminal's shutdown queues behind whatever holds the MT5 lane: behind a call hung
            # on a dead terminal it would never run, so closing gives a busy lane only a moment.
            busy = shared_lanes().mt5.busy_for() > 0
            try:
                await asyncio.wait_for(source.close(), 0.5 if busy else 3.0)
            except Exception:  # a dead terminal or bridge: nothing more to release
                log.info("closing the MT5 source did not finish cleanly", exc_info=True)

    async def stop(self) -> None:
        await self._close_source()
        await super().stop()
