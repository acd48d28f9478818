"""The deployed bridge's ``/api/mt5/...`` set (G3 ``vps/mt5_bridge_api_service.py`` with its
"live" extras and the G4 cache variants), as the web platform's sync, proxy and watchdog call it.

Differences on purpose: the key is required on every page with account data (G3 checked none),
no document ever carries a password, an account is read through the one serialized session
(never a login per request racing another), and failures are HTTP errors: no zero balances.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from fidus_desktop.domain.values import utc_now

from ..errors import BridgeError
from . import shapes
from .deps import json_response, session_of
from .legacy_seed import health_union, status_union
from .ranges import history_range
from .session import VERSION, BridgeSession

#: Open for monitoring (no account data); every other route needs the key (see guard.py).
open_router = APIRouter(prefix="/api/mt5")
keyed = APIRouter()
TRADES_DAYS = 730  # how far back /trades looks: the original returned its whole stored history


@open_router.get("/bridge/health")
async def bridge_health(request: Request) -> JSONResponse:
    body, health = await health_union(session_of(request))
    return json_response({
        "status": "healthy" if health.connected else "unhealthy", "timestamp": body["timestamp"],
        "mt5": {"available": True, "initialized": body["mt5_initialized"], "terminal_info": body["terminal_info"]},
        # This bridge keeps no database; the key stays for clients that read it.
        "mongodb": {"connected": False, "used": False},
        "service": {"version": VERSION, "uptime": body["uptime"]},
        "reason": body["reason"], "detail": None if health.connected else health.detail,
    }, 200 if health.connected else 503)


@keyed.get("/api/mt5/status")
async def status(request: Request) -> JSONResponse:
    return json_response(await status_union(session_of(request)))


@keyed.get("/api/mt5/account/{account_id}/info")
async def account_info(account_id: int, request: Request) -> JSONResponse:
    session = session_of(request)
    meta = session.require(account_id)
    stored = session.last_accounts.get(account_id)
    snap = await session.account(account_id)
    return json_response(shapes.account_info_union(snap, meta, stored))


@keyed.get("/api/mt5/account/{account_id}/balance")
async def balance(account_id: int, request: Request) -> JSONResponse:
    snap = await session_of(request).account(account_id)
    return json_response({"account_id": account_id, "balance": shapes.num(snap.balance),
                          "equity": shapes.num(snap.equity), "profit": shapes.num(snap.profit),
                          "last_updated": shapes.iso(snap.fetched_at)})


async def _recent_deals(session: BridgeSession, login: int, days: int):
    # To the minute, so the same question asked by many clients at once is one terminal read
    # (the session shares identical ones); the end is a day ahead, so no new deal is left out.
    now = utc_now().replace(second=0, microsecond=0)
    start, end = history_range(now - timedelta(days=days), now + timedelta(days=1), session.limits)
    return await session.deals(login, start, end)


@keyed.get("/api/mt5/account/{account_id}/trades")
async def trades(account_id: int, request: Request, limit: int = Query(100, ge=1, le=10_000)) -> JSONResponse:
    snap = await _recent_deals(session_of(request), account_id, TRADES_DAYS)
    newest = sorted(snap.deals, key=lambda d: (d.time, d.ticket), reverse=True)
    listed = [shapes.deal_live(d, account_id) for d in newest[:limit]]
    return json_response({"success": True, "account_id": account_id, "account_number": account_id,
                          "count": len(listed), "total_available": len(newest), "trades": listed,
                          "timestamp": shapes.iso(snap.fetched_at)})


def _volume(deals) -> float:
    return round(sum(float(d.volume) for d in deals if d.type in (0, 1)), 2)


@keyed.get("/api/mt5/account/{account_id}/deals/live")
async def deals_live(account_id: int, request: Request, days: int = Query(30, ge=1, le=3650)) -> JSONResponse:
    snap = await _recent_deals(session_of(request), account_id, days)
    return json_response({"account_id": account_id, "deals_count": len(snap.deals),
                          "total_volume_lots": _volume(snap.deals), "date_from": shapes.iso(snap.date_from),
                          "date_to": shapes.iso(snap.date_to), "deals": [shapes.deal_live(d) for d in snap.deals],
                          "data_source": "MT5_TERMINAL_LIVE"})


@keyed.get("/api/mt5/accounts/deals/live")
async def all_deals_live(request: Request, days: int = Query(30, ge=1, le=3650)) -> JSONResponse:
    session = session_of(request)
    rows: list[dict[str, Any]] = []
    for login, meta in list(session.directory.items()):
        try:
            snap = await _recent_deals(session, login, days)
        except BridgeError as exc:
            rows.append({"account_id": login, "account_name": meta.name, "error": exc.message})
            continue
        rows.append({"account_id": login, "account_name": meta.name, "deals_count": len(snap.deals),
                     "total_volume_lots": _volume(snap.deals), "deals": [shapes.deal_live(d) for d in snap.deals]})
    return json_response({"timestamp": shapes.iso(utc_now()), "accounts_count": len(rows),
                          "total_deals": sum(r.get("deals_count", 0) for r in rows),
                          "total_volume_lots": round(sum(r.get("total_volume_lots", 0.0) for r in rows), 2),
                          "date_range_days": days, "accounts": rows, "data_source": "MT5_TERMINAL_LIVE"})


async def _all_accounts(session: BridgeSession) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every managed account read through the session; failures listed apart, never as zeros."""
    async def one(login: int):
        try:
            snap, pos = await asyncio.gather(session.account(login), session.positions(login))
            return shapes.account_doc(snap, session.directory[login], len(pos.positions)), None
        except BridgeError as exc:
            return None, {"account": login, "error": exc.message, "reason": exc.reason.value}

    results = await asyncio.gather(*(one(login) for login in sorted(session.directory)))
    docs = [doc for doc, _ in results if doc is not None]
    errors = [err for _, err in results if err is not None]
    if errors and not docs:
        raise BridgeError(errors[0]["reason"], "No account could be read from the MT5 terminal.")
    return docs, errors


@keyed.get("/api/mt5/accounts")
async def accounts(request: Request) -> JSONResponse:
    docs, _errors = await _all_accounts(session_of(request))
    return json_response(docs)


@keyed.get("/api/mt5/accounts/summary")
async def summary(request: Request) -> JSONResponse:
    docs, errors = await _all_accounts(session_of(request))
    groups: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"count": 0, "total_balance": 0.0, "total_equity": 0.0, "total_profit": 0.0, "accounts": []})
    for doc in docs:
        group = groups[doc["fund_type"] or "UNASSIGNED"]
        group["count"] += 1
        group["total_balance"] = round(group["total_balance"] + doc["balance"], 2)
        group["total_equity"] = round(group["total_equity"] + doc["equity"], 2)
        group["total_profit"] = round(group["total_profit"] + doc["profit"], 2)
        group["accounts"].append({k: doc[k] for k in ("account", "name", "balance", "equity", "profit")})
    totals = {"accounts": len(docs), "balance": round(sum(d["balance"] for d in docs), 2),
              "equity": round(sum(d["equity"] for d in docs), 2), "profit": round(sum(d["profit"] for d in docs), 2)}
    return json_response({"success": True, "timestamp": shapes.iso(utc_now()), "totals": totals,
                          "by_fund_type": dict(groups), "accounts": docs, "count": len(docs),
                          "cached_count": 0, "errors": errors})


@keyed.get("/api/mt5/admin/system-status")
async def system_status(request: Request) -> JSONResponse:
    body, health = await health_union(session_of(request))
    return json_response({"timestamp": body["timestamp"],
                          "service": {"name": "FIDUS MT5 bridge", "version": VERSION, "status": "running"},
                          "mt5": {"initialized": body["mt5_initialized"], "connected": health.connected,
                                  "trade_allowed": (body["terminal_info"] or {}).get("trade_allowed", False)},
                          "mongodb": {"connected": False, "ping": None, "collections": {}},
                          "overall_health": "healthy" if health.connected else "unhealthy"})


@keyed.post("/api/admin/emergency-restart")
@keyed.post("/api/mt5/refresh")
async def emergency_restart(request: Request) -> JSONResponse:
    """Re-initialize the terminal. The original took a query-string token (logged by every proxy);
    here the API key header is the only credential."""
    session = session_of(request)
    try:
        await session.reconnect()
        ok, error = True, None
    except BridgeError as exc:
        ok, error = False, exc.message
    return json_response({"success": ok, "message": "MT5 re-initialized" if ok else "MT5 re-initialization failed",
                          "mt5_reinitialized": ok, "mongodb_connected": False, "error": error,
                          "accounts_refreshed": len(session.directory) if ok else 0,
                          "timestamp": shapes.iso(utc_now())}, 200 if ok else 503)


router = APIRouter()
router.include_router(open_router)
router.include_router(keyed)
