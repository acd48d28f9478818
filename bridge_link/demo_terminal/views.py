"""Turns the demo's ledgers and market into MetaTrader5 structures and arrays, in server time."""

from __future__ import annotations


import numpy as np

from . import constants as c
from .ledger import DealRec, Ledger, OrderRec, TradeRec
from .market import SYMBOL_BY_NAME, Market, SymbolDef
from .structures import AccountInfo, SymbolInfo, Tick, TradeDeal, TradeOrder, TradePosition

RATES_DTYPE = np.dtype([("time", "<i8"), ("open", "<f8"), ("high", "<f8"), ("low", "<f8"), ("close", "<f8"),
                        ("tick_volume", "<u8"), ("spread", "<i4"), ("real_volume", "<u8")])
TICKS_DTYPE = np.dtype([("time", "<i8"), ("bid", "<f8"), ("ask", "<f8"), ("last", "<f8"), ("volume", "<u8"),
                        ("time_msc", "<i8"), ("flags", "<u4"), ("volume_real", "<f8")])
TICK_STEP = 2  # seconds between demo quotes
COMPANY = "FIDUS Demo Broker Ltd."


class Views:
    def __init__(self, market: Market) -> None:
        self.market = market
        self.zone = market.zone

    # --- time -----------------------------------------------------------------------------------
    def server_ms(self, utc_ms: int) -> int:
        return utc_ms + int(self.zone.offset_seconds(utc_ms / 1000)) * 1000

    # --- deals and orders -------------------------------------------------------------------------
    def deal(self, d: DealRec) -> TradeDeal:
        ms = self.server_ms(d.ms)
        return TradeDeal(d.ticket, d.order, ms // 1000, ms, d.type, d.entry, d.magic, d.position_id, d.reason,
                         d.volume, d.price, d.commission, d.swap, d.profit, d.fee, d.symbol, d.comment, "")

    def order(self, o: OrderRec, now_ms: int) -> TradeOrder:
        setup = self.server_ms(o.setup_ms)
        done_at = o.done_ms if o.done_ms is not None and o.done_ms <= now_ms else None
        done = self.server_ms(done_at) if done_at is not None else 0
        state = o.state_done if done_at is not None else c.ORDER_STATE_PLACED
        filled = o.state_done == c.ORDER_STATE_FILLED and done_at is not None
        current = 0.0 if filled else o.volume
        price_current = o.price
        if done_at is None:
            bid, ask = self.market.bid_ask(o.symbol, now_ms / 1000)
            price_current = ask if o.type in (c.ORDER_TYPE_BUY, c.ORDER_TYPE_BUY_LIMIT) else bid
        return TradeOrder(o.ticket, setup // 1000, setup, done // 1000, done, 0, o.type, c.ORDER_TIME_GTC,
                          c.ORDER_FILLING_RETURN if o.state_done == c.ORDER_STATE_CANCELED else c.ORDER_FILLING_FOK,
                          state, o.magic, o.position_id, 0, c.ORDER_REASON_EXPERT, o.volume, current, o.price, 0.0,
                          0.0, price_current, 0.0, o.symbol, o.comment, "")

    # --- positions --------------------------------------------------------------------------------
    def position_state(self, ledger: Ledger, t: TradeRec, now_ms: int) -> tuple[bool, float, float, int, int]:
        """(is_buy, volume held, open price, opened at ms, last change ms) after the legs done by now."""
        is_buy, held, price, opened, changed = True, 0.0, 0.0, 0, 0
        for leg, leg_price in zip(t.legs, t.leg_prices, strict=True):
            if leg.ms > now_ms:
                break
            changed = leg.ms
            if leg.entry == c.DEAL_ENTRY_IN:
                is_buy, held, price, opened = leg.is_buy, leg.volume, leg_price, leg.ms
            elif leg.entry == c.DEAL_ENTRY_INOUT:
                is_buy, held, price, opened = leg.is_buy, round(leg.volume - held, 2), leg_price, leg.ms
            else:
                held = round(held - leg.volume, 2)
        return is_buy, held, price, opened, changed

    def position(self, ledger: Ledger, t: TradeRec, now_ms: int) -> TradePosition:
        is_buy, held, price_open, opened, changed = self.position_state(ledger, t, now_ms)
        bid, ask = self.market.bid_ask(t.symbol, now_ms / 1000)
        current = bid if is_buy else ask
        profit = self.market.profit_usd(t.symbol, is_buy, held, price_open, current, now_ms / 1000)
        swap = ledger.swap_usd(t.symbol, is_buy, held, opened, now_ms)
        first = self.server_ms(t.legs[0].ms)
        update = self.server_ms(changed)
        kind = c.POSITION_TYPE_BUY if is_buy else c.POSITION_TYPE_SELL
        return TradePosition(t.position_id, first // 1000, first, update // 1000, update, kind, t.magic,
                             t.position_id, c.POSITION_REASON_EXPERT, held, price_open, 0.0, 0.0, current, swap,
                             profit, t.symbol, t.comment, "")

    # --- account ----------------------------------------------------------------------------------
    def account(self, ledger: Ledger, meta, now_ms: int) -> AccountInfo:
        positions = [self.position(ledger, t, now_ms) for t in ledger.open_trades(now_ms)]
        balance = ledger.balance(now_ms)
        floating = round(sum(p.profit + p.swap for p in positions), 2) + 0.0
        margin = round(0.0 + sum(self.market.margin_usd(p.symbol, p.volume, p.price_open, meta.leverage, now_ms / 1000)
                           for p in positions), 2)
        equity = round(balance + floating, 2)
        level = round(equity / margin * 100, 2) if margin else 0.0
        return AccountInfo(
            meta.login, meta.trade_mode, meta.leverage, 200, c.ACCOUNT_STOPOUT_MODE_PERCENT, True, True,
            meta.margin_mode, 2, False, balance, 0.0, floating, equity, margin, round(equity - margin, 2), level,
            100.0, 50.0, 0.0, 0.0, 0.0, 0.0, 0.0, meta.name, meta.server, meta.currency, COMPANY)

    # --- symbols ----------------------------------------------------------------------------------
    def symbol_info(self, sym: SymbolDef, selected: bool, now_ms: int) -> SymbolInfo:
        bid, ask = self.market.bid_ask(sym.name, now_ms / 1000)
        tick_time = self.server_ms(int(self.market.last_open_instant(sym, now_ms / 1000) * 1000)) // 1000
        tick_value = sym.contract_size * sym.point * self.market.usd_per_profit_unit(sym.name, now_ms / 1000)
        mode = c.SYMBOL_CALC_MODE_FOREX if sym.calc_mode == 0 else c.SYMBOL_CALC_MODE_CFD
        ints = [False, c.SYMBOL_CHART_MODE_BID, selected, selected, 0, 0, 0, 0, 0, 0, tick_time, sym.digits,
                sym.spread_points, True, 10, mode, c.SYMBOL_TRADE_MODE_FULL, 0, 0, 0, 0,
                c.SYMBOL_TRADE_EXECUTION_MARKET, c.SYMBOL_SWAP_MODE_CURRENCY_DEPOSIT, c.DAY_OF_WEEK_WEDNESDAY,
                False, 15, 3, 127, c.SYMBOL_ORDERS_GTC, c.SYMBOL_OPTION_MODE_EUROPEAN, c.SYMBOL_OPTION_RIGHT_CALL]
        floats = [bid, bid, bid, ask, ask, ask, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, sym.point, tick_value,
                  tick_value, tick_value, sym.point, float(sym.contract_size), 0.0, 0.0, 0.0, sym.volume_min,
                  sym.volume_max, sym.volume_step, 0.0, sym.swap_long, sym.swap_short, 0.0, 0.0]
        floats += [0.0] * (52 - len(floats))
        texts = ["", "", sym.currency_base, sym.currency_profit, sym.currency_margin, "", sym.description, "", "",
                 "", sym.name, "", sym.path]
        return SymbolInfo(*ints, *floats, *texts)

    def tick(self, sym: SymbolDef, now_ms: int) -> Tick:
        at = self.market.last_open_instant(sym, now_ms / 1000)
        server_s = self.server_ms(int(at * 1000)) // 1000
        server_s -= server_s % TICK_STEP
        utc = self.zone.from_server_seconds(server_s).timestamp()
        bid, ask = self.market.bid_ask(sym.name, utc)
        msc = server_s * 1000 + _hash_ms(server_s)
        return Tick(server_s, bid, ask, 0.0, 0, msc, c.TICK_FLAG_BID | c.TICK_FLAG_ASK, 0.0)

    # --- arrays -----------------------------------------------------------------------------------
    def to_utc_seconds(self, server_seconds: np.ndarray) -> np.ndarray:
        if not len(server_seconds):
            return server_seconds.astype(np.float64)
        first = self.zone.from_server_seconds(float(server_seconds[0])).timestamp() - float(server_seconds[0])
        last = self.zone.from_server_seconds(float(server_seconds[-1])).timestamp() - float(server_seconds[-1])
        if first == last:
            return server_seconds.astype(np.float64) + first
        return np.array([self.zone.from_server_seconds(float(s)).timestamp() for s in server_seconds])

    def rates(self, sym: SymbolDef, bar_times: np.ndarray, duration: np.ndarray, now_s: float) -> np.ndarray:
        samples = 8
        start = self.to_utc_seconds(bar_times)
        offsets = np.linspace(0.0, 1.0, samples)
        grid = start[:, None] + (duration[:, None] - 1) * offsets[None, :]
        grid = np.minimum(grid, now_s)
        mids = self.market.mid_array(sym.name, grid.ravel()).reshape(grid.shape)
        bids = np.round(mids - sym.spread_points * sym.point / 2, sym.digits)
        out = np.zeros(len(bar_times), dtype=RATES_DTYPE)
        out["time"] = bar_times
        out["open"] = bids[:, 0]
        out["high"] = bids.max(axis=1)
        out["low"] = bids.min(axis=1)
        out["close"] = bids[:, -1]
        out["tick_volume"] = (np.abs(np.sin(bar_times * 0.618)) * duration / 4).astype(np.uint64) + 1
        out["spread"] = sym.spread_points
        return out

    def ticks(self, sym: SymbolDef, server_seconds: np.ndarray) -> np.ndarray:
        utc = self.to_utc_seconds(server_seconds)
        mids = self.market.mid_array(sym.name, utc)
        half = sym.spread_points * sym.point / 2
        out = np.zeros(len(server_seconds), dtype=TICKS_DTYPE)
        out["time"] = server_seconds
        out["bid"] = np.round(mids - half, sym.digits)
        out["ask"] = np.round(mids + half, sym.digits)
        out["time_msc"] = server_seconds * 1000 + (server_seconds * 7919) % 1000
        out["flags"] = c.TICK_FLAG_BID | c.TICK_FLAG_ASK
        return out


def _hash_ms(server_s: int) -> int:
    return (server_s * 7919) % 1000


def symbol_def(name: str) -> SymbolDef | None:
    return SYMBOL_BY_NAME.get(name)
