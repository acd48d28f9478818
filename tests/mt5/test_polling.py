"""Polling with a failing, slow or hung source: backoff, stale marking, no overlap, a deadline per call,
a cap on accounts at once, each account at its own interval; and through a real bridge that hangs."""

from __future__ import annotations

import asyncio
import time

import pytest

from bridge_link.cached import CachedSource
from bridge_link.errors import BridgeError, ErrorReason
from bridge_link.models import AccountRef, PositionsSnapshot
from bridge_link.remote import RemoteSource
from fidus_desktop.domain.values import utc_now
from fidus_desktop.events import EventBus
from fidus_desktop.services.health import HealthRegistry, ServiceState
from fidus_desktop.mt5.polling import Mt5Monitor
from tests.bridge.conftest import API_KEY
from tests.bridge.test_remote_failover import demo_bridge

from .boards import snapshot


class FakeSource:
    """Answers per login as told: ``delay`` seconds per call, ``fail`` logins raise, ``hang``
    logins never answer. Records every call's start and end, and the most in flight at once."""

    name = "fake bridge"

    def __init__(self, logins, *, delay: float = 0.0) -> None:
        self.logins = list(logins)
        self.delay = delay
        self.fail: set[int] = set()
        self.hang: set[int] = set()
        self.starts: dict[int, list[float]] = {n: [] for n in self.logins}
        self.in_flight: dict[int, int] = {n: 0 for n in self.logins}
        self.most: dict[int, int] = {n: 0 for n in self.logins}
        self.total = 0
        self.most_total = 0
        self.cancelled = 0

    async def accounts(self):
        return tuple(AccountRef(login=n, name=f"Account {n}", fund_type="CORE") for n in self.logins)

    async def _answer(self, login: int, kind: str):
        self.in_flight[login] += 1
        self.total += 1
        self.most[login] = max(self.most[login], self.in_flight[login])
        self.most_total = max(self.most_total, self.total)
        try:
            if login in self.hang:
                await asyncio.sleep(3600)
            await asyncio.sleep(self.delay)
            if login in self.fail:
                raise BridgeError(ErrorReason.NOT_CONNECTED, f"{login} is not reachable")
            if kind == "account":
                return snapshot(utc_now(), login=login)
            return PositionsSnapshot(login=login, positions=(), fetched_at=utc_now(), source=self.name)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.in_flight[login] -= 1
            self.total -= 1

    async def account(self, login: int):
        self.starts[login].append(time.monotonic())
        return await self._answer(login, "account")

    async def positions(self, login: int):
        return await self._answer(login, "positions")

    async def open_orders(self, login: int):
        raise BridgeError(ErrorReason.NOT_FOUND, "no orders here")

    async def close(self) -> None:
        pass


async def run_for(monitor: Mt5Monitor, seconds: float, boards: list | None = None) -> None:
    if boards is not None:
        monitor.subscribe(boards.append)
    task = asyncio.create_task(monitor.run())
    try:
        await asyncio.sleep(seconds)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def monitor_of(source, **kw) -> Mt5Monitor:
    kw.setdefault("poll_seconds", 0.05)
    kw.setdefault("publish_delay", 0.02)
    return Mt5Monitor(source, HealthRegistry(EventBus()), **kw)


async def test_a_failing_account_backs_off_and_recovers_while_the_others_keep_their_pace() -> None:
    source = FakeSource([1, 2])
    source.fail.add(2)
    monitor = monitor_of(source, backoff_max=0.4, concurrency=2)
    await run_for(monitor, 1.5)
    healthy, failing = len(source.starts[1]), source.starts[2]
    gaps = [b - a for a, b in zip(failing, failing[1:], strict=False)]
    assert healthy >= 15, healthy
    assert len(failing) <= 7, failing  # 0.1, 0.2, 0.4, 0.4 ... instead of every 0.05 s
    assert gaps[0] >= 0.09 and gaps[1] >= 0.18 and all(g >= 0.35 for g in gaps[2:]), gaps  # doubling, capped
    assert monitor.latest.view(2).failures >= 3 and monitor.latest.view(1).failures == 0
    source.fail.clear()
    await run_for(monitor, 0.8)  # the next attempt answers: back to every poll
    assert monitor.latest.view(2).failures == 0 and monitor.latest.view(2).account is not None


async def test_never_two_polls_at_once_for_one_account_and_at_most_the_cap_across_accounts() -> None:
    source = FakeSource(range(1, 11), delay=0.05)  # each poll (two calls) outlasts the interval
    monitor = monitor_of(source, concurrency=3)
    await run_for(monitor, 1.5)
    assert all(most == 1 for most in source.most.values()), source.most
    assert source.most_total == 3
    assert all(len(s) >= 2 for s in source.starts.values())  # every account had its turn


async def test_each_account_at_its_own_interval() -> None:
    source = FakeSource([1, 2])
    monitor = monitor_of(source, intervals={2: 0.4})
    await run_for(monitor, 1.3)
    assert len(source.starts[1]) >= 12 and 3 <= len(source.starts[2]) <= 5, source.starts


async def test_a_call_past_its_deadline_is_abandoned_and_the_cache_shown_stale(cache) -> None:
    source = FakeSource([1, 2])
    cached = CachedSource(source, cache)
    boards: list = []
    monitor = monitor_of(cached, call_deadline=0.3, poll_seconds=0.1, backoff_max=0.2)
    await run_for(monitor, 0.5, boards)  # both read live, and kept in the cache
    assert all(not v.stale for v in boards[-1].accounts)
    source.hang.add(2)
    hung_at = time.monotonic()
    await run_for(monitor, 1.2, boards)
    view = monitor.latest.view(2)
    assert view.stale and view.account is not None and "did not answer within 0.3 s" in view.error
    assert source.cancelled >= 2 and source.in_flight[2] == 0  # abandoned: cancelled, not queued behind
    assert len(source.starts[2]) >= 2  # and tried again, never two at once
    assert source.most[2] == 1
    assert not monitor.latest.view(1).stale  # the other account is unaffected
    assert monitor.latest.state is ServiceState.ONLINE and "1 account(s) from the cache" in monitor.latest.detail
    first_stale = next(b.polled_at for b in boards if b.view(2).stale)
    assert (first_stale.timestamp() - (time.time() - (time.monotonic() - hung_at))) < 0.1 + 0.5 + 0.15


async def test_a_dead_source_is_shown_from_the_cache_with_its_age(cache) -> None:
    source = FakeSource([1])
    monitor = monitor_of(CachedSource(source, cache), backoff_max=0.2)
    await run_for(monitor, 0.3)
    source.fail.add(1)
    await run_for(monitor, 0.5)
    board = monitor.latest
    assert board.state is ServiceState.STALE and board.source.startswith("cache (age ")
    assert board.view(1).stale and "not reachable" in board.detail


class HangingProxy:
    """A TCP proxy in front of a bridge, on this loop; ``hung = True`` freezes it as a frozen
    VPS would: requests are taken in and nothing ever comes back."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.hung = False
        self.server: asyncio.base_events.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _pipe(self, reader, writer) -> None:
        try:
            while data := await reader.read(65536):
                while self.hung:
                    await asyncio.sleep(0.05)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _client(self, reader, writer) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()


async def test_the_overview_is_stale_within_one_interval_when_the_bridge_hangs() -> None:
    """Through a real bridge that stops answering: the client waits up to its deadlines (5 s),
    the board marks the account stale one interval after its last good answer (plus the grace
    for a normal poll, 0.5 s), long before any deadline, and keeps the last values on screen."""
    interval = 1.0
    server = demo_bridge()
    proxy = HangingProxy(server.port)
    source = RemoteSource("vps-1", await proxy.start(), API_KEY, connect_timeout=1.0, read_timeout=4.0,
                          retry_base=0.01)

    async def logins():
        return (AccountRef(login=88001001),)

    boards: list = []
    monitor = Mt5Monitor(source, HealthRegistry(EventBus()), poll_seconds=interval, logins=logins,
                         call_deadline=6.0, publish_delay=0.02)
    monitor.subscribe(boards.append)
    task = asyncio.create_task(monitor.run())
    try:
        for _ in range(200):
            await asyncio.sleep(0.05)
            if len(source_polls := boards) >= 2 and not source_polls[-1].view(88001001).stale:
                break
        assert boards and boards[-1].state is ServiceState.ONLINE
        proxy.hung = True
        hung_at = time.monotonic()
        while time.monotonic() - hung_at < interval + 2.0 and not boards[-1].view(88001001).stale:
            await asyncio.sleep(0.01)
        took = time.monotonic() - hung_at
        view = boards[-1].view(88001001)
        assert view.stale and view.overdue, "never marked stale"
        assert took <= interval + 0.5 + 0.2, took
        assert view.account is not None  # the last known values stay on screen, marked
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await source.close()
        await proxy.close()
        await asyncio.get_running_loop().run_in_executor(None, server.stop)
