"""The original bridge's JSON shapes (bridge-contract.md), built from our models.

Where two generations answer the same path with different keys (G1 and G3 on
``/api/mt5/account/{id}/info``, G2 and G3 on ``/api/mt5/status``), the answer carries both sets:
the keys never clash, so every client of either generation finds what it reads. Values are
floats as the original sent them; times are true UTC (the original passed the broker's clock on
as if it were UTC, which skewed every deal by two or three hours).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ..models import AccountSnapshot, Deal, Order, Position, SourceHealth, SymbolSpec
from .session import AccountMeta


def num(value: Decimal | None) -> float:
    return float(value) if value is not None else 0.0


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def epoch(moment: datetime | None) -> int:
    return int(moment.timestamp()) if moment is not None else 0


def epoch_ms(moment: datetime | None) -> int:
    return int(moment.timestamp() * 1000) if moment is not None else 0


def account_flat(a: AccountSnapshot) -> dict[str, Any]:
    """G2 ``/api/mt5/account/info``: the 28 ``account_info()`` fields (margin level 0 when n/a)."""
    out: dict[str, Any] = {}
    for name in ("login", "trade_mode", "leverage", "limit_orders", "margin_so_mode", "trade_allowed",
                 "trade_expert", "margin_mode", "currency_digits", "fifo_close"):
        out[name] = getattr(a, name)
    for name in ("balance", "credit", "profit", "equity", "margin", "margin_free", "margin_level", "margin_so_call",
                 "margin_so_so", "margin_initial", "margin_maintenance", "assets", "liabilities",
                 "commission_blocked"):
        out[name] = num(getattr(a, name))
    for name in ("name", "server", "currency", "company"):
        out[name] = getattr(a, name)
    return out


def live_data(a: AccountSnapshot) -> dict[str, Any]:
    return {"balance": num(a.balance), "equity": num(a.equity), "profit": num(a.profit), "margin": num(a.margin),
            "margin_free": num(a.margin_free), "margin_level": num(a.margin_level), "leverage": a.leverage,
            "currency": a.currency, "trade_allowed": a.trade_allowed}


def account_info_union(a: AccountSnapshot, meta: AccountMeta, stored: AccountSnapshot | None) -> dict[str, Any]:
    """``GET /api/mt5/account/{id}/info``: G3's keys (deployed) plus G1's (the backend's client)."""
    stored = stored or a
    return {
        # G3
        "account_id": a.login, "name": meta.name or a.name, "fund_type": meta.fund_type,
        "provider": meta.provider or a.company, "target_amount": num(meta.target_amount),
        "live_data": live_data(a), "last_sync": iso(a.fetched_at),
        "stored_data": {"balance": num(stored.balance), "equity": num(stored.equity), "profit": num(stored.profit)},
        # G1
        "success": True, "login": a.login, "balance": num(a.balance), "equity": num(a.equity),
        "profit": num(a.profit), "margin": num(a.margin), "free_margin": num(a.margin_free),
        "margin_level": num(a.margin_level), "currency": a.currency, "server": a.server, "leverage": a.leverage,
        "timestamp": iso(a.fetched_at),
    }


def account_doc(a: AccountSnapshot, meta: AccountMeta, positions: int | None = None) -> dict[str, Any]:
    """One ``mt5_accounts``-like document (G3 ``/api/mt5/accounts``), minus every secret."""
    doc = {"account": a.login, "name": meta.name or a.name, "fund_type": meta.fund_type,
           "provider": meta.provider, "broker": a.company, "server": a.server, "currency": a.currency,
           "balance": num(a.balance), "equity": num(a.equity), "profit": num(a.profit), "margin": num(a.margin),
           "margin_free": num(a.margin_free), "free_margin": num(a.margin_free),
           "margin_level": num(a.margin_level), "leverage": a.leverage, "trade_allowed": a.trade_allowed,
           "target_amount": num(meta.target_amount), "updated_at": iso(a.fetched_at), "last_sync": iso(a.fetched_at),
           "timestamp": iso(a.fetched_at), "last_updated": iso(a.fetched_at), "connection_status": "connected",
           "data_source": "live"}
    if positions is not None:
        doc["num_positions"] = positions
    return doc


def position_g2(p: Position) -> dict[str, Any]:
    return {"ticket": p.ticket, "time": epoch(p.time), "time_msc": epoch_ms(p.time),
            "time_update": epoch(p.time_update), "time_update_msc": epoch_ms(p.time_update),
            "type": "BUY" if p.type == 0 else "SELL", "magic": p.magic, "identifier": p.identifier,
            "reason": p.reason, "volume": num(p.volume), "price_open": num(p.price_open), "sl": num(p.sl),
            "tp": num(p.tp), "price_current": num(p.price_current), "swap": num(p.swap), "profit": num(p.profit),
            "symbol": p.symbol, "comment": p.comment, "external_id": p.external_id}


def position_g1(p: Position) -> dict[str, Any]:
    return {"ticket": p.ticket, "time": epoch(p.time), "type": p.type, "volume": num(p.volume), "symbol": p.symbol,
            "price_open": num(p.price_open), "price_current": num(p.price_current), "profit": num(p.profit),
            "swap": num(p.swap), "comment": p.comment}


def deal_g1(d: Deal) -> dict[str, Any]:
    return {"ticket": d.ticket, "time": epoch(d.time), "type": d.type, "profit": num(d.profit),
            "volume": num(d.volume), "symbol": d.symbol, "comment": d.comment}


def deal_live(d: Deal, account: int | None = None) -> dict[str, Any]:
    """G3 "live" and G4 trades: the full deal, ``time`` as an ISO string."""
    out = {"ticket": d.ticket, "order": d.order, "time": iso(d.time), "time_msc": epoch_ms(d.time), "type": d.type,
           "entry": d.entry, "magic": d.magic, "position_id": d.position_id, "reason": d.reason,
           "volume": num(d.volume), "price": num(d.price), "commission": num(d.commission), "swap": num(d.swap),
           "profit": num(d.profit), "fee": num(d.fee), "symbol": d.symbol, "comment": d.comment,
           "external_id": d.external_id}
    if account is not None:
        out["account_number"] = account
    return out


def flows(deals: tuple[Deal, ...]) -> dict[str, Any]:
    """Deposits and withdrawals (balance deals, by the sign of ``profit``) as G1 and G0 reported them."""
    deposits = [{"date": iso(d.time), "amount": num(d.profit), "comment": d.comment, "ticket": d.ticket}
                for d in deals if d.is_deposit]
    withdrawals = [{"date": iso(d.time), "amount": num(-d.profit), "comment": d.comment, "ticket": d.ticket}
                   for d in deals if d.is_withdrawal]
    return {"deposits": deposits, "withdrawals": withdrawals,
            "first_deposit_date": deposits[0]["date"] if deposits else None,
            "total_deposits": round(sum(x["amount"] for x in deposits), 2),
            "total_withdrawals": round(sum(x["amount"] for x in withdrawals), 2)}


def order_g1(o: Order) -> dict[str, Any]:
    return {"ticket": o.ticket, "time_setup": epoch(o.time_setup), "time_done": epoch(o.time_done), "type": o.type,
            "state": o.state, "volume": num(o.volume_initial), "price_open": num(o.price_open),
            "price_current": num(o.price_current), "profit": 0.0, "symbol": o.symbol, "comment": o.comment}


def symbol_g2(s: SymbolSpec) -> dict[str, Any]:
    return {"name": s.name, "description": s.description, "currency_base": s.currency_base,
            "currency_profit": s.currency_profit, "currency_margin": s.currency_margin, "digits": s.digits,
            "trade_mode": s.trade_mode}


SAFE_TERMINAL_KEYS = ("name", "build", "path", "data_path", "commondata_path", "connected", "trade_allowed",
                      "tradeapi_disabled", "ping_last", "community_account", "community_connection", "company")


def terminal_g2(info: dict[str, Any]) -> dict[str, Any]:
    return {k: info.get(k) for k in SAFE_TERMINAL_KEYS}


def terminal_brief(health: SourceHealth, info: dict[str, Any] | None) -> dict[str, Any] | None:
    """What open (keyless) health pages may show: no paths, no account."""
    if info is None:
        return None
    return {"connected": health.connected, "trade_allowed": info.get("trade_allowed"), "name": info.get("name"),
            "company": info.get("company"), "build": info.get("build")}
