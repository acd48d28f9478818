"""Polling the MT5 accounts (issue 10 items 7 and 8), on the app's asyncio loop.

Each account is polled at its own interval; never two polls at once for one account (the next
one is scheduled only when the last has ended); up to ``concurrency`` accounts at a time; every
source call has a deadline, and a call past it is abandoned (cancelled, never queued behind)
and the account shown from the local cache, marked stale. A poll still running when the
account's interval is over marks the account *overdue* at once, so a hung source shows as
stale within one interval even while its calls run to their deadline. A failed poll (an error,
a stale answer, a deadline) pushes the next one back, doubling up to ``backoff_max``; the first
good answer resets it. Deal history is synced per account every ``deal_sync_seconds``.

Boards (:class:`~.board.Mt5Board`) are published coalesced: after polls complete, and at least
every ``poll_seconds`` (ages and the "source down" alert move on while nothing answers). The
owner's ``finish`` hook enriches each board (fund records, alerts) before listeners get it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bridge_link.cached import CachedSource
from bridge_link.errors import BridgeError
from bridge_link.models import DEAL_TYPE_BALANCE, AccountRef, Deal
from bridge_link.source import Mt5Source, active_source_name, active_source_since

from ..domain.values import utc_now
from ..services.health import HealthRegistry, ServiceName, ServiceState
from .board import Mt5AccountView, Mt5Board, build_board, describe_age

log = logging.getLogger(__name__)
T = TypeVar("T")

Listener = Callable[[Mt5Board], None]
#: ``finish(board, new balance deals per login) -> board``: the owner's enrichment of each board.
Finish = Callable[[Mt5Board, Mapping[int, Sequence[Deal]]], Awaitable[Mt5Board]]
#: Balance deals this recent when first synced are news (the alert rules look at them).
RECENT_FLOWS = timedelta(days=2)
#: History reads are slower than summaries (the bridge allows them three times its timeout).
SYNC_DEADLINE_FACTOR = 3.0
#: A first sync reads the history in pieces of this span, so polls get their turn between them
#: (three years of history: four reads per account, none holding the terminal for long).
SYNC_CHUNK = timedelta(days=366)
#: A board goes out at least this often (seconds) even when no poll ended (ages move on).
HEARTBEAT_MIN = 1.0
#: The first board waits this long at least for the first round of polls (seconds).
OVERDUE_MIN = 1.0
#: An account's data is overdue once its last good answer is older than its interval plus this
#: grace, or its usual poll time if that is longer (polls run at a fixed rate, so good answers come
#: one interval apart; the grace covers their jitter, and a slow but working source is not hung).
GRACE_MIN = 0.5


@dataclass(slots=True)
class _Account:
    ref: AccountRef
    interval: float
    due: float = 0.0
    failures: int = 0
    #: The poll in flight (only ever one) and when it was started.
    task: asyncio.Task[None] | None = None
    created: float = 0.0
    #: When the last good (live) answer came, and how long polls usually take (moving average).
    last_ok: float | None = None
    typical: float = 0.0
    #: The board has shown this poll as overdue.
    announced: bool = False
    view: Mt5AccountView | None = None
    sync_task: asyncio.Task[bool] | None = None
    #: The first sync waits for the first poll (the board first, then the history).
    sync_due: float = float("inf")
    deals_revision: int = 0
    new_deals: list[Deal] = field(default_factory=list)
    #: A sync in pieces is under way: the newest deal held when it began, and the deals added so far.
    syncing: bool = False
    sync_start: datetime | None = None
    sync_added: int = 0


class Mt5Monitor:
    def __init__(self, source: Mt5Source, health: HealthRegistry, *, poll_seconds: float = 5.0,
                 logins: Callable[[], Awaitable[Sequence[AccountRef]]] | None = None,
                 deal_sync_seconds: float = 60.0, concurrency: int = 1,
                 clock: Callable[[], datetime] = utc_now, intervals: Mapping[int, float] | None = None,
                 call_deadline: float = 15.0, backoff_max: float = 60.0, accounts_refresh: float = 300.0,
                 publish_delay: float = 0.1, finish: Finish | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.source = source
        self.health = health
        self.poll_seconds = poll_seconds
        self.deal_sync_seconds = deal_sync_seconds
        self.intervals = dict(intervals or {})
        self.call_deadline = call_deadline
        self.backoff_max = backoff_max
        self.accounts_refresh = accounts_refresh
        self.publish_delay = publish_delay
        self.concurrency = max(1, concurrency)
        self._logins = logins or source.accounts
        self._limit = asyncio.Semaphore(self.concurrency)
        # One history sync at a time: a first sync is a long read that would hold every poll behind it.
        self._sync_limit = asyncio.Semaphore(1)
        self._clock = clock
        self._mono = monotonic
        self._finish = finish
        self._listeners: list[Listener] = []
        self._accounts: dict[int, _Account] = {}
        self._refs_due = 0.0
        self._refs_error: BridgeError | None = None
        self._wake = asyncio.Event()
        self._publish_handle: asyncio.Handle | None = None
        self._publish_at = 0.0
        self._publishing: asyncio.Task[Mt5Board | None] | None = None
        self._again = False
        self._last_publish = 0.0
        self._last_deal_sync: datetime | None = None
        self._running = False
        #: Logins whose pending orders are read too (the account the manager looks at).
        self.watched: set[int] = set()
        #: Polls started per login, and the most that ran at once per login (tests check 1).
        self.started: dict[int, int] = {}
        self.latest: Mt5Board | None = None

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def interval_of(self, login: int) -> float:
        return max(0.05, self.intervals.get(login, self.poll_seconds))

    @staticmethod
    def _overdue_after(acc: _Account) -> float:
        return max(acc.interval, OVERDUE_MIN)

    @staticmethod
    def _stale_at(acc: _Account) -> float:
        """When an account whose poll is in flight is shown stale: one interval (plus the grace)
        after its last good answer, whether or not the call has reached its deadline."""
        return (acc.last_ok if acc.last_ok is not None else acc.created) + acc.interval + max(
            GRACE_MIN, acc.typical)

    def _overdue(self, acc: _Account, now: float) -> bool:
        return acc.task is not None and acc.view is not None and now > self._stale_at(acc)

    def poll_now(self) -> None:
        """Every account is due now (the panel's Refresh); failures keep their count."""
        for acc in self._accounts.values():
            acc.due = 0.0
        self._refs_due = 0.0
        self._wake.set()

    def watch(self, login: int | None) -> None:
        """Read ``login``'s pending orders too (only that account's): it is polled at once."""
        self.watched = set() if login is None else {login}
        acc = self._accounts.get(login) if login is not None else None
        if acc is not None:
            acc.due = 0.0
        self._wake.set()

    # --- the account list --------------------------------------------------------------------------
    async def _refresh_accounts(self) -> bool:
        self._refs_due = self._mono() + self.accounts_refresh
        try:
            refs = tuple(await self._deadline(self._logins(), self.call_deadline))
        except (BridgeError, TimeoutError) as exc:
            self._refs_error = exc if isinstance(exc, BridgeError) else BridgeError(
                "timeout", f"The MT5 source did not list its accounts within {self.call_deadline:g} s.")
            self._refs_due = self._mono() + min(self.backoff_max, max(self.poll_seconds, 1.0) * 2)
            return bool(self._accounts)  # keep polling the accounts known so far
        self._refs_error = None
        known = self._accounts
        self._accounts = {}
        for ref in refs:
            acc = known.pop(ref.login, None) or _Account(ref, self.interval_of(ref.login))
            acc.ref, acc.interval = ref, self.interval_of(ref.login)
            self._accounts[ref.login] = acc
        for gone in known.values():  # no longer served: stop its work
            for task in (gone.task, gone.sync_task):
                if task is not None:
                    task.cancel()
        return True

    # --- one account's poll --------------------------------------------------------------------------
    async def _deadline(self, work: Coroutine[Any, Any, T] | Awaitable[T], seconds: float) -> T:
        async with asyncio.timeout(seconds):
            return await work

    def _start(self, acc: _Account) -> asyncio.Task[None]:
        acc.created = self._mono()
        acc.announced = False
        login = acc.ref.login
        self.started[login] = self.started.get(login, 0) + 1
        acc.task = asyncio.get_running_loop().create_task(self._poll(acc), name=f"mt5-poll-{login}")
        return acc.task

    async def _poll(self, acc: _Account) -> None:
        try:
            async with self._limit:
                view = await self._read(acc)
        except asyncio.CancelledError:
            acc.task = None
            raise
        except Exception as exc:  # a bug in a source must not end this account's polling
            log.exception("MT5 poll of %s failed", acc.ref.login)
            view = Mt5AccountView(acc.ref, error=f"Reading the account failed: {type(exc).__name__}")
        failed = view.account is None or view.stale or bool(view.error)
        done = self._mono()
        if not failed:
            took = done - acc.created
            acc.last_ok = done
            acc.typical = took if acc.typical == 0.0 else 0.8 * acc.typical + 0.2 * took
        acc.failures = acc.failures + 1 if failed else 0
        delay = acc.interval if not failed else min(acc.interval * 2 ** acc.failures,
                                                    max(self.backoff_max, acc.interval))
        acc.due = max(acc.created + delay, self._mono() + (0.0 if not failed else acc.interval))
        if acc.view is None:
            acc.sync_due = self._mono()
        acc.view = replace(view, interval=acc.interval, failures=acc.failures, deals_revision=acc.deals_revision)
        acc.task = None
        self._changed()

    async def _read(self, acc: _Account) -> Mt5AccountView:
        login, ref = acc.ref.login, acc.ref
        try:
            account = await self._deadline(self.source.account(login), self.call_deadline)
        except TimeoutError:
            return await self._abandoned(acc)
        except BridgeError as exc:
            return Mt5AccountView(ref, error=exc.message)
        problems = []
        positions = orders = None
        try:
            positions = await self._deadline(self.source.positions(login), self.call_deadline)
        except TimeoutError:
            return await self._abandoned(acc, account)
        except BridgeError as exc:
            problems.append(exc.message)
        if login in self.watched:
            try:
                orders = await self._deadline(self.source.open_orders(login), self.call_deadline)
            except TimeoutError:
                return await self._abandoned(acc, account, positions)
            except BridgeError as exc:
                problems.append(exc.message)
        return Mt5AccountView(ref, account, positions, orders, error="; ".join(problems))

    async def _abandoned(self, acc: _Account, account=None, positions=None) -> Mt5AccountView:  # noqa: ANN001
        """The view after a call ran past its deadline: what was read, else the cache's copy."""
        reason = f"{active_source_name(self.source)} did not answer within {self.call_deadline:g} s"
        login = acc.ref.login
        if isinstance(self.source, CachedSource):
            try:
                async with asyncio.timeout(2.0):
                    account = account or await self.source.cached_account(login)
                    positions = positions or await self.source.cached_positions(login)
            except Exception:  # the cache is best effort here
                log.info("no cached copy of %s", login, exc_info=True)
        if account is None and acc.view is not None:
            return replace(acc.view.as_stale(reason), overdue=False)
        view = Mt5AccountView(acc.ref, account, positions, error=reason)
        return view if view.stale or account is None else view.as_stale(reason)

    # --- deal sync -------------------------------------------------------------------------------------
    def _start_sync(self, acc: _Account) -> asyncio.Task[bool]:
        acc.sync_due = self._mono() + self.deal_sync_seconds
        acc.sync_task = asyncio.get_running_loop().create_task(self._sync(acc), name=f"mt5-deals-{acc.ref.login}")
        return acc.sync_task

    async def _sync(self, acc: _Account) -> bool:
        """One piece of the account's deal sync; False while more pieces are left."""
        source = self.source
        assert isinstance(source, CachedSource)
        login = acc.ref.login
        try:
            async with self._sync_limit, self._limit:
                if not acc.syncing:
                    last = await source.cache.last_deal(login)
                    acc.syncing, acc.sync_start, acc.sync_added = True, last[0] if last else None, 0
                acc.sync_added += await self._deadline(source.sync_deals(login, max_span=SYNC_CHUNK),
                                                       self.call_deadline * SYNC_DEADLINE_FACTOR)
                caught_up = await source.deals_synced(login)
            if not caught_up:
                acc.sync_due = self._mono()  # the next piece at once, after the polls waiting
                return False
            added, since = acc.sync_added, acc.sync_start
            acc.syncing = False
            if added:
                since = since - timedelta(hours=1) if since is not None else self._clock() - RECENT_FLOWS
                rows = await source.cache.get_deals(login, since)
                acc.new_deals += [Deal.model_validate(r) for r in rows if r.get("type") == DEAL_TYPE_BALANCE]
                acc.deals_revision += 1
                if acc.view is not None:
                    acc.view = replace(acc.view, deals_revision=acc.deals_revision)
                log.info("deal sync of %s: %d new deal(s)", login, added)
                self._changed()
            return True
        except (BridgeError, TimeoutError) as exc:
            log.info("deal sync of %s skipped: %s", login, getattr(exc, "message", "deadline"))
            acc.sync_due = self._mono() + min(self.backoff_max, self.deal_sync_seconds)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("deal sync of %s failed", login)
        finally:
            acc.sync_task = None
        return True

    # --- boards ------------------------------------------------------------------------------------------
    def _views(self) -> tuple[Mt5AccountView, ...]:
        now = self._mono()
        views = []
        for acc in self._accounts.values():
            view = acc.view or Mt5AccountView(acc.ref, interval=acc.interval)
            if self._overdue(acc, now):
                view = view.as_stale(f"The poll has been running for {describe_age(now - acc.created)}")
            views.append(replace(view, ref=acc.ref))
        return tuple(views)

    def _board(self, views: tuple[Mt5AccountView, ...]) -> Mt5Board:
        return build_board(views, self._clock(), source=active_source_name(self.source),
                           since=active_source_since(self.source),
                           last_error=getattr(getattr(self.source, "last_error", None), "message", ""),
                           listing_error=self._refs_error.message if self._refs_error else "")

    def _changed(self) -> None:
        self._wake.set()
        if not self._running:
            return
        handle = self._publish_handle
        if handle is not None and self._publish_at <= self._mono() + self.publish_delay:
            return
        if handle is not None:
            handle.cancel()  # a board held back for the first round: this may complete it
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a Qt event pass outside the loop (tests' teardown): nothing to schedule
            return
        self._publish_at = self._mono() + self.publish_delay
        self._publish_handle = loop.call_later(self.publish_delay, self._publish_later)

    def _first_round(self) -> float | None:
        """While accounts not read yet are still within their first poll: when the last of
        those turns overdue (the first board waits for them, not showing "not read yet")."""
        now = self._mono()
        waiting = [acc.created + self._overdue_after(acc) for acc in self._accounts.values()
                   if acc.view is None and acc.task is not None and now - acc.created <= self._overdue_after(acc)]
        return max(waiting) if waiting else None

    def _publish_later(self) -> None:
        self._publish_handle = None
        until = self._first_round()
        if until is not None:
            delay = max(0.01, until - self._mono() + 0.01)
            self._publish_at = self._mono() + delay
            self._publish_handle = asyncio.get_running_loop().call_later(delay, self._publish_later)
            return
        if self._publishing is not None and not self._publishing.done():
            self._again = True
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._publishing = loop.create_task(self.publish(), name="mt5-board")
        self._publishing.add_done_callback(self._published)

    def _published(self, _task: asyncio.Task[Mt5Board | None]) -> None:
        if self._again:
            self._again = False
            self._changed()

    async def publish(self) -> Mt5Board:
        """Build the board from the latest views, let the owner finish it, and hand it out."""
        self._last_publish = self._mono()
        flows = {login: acc.new_deals for login, acc in self._accounts.items() if acc.new_deals}
        for acc in self._accounts.values():
            acc.new_deals = []
        board = self._board(self._views())
        if self._finish is not None:
            try:
                board = await self._finish(board, flows)
            except Exception:  # the board goes out unfinished rather than not at all
                log.exception("finishing the MT5 board failed")
        self.latest = board
        self.health.report(ServiceName.MT5, board.state, board.source, board.detail)
        for listener in list(self._listeners):
            try:
                listener(board)
            except Exception:  # one broken listener must not stop polling
                log.exception("MT5 board listener failed")
        return board

    # --- running -------------------------------------------------------------------------------------------
    async def poll_once(self) -> Mt5Board:
        """Poll every account now, sync deals if due, and publish: for tools and tests (the
        service runs :meth:`run`)."""
        if self.latest is None:
            self.health.report(ServiceName.MT5, ServiceState.CONNECTING, active_source_name(self.source))
        await self._refresh_accounts()
        tasks = [acc.task or self._start(acc) for acc in self._accounts.values()]
        await asyncio.gather(*tasks, return_exceptions=True)
        now = self._clock()
        if isinstance(self.source, CachedSource) and (
                self._last_deal_sync is None
                or (now - self._last_deal_sync).total_seconds() >= self.deal_sync_seconds):
            self._last_deal_sync = now
            for acc in list(self._accounts.values()):
                while not await (acc.sync_task or self._start_sync(acc)):
                    pass
        return await self.publish()

    async def run(self) -> None:
        """Poll until cancelled."""
        self.health.report(ServiceName.MT5, ServiceState.CONNECTING, active_source_name(self.source))
        syncing = isinstance(self.source, CachedSource)
        self._running = True
        try:
            while True:
                now = self._mono()
                if now >= self._refs_due:
                    await self._refresh_accounts()
                    if not self._accounts:
                        await self.publish()
                    now = self._mono()
                heartbeat = max(self.poll_seconds, HEARTBEAT_MIN)
                wake = min(self._refs_due, self._last_publish + heartbeat)
                for acc in self._accounts.values():
                    if acc.task is None and acc.due <= now:
                        self._start(acc)
                    if syncing and acc.sync_task is None and acc.sync_due <= now:
                        self._start_sync(acc)
                    if acc.task is None:
                        wake = min(wake, acc.due)
                    elif not self._overdue(acc, now):
                        wake = min(wake, self._stale_at(acc) + 0.01)  # when it turns overdue
                    elif not acc.announced:
                        acc.announced = True
                        self._changed()  # overdue: the board marks it stale now, not at its deadline
                    if syncing and acc.sync_task is None:
                        wake = min(wake, acc.sync_due)
                if now >= self._last_publish + heartbeat:
                    self._changed()  # the heartbeat board: ages and "source down" move on
                self._wake.clear()
                try:
                    async with asyncio.timeout(max(0.01, wake - self._mono())):
                        await self._wake.wait()
                except TimeoutError:
                    pass
        finally:
            self._running = False
            await self.stop()

    async def stop(self) -> None:
        if self._publish_handle is not None:
            self._publish_handle.cancel()
            self._publish_handle = None
        tasks = [t for acc in self._accounts.values() for t in (acc.task, acc.sync_task) if t is not None]
        if self._publishing is not None:
            tasks.append(self._publishing)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
