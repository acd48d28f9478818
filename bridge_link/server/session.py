"""The bridge server's one MT5 session: a direct source plus what a shared server needs.

It adds what the desktop does not: a directory of the accounts this bridge serves (with the
fund's labels the original kept in MongoDB), per-request timeouts, and short-lived caching of
snapshots with single-flight, so 200 clients asking for the same account cause one terminal read,
not 200 serialized logins. Account switching and its verification stay in the direct source.

The terminal is one shared resource, so the session also bounds what reaches it: admission
(:mod:`.admission`: 429 instead of an ever-longer queue), history read in chunks of a year
(a ten-year request never holds the terminal for long), and health answered from the last check
(a watchdog's ``/health`` never queues behind deal reads, nor turns 503 because others are busy).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from fidus_desktop.domain.values import utc_now
from fidus_desktop.logs import register_secret

from ..direct import DirectSource
from ..errors import BridgeError, ErrorReason
from ..models import (
    AccountSnapshot,
    Deal,
    DealsSnapshot,
    Order,
    OrdersSnapshot,
    PositionsSnapshot,
    Rates,
    SourceHealth,
    SymbolSpec,
    Tick,
    Timeframe,
)
from .admission import Admission
from .limits import ServerLimits

log = logging.getLogger(__name__)
T = TypeVar("T")
VERSION = "2.0.0-fidus"
#: How long ``/health`` waits for a check in progress before answering from the last one.
HEALTH_WAIT = 0.1


@dataclass(frozen=True, slots=True)
class AccountMeta:
    login: int
    name: str = ""
    fund_type: str = ""
    provider: str = ""
    target_amount: Decimal | None = None
    server: str = ""


class PasswordBook:
    """MT5 passwords for account switches: given at run time, ``MT5_PWD_<login>`` (the original's
    variable), or the keyring. Held in memory only, registered with the log redactor."""

    def __init__(self, keyring_lookup: Callable[[str], str | None] | None = None) -> None:
        self._given: dict[int, str] = {}
        self._keyring = keyring_lookup

    def remember(self, login: int, password: str) -> None:
        register_secret(password)
        self._given[login] = password

    def __call__(self, login: int) -> str | None:
        password = self._given.get(login) or os.environ.get(f"MT5_PWD_{login}")
        if not password and self._keyring is not None:
            password = self._keyring(f"mt5-password-{login}")
        if password:
            register_secret(password)
        return password or None


class BridgeSession:
    def __init__(self, source: DirectSource, directory: dict[int, AccountMeta], *, passwords: PasswordBook,
                 snapshot_ttl: float = 1.0, request_timeout: float = 10.0,
                 monotonic: Callable[[], float] = time.monotonic, mode: str = "terminal",
                 limits: ServerLimits | None = None) -> None:
        self.source = source
        self.directory = dict(directory)
        self.passwords = passwords
        self.snapshot_ttl = snapshot_ttl
        self.request_timeout = request_timeout
        self.mode = mode
        self.limits = limits or ServerLimits()
        self.admission = Admission(self.limits)
        self.started_at = utc_now()
        self.connected_at: dict[int, datetime] = {}
        self.current_login: int | None = next(iter(self.directory), None)
        self._monotonic = monotonic
        self._cache: dict[tuple, tuple[float, Any]] = {}
        self._inflight: dict[tuple, asyncio.Task[Any]] = {}
        #: The last health check: (monotonic time, health, terminal_info() or None), and the one running.
        self._health: tuple[float, SourceHealth, dict[str, Any] | None] | None = None
        self._health_check: asyncio.Task[Any] | None = None
        self._health_started = 0.0
        #: When a terminal read last succeeded: a busy terminal is answering, a hung one is not.
        self._progress = 0.0
        #: The last good account snapshot per login, the "stored_data" of the original's pages.
        self.last_accounts: dict[int, AccountSnapshot] = {}

    # --- plumbing ---------------------------------------------------------------------------------------
    async def _timed(self, work: Awaitable[T], action: str, timeout: float | None = None) -> T:
        try:
            return await asyncio.wait_for(work, timeout or self.request_timeout)
        except TimeoutError:
            raise BridgeError(ErrorReason.TIMEOUT, f"The MT5 terminal did not answer in time ({action}).",
                              source=self.source.name) from None

    async def _admitted(self, factory: Callable[[], Awaitable[T]], history: bool) -> T:
        async with self.admission.history() if history else self.admission.read():
            value = await factory()
        self._progress = self._monotonic()
        return value

    async def _cached(self, key: tuple, ttl: float, factory: Callable[[], Awaitable[T]], action: str, *,
                      history: bool = False) -> T:
        hit = self._cache.get(key)
        if hit is not None and hit[0] > self._monotonic():
            return hit[1]
        task = self._inflight.get(key)
        if task is None:
            timeout = self.request_timeout * 3 if history else self.request_timeout
            task = asyncio.ensure_future(self._timed(self._admitted(factory, history), action, timeout))
            self._inflight[key] = task
            task.add_done_callback(lambda t, k=key: self._settled(k, t))
        # Shielded: one impatient client disconnecting must not cancel the read the others await.
        value = await asyncio.shield(task)
        self._cache[key] = (self._monotonic() + ttl, value)
        return value

    def _settled(self, key: tuple, task: asyncio.Task[Any]) -> None:
        self._inflight.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved here: every waiter may have gone away before it failed

    def require(self, login: int) -> AccountMeta:
        meta = self.directory.get(login)
        if meta is None:
            raise BridgeError(ErrorReason.NOT_FOUND, f"Account {login} not found", source=self.source.name)
        return meta

    def invalidate(self) -> None:
        self._cache.clear()
        self._health = None

    # --- health, from the last check ----------------------------------------------------------------------
    async def _check_health(self) -> None:
        started = self._monotonic()
        health = await self.source.health()  # never raises; bounded by the source's own timeout
        previous = self._health
        if (not health.connected and health.reason is ErrorReason.TIMEOUT and previous is not None
                and self._progress > started):
            # The check waited behind reads the terminal did answer: busy, not unhealthy.
            self._health = (self._monotonic(), previous[1], previous[2])
            return
        info = None
        if health.connected or health.reason is not ErrorReason.NOT_CONNECTED:
            try:
                info = await self._timed(self.source.terminal(), "terminal state")
            except BridgeError:
                info = None
        self._health = (started, health, info)

    async def health(self) -> SourceHealth:
        return (await self.health_state())[0]

    async def health_state(self) -> tuple[SourceHealth, dict[str, Any] | None]:
        """The terminal's health and ``terminal_info()``, checked at most every ``snapshot_ttl`` (1 s).

        Never queued behind other work: a check in progress is waited for a moment only, then the
        last known state is the answer, unless the check has been stuck for ``request_timeout``.
        """
        last = self._health
        now = self._monotonic()
        if last is not None and now - last[0] < min(self.snapshot_ttl, 1.0):
            return last[1], last[2]
        if self._health_check is None or self._health_check.done():
            self._health_started = now
            self._health_check = asyncio.ensure_future(self._check_health())
            self._health_check.add_done_callback(lambda t: t.cancelled() or t.exception())
        try:
            await asyncio.wait_for(asyncio.shield(self._health_check),
                                   HEALTH_WAIT if last is not None else self.request_timeout)
        except TimeoutError:
            pass
        last = self._health or last
        stuck = self._monotonic() - self._health_started
        if self._health_check.done() and last is not None:
            return last[1], last[2]
        if last is None or (stuck > self.request_timeout and self._progress < self._health_started):
            return SourceHealth(source=self.source.name, connected=False, checked_at=utc_now(),
                                reason=ErrorReason.TIMEOUT, server_zone=self.source.zone.describe(),
                                detail=f"The MT5 terminal has not answered a health check for {stuck:.0f} s."), None
        return last[1], last[2]

    # --- reads --------------------------------------------------------------------------------------------
    async def account(self, login: int) -> AccountSnapshot:
        self.require(login)
        snap = await self._cached(("account", login), self.snapshot_ttl, lambda: self.source.account(login),
                                  f"account {login}")
        self.last_accounts[login] = snap
        self.connected_at.setdefault(login, snap.fetched_at)
        return snap

    async def positions(self, login: int) -> PositionsSnapshot:
        self.require(login)
        return await self._cached(("positions", login), self.snapshot_ttl, lambda: self.source.positions(login),
                                  f"positions {login}")

    async def open_orders(self, login: int) -> OrdersSnapshot:
        self.require(login)
        return await self._cached(("orders", login), self.snapshot_ttl, lambda: self.source.open_orders(login),
                                  f"orders {login}")

    def _chunks(self, date_from: datetime, date_to: datetime) -> list[tuple[datetime, datetime]]:
        step = timedelta(days=self.limits.history_chunk_days)
        chunks, start = [], date_from
        while start + step < date_to:
            chunks.append((start, start + step))
            start += step
        return [*chunks, (start, date_to)]

    async def deals(self, login: int, date_from: datetime, date_to: datetime) -> DealsSnapshot:
        self.require(login)

        async def read() -> DealsSnapshot:
            found: dict[int, Deal] = {}
            snap = None
            for start, end in self._chunks(date_from, date_to):
                snap = await self.source.deals(login, start, end)
                found.update((d.ticket, d) for d in snap.deals)  # a deal on a chunk boundary comes twice
            assert snap is not None
            return snap.model_copy(update={"date_from": date_from, "date_to": date_to,
                                           "deals": tuple(sorted(found.values(), key=lambda d: (d.time, d.ticket)))})

        return await self._cached(("deals", login, date_from, date_to), self.snapshot_ttl, read, f"deals {login}",
                                  history=True)

    async def history_orders(self, login: int, date_from: datetime, date_to: datetime) -> OrdersSnapshot:
        self.require(login)

        async def read() -> OrdersSnapshot:
            found: dict[int, Order] = {}
            snap = None
            for start, end in self._chunks(date_from, date_to):
                snap = await self.source.history_orders(login, start, end)
                found.update((o.ticket, o) for o in snap.orders)
            assert snap is not None
            orders = sorted(found.values(), key=lambda o: (o.time_done or o.time_setup, o.ticket))
            return snap.model_copy(update={"orders": tuple(orders)})

        return await self._cached(("history", login, date_from, date_to), self.snapshot_ttl, read,
                                  f"orders {login}", history=True)

    async def symbol(self, symbol: str) -> SymbolSpec:
        return await self._cached(("symbol", symbol), 30.0, lambda: self.source.symbol(symbol), symbol)

    async def symbols(self) -> tuple[SymbolSpec, ...]:
        return await self._cached(("symbols",), 30.0, self.source.symbols, "symbols")

    async def tick(self, symbol: str) -> Tick:
        return await self._cached(("tick", symbol), min(self.snapshot_ttl, 0.5), lambda: self.source.tick(symbol),
                                  symbol)

    async def rates(self, symbol: str, timeframe: Timeframe, date_from: datetime, date_to: datetime) -> Rates:
        return await self._cached(("rates", symbol, timeframe, date_from, date_to), self.snapshot_ttl,
                                  lambda: self.source.rates(symbol, timeframe, date_from, date_to),
                                  f"{symbol} bars", history=True)

    async def terminal(self) -> dict[str, Any]:
        return await self._cached(("terminal",), 1.0, self.source.terminal, "terminal")

    # --- changes ------------------------------------------------------------------------------------------
    async def login(self, login: int, password: str | None) -> AccountSnapshot:
        """Switch to ``login`` (the original's POST /api/mt5/login); a new account joins the directory."""
        self._cache.pop(("account", login), None)
        snap = await self._timed(self._admitted(lambda: self.source.login(login, password), False),
                                 f"login {login}")
        if password:  # kept only once the terminal accepted it
            self.passwords.remember(login, password)
        self.directory.setdefault(login, AccountMeta(login, name=snap.name, server=snap.server))
        self.last_accounts[login] = snap
        self.connected_at[login] = snap.fetched_at
        self.current_login = login
        return snap

    async def reconnect(self) -> None:
        self.invalidate()
        await self._timed(self._admitted(self.source.reconnect, False), "reconnect")

    async def close(self) -> None:
        if self._health_check is not None and not self._health_check.done():
            self._health_check.cancel()
        await self.source.close()
