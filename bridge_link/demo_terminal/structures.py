"""The MetaTrader5 structures: same names, same fields, same order (mt5-api.md §4).

The real ones are C struct sequences (like ``os.stat_result``): tuples with attribute access and
``_asdict()``, but no ``_fields``/``_replace``/``_make``. These look-alikes offer exactly that
surface, so code that works on the demo cannot lean on something the real module lacks.
"""

from __future__ import annotations

import operator
from typing import Any


def _struct_type(name: str, fields: str) -> type[tuple]:
    names = tuple(fields.split())

    def __new__(cls, *values: Any, **named: Any):  # noqa: N807 - tuple constructor
        if named:
            values = values + tuple(named[n] for n in names[len(values):])
        if len(values) != len(names):
            raise TypeError(f"{name} takes {len(names)} fields, got {len(values)}")
        return tuple.__new__(cls, values)

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={v!r}" for n, v in zip(names, self, strict=True))
        return f"{name}({inner})"

    def _asdict(self) -> dict[str, Any]:
        # Nested structures (the ``request`` of a trade result) stay structures, as in the real module.
        return dict(zip(names, self, strict=True))

    def __reduce__(self):
        return (type(self), tuple(self))

    namespace: dict[str, Any] = {
        "__slots__": (),
        "__new__": __new__,
        "__repr__": __repr__,
        "_asdict": _asdict,
        "__reduce__": __reduce__,
        "__match_args__": names,
        "n_fields": len(names),
        "n_sequence_fields": len(names),
        "n_unnamed_fields": 0,
        "__module__": __name__,
    }
    for index, field in enumerate(names):
        namespace[field] = property(operator.itemgetter(index))
    return type(name, (tuple,), namespace)


AccountInfo = _struct_type("AccountInfo", """
    login trade_mode leverage limit_orders margin_so_mode trade_allowed trade_expert margin_mode
    currency_digits fifo_close balance credit profit equity margin margin_free margin_level
    margin_so_call margin_so_so margin_initial margin_maintenance assets liabilities
    commission_blocked name server currency company""")

TerminalInfo = _struct_type("TerminalInfo", """
    community_account community_connection connected dlls_allowed trade_allowed tradeapi_disabled
    email_enabled ftp_enabled notifications_enabled mqid build maxbars codepage ping_last
    community_balance retransmission company name language path data_path commondata_path""")

SYMBOL_INFO_FIELDS = """
    custom chart_mode select visible session_deals session_buy_orders session_sell_orders volume
    volumehigh volumelow time digits spread spread_float ticks_bookdepth trade_calc_mode trade_mode
    start_time expiration_time trade_stops_level trade_freeze_level trade_exemode swap_mode
    swap_rollover3days margin_hedged_use_leg expiration_mode filling_mode order_mode order_gtc_mode
    option_mode option_right
    bid bidhigh bidlow ask askhigh asklow last lasthigh lastlow volume_real volumehigh_real
    volumelow_real option_strike point trade_tick_value trade_tick_value_profit trade_tick_value_loss
    trade_tick_size trade_contract_size trade_accrued_interest trade_face_value trade_liquidity_rate
    volume_min volume_max volume_step volume_limit swap_long swap_short margin_initial
    margin_maintenance session_volume session_turnover session_interest session_buy_orders_volume
    session_sell_orders_volume session_open session_close session_aw session_price_settlement
    session_price_limit_min session_price_limit_max margin_hedged price_change price_volatility
    price_theoretical price_greeks_delta price_greeks_theta price_greeks_gamma price_greeks_vega
    price_greeks_rho price_greeks_omega price_sensitivity
    basis category currency_base currency_profit currency_margin bank description exchange formula
    isin name page path"""
SymbolInfo = _struct_type("SymbolInfo", SYMBOL_INFO_FIELDS)

Tick = _struct_type("Tick", "time bid ask last volume time_msc flags volume_real")

TradePosition = _struct_type("TradePosition", """
    ticket time time_msc time_update time_update_msc type magic identifier reason volume price_open
    sl tp price_current swap profit symbol comment external_id""")

TradeOrder = _struct_type("TradeOrder", """
    ticket time_setup time_setup_msc time_done time_done_msc time_expiration type type_time
    type_filling state magic position_id position_by_id reason volume_initial volume_current
    price_open sl tp price_current price_stoplimit symbol comment external_id""")

TradeDeal = _struct_type("TradeDeal", """
    ticket order time time_msc type entry magic position_id reason volume price commission swap
    profit fee symbol comment external_id""")

TradeRequest = _struct_type("TradeRequest", """
    action magic order symbol volume price stoplimit sl tp deviation type type_filling type_time
    expiration comment position position_by""")

OrderSendResult = _struct_type("OrderSendResult", """
    retcode deal order volume price bid ask comment request_id retcode_external request""")

OrderCheckResult = _struct_type("OrderCheckResult", """
    retcode balance equity profit margin margin_free margin_level comment request""")

BookInfo = _struct_type("BookInfo", "type price volume volume_dbl")

#: Field name -> default when a request dict leaves it out (echoed back as 0 or '').
REQUEST_DEFAULTS: dict[str, Any] = {
    "action": 0, "magic": 0, "order": 0, "symbol": "", "volume": 0.0, "price": 0.0, "stoplimit": 0.0,
    "sl": 0.0, "tp": 0.0, "deviation": 0, "type": 0, "type_filling": 0, "type_time": 0,
    "expiration": 0, "comment": "", "position": 0, "position_by": 0,
}
