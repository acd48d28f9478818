"""``fidus-bridge serve --demo`` answers the original contract's endpoints with the original shapes."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from bridge_link.demo_terminal import DemoTerminal
from bridge_link.direct import DirectSource
from bridge_link.server.app import create_app
from bridge_link.server.build import ServeOptions, build_session, demo_directory
from bridge_link.server.session import BridgeSession, PasswordBook

from .conftest import API_KEY

KEY = {"X-API-Key": API_KEY}


@pytest.fixture
async def served(terminal: DemoTerminal):
    passwords = PasswordBook()
    source = DirectSource(terminal, name="demo terminal", zone=terminal.zone, password_for=passwords)
    session = BridgeSession(source, demo_directory(), passwords=passwords, snapshot_ttl=0.5, request_timeout=2.0)
    app = create_app(session, API_KEY)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://bridge") as client:
            yield client, terminal, session


# path -> keys the original's clients read (bridge-contract.md §1-§4)
GET_SHAPES = {
    "/health": {"success", "status", "mt5_available", "mt5_initialized", "connected_accounts", "timestamp",
                "version", "mt5_connected", "uptime", "terminal_info", "last_error"},
    "/mt5/status": {"mt5_available", "mt5_initialized", "mt5_connected", "connected_accounts", "initialization_time",
                    "last_error", "terminal_info", "timestamp"},
    "/accounts": {"login", "trade_mode", "leverage", "limit_orders", "margin_so_mode", "trade_allowed",
                  "trade_expert", "margin_mode", "currency_digits", "fifo_close", "balance", "credit", "profit",
                  "equity", "margin", "margin_free", "margin_level", "margin_so_call", "margin_so_so",
                  "margin_initial", "margin_maintenance", "assets", "liabilities", "commission_blocked", "name",
                  "server", "currency", "company"},
    "/api/mt5/terminal/info": {"name", "build", "path", "data_path", "commondata_path", "connected",
                               "trade_allowed", "tradeapi_disabled", "ping_last", "community_account",
                               "community_connection"},
    "/api/mt5/positions": {"success", "positions", "count", "timestamp"},
    "/api/mt5/symbols": {"success", "symbols", "count", "timestamp"},
    "/api/mt5/bridge/health": {"status", "timestamp", "mt5", "mongodb", "service"},
    "/api/mt5/status": {"status", "mt5_initialized", "timestamp", "accounts", "server", "terminal"},
    "/api/mt5/account/88001002/info": {"account_id", "name", "fund_type", "provider", "target_amount", "live_data",
                                       "last_sync", "stored_data", "success", "login", "balance", "equity",
                                       "profit", "margin", "free_margin", "margin_level", "currency", "server",
                                       "leverage", "timestamp"},
    "/api/mt5/account/88001002/balance": {"account_id", "balance", "equity", "profit", "last_updated"},
    "/api/mt5/account/88001002/trades?limit=5": {"account_id", "count", "trades", "success", "account_number",
                                                 "total_available", "timestamp"},
    "/api/mt5/accounts/summary": {"timestamp", "totals", "by_fund_type", "accounts", "success", "count"},
    "/api/mt5/admin/system-status": {"timestamp", "service", "mt5", "mongodb", "overall_health"},
    "/api/mt5/account/88001001/deals/live?days=10": {"account_id", "deals_count", "total_volume_lots", "date_from",
                                                      "date_to", "deals", "data_source"},
    "/api/mt5/accounts/deals/live?days=3": {"timestamp", "accounts_count", "total_deals", "total_volume_lots",
                                             "date_range_days", "accounts", "data_source"},
    "/api/mt5/account/88001001/positions": {"success", "positions", "count"},
}
POSITION_G2 = {"ticket", "time", "time_msc", "time_update", "time_update_msc", "type", "magic", "identifier",
               "reason", "volume", "price_open", "sl", "tp", "price_current", "swap", "profit", "symbol", "comment",
               "external_id"}
DEAL_LIVE = {"ticket", "order", "time", "type", "entry", "magic", "position_id", "volume", "price", "commission",
             "swap", "profit", "symbol", "comment", "external_id"}


async def test_original_endpoints_answer_with_the_original_keys(served) -> None:
    client, terminal, _ = served
    for path, keys in GET_SHAPES.items():
        response = await client.get(path, headers=KEY)
        assert response.status_code == 200, (path, response.text)
        body = response.json()
        assert keys <= set(body), (path, keys - set(body))
    positions = (await client.get("/api/mt5/positions", headers=KEY)).json()["positions"]
    assert positions and POSITION_G2 == set(positions[0]) and positions[0]["type"] in ("BUY", "SELL")
    trades = (await client.get("/api/mt5/account/88001002/trades?limit=5", headers=KEY)).json()["trades"]
    assert len(trades) == 5 and DEAL_LIVE <= set(trades[0]) and isinstance(trades[0]["time"], str)
    assert trades[0]["time"] >= trades[-1]["time"]  # newest first, as the original sorted
    accounts = (await client.get("/api/mt5/accounts", headers=KEY)).json()
    assert isinstance(accounts, list) and [a["account"] for a in accounts] == sorted(terminal.demo_logins())
    info = (await client.get("/api/mt5/account/88001002/info", headers=KEY)).json()
    terminal.login(88001002)
    assert info["live_data"]["balance"] == terminal.account_info().balance == info["balance"]
    assert info["fund_type"] == "BALANCE" and info["account_id"] == info["login"] == 88001002


async def test_g1_post_endpoints(served) -> None:
    client, terminal, _ = served
    deals = (await client.post("/api/mt5/deals", json={"login": 88001005}, headers=KEY)).json()
    assert {"success", "login", "deals", "deposits", "withdrawals", "first_deposit_date", "total_deposits",
            "total_withdrawals", "count"} <= set(deals)
    assert deals["deposits"][0]["amount"] == 150000.0 and deals["withdrawals"]
    assert isinstance(deals["deals"][0]["time"], int)
    history = (await client.post("/api/mt5/history", json={"login": 88001001, "from_date": "2026-11-01"},
                                 headers=KEY)).json()
    assert history["count"] == len(history["orders"]) > 0
    assert {"ticket", "time_setup", "state"} <= set(history["orders"][0])
    password = terminal.demo_password(88001004)
    login = await client.post("/api/mt5/login", json={"account": 88001004, "password": password}, headers=KEY)
    assert login.status_code == 200 and login.json()["login"] == 88001004
    assert terminal.demo_password(88001004) not in login.text
    current = (await client.get("/api/mt5/account/info", headers=KEY)).json()
    assert current["login"] == 88001004  # G2's "current account" follows the login
    bad = await client.post("/api/mt5/login", json={"login": 88001004, "password": "wrong-password-123"}, headers=KEY)
    assert bad.status_code == 502 and bad.json()["error"]["reason"] == "auth_failed"
    assert "wrong-password-123" not in bad.text


@pytest.mark.parametrize("path", ["/accounts", "/mt5/accounts", "/mt5/status", "/api/mt5/status",
                                  "/api/mt5/accounts", "/api/mt5/accounts/summary", "/api/mt5/account/88001001/info",
                                  "/api/mt5/account/88001001/trades", "/api/mt5/positions", "/api/v1/accounts/88001001",
                                  "/api/v1/health"])
async def test_key_required_on_account_data(served, path: str) -> None:
    client, _, _ = served
    assert (await client.get(path)).status_code == 401
    wrong = await client.get(path, headers={"X-API-Key": API_KEY[:-1] + "x"})
    assert wrong.status_code == 401 and wrong.json() == {"detail": "Invalid API key"}


async def test_health_tells_the_truth(served) -> None:
    client, terminal, session = served
    assert (await client.get("/health")).status_code == 200
    terminal.kill()
    session.invalidate()
    for path in ("/health", "/api/mt5/bridge/health", "/api/v1/health"):
        response = await client.get(path, headers=KEY)
        assert response.status_code == 503, path
        assert response.json()["reason"] == "not_connected"
    failed = await client.get("/api/mt5/account/88001003/balance", headers=KEY)
    assert failed.status_code == 503 and failed.json()["error"]["reason"] == "not_connected"
    summary = await client.get("/api/mt5/accounts/summary", headers=KEY)
    assert summary.status_code == 503  # never a 200 full of zero balances


async def test_unknown_account_is_404_json(served) -> None:
    client, _, _ = served
    response = await client.get("/api/mt5/account/4242/info", headers=KEY)
    assert response.status_code == 404 and response.json()["detail"] == "Account 4242 not found"


async def test_a_slow_terminal_gives_504_not_a_hang(served) -> None:
    client, terminal, session = served
    session.request_timeout = 0.2
    terminal.call_delay = 0.25
    try:
        response = await client.get("/api/v1/accounts/88001006", headers=KEY)
        assert response.status_code == 504 and response.json()["error"]["reason"] == "timeout"
    finally:
        terminal.call_delay = 0.0


async def test_snapshots_are_shared_by_concurrent_requests(served) -> None:
    import asyncio

    client, terminal, _ = served
    calls = terminal.calls
    responses = await asyncio.gather(*(client.get("/api/v1/accounts/88001003", headers=KEY) for _ in range(50)))
    assert {r.json()["balance"] for r in responses} and all(r.status_code == 200 for r in responses)
    assert terminal.calls - calls <= 4  # one read (plus a login), not fifty


async def test_access_log_has_no_secret_and_no_query(served, caplog) -> None:
    client, _, _ = served
    with caplog.at_level(logging.INFO, logger="bridge_link"):
        await client.get("/api/mt5/account/88001001/trades?limit=2&token=abc123secret", headers=KEY)
        await client.get("/accounts", headers={"X-API-Key": "guess-1234567890"})
    lines = [r.getMessage() for r in caplog.records if r.name == "bridge_link.access"]
    assert len(lines) == 2
    entry = json.loads(lines[0])
    assert entry["path"] == "/api/mt5/account/88001001/trades" and entry["status"] == 200
    # Everything the server side logged (the test's own HTTP client logs its URLs; not the bridge's).
    everything = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bridge_link"))
    assert API_KEY not in everything and "abc123secret" not in everything and "guess-1234567890" not in everything


def test_demo_session_serves_the_demo_accounts() -> None:
    session = build_session(ServeOptions(demo=True, seed=3))
    assert session.mode == "demo" and set(session.directory) == set(DemoTerminal(seed=3).demo_logins())
    assert session.directory[88001001].fund_type == "CORE"
