"""One demo account's history, generated day by day from (seed, login, day) alone.

Nothing depends on when the terminal was created: day *d* of account *L* always holds the same
deals with the same tickets, and a deal becomes visible once the clock passes its time. So the
local cache's incremental sync sees new deals arrive exactly as with a real broker, positions
close by themselves, and the balance is the sum of the visible deals.

The history contains what mt5-api.md §10 asks of the demo: an initial deposit, later deposits and
a withdrawal, round trips with commission, swap and fee, partial closes, a netting reversal
(``DEAL_ENTRY_INOUT``), multi-day positions with swap, working and cancelled pending orders.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field

from . import constants as c
from .market import SYMBOL_BY_NAME, SYMBOLS, Market

DAY = 86400
DEAL_BASE = 300_000_000
ORDER_BASE = 100_000_000
COMMISSION_PER_LOT = 3.5  # per side, USD


@dataclass(slots=True)
class DealRec:
    ticket: int
    order: int
    ms: int  # true UTC milliseconds
    type: int
    entry: int
    position_id: int
    volume: float
    price: float
    commission: float
    swap: float
    profit: float
    fee: float
    symbol: str
    comment: str
    reason: int = c.DEAL_REASON_EXPERT
    magic: int = 0

    @property
    def amount(self) -> float:
        return self.profit + self.commission + self.swap + self.fee


@dataclass(slots=True)
class OrderRec:
    ticket: int
    setup_ms: int
    done_ms: int | None  # None: still working at every instant after setup_ms
    type: int
    state_done: int  # FILLED or CANCELED once done
    position_id: int
    volume: float
    price: float
    symbol: str
    comment: str
    magic: int = 0


@dataclass(slots=True)
class Leg:
    ms: int
    entry: int
    is_buy: bool  # direction of the deal
    volume: float


@dataclass(slots=True)
class TradeRec:
    """One position's life: the legs that open, reduce, reverse and close it."""

    position_id: int
    symbol: str
    legs: list[Leg]
    magic: int
    comment: str
    fee_per_deal: float = 0.0
    # Filled by the ledger while it prices the legs:
    leg_prices: list[float] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Profile:
    login: int
    index: int
    style: str  # "hedging" | "netting" | "none"
    allocation: float
    leverage: int


class Ledger:
    def __init__(self, profile: Profile, seed: int, market: Market, start_day: int) -> None:
        self.profile = profile
        self.seed = seed
        self.market = market
        self.start_day = start_day  # UTC epoch day of the server-day the history starts
        self.deals: list[DealRec] = []
        self.orders: list[OrderRec] = []
        self.trades: list[TradeRec] = []
        self._built_to = start_day - 1
        self._deal_ms: list[int] = []
        self._cum: list[float] = []
        self._trade_open_ms: list[int] = []

    # --- building ------------------------------------------------------------------------------
    def ensure(self, now_ms: int) -> None:
        """Generate every day up to the one holding ``now_ms`` (plus the day after, for closes)."""
        target = now_ms // 1000 // DAY + 1
        if target <= self._built_to:
            return
        for day in range(self._built_to + 1, target + 1):
            self._build_day(day)
        self._built_to = target
        self.deals.sort(key=lambda d: (d.ms, d.ticket))
        self._deal_ms = [d.ms for d in self.deals]
        running, self._cum = 0.0, []
        for deal in self.deals:
            running += deal.amount
            self._cum.append(running)
        self.trades.sort(key=lambda t: t.legs[0].ms)
        self._trade_open_ms = [t.legs[0].ms for t in self.trades]

    def _server_day_start_ms(self, day: int) -> int:
        # Server midnight of that calendar day, in true UTC: the zone's offset at noon decides.
        return (day * DAY - int(self.market.zone.offset_seconds(day * DAY + 43200))) * 1000

    def _build_day(self, day: int) -> None:
        p = self.profile
        rng = random.Random(f"{self.seed}:{p.login}:{day}")
        i = day - self.start_day
        seq = iter(range(1000))
        ticket = lambda: (i * 64 + p.index % 64) * 1000 + next(seq)  # noqa: E731 - unique per account-day
        day_ms = self._server_day_start_ms(day)
        self._balance_ops(rng, i, day_ms, ticket)
        if p.style == "none" or i == 0:  # the first day only funds the account
            return
        weekday = (day + 3) % 7  # 1970-01-01 was a Thursday
        pool = [s.name for s in SYMBOLS] if weekday < 5 else ["BTCUSD"]
        if p.style == "hedging":
            picks = [rng.choice(pool) for _ in range(rng.choice((0, 1, 1, 2, 2, 3)))]
        else:  # netting: one position per symbol, so never two trades of one symbol on a day
            picks = rng.sample(pool, min(len(pool), rng.choice((0, 1, 1, 2))))
        for symbol in picks:
            self._trade(rng, symbol, day_ms, ticket)
        if weekday < 5 and rng.random() < 0.6:
            self._pending(rng, day_ms, ticket)

    def _balance_ops(self, rng: random.Random, i: int, day_ms: int, ticket) -> None:
        p = self.profile
        at = day_ms + 8 * 3600_000 + rng.randrange(3600_000)
        if i == 0:
            self._balance(ticket(), at, p.allocation, "Initial deposit")
        elif p.style == "none":
            if i % 30 == 2:
                self._balance(ticket(), at, round(p.allocation * rng.uniform(0.005, 0.015), 2), "Profit transfer")
            if i % 30 == 20:
                self.deals.append(DealRec(DEAL_BASE + ticket(), 0, at, c.DEAL_TYPE_INTEREST, c.DEAL_ENTRY_IN, 0,
                                          0.0, 0.0, 0.0, 0.0, round(p.allocation * 0.0008, 2), 0.0, "",
                                          "Interest", c.DEAL_REASON_CLIENT))
            if i % 90 == 60:
                self._balance(ticket(), at, -round(p.allocation * rng.uniform(0.01, 0.02), 2), "Interest payout")
        else:
            if i % 91 == 45:
                self._balance(ticket(), at, round(p.allocation * rng.uniform(0.03, 0.08), 2), "Deposit")
            if i % 91 == 80:
                self._balance(ticket(), at, -round(p.allocation * rng.uniform(0.02, 0.05), 2), "Withdrawal")
            if i % 30 == 15:
                self.deals.append(DealRec(DEAL_BASE + ticket(), 0, at, c.DEAL_TYPE_CHARGE, c.DEAL_ENTRY_IN, 0,
                                          0.0, 0.0, 0.0, 0.0, -25.0, 0.0, "", "Platform fee", c.DEAL_REASON_CLIENT))

    def _balance(self, tk: int, ms: int, amount: float, comment: str) -> None:
        self.deals.append(DealRec(DEAL_BASE + tk, 0, ms, c.DEAL_TYPE_BALANCE, c.DEAL_ENTRY_IN, 0, 0.0, 0.0,
                                  0.0, 0.0, amount, 0.0, "", comment, c.DEAL_REASON_CLIENT))

    # --- trading --------------------------------------------------------------------------------
    def _tradable(self, symbol: str, ms: int) -> int:
        """``ms`` moved forward to when the market is open (Monday 00:05 after a weekend)."""
        sym = SYMBOL_BY_NAME[symbol]
        for _ in range(4):
            if self.market.is_open(sym, ms / 1000):
                return ms
            ms += 6 * 3600_000
        return ms

    def _trade(self, rng: random.Random, symbol: str, day_ms: int, ticket) -> None:
        p = self.profile
        sym = SYMBOL_BY_NAME[symbol]
        open_ms = self._tradable(symbol, day_ms + rng.randrange(3600_000, 21 * 3600_000))
        if p.style == "netting":  # intraday only: one position per symbol never overlaps another day's
            hold = rng.randrange(20 * 60_000, 2 * 3600_000)
        else:
            hold = int(rng.lognormvariate(11.5, 1.3) * 1000)  # median ~1.8 h, tail of several days
            hold = max(10 * 60_000, min(hold, 5 * DAY * 1000))
        close_ms = self._tradable(symbol, open_ms + hold)
        price_usd = self.market.mid(symbol, open_ms / 1000) * self.market.usd_per_profit_unit(symbol, open_ms / 1000)
        notional = p.allocation * rng.uniform(0.05, 0.35)
        volume = max(sym.volume_min, min(sym.volume_max, round(notional / (sym.contract_size * price_usd), 2)))
        # A little skill: the direction matches the move to the close 53 % of the time.
        went_up = self.market.mid(symbol, close_ms / 1000) >= self.market.mid(symbol, open_ms / 1000)
        is_buy = went_up if rng.random() < 0.53 else not went_up
        pattern = rng.random()
        legs = [Leg(open_ms, c.DEAL_ENTRY_IN, is_buy, volume)]
        if p.style == "netting" and pattern < 0.18 and volume >= 0.02:
            mid_ms = open_ms + (close_ms - open_ms) // 2
            legs += [Leg(mid_ms, c.DEAL_ENTRY_INOUT, not is_buy, round(volume * 2, 2)),
                     Leg(close_ms, c.DEAL_ENTRY_OUT, is_buy, volume)]
        elif pattern < 0.35 and volume >= 0.02:
            part = round(volume * 0.4, 2)
            mid_ms = open_ms + (close_ms - open_ms) // 2
            legs += [Leg(mid_ms, c.DEAL_ENTRY_OUT, not is_buy, part),
                     Leg(close_ms, c.DEAL_ENTRY_OUT, not is_buy, round(volume - part, 2))]
        else:
            legs.append(Leg(close_ms, c.DEAL_ENTRY_OUT, not is_buy, volume))
        order_tickets = [ORDER_BASE + ticket() for _ in legs]
        trade = TradeRec(order_tickets[0], symbol, legs, magic=1000 + p.index, comment="fidus demo",
                         fee_per_deal=-0.5 if p.index % 2 == 0 else 0.0)
        self._price_legs(trade, order_tickets, ticket)
        self.trades.append(trade)

    def _price_legs(self, trade: TradeRec, order_tickets: list[int], ticket) -> None:
        side_buy: bool | None = None
        held, open_price, open_ms = 0.0, 0.0, 0
        for leg, order_ticket in zip(trade.legs, order_tickets, strict=True):
            bid, ask = self.market.bid_ask(trade.symbol, leg.ms / 1000)
            price = ask if leg.is_buy else bid
            trade.leg_prices.append(price)
            profit = swap = 0.0
            if leg.entry in (c.DEAL_ENTRY_OUT, c.DEAL_ENTRY_INOUT) and side_buy is not None:
                closed = min(held, leg.volume)
                profit = self.market.profit_usd(trade.symbol, side_buy, closed, open_price, price, leg.ms / 1000)
                swap = self.swap_usd(trade.symbol, side_buy, closed, open_ms, leg.ms)
                held = round(held - closed, 2)
                if leg.entry == c.DEAL_ENTRY_INOUT:
                    side_buy, held, open_price, open_ms = leg.is_buy, round(leg.volume - closed, 2), price, leg.ms
            else:
                side_buy, held, open_price, open_ms = leg.is_buy, leg.volume, price, leg.ms
            deal_type = c.DEAL_TYPE_BUY if leg.is_buy else c.DEAL_TYPE_SELL
            self.deals.append(DealRec(
                DEAL_BASE + ticket(), order_ticket, leg.ms, deal_type, leg.entry, trade.position_id, leg.volume,
                price, -round(COMMISSION_PER_LOT * leg.volume, 2), swap, profit, trade.fee_per_deal, trade.symbol,
                trade.comment, c.DEAL_REASON_EXPERT, trade.magic))
            order_type = c.ORDER_TYPE_BUY if leg.is_buy else c.ORDER_TYPE_SELL
            self.orders.append(OrderRec(order_ticket, leg.ms, leg.ms, order_type, c.ORDER_STATE_FILLED,
                                        trade.position_id, leg.volume, price, trade.symbol, trade.comment,
                                        trade.magic))

    def _pending(self, rng: random.Random, day_ms: int, ticket) -> None:
        symbol = rng.choice(("EURUSD", "GBPUSD", "XAUUSD"))
        setup = self._tradable(symbol, day_ms + rng.randrange(2 * 3600_000, 20 * 3600_000))
        bid, ask = self.market.bid_ask(symbol, setup / 1000)
        is_buy = rng.random() < 0.5
        away = 0.004 * rng.uniform(0.5, 1.5)
        price = round(ask * (1 - away) if is_buy else bid * (1 + away), SYMBOL_BY_NAME[symbol].digits)
        sym = SYMBOL_BY_NAME[symbol]
        volume = max(0.01, round(self.profile.allocation * 0.3 / (sym.contract_size * bid), 2))
        done = setup + rng.randrange(3 * 3600_000, 3 * DAY * 1000)
        kind = c.ORDER_TYPE_BUY_LIMIT if is_buy else c.ORDER_TYPE_SELL_LIMIT
        tk = ORDER_BASE + ticket()
        self.orders.append(OrderRec(tk, setup, done, kind, c.ORDER_STATE_CANCELED, 0, volume, price, symbol,
                                    "limit", 1000 + self.profile.index))

    def swap_usd(self, symbol: str, is_buy: bool, volume: float, from_ms: int, to_ms: int) -> float:
        """Swap for holding ``volume`` over the server midnights between the two instants."""
        sym = SYMBOL_BY_NAME[symbol]
        rate = sym.swap_long if is_buy else sym.swap_short
        nights = 0
        start = self._server_seconds(from_ms // 1000) // DAY
        end = self._server_seconds(to_ms // 1000) // DAY
        for server_day in range(start + 1, end + 1):
            weekday = (server_day - 1 + 3) % 7  # the rollover at the start of day d charges night d-1
            if sym.trades_weekends:
                nights += 1
            elif weekday < 5:
                nights += 3 if weekday == 2 else 1
        return round(rate * volume * nights, 2) + 0.0  # never -0.0

    def _server_seconds(self, utc_seconds: int) -> int:
        return int(utc_seconds + self.market.zone.offset_seconds(utc_seconds))

    # --- reading at an instant -------------------------------------------------------------------
    def visible_deals(self, now_ms: int) -> list[DealRec]:
        self.ensure(now_ms)
        return self.deals[: bisect.bisect_right(self._deal_ms, now_ms)]

    def balance(self, now_ms: int) -> float:
        self.ensure(now_ms)
        count = bisect.bisect_right(self._deal_ms, now_ms)
        return round(self._cum[count - 1], 2) if count else 0.0

    def open_trades(self, now_ms: int) -> list[TradeRec]:
        """Positions open at ``now_ms``: opened before it, not yet closed by their last leg."""
        self.ensure(now_ms)
        first = bisect.bisect_left(self._trade_open_ms, now_ms - 8 * DAY * 1000)
        last = bisect.bisect_right(self._trade_open_ms, now_ms)
        return [t for t in self.trades[first:last] if t.legs[-1].ms > now_ms]

    def orders_at(self, now_ms: int) -> tuple[list[OrderRec], list[OrderRec]]:
        """(working pending orders, history orders done by ``now_ms``)."""
        self.ensure(now_ms)
        working = [o for o in self.orders if o.setup_ms <= now_ms and o.done_ms is not None and o.done_ms > now_ms
                   and o.state_done == c.ORDER_STATE_CANCELED]
        done = [o for o in self.orders if o.done_ms is not None and o.done_ms <= now_ms]
        return working, done
