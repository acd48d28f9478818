"""The MT5 monitor as a core service: owned by the runtime, not by any window.

It builds the configured source off the loop's thread (the demo terminal computes its history,
``MetaTrader5`` loads its DLL) and polls it (:class:`~fidus_desktop.mt5.polling.Mt5Monitor`: each
account at its own interval, a deadline per call, backoff, the cache when the source fails).
Each board is finished here before it is published on ``EventType.MT5_BOARD``: the fund's own
record of every account (fund, manager, status from ``mt5_accounts``, reloaded when they
change), equity at the start of the manager's day, the equity samples stored for the charts
(:class:`~fidus_desktop.mt5.history.EquityHistory`, pruned hourly) and the alerts judged on it
(:class:`~.mt5_alerting.AlertKeeper`). The MT5 settings rebuild the source; the alert rules
apply to the next board.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from bridge_link.cached import KIND_DEALS_SYNC, CachedSource
from bridge_link.errors import BridgeError, ErrorReason
from bridge_link.models import DEAL_TYPE_BALANCE, Deal, DealsSnapshot
from bridge_link.source import Mt5Source

from ..domain.mt5_accounts import Mt5AccountLink
from ..domain.values import utc_now
from ..events import EventType
from ..lanes import shared_lanes
from ..mt5.alerts import Alert
from ..mt5.board import CACHE_SOURCE, FundTotal, Mt5AccountView, Mt5Board, describe_age, fund_totals
from ..mt5.history import EquityHistory, EquitySeries
from ..mt5.polling import Mt5Monitor
from ..runtime.service import Service
from .health import ServiceName, ServiceState
from .mt5_alerting import AlertKeeper

if TYPE_CHECKING:
    from ..app_context import AppContext
    from ..runtime.settings_change import SettingsChange
    from .changes import Changes

__all__ = ["CACHE_SOURCE", "FundTotal", "Mt5AccountView", "Mt5Board", "Mt5Monitor", "Mt5MonitorService",
           "describe_age", "fund_totals"]

log = logging.getLogger(__name__)

PRUNE_SECONDS = 3600.0


def parse_deals(docs: Sequence[str]) -> tuple[Deal, ...]:
    """Deals as the local cache keeps them (JSON text), validated; call it in a lane."""
    from ..storage import doc_json

    return tuple(Deal.model_validate(doc_json.loads(doc)) for doc in docs)


def local_midnight(now: datetime) -> datetime:
    """00:00 of the manager's (this computer's) day, as an aware UTC-comparable moment."""
    local = now.astimezone()
    return datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)


@dataclass(frozen=True, slots=True)
class _Day:
    """An account's start of the manager's day: its equity then, and the flows since."""

    day: date
    revision: int
    start: Decimal | None
    flows: Decimal
    checked: datetime


class Mt5MonitorService(Service):
    name = "mt5-monitor"

    def __init__(self, context: AppContext, *, build: Callable[[], Mt5Source] | None = None) -> None:
        super().__init__()
        self._context = context
        self._build = build
        self.source: Mt5Source | None = None
        self.monitor: Mt5Monitor | None = None
        self.history: EquityHistory | None = None
        self.alerts = AlertKeeper(context.settings.alerts, context.events)
        self._loop_task: asyncio.Task[None] | None = None
        self._links: dict[int, Mt5AccountLink] = {}
        self._recorded: dict[int, datetime] = {}
        self._days: dict[int, _Day] = {}
        self._watched: int | None = None
        context.events.subscribe(EventType.SETTINGS_CHANGED, self._on_settings)
        context.events.subscribe(EventType.DATA_CHANGED, self._on_changes)

    @property
    def latest(self) -> Mt5Board | None:
        return self.monitor.latest if self.monitor is not None else None

    async def start(self) -> None:
        await super().start()
        self._loop_task = self.spawn(self._run(), "poll")
        self.spawn(self._prune_loop(), "prune")

    def poll_now(self) -> None:
        """Skip the rest of the wait (the panel's Refresh button)."""
        if self.monitor is not None:
            self.monitor.poll_now()

    def watch(self, login: int | None) -> None:
        """The manager looks at ``login``: its pending orders are polled too."""
        self._watched = login
        if self.monitor is not None:
            self.monitor.watch(login)

    def call_deadline(self) -> float:
        mt5 = self._context.settings.mt5
        # A little beyond the client's own total deadline, so its clearer error usually comes first.
        return mt5.call_deadline_seconds or max(1.0, mt5.connect_timeout + mt5.read_timeout + 1.0)

    # --- running ---------------------------------------------------------------------------------------
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
        cache = self._context.cache
        if cache is not None and self.history is None:
            from ..mt5.alert_history import AlertHistory

            self.history = EquityHistory(cache)
            self.alerts.history = AlertHistory(cache)
            await self.alerts.open()
        await self._load_links()
        s = self._context.settings.mt5
        self.monitor = Mt5Monitor(
            source, self._context.health, poll_seconds=s.poll_seconds, concurrency=s.poll_concurrency,
            intervals={i.login: i.seconds for i in s.account_intervals if i.seconds > 0},
            call_deadline=self.call_deadline(), backoff_max=s.backoff_max_seconds,
            deal_sync_seconds=s.deal_sync_seconds, finish=self._finish)
        self.monitor.subscribe(lambda board: self._context.events.publish(EventType.MT5_BOARD, board))
        self.monitor.watch(self._watched)
        await self.monitor.run()

    async def _prune_loop(self) -> None:
        while True:
            await asyncio.sleep(60.0 if self.history is None else PRUNE_SECONDS)
            if self.history is not None:
                try:
                    removed = await self.history.prune(utc_now())
                    log.info("equity history pruned: %d sample(s) thinned out", removed)
                except Exception:
                    log.exception("pruning the equity history failed")

    # --- finishing each board ---------------------------------------------------------------------------
    async def _finish(self, board: Mt5Board, flows: Mapping[int, Sequence[Deal]]) -> Mt5Board:
        views = []
        for view in board.accounts:
            view = replace(view, link=self._links.get(view.login))
            views.append(await self._with_day(view))
        board = replace(board, accounts=tuple(views))
        await self._record(board)
        return replace(board, alerts=await self.alerts.judge(board, flows))

    async def _record(self, board: Mt5Board) -> None:
        if self.history is None:
            return
        fresh = [v.account for v in board.accounts if v.account is not None and not v.account.stale
                 and self._recorded.get(v.login) != v.account.fetched_at]
        if not fresh:
            return
        try:
            await self.history.record(fresh)
        except Exception:  # a full disk costs chart points, not monitoring
            log.exception("equity samples not stored")
            return
        for snap in fresh:
            self._recorded[snap.login] = snap.fetched_at  # type: ignore[union-attr]

    async def _with_day(self, view: Mt5AccountView) -> Mt5AccountView:
        """The equity at the start of the manager's day and the deposits/withdrawals since."""
        if view.account is None:
            return view
        now = utc_now()
        midnight = local_midnight(now)
        held = self._days.get(view.login)
        fresh = held is not None and held.day == midnight.date() and held.revision == view.deals_revision and (
            held.start is not None or (now - held.checked).total_seconds() < 5)
        if not fresh:
            start = held.start if held is not None and held.day == midnight.date() else None
            flows = Decimal(0)
            try:
                if start is None and self.history is not None:
                    # Before midnight if the app ran then, else its first reading of the day.
                    start = await self.history.equity_at(view.login, midnight, within=timedelta(hours=12))
                    if start is None:
                        start = await self.history.first_after(view.login, midnight)
                if isinstance(self.source, CachedSource):
                    rows = await self.source.cache.get_deals(view.login, midnight)
                    flows = sum((Decimal(str(r.get("profit", 0))) for r in rows
                                 if r.get("type") == DEAL_TYPE_BALANCE), Decimal(0))
            except Exception:
                log.info("day start of %s unknown", view.login, exc_info=True)
            held = _Day(midnight.date(), view.deals_revision, start, flows, now)
            self._days[view.login] = held
        return replace(view, day_start_equity=held.start, day_flows=held.flows)

    async def republish(self) -> None:
        """Publish the board again at once (links or alerts changed)."""
        if self.monitor is not None and self.monitor.latest is not None:
            await self.monitor.publish()

    # --- fund records ------------------------------------------------------------------------------------
    async def _load_links(self) -> None:
        store = self._context.store
        if store is None:
            return
        try:
            self._links = {link.account: link for link in await store.mt5_accounts.find()}
        except Exception as exc:  # the database is away: the board shows the source's labels
            log.info("MT5 account records not read: %s", exc)

    def put_link(self, link: Mt5AccountLink) -> None:
        """A change this app made (possibly still queued): shown at once."""
        self._links[link.account] = link
        self.spawn(self.republish(), "republish")

    def link(self, login: int) -> Mt5AccountLink | None:
        return self._links.get(login)

    def _on_changes(self, changes: Changes) -> None:
        if self.running and changes.mt5_accounts and not changes.pending:
            self.spawn(self._reload_links(), "links")

    async def _reload_links(self) -> None:
        await self._load_links()
        await self.republish()

    # --- alerts --------------------------------------------------------------------------------------------
    async def acknowledge(self, keys: Sequence[str]) -> tuple[Alert, ...]:
        alerts = await self.alerts.acknowledge(keys)
        await self.republish()
        return alerts

    async def snooze(self, keys: Sequence[str], minutes: float | None = None) -> tuple[Alert, ...]:
        alerts = await self.alerts.snooze(keys, minutes)
        await self.republish()
        return alerts

    # --- what the account view reads ------------------------------------------------------------------------
    def _source(self) -> Mt5Source:
        if self.source is None:
            raise BridgeError(ErrorReason.NOT_CONNECTED, "MT5 monitoring has not started.")
        return self.source

    async def deals(self, login: int, date_from: datetime, date_to: datetime) -> DealsSnapshot:
        return await self._source().deals(login, date_from, date_to)

    async def history_deals(self, login: int) -> DealsSnapshot:
        """The account's whole deal history as synced into the local cache (the account view,
        charts and statistics read this; live from the source when nothing was synced yet).
        Parsed in the cpu lane: a long history would hold the window for a while."""
        source = self._source()
        now = utc_now()
        start, end = now - timedelta(days=1100), now + timedelta(days=1)
        if isinstance(source, CachedSource) and await source.deals_synced(login) and (
                docs := await source.cache.get_deal_docs(login)):
            sync = await source.cache.get_snapshot(KIND_DEALS_SYNC, str(login))
            deals = await shared_lanes().cpu.run(lambda: parse_deals(docs), action=f"read the deals of {login}")
            first = min(start, deals[0].time) if deals else start
            return DealsSnapshot(login=login, date_from=first, date_to=end, deals=deals, source=CACHE_SOURCE,
                                 fetched_at=sync.fetched_at if sync else now, stale=False)
        return await source.deals(login, start, end)

    async def equity_series(self, login: int, start: datetime | None = None) -> EquitySeries:
        if self.history is None:
            return EquitySeries.empty()
        return await self.history.series(login, start)

    # --- settings --------------------------------------------------------------------------------------------
    def _on_settings(self, change: SettingsChange) -> None:
        if change.touches("alerts"):
            self.alerts.apply_settings(change.new.alerts)
            if self.running:
                self.spawn(self.republish(), "alerts")
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
