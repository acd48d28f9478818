"""The bridge server under 200 concurrent requests: latency p50/p99 and the process's memory.

Runs ``fidus-bridge serve --demo`` as its own process (so its RSS is its own), then sends waves
of 200 concurrent requests mixing our API and the original's (account info, positions, the G3
info page, health). Baseline in the same run: the same waves sent one at a time, the latency a
single client sees. Goals: answers stay correct (no error), RSS under 150 MB.
Run: ``uv run python benchmarks/bench_bridge_server_load.py``.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

KEY = "bench-key-0123456789abcdef"
WAVES = 5
CONCURRENT = 200
LOGINS = (88001001, 88001002, 88001003, 88001004, 88001005, 88001006)


def rss_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) in MB from /proc (Linux)."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (Linux /proc)."""
    parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def paths(i: int) -> str:
    login = LOGINS[i % len(LOGINS)]
    return (f"/api/v1/accounts/{login}", f"/api/v1/accounts/{login}/positions",
            f"/api/mt5/account/{login}/info", "/health")[i % 4]


async def wave(client: httpx.AsyncClient, n: int) -> list[float]:
    async def one(i: int) -> float:
        started = time.perf_counter()
        response = await client.get(paths(i), headers={"X-API-Key": KEY})
        if response.status_code != 200:
            raise RuntimeError(f"{paths(i)} -> {response.status_code}: {response.text[:200]}")
        return (time.perf_counter() - started) * 1000

    return list(await asyncio.gather(*(one(i) for i in range(n))))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "MT5_BRIDGE_API_KEY": KEY}
    proc = subprocess.Popen([sys.executable, "-m", "bridge_link.server.cli", "serve", "--demo", "--port", str(port),
                             "--log-level", "warning"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30,
                                     limits=httpx.Limits(max_connections=CONCURRENT)) as client:
            for _ in range(200):
                try:
                    if (await client.get("/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
            idle_rss, _ = rss_mb(proc.pid)
            await wave(client, 24)  # warm-up: every account's history built once
            single: list[float] = []
            for i in range(CONCURRENT):
                started = time.perf_counter()
                (await client.get(paths(i), headers={"X-API-Key": KEY})).raise_for_status()
                single.append((time.perf_counter() - started) * 1000)
            loaded: list[float] = []
            cpu_before = cpu_seconds(proc.pid)
            started = time.perf_counter()
            for _ in range(WAVES):
                loaded += await wave(client, CONCURRENT)
            elapsed = time.perf_counter() - started
            server_cpu = cpu_seconds(proc.pid) - cpu_before
            rss, peak = rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"bridge server (--demo), {WAVES} waves x {CONCURRENT} concurrent requests, all answered 200")
    print(f"  one at a time:   p50 {statistics.median(single):7.1f} ms   p99 {pct(single, 0.99):7.1f} ms")
    print(f"  200 concurrent:  p50 {statistics.median(loaded):7.1f} ms   p99 {pct(loaded, 0.99):7.1f} ms   "
          f"throughput {len(loaded) / elapsed:6.0f} req/s")
    print(f"  server CPU {server_cpu / len(loaded) * 1000:.2f} ms per request (the load client shares the 2 cores)")
    print(f"  RSS: idle {idle_rss:.0f} MB, after load {rss:.0f} MB, peak {peak:.0f} MB  (goal < 150 MB)")


if __name__ == "__main__":
    asyncio.run(main())
