"""``DemoTerminal``: a module-like stand-in for ``MetaTrader5`` (mt5-api.md is its spec).

Same function names and argument conventions, the same structures and constants, ``None`` or
``False`` plus ``last_error()`` on failure, and ``(-10004, 'No IPC connection')`` before
``initialize()``. Like the real module it holds one global state, logs into one account at a
time, and promises no thread safety (``threads_seen`` records who called, so tests can prove the
app never calls it from two threads). Faults can be injected: :meth:`kill`, :meth:`revive`,
:meth:`inject_error` and ``call_delay`` make it a dying, failing or slow terminal on demand.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bridge_link.demo_terminal.accounts import DEMO_ACCOUNTS, DemoAccount

from ..server_time import ServerZone
from . import constants as c
from . import series
from .calls import NO_IPC, CallFailed, api, date_arg, int_arg, match_group, str_arg
from .ledger import DAY, Ledger, Profile
from .market import SYMBOLS, Market
from .structures import BookInfo, TerminalInfo
from .trading import TradingMixin
from .views import Views, symbol_def

HISTORY_MONTHS = 18
#: The demo history never starts later than this, so its deals keep their tickets from run to run.
DEMO_HISTORY_START = datetime(2025, 5, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class _Meta:
    login: int
    name: str
    server: str
    currency: str
    leverage: int
    trade_mode: int
    margin_mode: int
    password: str


def _history_start(now: float, months: int) -> int:
    moment = datetime.fromtimestamp(now, UTC)
    month_index = moment.year * 12 + moment.month - 1 - months
    rolling = datetime(month_index // 12, month_index % 12 + 1, 1, tzinfo=UTC)
    return int(min(rolling, DEMO_HISTORY_START).timestamp()) // DAY


class DemoTerminal(TradingMixin):
    __version__ = "5.0.6231"
    __author__ = "MetaQuotes Ltd."

    def __init__(self, seed: int = 1, *, accounts: Iterable[DemoAccount] = DEMO_ACCOUNTS,
                 zone: ServerZone | None = None, clock: Callable[[], float] = time.time,
                 history_months: int = HISTORY_MONTHS, build: int = 5200) -> None:
        self.seed = seed
        self.zone = zone or ServerZone(2.0, "eu")
        self.clock = clock
        self.build = build
        self.market = Market(seed, self.zone)
        self.views = Views(self.market)
        start_day = _history_start(clock(), history_months)
        self._metas: dict[int, _Meta] = {}
        self._ledgers: dict[int, Ledger] = {}
        for index, acc in enumerate(accounts):
            style = "none" if acc.fund_type == "SEPARATION" else "netting" if acc.fund_type == "BALANCE" else "hedging"
            margin_mode = (c.ACCOUNT_MARGIN_MODE_RETAIL_NETTING if style == "netting"
                           else c.ACCOUNT_MARGIN_MODE_RETAIL_HEDGING)
            trade_mode = c.ACCOUNT_TRADE_MODE_DEMO if acc.account_type == "live_demo" else c.ACCOUNT_TRADE_MODE_REAL
            self._metas[acc.login] = _Meta(acc.login, acc.name, acc.server, acc.currency, acc.leverage, trade_mode,
                                           margin_mode, password=f"demo-{acc.login}")
            profile = Profile(acc.login, index, style, float(acc.initial_allocation), acc.leverage)
            self._ledgers[acc.login] = Ledger(profile, seed, self.market, start_day)
        self.history_start = datetime.fromtimestamp(start_day * DAY, UTC)
        self._initialized = False
        self._current: int | None = next(iter(self._metas), None)  # the account "saved" in the terminal
        self._last_error: tuple[int, str] = (c.RES_S_OK, "Success")
        self._selected = {s.name for s in SYMBOLS}
        self._books: set[str] = set()
        self._dead = False
        self._faults: list[tuple[int, str | None, set[str] | None]] = []
        #: Test hooks: seconds every call sleeps; idents of the threads that called; call count.
        self.call_delay = 0.0
        self.threads_seen: set[int] = set()
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        # Constants are module attributes in the real package; here they come from ``constants``.
        value = getattr(c, name, None)
        if isinstance(value, int) and name.isupper():
            return value
        raise AttributeError(name)

    # --- fault injection (not part of the MetaTrader5 API) -------------------------------------------
    def kill(self) -> None:
        """The terminal process dies: every call fails until :meth:`revive`."""
        self._dead = True
        self._initialized = False

    def revive(self) -> None:
        self._dead = False

    def inject_error(self, code: int, message: str | None = None, *, count: int = 1,
                     functions: Iterable[str] | None = None) -> None:
        """The next ``count`` calls (of ``functions``, or any) fail with ``code``."""
        names = set(functions) if functions else None
        self._faults.extend([(code, message, names)] * count)

    def demo_logins(self) -> tuple[int, ...]:
        return tuple(self._metas)

    def demo_password(self, login: int) -> str:
        return self._metas[login].password

    def _check_faults(self, name: str) -> None:
        if self._dead and name not in ("last_error",):
            if name == "initialize":
                raise CallFailed(c.RES_E_INTERNAL_FAIL_INIT)
            raise CallFailed(*NO_IPC)
        for index, (code, message, names) in enumerate(self._faults):
            if names is None or name in names:
                del self._faults[index]
                raise CallFailed(code, message)

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    # --- connection ---------------------------------------------------------------------------------
    @api(False, needs_init=False)
    def initialize(self, path: str | None = None, /, *, login: int | None = None, password: str | None = None,
                   server: str | None = None, timeout: int = 60000, portable: bool = False, **extra: Any) -> bool:
        path = extra.pop("path", path)
        if extra:
            raise CallFailed(c.RES_E_INVALID_PARAMS, "Invalid arguments")
        if path is not None:
            str_arg(path, "path")
        int_arg(timeout, "timeout")
        self._initialized = True
        if login is not None:
            try:
                self._switch(login, password, server)
            except CallFailed:
                self._initialized = False
                raise
        return True

    @api(False)
    def login(self, login: int, /, *, password: str | None = None, server: str | None = None,
              timeout: int = 60000) -> bool:
        self._switch(login, password, server)
        return True

    def _switch(self, login: Any, password: Any, server: Any) -> None:
        login = int_arg(login, "login")
        if password is not None:
            str_arg(password, "password")
        if server is not None:
            str_arg(server, "server")
        meta = self._metas.get(login)
        # A saved password is used when none is given, as the real terminal does.
        if meta is None or (password is not None and password != meta.password) or (
                server is not None and server != meta.server):
            raise CallFailed(c.RES_E_AUTH_FAILED)
        self._current = login

    @api(None, needs_init=False)
    def shutdown(self) -> None:
        self._initialized = False

    @api(None)
    def version(self) -> tuple[int, int, str]:
        return (500, self.build, "18 Jul 2026")

    def last_error(self) -> tuple[int, str]:
        self.threads_seen.add(threading.get_ident())
        return self._last_error

    # --- account and terminal ---------------------------------------------------------------------
    def _ledger(self):
        if self._current is None:
            raise CallFailed(c.RES_E_FAIL)
        return self._ledgers[self._current], self._metas[self._current]

    @api(None)
    def account_info(self):
        ledger, meta = self._ledger()
        return self.views.account(ledger, meta, self._now_ms())

    @api(None)
    def terminal_info(self):
        return TerminalInfo(False, False, True, False, False, False, False, False, False, False, self.build, 100000,
                            0, 48_000, 0.0, 0.0, "FIDUS Demo Broker Ltd.", "FIDUS Demo Terminal", "English",
                            "C:\\Program Files\\FIDUS Demo Terminal", "C:\\Users\\demo\\AppData\\Roaming\\MetaQuotes",
                            "C:\\Users\\demo\\AppData\\Roaming\\MetaQuotes\\Terminal\\Common")

    # --- symbols ----------------------------------------------------------------------------------
    @api(None)
    def symbols_total(self) -> int:
        return len(SYMBOLS)

    @api(None)
    def symbols_get(self, group: str | None = None):
        names = [s.name for s in SYMBOLS]
        if group is not None:
            names = match_group(names, str_arg(group, "group"))
        now = self._now_ms()
        return tuple(self.views.symbol_info(symbol_def(n), n in self._selected, now) for n in names)

    def _symbol(self, name: Any):
        sym = symbol_def(str_arg(name, "symbol"))
        if sym is None:
            raise CallFailed(c.RES_E_NOT_FOUND)
        return sym

    @api(None)
    def symbol_info(self, symbol: str, /):
        sym = self._symbol(symbol)
        return self.views.symbol_info(sym, sym.name in self._selected, self._now_ms())

    @api(None)
    def symbol_info_tick(self, symbol: str, /):
        return self.views.tick(self._symbol(symbol), self._now_ms())

    @api(False)
    def symbol_select(self, symbol: str, enable: bool = True, /) -> bool:
        sym = self._symbol(symbol)
        if enable is False:
            if any(t.symbol == sym.name for t in self._ledger()[0].open_trades(self._now_ms())):
                raise CallFailed(c.RES_E_FAIL)
            self._selected.discard(sym.name)
        else:
            self._selected.add(sym.name)
        return True

    @api(False)
    def market_book_add(self, symbol: str, /) -> bool:
        self._books.add(self._symbol(symbol).name)
        return True

    @api(False)
    def market_book_release(self, symbol: str, /) -> bool:
        self._books.discard(self._symbol(symbol).name)
        return True

    @api(None)
    def market_book_get(self, symbol: str, /):
        sym = self._symbol(symbol)
        if sym.name not in self._books:
            raise CallFailed(c.RES_E_FAIL)
        bid, ask = self.market.bid_ask(sym.name, self.clock())
        step = sym.point * 5
        sells = [BookInfo(c.BOOK_TYPE_SELL, round(ask + step * i, sym.digits), 10 * (i + 1), 10.0 * (i + 1))
                 for i in reversed(range(5))]
        buys = [BookInfo(c.BOOK_TYPE_BUY, round(bid - step * i, sym.digits), 10 * (i + 1), 10.0 * (i + 1))
                for i in range(5)]
        return tuple(sells + buys)

    # --- rates and ticks ---------------------------------------------------------------------------
    def _charted(self, symbol: Any):
        sym = symbol_def(symbol) if isinstance(symbol, str) else None
        if sym is None or sym.name not in self._selected:
            raise CallFailed(c.RES_E_FAIL)  # missing or unselected symbol: "Call failed"
        return sym

    def _series(self) -> series.Series:
        return series.Series(self.views, self.history_start.timestamp(), self.clock())

    @api(None)
    def copy_rates_from(self, symbol: str, timeframe: int, date_from: Any, count: int, /):
        sym = self._charted(symbol)
        return self._series().rates_back(sym, int_arg(timeframe, "timeframe"), date_arg(date_from, "3rd"),
                                         int_arg(count, "count"), skip=0)

    @api(None)
    def copy_rates_from_pos(self, symbol: str, timeframe: int, start_pos: int, count: int, /):
        sym = self._charted(symbol)
        s = self._series()
        return s.rates_back(sym, int_arg(timeframe, "timeframe"), s.now_server, int_arg(count, "count"),
                            skip=int_arg(start_pos, "start_pos"))

    @api(None)
    def copy_rates_range(self, symbol: str, timeframe: int, date_from: Any, date_to: Any, /):
        sym = self._charted(symbol)
        return self._series().rates_range(sym, int_arg(timeframe, "timeframe"), date_arg(date_from, "3rd"),
                                          date_arg(date_to, "4th"))

    @api(None)
    def copy_ticks_from(self, symbol: str, date_from: Any, count: int, flags: int, /):
        sym = self._charted(symbol)
        return self._series().ticks(sym, date_arg(date_from, "2nd"), None, int_arg(count, "count"),
                                    int_arg(flags, "flags"))

    @api(None)
    def copy_ticks_range(self, symbol: str, date_from: Any, date_to: Any, flags: int, /):
        sym = self._charted(symbol)
        return self._series().ticks(sym, date_arg(date_from, "2nd"), date_arg(date_to, "3rd"), None,
                                    int_arg(flags, "flags"))
