"""Deterministic prices for the demo terminal: a pure function of (seed, symbol, instant).

No state and no stored series: the price at any instant is a sum of seeded sinusoids (periods
from minutes to months, amplitudes growing like a random walk's) plus a hashed jitter, so quotes
move in real time, history is the same on every run, and bars, ticks and deal prices agree with
each other. FX and metals pause from Saturday 00:00 to Monday 00:00 server time, as brokers do;
BTCUSD trades 24/7, which is what keeps a weekend demo alive.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import numpy as np

from ..server_time import ServerZone

YEAR = 365.25 * 86400
WEEK = 7 * 86400


@dataclass(frozen=True, slots=True)
class SymbolDef:
    name: str
    description: str
    path: str
    currency_base: str
    currency_profit: str
    currency_margin: str
    digits: int
    contract_size: float
    spread_points: int
    base_price: float
    annual_vol: float
    #: Swap in account currency (USD) per lot per night; Wednesday night counts three.
    swap_long: float
    swap_short: float
    calc_mode: int
    trades_weekends: bool = False
    volume_min: float = 0.01
    volume_max: float = 100.0
    volume_step: float = 0.01

    @property
    def point(self) -> float:
        return 10.0 ** -self.digits


SYMBOLS: tuple[SymbolDef, ...] = (
    SymbolDef("EURUSD", "Euro vs US Dollar", "Forex\\Majors\\EURUSD", "EUR", "USD", "EUR", 5, 100_000, 12,
              1.0850, 0.07, -7.1, 2.3, 0),
    SymbolDef("GBPUSD", "Great Britain Pound vs US Dollar", "Forex\\Majors\\GBPUSD", "GBP", "USD", "GBP", 5,
              100_000, 15, 1.2700, 0.08, -5.4, 0.9, 0),
    SymbolDef("USDJPY", "US Dollar vs Japanese Yen", "Forex\\Majors\\USDJPY", "USD", "JPY", "USD", 3, 100_000, 14,
              149.50, 0.09, 14.2, -27.9, 0),
    SymbolDef("XAUUSD", "Gold vs US Dollar", "Metals\\XAUUSD", "XAU", "USD", "USD", 2, 100, 25,
              2350.0, 0.14, -38.5, 12.1, 2),
    SymbolDef("BTCUSD", "Bitcoin vs US Dollar", "Crypto\\BTCUSD", "BTC", "USD", "USD", 2, 1, 3500,
              64000.0, 0.55, -18.0, -18.0, 2, trades_weekends=True, volume_max=20.0),
)
SYMBOL_BY_NAME = {s.name: s for s in SYMBOLS}


@dataclass(slots=True)
class _Wave:
    amplitudes: np.ndarray
    omegas: np.ndarray
    phases: np.ndarray
    jitter: float
    salt: float = field(default=0.0)
    terms: tuple[tuple[float, float, float], ...] = ()


class Market:
    """Prices in true UTC seconds; ``zone`` only decides when the market is closed."""

    def __init__(self, seed: int, zone: ServerZone) -> None:
        self.zone = zone
        self._waves: dict[str, _Wave] = {}
        for index, sym in enumerate(SYMBOLS):
            rng = random.Random(f"{seed}:{sym.name}")
            periods = np.geomspace(900.0, 240 * 86400.0, 18)
            # A random walk's typical excursion over P grows like sqrt(P): give each wave that scale.
            amps = np.array([sym.annual_vol * math.sqrt(p / YEAR) * rng.uniform(0.35, 0.75) for p in periods])
            phases = np.array([rng.uniform(0, 2 * math.pi) for _ in periods])
            omegas = 2 * math.pi / periods
            terms = tuple(zip(amps.tolist(), omegas.tolist(), phases.tolist(), strict=True))
            self._waves[sym.name] = _Wave(amps, omegas, phases, jitter=sym.annual_vol * math.sqrt(60 / YEAR) * 0.3,
                                          salt=index * 7.77 + seed, terms=terms)

    # --- market hours -------------------------------------------------------------------------
    def is_open(self, sym: SymbolDef, utc_seconds: float) -> bool:
        if sym.trades_weekends:
            return True
        server = utc_seconds + self.zone.offset_seconds(utc_seconds)
        return (int(server // 86400) + 3) % 7 < 5  # 1970-01-01 was a Thursday; Monday = 0

    def last_open_instant(self, sym: SymbolDef, utc_seconds: float) -> float:
        """``utc_seconds`` itself while open, else the last second before the weekend close."""
        if self.is_open(sym, utc_seconds):
            return utc_seconds
        server_s = utc_seconds + self.zone.offset_seconds(utc_seconds)
        days_back = (int(server_s // 86400) + 3) % 7 - 4  # Saturday -> 1, Sunday -> 2
        server_midnight = server_s - (server_s % 86400)
        friday_close_server = server_midnight - (days_back - 1) * 86400 - 1
        return self.zone.from_server_seconds(friday_close_server).timestamp()

    # --- prices -------------------------------------------------------------------------------
    def mid(self, symbol: str, utc_seconds: float) -> float:
        # Scalar twin of ``mid_array`` (same formula): history generation calls it thousands of times.
        sym = SYMBOL_BY_NAME[symbol]
        wave = self._waves[symbol]
        t = self.last_open_instant(sym, utc_seconds)
        log_move = 0.0
        for amp, omega, phase in wave.terms:
            log_move += amp * math.sin(t * omega + phase)
        jitter = math.sin(math.floor(t) * 12.9898 + wave.salt) * 43758.5453
        jitter = (jitter - math.floor(jitter)) - 0.5
        return round(sym.base_price * math.exp(log_move + jitter * wave.jitter), sym.digits)

    def mid_array(self, symbol: str, utc_seconds: np.ndarray) -> np.ndarray:
        """Vectorized mid price; the caller has already clamped closed-market instants."""
        sym = SYMBOL_BY_NAME[symbol]
        wave = self._waves[symbol]
        t = utc_seconds.astype(np.float64)
        log_move = np.sin(np.outer(t, wave.omegas) + wave.phases) @ wave.amplitudes
        # A hash of the whole second: stable per second, uncorrelated between seconds.
        jitter = np.sin(np.floor(t) * 12.9898 + wave.salt) * 43758.5453
        jitter = (jitter - np.floor(jitter)) - 0.5
        price = sym.base_price * np.exp(log_move + jitter * wave.jitter)
        return np.round(price, sym.digits)

    def bid_ask(self, symbol: str, utc_seconds: float) -> tuple[float, float]:
        sym = SYMBOL_BY_NAME[symbol]
        mid = self.mid(symbol, utc_seconds)
        half = sym.spread_points * sym.point / 2
        return round(mid - half, sym.digits), round(mid + half, sym.digits)

    def usd_per_profit_unit(self, symbol: str, utc_seconds: float) -> float:
        """Converts an amount in the symbol's profit currency into USD (the accounts' currency)."""
        sym = SYMBOL_BY_NAME[symbol]
        if sym.currency_profit == "USD":
            return 1.0
        if sym.currency_profit == "JPY":
            return 1.0 / self.mid("USDJPY", utc_seconds)
        raise ValueError(f"no conversion for {sym.currency_profit}")

    def usd_per_margin_unit(self, symbol: str, utc_seconds: float) -> float:
        sym = SYMBOL_BY_NAME[symbol]
        if sym.currency_margin == "USD":
            return 1.0
        return self.mid(f"{sym.currency_margin}USD", utc_seconds)

    def profit_usd(self, symbol: str, is_buy: bool, volume: float, price_open: float, price_close: float,
                   utc_seconds: float) -> float:
        sym = SYMBOL_BY_NAME[symbol]
        diff = (price_close - price_open) if is_buy else (price_open - price_close)
        return round(diff * volume * sym.contract_size * self.usd_per_profit_unit(symbol, utc_seconds), 2)

    def margin_usd(self, symbol: str, volume: float, price: float, leverage: int, utc_seconds: float) -> float:
        sym = SYMBOL_BY_NAME[symbol]
        if sym.calc_mode == 0:  # forex: contract in the margin currency, then to USD
            amount = volume * sym.contract_size * self.usd_per_margin_unit(symbol, utc_seconds)
        else:  # CFD: contract times price, in the profit currency
            amount = volume * sym.contract_size * price * self.usd_per_profit_unit(symbol, utc_seconds)
        return round(amount / leverage, 2)
