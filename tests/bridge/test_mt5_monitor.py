"""The MT5 status the app shows: which source answers, and STALE from the cache when none does."""

from __future__ import annotations

import asyncio

import pytest

from bridge_link.cached import CachedSource
from bridge_link.direct import DirectSource
from bridge_link.failover import FailoverSource
from bridge_link.models import AccountRef
from bridge_link.remote import RemoteSource
from bridge_link.demo_terminal.accounts import DEMO_ACCOUNTS
from fidus_desktop.domain.values import utc_now
from fidus_desktop.events import EventBus
from fidus_desktop.services.health import HealthRegistry, ServiceName, ServiceState
from fidus_desktop.services.mt5_monitor import Mt5Monitor, describe_age
from fidus_desktop.storage.cache import LocalCache

from .conftest import API_KEY
from .test_remote_failover import demo_bridge


@pytest.fixture
async def cache(tmp_path):
    local = LocalCache(tmp_path / "cache.sqlite3")
    await local.open()
    yield local
    await local.close()


@pytest.fixture
def health() -> HealthRegistry:
    return HealthRegistry(EventBus())


async def test_demo_online_then_stale_from_the_cache(terminal, cache, health) -> None:
    refs = [AccountRef(login=a.login, name=a.name, fund_type=a.fund_type) for a in DEMO_ACCOUNTS]
    direct = DirectSource(terminal, name="demo terminal", zone=terminal.zone, backoff_initial=0.0, accounts=refs)
    monitor = Mt5Monitor(CachedSource(direct, cache), health, poll_seconds=0.05, deal_sync_seconds=3600)
    try:
        board = await monitor.poll_once()
        status = health.get(ServiceName.MT5)
        assert (status.state, status.source) == (ServiceState.ONLINE, "demo terminal")
        assert len(board.accounts) == 6 and all(v.account and v.positions for v in board.accounts)
        assert await cache.count_deals(88001001) > 0  # deal history synced on the first poll
        terminal.kill()
        board = await monitor.poll_once()
        status = health.get(ServiceName.MT5)
        assert status.state is ServiceState.STALE and status.source.startswith("cache (age ")
        assert "not reachable" in status.detail
        assert all(v.stale and v.account is not None for v in board.accounts)
        terminal.revive()
        await monitor.poll_once()
        assert health.get(ServiceName.MT5).state is ServiceState.ONLINE
    finally:
        await direct.close()


async def test_offline_when_nothing_was_ever_read(terminal, cache, health) -> None:
    terminal.kill()
    direct = DirectSource(terminal, name="direct terminal", zone=terminal.zone, login=88001001)
    monitor = Mt5Monitor(CachedSource(direct, cache), health)
    try:
        board = await monitor.poll_once()
        assert board.state is ServiceState.OFFLINE and board.accounts[0].error
        assert health.get(ServiceName.MT5).source == "direct terminal"
    finally:
        await direct.close()


async def test_status_names_the_bridge_and_follows_failover(health) -> None:
    primary, secondary = demo_bridge(), demo_bridge()
    group = FailoverSource([RemoteSource("vps-1", primary.url, API_KEY, connect_timeout=0.5, retry_base=0.01),
                            RemoteSource("vps-2", secondary.url, API_KEY, connect_timeout=0.5, retry_base=0.01)],
                           probe_interval=30)
    monitor = Mt5Monitor(group, health, poll_seconds=0.05)
    seen: list[str] = []
    monitor.subscribe(lambda board: seen.append(board.source))
    try:
        await monitor.poll_once()
        assert health.get(ServiceName.MT5).source == "bridge vps-1"
        killed_at = utc_now()
        await asyncio.get_running_loop().run_in_executor(None, primary.stop)
        for _ in range(100):
            await monitor.poll_once()
            await asyncio.sleep(0.02)
            if seen[-1] == "bridge vps-2":
                break
        status = health.get(ServiceName.MT5)
        assert (status.state, status.source) == (ServiceState.ONLINE, "bridge vps-2")
        assert monitor.latest.source_since >= killed_at  # "since when" the secondary serves
    finally:
        await group.close()
        secondary.stop()


def test_ages_read_well() -> None:
    assert [describe_age(s) for s in (12, 600, 7200, 4 * 86400)] == ["12 s", "10 min", "2 h", "4 days"]


async def test_no_account_configured_says_so(terminal, health) -> None:
    direct = DirectSource(terminal, name="direct terminal", zone=terminal.zone)  # no login, no accounts
    try:
        board = await Mt5Monitor(direct, health).poll_once()
        assert board.state is ServiceState.NOT_CONFIGURED and not board.accounts
        assert health.get(ServiceName.MT5).detail == "No MT5 account is configured to watch."
    finally:
        await direct.close()
