"""MetaTrader5 structures -> our models: floats to Decimal (shortest repr), server time to UTC.

Runs on the MT5 lane right after each call, so no raw tuple ever leaves the direct source.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from .models import (
    AccountSnapshot,
    Bar,
    Deal,
    Order,
    Position,
    SymbolSpec,
    Tick,
)
from .server_time import ServerZone


def dec(value: float | int) -> Decimal:
    # repr() is the shortest string that round-trips: 0.1 stays 0.1, not 0.1000000000000000055.
    return Decimal(repr(float(value))) if isinstance(value, float) else Decimal(int(value))


def account(info: Any, fetched_at: datetime, source: str) -> AccountSnapshot:
    raw = info._asdict()
    money = ("balance", "credit", "profit", "equity", "margin", "margin_free", "margin_so_call", "margin_so_so",
             "margin_initial", "margin_maintenance", "assets", "liabilities", "commission_blocked")
    data = {k: (dec(v) if k in money else v) for k, v in raw.items()}
    # The terminal writes 0.0 when no margin is used: that is "not applicable", not a 0 % level.
    data["margin_level"] = dec(raw["margin_level"]) if raw["margin"] else None
    return AccountSnapshot(**data, fetched_at=fetched_at, source=source)


def position(p: Any, zone: ServerZone) -> Position:
    return Position(
        ticket=p.ticket, time=zone.from_server_msc(p.time_msc), time_update=zone.from_server_msc(p.time_update_msc),
        type=p.type, magic=p.magic, identifier=p.identifier, reason=p.reason, volume=dec(p.volume),
        price_open=dec(p.price_open), sl=dec(p.sl), tp=dec(p.tp), price_current=dec(p.price_current),
        swap=dec(p.swap), profit=dec(p.profit), symbol=p.symbol, comment=p.comment, external_id=p.external_id)


def _optional_time(msc: int, seconds: int, zone: ServerZone) -> datetime | None:
    if msc:
        return zone.from_server_msc(msc)
    return zone.from_server_seconds(seconds) if seconds else None


def order(o: Any, zone: ServerZone) -> Order:
    return Order(
        ticket=o.ticket, time_setup=zone.from_server_msc(o.time_setup_msc),
        time_done=_optional_time(o.time_done_msc, o.time_done, zone),
        time_expiration=zone.from_server_seconds(o.time_expiration) if o.time_expiration else None,
        type=o.type, type_time=o.type_time, type_filling=o.type_filling, state=o.state, magic=o.magic,
        position_id=o.position_id, position_by_id=o.position_by_id, reason=o.reason,
        volume_initial=dec(o.volume_initial), volume_current=dec(o.volume_current), price_open=dec(o.price_open),
        sl=dec(o.sl), tp=dec(o.tp), price_current=dec(o.price_current), price_stoplimit=dec(o.price_stoplimit),
        symbol=o.symbol, comment=o.comment, external_id=o.external_id)


def deal(d: Any, zone: ServerZone) -> Deal:
    return Deal(
        ticket=d.ticket, order=d.order, time=zone.from_server_msc(d.time_msc), type=d.type, entry=d.entry,
        magic=d.magic, position_id=d.position_id, reason=d.reason, volume=dec(d.volume), price=dec(d.price),
        commission=dec(d.commission), swap=dec(d.swap), profit=dec(d.profit), fee=dec(d.fee), symbol=d.symbol,
        comment=d.comment, external_id=d.external_id)


def symbol(s: Any, zone: ServerZone) -> SymbolSpec:
    return SymbolSpec(
        name=s.name, description=s.description, path=s.path, currency_base=s.currency_base,
        currency_profit=s.currency_profit, currency_margin=s.currency_margin, digits=s.digits, point=dec(s.point),
        spread=s.spread, trade_mode=s.trade_mode, trade_contract_size=dec(s.trade_contract_size),
        trade_tick_size=dec(s.trade_tick_size), trade_tick_value=dec(s.trade_tick_value),
        volume_min=dec(s.volume_min), volume_max=dec(s.volume_max), volume_step=dec(s.volume_step),
        swap_long=dec(s.swap_long), swap_short=dec(s.swap_short), visible=s.visible, select=s.select,
        bid=dec(s.bid), ask=dec(s.ask), time=zone.from_server_seconds(s.time) if s.time else None)


def tick(name: str, t: Any, zone: ServerZone) -> Tick:
    return Tick(symbol=name, time=zone.from_server_msc(t.time_msc), bid=dec(t.bid), ask=dec(t.ask),
                last=dec(t.last), volume=int(t.volume), flags=int(t.flags), volume_real=dec(t.volume_real))


def bars(array: Any, zone: ServerZone) -> tuple[Bar, ...]:
    return tuple(
        Bar(time=zone.from_server_seconds(int(row["time"])), open=dec(float(row["open"])),
            high=dec(float(row["high"])), low=dec(float(row["low"])), close=dec(float(row["close"])),
            tick_volume=int(row["tick_volume"]), spread=int(row["spread"]), real_volume=int(row["real_volume"]))
        for row in array)
