"""The first bridge generations' endpoints (G1 ``main.py``, G2 ``main_production.py`` and its
aliases): ``/health``, ``/mt5/status``, ``/accounts`` and the ``/api/mt5`` calls the backend's
``MT5BridgeClient`` makes. Same paths and keys; failures are real HTTP errors, not 200s.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse

from fidus_desktop.domain.values import utc_now

from ..errors import BridgeError, ErrorReason
from ..models import SourceHealth
from . import shapes
from .deps import json_response, session_of
from .ranges import body_date, body_login, history_range
from .session import VERSION, BridgeSession

#: Open for monitoring (no account data); every other route needs the key (see guard.py).
open_router = APIRouter()
keyed = APIRouter()
HISTORY_FROM = datetime(2020, 1, 1, tzinfo=UTC)  # G1's default start


async def health_union(session: BridgeSession) -> tuple[dict[str, Any], SourceHealth]:
    health, info = await session.health_state()  # from the last check: never behind other reads
    reachable = info is not None
    body = {
        "success": health.connected, "status": "healthy" if health.connected else "unhealthy",
        "mt5_available": True, "mt5_initialized": reachable, "mt5_connected": health.connected,
        "connected_accounts": len(session.connected_at), "timestamp": shapes.iso(utc_now()), "version": VERSION,
        "uptime": f"{int((utc_now() - session.started_at).total_seconds())}s",
        "terminal_info": shapes.terminal_brief(health, info),
        "last_error": None if health.connected else {"reason": health.reason, "detail": health.detail},
        "reason": None if health.connected else health.reason,
    }
    return body, health


async def status_union(session: BridgeSession) -> dict[str, Any]:
    body, health = await health_union(session)
    snaps = session.last_accounts
    listed = []
    for snap in snaps.values():
        meta = session.directory.get(snap.login)
        listed.append({"account": snap.login, "name": (meta.name if meta else "") or snap.name,
                       "fund_type": meta.fund_type if meta else "", "balance": shapes.num(snap.balance),
                       "equity": shapes.num(snap.equity), "profit": shapes.num(snap.profit),
                       "updated_at": shapes.iso(snap.fetched_at)})
    return {
        # G2
        "mt5_available": True, "mt5_initialized": body["mt5_initialized"], "mt5_connected": health.connected,
        "connected_accounts": {
            str(login): {"server": snaps[login].server if login in snaps else "", "connected_at": shapes.iso(at),
                         "last_ping": shapes.iso(snaps[login].fetched_at) if login in snaps else None}
            for login, at in session.connected_at.items()},
        "initialization_time": shapes.iso(session.started_at), "last_error": body["last_error"],
        "terminal_info": body["terminal_info"], "timestamp": body["timestamp"],
        # G3
        "status": "online" if health.connected else "offline",
        "accounts": {"total": len(session.directory), "active": sum(1 for s in snaps.values() if s.balance > 0),
                     "list": listed},
        "server": next((m.server for m in session.directory.values() if m.server), ""),
        "terminal": {"connected": health.connected,
                     "trade_allowed": (body["terminal_info"] or {}).get("trade_allowed", False)},
    }


@open_router.get("/")
async def root(request: Request) -> JSONResponse:
    body, _health = await health_union(session_of(request))
    return json_response({"service": "FIDUS MT5 bridge", "version": VERSION, "status": "running",
                          "mt5_available": True, "mt5_initialized": body["mt5_initialized"],
                          "timestamp": body["timestamp"],
                          "endpoints": {"health": "/health", "status": "/api/mt5/status", "v1": "/api/v1"}})


@open_router.get("/health")
@open_router.get("/mt5/health")
async def health(request: Request) -> JSONResponse:
    body, health = await health_union(session_of(request))
    return json_response(body, 200 if health.connected else 503)


@keyed.get("/status")
@keyed.get("/mt5/status")
async def status(request: Request) -> JSONResponse:
    return json_response(await status_union(session_of(request)))


def _login_of(session: BridgeSession, login: int | None) -> int:
    chosen = login or session.current_login
    if chosen is None:
        raise BridgeError(ErrorReason.NOT_FOUND, "No account is configured on this bridge.")
    return chosen


@keyed.get("/accounts")
@keyed.get("/mt5/accounts")
@keyed.get("/api/mt5/account/info")
async def account_info(request: Request, login: int | None = None) -> JSONResponse:
    session = session_of(request)
    return json_response(shapes.account_flat(await session.account(_login_of(session, login))))


@keyed.post("/api/mt5/initialize")
async def initialize(request: Request) -> JSONResponse:
    session = session_of(request)
    session.invalidate()
    body, health = await health_union(session)
    info = body["terminal_info"] or {}
    return json_response({"success": health.connected, "initialized": body["mt5_initialized"],
                          "mt5_available": True, "version": info.get("build"),
                          "error": None if health.connected else health.detail, "timestamp": body["timestamp"]},
                         200 if health.connected else 503)


@keyed.post("/api/mt5/login")
async def login(request: Request, payload: Annotated[dict[str, Any], Body()]) -> JSONResponse:
    # G1 sends ``login``, G2 ``account``; the password, if any, stays in memory and is never echoed.
    number = body_login(payload)
    password = payload.get("password") if isinstance(payload.get("password"), str) else None
    snap = await session_of(request).login(number, password)
    return json_response({"success": True, "login": snap.login, "account": snap.login, "server": snap.server,
                          "connected_at": shapes.iso(snap.fetched_at), "login_time": shapes.iso(snap.fetched_at),
                          "currency": snap.currency, "balance": shapes.num(snap.balance),
                          "equity": shapes.num(snap.equity)})


@keyed.get("/api/mt5/terminal/info")
async def terminal_info(request: Request) -> JSONResponse:
    return json_response(shapes.terminal_g2(await session_of(request).terminal()))


@keyed.get("/api/mt5/positions")
async def positions_current(request: Request, login: int | None = None) -> JSONResponse:
    session = session_of(request)
    snap = await session.positions(_login_of(session, login))
    return json_response({"success": True, "positions": [shapes.position_g2(p) for p in snap.positions],
                          "count": len(snap.positions), "timestamp": shapes.iso(snap.fetched_at)})


@keyed.get("/api/mt5/symbols")
async def symbols(request: Request) -> JSONResponse:
    found = [s for s in await session_of(request).symbols() if s.visible]
    return json_response({"success": True, "symbols": [shapes.symbol_g2(s) for s in found], "count": len(found),
                          "timestamp": shapes.iso(utc_now())})


def _range(session: BridgeSession, payload: dict[str, Any]) -> tuple[datetime, datetime]:
    end = body_date(payload, "to_date", utc_now() + timedelta(days=1))
    # G1's default start, kept within what one request may ask (from 2030 on, 2020 is too far).
    default_start = max(HISTORY_FROM, end - timedelta(days=session.limits.max_history_days))
    start = body_date(payload, "from_date", default_start)
    return history_range(start, end, session.limits, ("from_date", "to_date"))


@keyed.post("/api/mt5/history")
async def history(request: Request, payload: Annotated[dict[str, Any], Body()]) -> JSONResponse:
    session = session_of(request)
    number, (start, end) = body_login(payload), _range(session, payload)
    snap = await session.history_orders(number, start, end)
    return json_response({"success": True, "login": number, "orders": [shapes.order_g1(o) for o in snap.orders],
                          "count": len(snap.orders), "from_date": shapes.iso(start), "to_date": shapes.iso(end)})


@keyed.post("/api/mt5/deals")
async def deals(request: Request, payload: Annotated[dict[str, Any], Body()]) -> JSONResponse:
    session = session_of(request)
    number, (start, end) = body_login(payload), _range(session, payload)
    snap = await session.deals(number, start, end)
    return json_response({"success": True, "login": number, "deals": [shapes.deal_g1(d) for d in snap.deals],
                          **shapes.flows(snap.deals), "count": len(snap.deals)})


@keyed.get("/api/mt5/account/{login}/positions")
async def positions_of(login: int, request: Request) -> JSONResponse:
    snap = await session_of(request).positions(login)
    return json_response({"success": True, "login": login, "positions": [shapes.position_g1(p) for p in snap.positions],
                          "count": len(snap.positions), "timestamp": shapes.iso(snap.fetched_at)})


router = APIRouter()
router.include_router(open_router)
router.include_router(keyed)
