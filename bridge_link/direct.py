"""The direct source: the ``MetaTrader5`` module (or the demo terminal) on this computer.

Every call runs on the one-thread ``mt5`` lane (:mod:`fidus_desktop.lanes`). A request for an account
switches the terminal with ``login()`` inside the same lane job that reads the data, and the job
checks ``account_info().login`` after the read, so no answer can carry another account's numbers
even if someone switches accounts in the terminal window meanwhile. When the terminal goes away
the next call reconnects; repeated failures back off (jittered, doubling up to ``backoff_max``) so
a dead terminal is not hammered with ``initialize()``.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from fidus_desktop.domain.values import utc_now
from fidus_desktop.lanes import Lane, LaneStopped, shared_lanes

from . import convert
from .errors import IPC_LOST_CODES, BridgeError, ErrorReason, from_last_error
from .models import (
    AccountRef,
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
from .server_time import ServerZone

log = logging.getLogger(__name__)
T = TypeVar("T")

TIMEFRAMES = {Timeframe.M1: 1, Timeframe.M5: 5, Timeframe.M15: 15, Timeframe.M30: 30, Timeframe.H1: 0x4001,
              Timeframe.H4: 0x4004, Timeframe.D1: 0x4018, Timeframe.W1: 0x8001, Timeframe.MN1: 0xC001}
#: History queries are widened by this much on the server clock, then filtered in true UTC: a
#: wrong guess of the broker's offset then never drops the newest deals (mt5-api.md §8 rule 3).
QUERY_MARGIN = timedelta(days=1)


class DirectSource:
    def __init__(self, module: Any, *, name: str = "direct terminal", path: str = "", portable: bool = False,
                 login: int = 0,
                 server: str = "", password_for: Callable[[int], str | None] = lambda _login: None,
                 zone: ServerZone | None = None, accounts: Sequence[AccountRef] = (),
                 call_timeout: float = 10.0, init_timeout_ms: int = 60_000, backoff_initial: float = 0.5,
                 backoff_max: float = 30.0, monotonic: Callable[[], float] = time.monotonic,
                 lane: Lane | None = None) -> None:
        self.name = name
        self.zone = zone or ServerZone()
        # The process's one MT5 thread by default: the MetaTrader5 module is one global client,
        # so two sources must never call it from two threads either.
        self._lane = lane or shared_lanes().mt5
        self._mt5 = LaneBoundModule(module, self._lane)
        if portable and not path:
            raise BridgeError(ErrorReason.NOT_CONNECTED, "A portable MT5 terminal needs its path (the terminal64.exe "
                              "in its install folder).", source=name)
        self._path = path
        #: A terminal installed /portable keeps its data (saved passwords, the accounts) in its own
        #: folder; started without portable=True it would come up on another, empty data folder.
        self._portable = portable
        self._login = login
        self._server = server
        self._password_for = password_for
        self._accounts = tuple(accounts) or ((AccountRef(login=login, server=server),) if login else ())
        self._call_timeout = call_timeout
        self._init_timeout_ms = init_timeout_ms
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._monotonic = monotonic
        # Lane-only state (read and written on the lane thread alone):
        self._connected = False
        self._delay = backoff_initial
        self._next_attempt = 0.0
        self._last_failure: BridgeError | None = None
        self.connect_attempts = 0

    # --- lane-side helpers ------------------------------------------------------------------------
    def _fail(self, action: str) -> BridgeError:
        code, message = self._mt5.last_error()
        if code in IPC_LOST_CODES:
            self._lost()
        return from_last_error(code, message, action=action, source=self.name)

    def _lost(self) -> None:
        if self._connected:
            log.warning("%s: connection to the MT5 terminal lost", self.name)
            try:
                self._mt5.shutdown()
            except Exception:  # the link is gone already; nothing more to release
                pass
        self._connected = False

    def _connect(self) -> None:
        if self._connected:
            return
        now = self._monotonic()
        if now < self._next_attempt and self._last_failure is not None:
            wait = self._next_attempt - now
            raise BridgeError(self._last_failure.reason, f"{self._last_failure.message} Next try in {wait:.0f} s.",
                              detail=self._last_failure.detail, source=self.name)
        self.connect_attempts += 1
        kwargs: dict[str, Any] = {"timeout": self._init_timeout_ms}
        if self._portable:
            kwargs["portable"] = True
        if self._login:
            kwargs["login"] = self._login
            password = self._password_for(self._login)
            if password:
                kwargs["password"] = password
            if self._server:
                kwargs["server"] = self._server
        ok = self._mt5.initialize(self._path, **kwargs) if self._path else self._mt5.initialize(**kwargs)
        if not ok:
            failure = self._fail("connecting")
            self._last_failure = failure
            # Jittered so several apps on one VPS do not retry in step.
            self._next_attempt = now + self._delay * random.uniform(0.8, 1.2)
            self._delay = min(self._delay * 2, self._backoff_max)
            raise failure
        self._connected = True
        self._delay = self._backoff_initial
        self._next_attempt = 0.0
        self._last_failure = None

    def _call(self, function: str, *args: Any, action: str, allow_empty_false: bool = False, **kwargs: Any) -> Any:
        result = getattr(self._mt5, function)(*args, **kwargs)
        if result is None or (result is False and not allow_empty_false):
            raise self._fail(action)
        return result

    def _on_account(self, login: int) -> Any:
        """Make ``login`` the terminal's account; returns its ``account_info()``."""
        self._connect()
        info = self._call("account_info", action="reading the account")
        if info.login == login:
            return info
        password = self._password_for(login)
        kwargs: dict[str, Any] = {"timeout": self._init_timeout_ms}
        if password:
            kwargs["password"] = password
        if self._server and login == self._login:
            kwargs["server"] = self._server
        self._call("login", login, action=f"switching to account {login}", **kwargs)
        info = self._call("account_info", action="reading the account")
        self._check(info, login)
        return info

    def _check(self, info: Any, login: int) -> None:
        if info.login != login:
            raise BridgeError(ErrorReason.BAD_DATA,
                              f"The terminal is on account {info.login}, not {login}; the answer was discarded.",
                              source=self.name)

    def _still_on(self, login: int) -> None:
        self._check(self._call("account_info", action="checking the account"), login)

    async def _run(self, job: Callable[[], T], action: str, timeout: float | None = None) -> T:
        def guarded() -> T:
            try:
                return job()
            except BridgeError:
                raise
            except Exception as exc:  # a malformed structure from the terminal must not crash the app
                log.warning("%s: unexpected answer while %s: %r", self.name, action, exc)
                raise BridgeError(ErrorReason.BAD_DATA, f"The MT5 terminal gave an unusable answer ({action}).",
                                  detail=type(exc).__name__, source=self.name) from exc

        wait = timeout or self._call_timeout
        try:
            return await self._lane.run(guarded, timeout=wait, action=f"{self.name}: {action}")
        except TimeoutError:
            raise BridgeError(ErrorReason.TIMEOUT, f"The MT5 terminal did not answer in time ({action}).",
                              detail=f"timeout={wait}s", source=self.name) from None
        except LaneStopped:
            raise BridgeError(ErrorReason.NOT_CONNECTED, "The MT5 connection is closed.", source=self.name) from None
        except BridgeError as exc:
            exc.source = exc.source or self.name
            raise

    # --- the source interface -----------------------------------------------------------------------
    async def health(self) -> SourceHealth:
        def job() -> SourceHealth:
            self._connect()
            terminal = self._call("terminal_info", action="reading the terminal state")
            info = self._mt5.account_info()
            return SourceHealth(
                source=self.name, connected=bool(terminal.connected), checked_at=utc_now(),
                reason=None if terminal.connected else ErrorReason.NOT_CONNECTED,
                detail="" if terminal.connected else "The terminal has no link to the broker's server.",
                login=info.login if info is not None else None, terminal_build=terminal.build,
                server_zone=self.zone.describe())

        try:
            return await self._run(job, "checking health", timeout=min(self._call_timeout, 5.0))
        except BridgeError as exc:
            return SourceHealth(source=self.name, connected=False, checked_at=utc_now(), reason=exc.reason,
                                detail=exc.message, server_zone=self.zone.describe())

    async def accounts(self) -> tuple[AccountRef, ...]:
        return self._accounts

    async def account(self, login: int) -> AccountSnapshot:
        def job() -> AccountSnapshot:
            info = self._on_account(login)
            return convert.account(info, utc_now(), self.name)

        return await self._run(job, f"reading account {login}")

    async def positions(self, login: int) -> PositionsSnapshot:
        def job() -> PositionsSnapshot:
            self._on_account(login)
            items = self._call("positions_get", action="reading positions")
            self._still_on(login)
            fetched = utc_now()
            return PositionsSnapshot(login=login, positions=tuple(convert.position(p, self.zone) for p in items),
                                     fetched_at=fetched, source=self.name)

        return await self._run(job, f"reading positions of {login}")

    async def open_orders(self, login: int) -> OrdersSnapshot:
        def job() -> OrdersSnapshot:
            self._on_account(login)
            items = self._call("orders_get", action="reading orders")
            self._still_on(login)
            return OrdersSnapshot(login=login, orders=tuple(convert.order(o, self.zone) for o in items),
                                  fetched_at=utc_now(), source=self.name)

        return await self._run(job, f"reading orders of {login}")

    def _window(self, date_from: datetime, date_to: datetime) -> tuple[datetime, datetime]:
        return self.zone.to_server_arg(date_from - QUERY_MARGIN), self.zone.to_server_arg(date_to + QUERY_MARGIN)

    async def deals(self, login: int, date_from: datetime, date_to: datetime) -> DealsSnapshot:
        def job() -> DealsSnapshot:
            self._on_account(login)
            items = self._call("history_deals_get", *self._window(date_from, date_to), action="reading deals")
            self._still_on(login)
            deals = tuple(d for d in (convert.deal(x, self.zone) for x in items) if date_from <= d.time <= date_to)
            return DealsSnapshot(login=login, date_from=date_from, date_to=date_to, deals=deals,
                                 fetched_at=utc_now(), source=self.name)

        return await self._run(job, f"reading deals of {login}", timeout=self._call_timeout * 3)

    async def history_orders(self, login: int, date_from: datetime, date_to: datetime) -> OrdersSnapshot:
        def job() -> OrdersSnapshot:
            self._on_account(login)
            items = self._call("history_orders_get", *self._window(date_from, date_to),
                               action="reading order history")
            self._still_on(login)
            orders = tuple(o for o in (convert.order(x, self.zone) for x in items)
                           if o.time_done is not None and date_from <= o.time_done <= date_to)
            return OrdersSnapshot(login=login, orders=orders, fetched_at=utc_now(), source=self.name)

        return await self._run(job, f"reading order history of {login}", timeout=self._call_timeout * 3)

    async def symbol(self, symbol: str) -> SymbolSpec:
        def job() -> SymbolSpec:
            self._connect()
            return convert.symbol(self._call("symbol_info", symbol, action=f"reading {symbol}"), self.zone)

        return await self._run(job, f"reading symbol {symbol}")

    async def tick(self, symbol: str) -> Tick:
        def job() -> Tick:
            self._connect()
            self._call("symbol_select", symbol, True, action=f"selecting {symbol}")
            return convert.tick(symbol, self._call("symbol_info_tick", symbol, action=f"quoting {symbol}"),
                                self.zone)

        return await self._run(job, f"quoting {symbol}")

    async def rates(self, symbol: str, timeframe: Timeframe, date_from: datetime, date_to: datetime) -> Rates:
        def job() -> Rates:
            self._connect()
            self._call("symbol_select", symbol, True, action=f"selecting {symbol}")
            array = self._call("copy_rates_range", symbol, TIMEFRAMES[Timeframe(timeframe)],
                               self.zone.to_server_arg(date_from), self.zone.to_server_arg(date_to),
                               action=f"reading {symbol} bars")
            return Rates(symbol=symbol, timeframe=Timeframe(timeframe), bars=convert.bars(array, self.zone))

        return await self._run(job, f"reading {symbol} bars", timeout=self._call_timeout * 3)

    async def login(self, login: int, password: str | None = None) -> AccountSnapshot:
        """Log the terminal into ``login`` now, checking ``password`` even if it is already there."""
        def job() -> AccountSnapshot:
            self._connect()
            kwargs: dict[str, Any] = {"timeout": self._init_timeout_ms}
            secret = password or self._password_for(login)
            if secret:
                kwargs["password"] = secret
            self._call("login", login, action=f"logging in to account {login}", **kwargs)
            info = self._call("account_info", action="reading the account")
            self._check(info, login)
            return convert.account(info, utc_now(), self.name)

        return await self._run(job, f"logging in to {login}")

    async def symbols(self, group: str | None = None) -> tuple[SymbolSpec, ...]:
        def job() -> tuple[SymbolSpec, ...]:
            self._connect()
            found = self._call("symbols_get", group, action="listing symbols") if group else self._call(
                "symbols_get", action="listing symbols")
            return tuple(convert.symbol(s, self.zone) for s in found)

        return await self._run(job, "listing symbols")

    async def terminal(self) -> dict[str, Any]:
        """The terminal's state (``terminal_info()`` as a dict), for the bridge's status pages."""
        def job() -> dict[str, Any]:
            self._connect()
            return dict(self._call("terminal_info", action="reading the terminal state")._asdict())

        return await self._run(job, "reading the terminal state")

    async def reconnect(self) -> None:
        """Drop the link and connect again now (the "emergency restart" of the original)."""
        def job() -> None:
            self._lost()
            self._mt5.shutdown()
            self._next_attempt = 0.0
            self._last_failure = None
            self._connect()

        await self._run(job, "reconnecting")

    async def close(self) -> None:
        def job() -> None:
            if self._connected:
                self._mt5.shutdown()
                self._connected = False

        try:
            await self._run(job, "closing", timeout=2.0)
        except BridgeError:
            pass  # a dead or hung terminal: nothing to release (the runtime stops the lane at exit)


class LaneBoundModule:
    """Wraps the MetaTrader5 module so a call from any thread but the lane's raises at once.

    Serialization then holds by construction, not by every adapter remembering to use the lane.
    """

    def __init__(self, module: Any, lane: Lane) -> None:
        self._module = module
        self._lane = lane

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        if not callable(value) or isinstance(value, type):
            return value
        lane = self._lane

        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not lane.on_lane():
                raise RuntimeError(f"MetaTrader5.{name} called outside the MT5 lane")
            return value(*args, **kwargs)

        return guarded
