"""The bridge server's one MT5 session: a direct source plus what a shared server needs.

It adds what the desktop does not: a directory of the accounts this bridge serves (with the
fund's labels the original kept in MongoDB), per-request timeouts, and short-lived caching of
snapshots with single-flight, so 200 clients asking for the same account cause one terminal read,
not 200 serialized logins. Account switching and its verification stay in the direct source.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from fidus_desktop.domain.values import utc_now
from fidus_desktop.logs import register_secret

from ..direct import DirectSource
from ..errors import BridgeError, ErrorReason
from ..models import (
    AccountSnapshot,
    DealsSnapshot,
    OrdersSnapshot,
    PositionsSnapshot,
    Rates,
    SourceHealth,
    SymbolSpec,
    Tick,
    Timeframe,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
VERSION = "2.0.0-fidus"


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
                 monotonic: Callable[[], float] = time.monotonic, mode: str = "terminal") -> None:
        self.source = source
        self.directory = dict(directory)
        self.passwords = passwords
        self.snapshot_ttl = snapshot_ttl
        self.request_timeout = request_timeout
        self.mode = mode
        self.started_at = utc_now()
        self.connected_at: dict[int, datetime] = {}
        self.current_login: int | None = next(iter(self.directory), None)
        self._monotonic = monotonic
        self._cache: dict[tuple, tuple[float, Any]] = {}
        self._inflight: dict[tuple, asyncio.Task[Any]] = {}
        #: The last good account snapshot per login, the "stored_data" of the original's pages.
        self.last_accounts: dict[int, AccountSnapshot] = {}

    # --- plumbing ---------------------------------------------------------------------------------------
    async def _timed(self, work: Awaitable[T], action: str, timeout: float | None = None) -> T:
        try:
            return await asyncio.wait_for(work, timeout or self.request_timeout)
        except TimeoutError:
            raise BridgeError(ErrorReason.TIMEOUT, f"The MT5 terminal did not answer in time ({action}).",
                              source=self.source.name) from None

    async def _cached(self, key: tuple, ttl: float, factory: Callable[[], Awaitable[T]], action: str) -> T:
        hit = self._cache.get(key)
        if hit is not None and hit[0] > self._monotonic():
            return hit[1]
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._timed(factory(), action))
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

    # --- reads --------------------------------------------------------------------------------------------
    async def health(self) -> SourceHealth:
        return await self._cached(("health",), min(self.snapshot_ttl, 1.0), self.source.health, "health")

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

    async def deals(self, login: int, date_from: datetime, date_to: datetime) -> DealsSnapshot:
        self.require(login)
        return await self._timed(self.source.deals(login, date_from, date_to), f"deals {login}",
                                 self.request_timeout * 3)

    async def history_orders(self, login: int, date_from: datetime, date_to: datetime) -> OrdersSnapshot:
        self.require(login)
        return await self._timed(self.source.history_orders(login, date_from, date_to), f"orders {login}",
                                 self.request_timeout * 3)

    async def symbol(self, symbol: str) -> SymbolSpec:
        return await self._cached(("symbol", symbol), 30.0, lambda: self.source.symbol(symbol), symbol)

    async def symbols(self) -> tuple[SymbolSpec, ...]:
        return await self._cached(("symbols",), 30.0, self.source.symbols, "symbols")

    async def tick(self, symbol: str) -> Tick:
        return await self._cached(("tick", symbol), min(self.snapshot_ttl, 0.5), lambda: self.source.tick(symbol),
                                  symbol)

    async def rates(self, symbol: str, timeframe: Timeframe, date_from: datetime, date_to: datetime) -> Rates:
        return await self._timed(self.source.rates(symbol, timeframe, date_from, date_to), f"{symbol} bars",
                                 self.request_timeout * 3)

    async def terminal(self) -> dict[str, Any]:
        return await self._cached(("terminal",), 1.0, self.source.terminal, "terminal")

    # --- changes ------------------------------------------------------------------------------------------
    async def login(self, login: int, password: str | None) -> AccountSnapshot:
        """Switch to ``login`` (the original's POST /api/mt5/login); a new account joins the directory."""
        self._cache.pop(("account", login), None)
        snap = await self._timed(self.source.login(login, password), f"login {login}")
        if password:  # kept only once the terminal accepted it
            self.passwords.remember(login, password)
        self.directory.setdefault(login, AccountMeta(login, name=snap.name, server=snap.server))
        self.last_accounts[login] = snap
        self.connected_at[login] = snap.fetched_at
        self.current_login = login
        return snap

    async def reconnect(self) -> None:
        self.invalidate()
        await self._timed(self.source.reconnect(), "reconnect")

    async def close(self) -> None:
        await self.source.close()
