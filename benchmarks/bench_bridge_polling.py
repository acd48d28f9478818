"""Polling 50 MT5 accounts (info + positions) through a bridge on loopback.

Baseline: what the original backend did (``vps_sync_service``/``mt5_bridge_proxy``): a new
``httpx.AsyncClient`` (so a new TCP connection and SSL context) per request, accounts one after
the other. Ours: :class:`bridge_link.remote.RemoteSource`, one keep-alive client, the same
requests in the same order. Both hit the same demo bridge, with server-side snapshot caching off
so every request reaches the terminal. Goal: at least 5x. Also shown: 8 accounts at a time, which
is *slower* against one terminal (interleaved accounts cost extra login switches), the reason the
monitor polls one account after the other. Run: ``uv run python benchmarks/bench_bridge_polling.py``.
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import threading
import time
from decimal import Decimal

import httpx
import uvicorn

from bridge_link.demo_terminal import DemoTerminal
from bridge_link.direct import DirectSource
from bridge_link.remote import RemoteSource
from bridge_link.server.app import create_app
from bridge_link.server.session import AccountMeta, BridgeSession, PasswordBook
from bridge_link.demo_terminal.accounts import DemoAccount

ACCOUNTS = 50
ROUNDS = 5
KEY = "bench-key-0123456789abcdef"
FUNDS = ("CORE", "BALANCE", "DYNAMIC", "UNLIMITED", "SEPARATION")


def fifty_accounts() -> list[DemoAccount]:
    return [DemoAccount(90000000 + i, f"Bench {i}", FUNDS[i % 5], "Bench", "FidusBroker-Live",
                        Decimal(100_000 + 25_000 * i)) for i in range(ACCOUNTS)]


def serve() -> tuple[uvicorn.Server, str]:
    accounts = fifty_accounts()
    terminal = DemoTerminal(seed=1, accounts=accounts, history_months=3)
    passwords = PasswordBook()
    source = DirectSource(terminal, name="demo terminal", zone=terminal.zone, password_for=passwords)
    directory = {a.login: AccountMeta(a.login, a.name, a.fund_type) for a in accounts}
    session = BridgeSession(source, directory, passwords=passwords, snapshot_ttl=0.0)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(session, KEY), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return server, f"http://127.0.0.1:{port}"


async def poll_new_connection_each(url: str, logins: list[int]) -> None:
    for login in logins:
        for path in (f"/api/v1/accounts/{login}", f"/api/v1/accounts/{login}/positions"):
            async with httpx.AsyncClient(timeout=30) as client:  # the original's pattern
                response = await client.get(url + path, headers={"X-API-Key": KEY})
                response.raise_for_status()
                response.json()


async def poll_keep_alive(source: RemoteSource, logins: list[int], concurrency: int) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(login: int) -> None:
        async with gate:
            await source.account(login)
            await source.positions(login)

    await asyncio.gather(*(one(login) for login in logins))


async def timed(work) -> float:
    started = time.perf_counter()
    await work
    return time.perf_counter() - started


async def main() -> None:
    server, url = serve()
    logins = [a.login for a in fifty_accounts()]
    source = RemoteSource("bench", url, KEY, read_timeout=30)
    try:
        await poll_keep_alive(source, logins, 8)  # warm-up: builds every account's history once
        naive, sequential, concurrent = [], [], []
        for _ in range(ROUNDS):
            naive.append(await timed(poll_new_connection_each(url, logins)))
            sequential.append(await timed(poll_keep_alive(source, logins, 1)))
            concurrent.append(await timed(poll_keep_alive(source, logins, 8)))
    finally:
        await source.close()
        server.should_exit = True
    n, s, c = (statistics.median(x) for x in (naive, sequential, concurrent))
    print(f"polling {ACCOUNTS} accounts (info + positions = {2 * ACCOUNTS} requests), median of {ROUNDS} rounds")
    print(f"  new connection per request, sequential (original): {n * 1000:8.1f} ms")
    print(f"  keep-alive RemoteSource, sequential (ours):        {s * 1000:8.1f} ms   ratio {n / s:5.1f}x"
          "  (goal >= 5x)")
    print(f"  keep-alive RemoteSource, 8 accounts at a time:     {c * 1000:8.1f} ms   ratio {n / c:5.1f}x")


if __name__ == "__main__":
    asyncio.run(main())
