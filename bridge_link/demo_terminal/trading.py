"""Orders, positions, history and trade requests of :class:`DemoTerminal` (mt5-api.md §3.4–3.8).

The demo is read-only like every FIDUS bridge: ``order_check`` answers, ``order_send`` comes
back with retcode 10027 (Algo Trading off in the terminal), as a real terminal set up that way does.
"""

from __future__ import annotations

from typing import Any

from . import constants as c
from .calls import CallFailed, api, date_arg, int_arg, match_group, str_arg
from .structures import REQUEST_DEFAULTS, OrderCheckResult, OrderSendResult, TradeRequest
from .views import symbol_def

COMMENT_LIMIT = 31


class TradingMixin:
    # --- live orders and positions ------------------------------------------------------------------
    def _filter(self, items: list, args: tuple, symbol: Any, group: Any, ticket: Any) -> tuple:
        if args:
            raise CallFailed(c.RES_E_INVALID_PARAMS, "Unnamed arguments not allowed")
        # Order of the filters (mt5-api.md §9.4): symbol, then group, then ticket; a symbol makes
        # the ticket ignored, as the docs say.
        if symbol is not None:
            name = str_arg(symbol, "symbol")
            items = [i for i in items if i.symbol == name]
        if group is not None:
            allowed = set(match_group({i.symbol for i in items}, str_arg(group, "group")))
            items = [i for i in items if i.symbol in allowed]
        if ticket is not None and symbol is None:
            wanted = int_arg(ticket, "ticket")
            items = [i for i in items if i.ticket == wanted]
        return tuple(items)

    def _positions(self) -> list:
        ledger, _ = self._ledger()
        now = self._now_ms()
        return [self.views.position(ledger, t, now) for t in ledger.open_trades(now)]

    def _working_orders(self) -> list:
        ledger, _ = self._ledger()
        now = self._now_ms()
        working, _done = ledger.orders_at(now)
        return [self.views.order(o, now) for o in sorted(working, key=lambda o: o.setup_ms)]

    @api(None)
    def positions_total(self) -> int:
        return len(self._positions())

    @api(None)
    def positions_get(self, *args: Any, symbol: str | None = None, group: str | None = None,
                      ticket: int | None = None):
        return self._filter(self._positions(), args, symbol, group, ticket)

    @api(None)
    def orders_total(self) -> int:
        return len(self._working_orders())

    @api(None)
    def orders_get(self, *args: Any, symbol: str | None = None, group: str | None = None, ticket: int | None = None):
        return self._filter(self._working_orders(), args, symbol, group, ticket)

    # --- history ------------------------------------------------------------------------------------
    def _history(self, kind: str, args: tuple, group: Any, ticket: Any, position: Any) -> tuple:
        ledger, _ = self._ledger()
        now = self._now_ms()
        if kind == "deals":
            records = [(self.views.server_ms(d.ms) // 1000, self.views.deal(d)) for d in ledger.visible_deals(now)]
        else:
            _working, done = ledger.orders_at(now)
            done = sorted(done, key=lambda o: (o.done_ms, o.ticket))
            records = [(self.views.server_ms(o.done_ms) // 1000, self.views.order(o, now)) for o in done]
        if ticket is not None or position is not None:
            if args or group is not None:
                raise CallFailed(c.RES_E_INVALID_PARAMS, "Invalid arguments")
            if ticket is not None:
                wanted = int_arg(ticket, "ticket")
                # For deals ``ticket`` means the *order* ticket (mt5-api.md §3.5), not the deal's own.
                return tuple(r for _, r in records if (r.order if kind == "deals" else r.ticket) == wanted)
            wanted = int_arg(position, "position")
            return tuple(r for _, r in records if r.position_id == wanted)
        if len(args) != 2:
            raise CallFailed(c.RES_E_INVALID_PARAMS, "Invalid number of arguments")
        lo, hi = date_arg(args[0], "1st"), date_arg(args[1], "2nd")
        chosen = [r for t, r in records if lo <= t <= hi]
        if group is not None:
            allowed = set(match_group({r.symbol for r in chosen}, str_arg(group, "group")))
            chosen = [r for r in chosen if r.symbol in allowed]
        return tuple(chosen)

    @api(None)
    def history_deals_get(self, *args: Any, group: str | None = None, ticket: int | None = None,
                          position: int | None = None):
        return self._history("deals", args, group, ticket, position)

    @api(None)
    def history_orders_get(self, *args: Any, group: str | None = None, ticket: int | None = None,
                           position: int | None = None):
        return self._history("orders", args, group, ticket, position)

    @api(None)
    def history_deals_total(self, date_from: Any, date_to: Any, /) -> int:
        return len(self._history("deals", (date_from, date_to), None, None, None))

    @api(None)
    def history_orders_total(self, date_from: Any, date_to: Any, /) -> int:
        return len(self._history("orders", (date_from, date_to), None, None, None))

    # --- calculations -------------------------------------------------------------------------------
    def _sym(self, symbol: Any):
        sym = symbol_def(str_arg(symbol, "symbol"))
        if sym is None:
            raise CallFailed(c.RES_E_NOT_FOUND)
        return sym

    @api(None)
    def order_calc_margin(self, action: int, symbol: str, volume: float, price: float, /) -> float:
        if int_arg(action, "action") not in (c.ORDER_TYPE_BUY, c.ORDER_TYPE_SELL):
            raise CallFailed(c.RES_E_INVALID_PARAMS, 'Invalid "action" argument')
        sym = self._sym(symbol)
        _, meta = self._ledger()
        return self.market.margin_usd(sym.name, float(volume), float(price), meta.leverage, self.clock())

    @api(None)
    def order_calc_profit(self, action: int, symbol: str, volume: float, price_open: float, price_close: float, /):
        if int_arg(action, "action") not in (c.ORDER_TYPE_BUY, c.ORDER_TYPE_SELL):
            raise CallFailed(c.RES_E_INVALID_PARAMS, 'Invalid "action" argument')
        sym = self._sym(symbol)
        return self.market.profit_usd(sym.name, action == c.ORDER_TYPE_BUY, float(volume), float(price_open),
                                      float(price_close), self.clock())

    # --- trade requests -----------------------------------------------------------------------------
    def _request(self, request: Any) -> TradeRequest:
        if not isinstance(request, dict):
            raise CallFailed(c.RES_E_INVALID_PARAMS, "Invalid 1st unnamed argument")
        for key, value in request.items():
            if key not in REQUEST_DEFAULTS:
                raise CallFailed(c.RES_E_INVALID_PARAMS, f'Invalid "{key}" argument')
            expected = type(REQUEST_DEFAULTS[key])
            ok = isinstance(value, int | float) if expected is float else isinstance(value, expected)
            if not ok or (key == "comment" and len(value) > COMMENT_LIMIT):
                raise CallFailed(c.RES_E_INVALID_PARAMS, f'Invalid "{key}" argument')
        return TradeRequest(*({**REQUEST_DEFAULTS, **request}[k] for k in REQUEST_DEFAULTS))

    @api(None)
    def order_check(self, request: dict, /):
        req = self._request(request)
        ledger, meta = self._ledger()
        info = self.views.account(ledger, meta, self._now_ms())
        extra = 0.0
        if req.action == c.TRADE_ACTION_DEAL and req.symbol:
            sym = self._sym(req.symbol)
            extra = self.market.margin_usd(sym.name, float(req.volume), float(req.price) or 0.0, meta.leverage,
                                           self.clock())
        margin = round(info.margin + extra, 2)
        level = round(info.equity / margin * 100, 2) if margin else 0.0
        return OrderCheckResult(0, info.balance, info.equity, info.profit, margin, round(info.equity - margin, 2),
                                level, "Done", req)

    @api(None)
    def order_send(self, request: dict, /):
        req = self._request(request)
        bid = ask = 0.0
        if req.symbol:
            bid, ask = self.market.bid_ask(self._sym(req.symbol).name, self.clock())
        return OrderSendResult(c.TRADE_RETCODE_CLIENT_DISABLES_AT, 0, 0, 0.0, 0.0, bid, ask,
                               "AutoTrading disabled by client", 0, 0, req)

    # --- the package's pure-Python helpers (surface parity) -----------------------------------------------
    def _market_order(self, kind: int, symbol: str, volume: float, price: float | None, comment: str | None,
                      ticket: int | None):
        request: dict[str, Any] = {"action": c.TRADE_ACTION_DEAL, "symbol": symbol, "volume": float(volume),
                                   "type": kind, "deviation": 10}
        if comment is not None:
            request["comment"] = comment
        if ticket is not None:
            request["position"] = ticket
        result = None
        for _ in range(1 if price is not None else 10):
            tick = self.symbol_info_tick(symbol)
            if tick is None:
                return None
            request["price"] = float(price) if price is not None else (tick.ask if kind == c.ORDER_TYPE_BUY
                                                                        else tick.bid)
            result = self.order_send(request)
            if result is None or result.retcode not in (c.TRADE_RETCODE_REQUOTE, c.TRADE_RETCODE_PRICE_OFF):
                break
        return result

    def Buy(self, symbol: str, volume: float, price: float | None = None, *, comment: str | None = None,  # noqa: N802
            ticket: int | None = None):
        return self._market_order(c.ORDER_TYPE_BUY, symbol, volume, price, comment, ticket)

    def Sell(self, symbol: str, volume: float, price: float | None = None, *, comment: str | None = None,  # noqa: N802
             ticket: int | None = None):
        return self._market_order(c.ORDER_TYPE_SELL, symbol, volume, price, comment, ticket)

    def Close(self, symbol: str, *, comment: str | None = None, ticket: int | None = None):  # noqa: N802
        positions = self.positions_get(ticket=ticket) if ticket is not None else self.positions_get(symbol=symbol)
        if positions is None:
            return None
        if not positions:
            return False
        done = 0
        for pos in positions:
            kind = c.ORDER_TYPE_SELL if pos.type == c.POSITION_TYPE_BUY else c.ORDER_TYPE_BUY
            result = self._market_order(kind, pos.symbol, pos.volume, None, comment, pos.ticket)
            if result is not None and result.retcode == c.TRADE_RETCODE_DONE:
                done += 1
        return True if done == len(positions) else "Partially" if done else False
