"""Bridges that hang, trickle, bomb or 404: the client gives up in bounded time and memory."""

from __future__ import annotations

import asyncio
import time
import tracemalloc

import pytest

from bridge_link.errors import BridgeError, ErrorReason
from bridge_link.failover import FailoverSource
from bridge_link.models import AccountRef
from bridge_link.remote import RemoteSource
from fidus_desktop.events import EventBus
from fidus_desktop.services.health import HealthRegistry, ServiceState
from fidus_desktop.services.mt5_monitor import Mt5Monitor

from .conftest import API_KEY
from .hostile import HostileServer, gzip_bomb, hang, huge, not_found, trickle
from .test_remote_failover import demo_bridge

MAX_ANSWER_BYTES = 8 * 2**20  # the remote source's cap on an ordinary answer


def as_configured(url: str, name: str) -> RemoteSource:
    """A remote source as the factory builds it from the default settings (3 s connect, 10 s read)."""
    return RemoteSource(name, url, API_KEY, connect_timeout=3.0, read_timeout=10.0)


async def test_a_trickling_bridge_is_given_up_at_the_total_deadline() -> None:
    with HostileServer(trickle(0.2)) as bad:
        source = RemoteSource("trickle", bad.url, API_KEY, read_timeout=1.0)
        try:
            started = time.monotonic()
            with pytest.raises(BridgeError) as caught:
                await source.account(88001001)
            elapsed = time.monotonic() - started
            assert caught.value.reason is ErrorReason.TIMEOUT
            assert 0.9 < elapsed < 1.8, elapsed  # httpx alone (per-chunk read timeout) never gave up
            started = time.monotonic()
            health = await source.health()
            assert not health.connected and time.monotonic() - started < source.health_timeout + 0.5
        finally:
            await source.close()


@pytest.mark.parametrize("handler", [trickle(0.5), hang], ids=["trickle", "hang"])
async def test_failover_leaves_a_stuck_primary_within_2_s(handler) -> None:
    with HostileServer(handler) as bad, demo_bridge() as good:
        group = FailoverSource([as_configured(bad.url, "stuck"), as_configured(good.url, "good")], probe_interval=30)
        try:
            started = time.monotonic()
            snap = await group.account(88001001)
            assert snap.source == "bridge good"
            assert time.monotonic() - started < 2.0
            started = time.monotonic()
            await group.positions(88001001)  # the stuck one's breaker is open: no second wait
            assert time.monotonic() - started < 0.5 and group.active_name == "bridge good"
        finally:
            await group.close()


async def test_the_monitor_shows_the_board_through_a_trickling_primary() -> None:
    refs = [AccountRef(login=88001001), AccountRef(login=88001002)]

    async def logins() -> list[AccountRef]:
        return refs

    with HostileServer(trickle(0.5)) as bad, demo_bridge() as good:
        group = FailoverSource([as_configured(bad.url, "stuck"), as_configured(good.url, "good")], probe_interval=30)
        monitor = Mt5Monitor(group, HealthRegistry(EventBus()), logins=logins)
        try:
            started = time.monotonic()
            board = await asyncio.wait_for(monitor.poll_once(), 10)
            assert board.state is ServiceState.ONLINE and board.source == "bridge good"
            assert all(v.account is not None for v in board.accounts)
            assert time.monotonic() - started < 3.0
        finally:
            await group.close()


async def test_a_bridge_answering_404_to_everything_is_not_serving_and_is_failed_over() -> None:
    with HostileServer(not_found) as wrong, demo_bridge() as good:
        alone = as_configured(wrong.url, "old-path")
        group = FailoverSource([as_configured(wrong.url, "old-path"), as_configured(good.url, "good")],
                               probe_interval=30)
        try:
            health = await alone.health()
            assert not health.connected and health.reason is ErrorReason.NOT_CONNECTED
            for call in (alone.accounts(), alone.account(88001001)):
                with pytest.raises(BridgeError) as caught:
                    await call
                assert caught.value.reason is ErrorReason.NOT_CONNECTED and caught.value.worth_failover
                assert "does not serve" in caught.value.message
            assert 88001001 in {r.login for r in await group.accounts()}
            assert (await group.account(88001001)).source == "bridge good"
            assert (await group.health()).connected and group.active_name == "bridge good"
        finally:
            await alone.close()
            await group.close()


async def _peak_during(call) -> tuple[BridgeError, float, int]:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        started = time.monotonic()
        with pytest.raises(BridgeError) as caught:
            await call
        elapsed = time.monotonic() - started
        return caught.value, elapsed, tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


async def test_a_gzip_bomb_is_refused_without_unpacking_it() -> None:
    bomb = gzip_bomb(300)
    with HostileServer(bomb) as bad:
        source = RemoteSource("bomb", bad.url, API_KEY)
        try:
            error, elapsed, growth = await _peak_during(source.account(88001001))
            assert error.reason is ErrorReason.BAD_DATA and "over 8 MB" in error.message
            # 300 KB on the wire, 300 MB unpacked: the client holds at most the cap and a chunk.
            assert bomb.compressed_bytes < 400_000  # type: ignore[attr-defined]
            assert growth < 2 * MAX_ANSWER_BYTES + 4 * 2**20, growth
        finally:
            await source.close()


@pytest.mark.parametrize("declare_length", [False, True], ids=["chunked", "content-length"])
async def test_a_huge_body_is_refused_at_the_cap(declare_length: bool) -> None:
    with HostileServer(huge(300, declare_length)) as bad:
        source = RemoteSource("huge", bad.url, API_KEY)
        try:
            error, elapsed, growth = await _peak_during(source.account(88001001))
            assert error.reason is ErrorReason.BAD_DATA and "over 8 MB" in error.message
            assert elapsed < 3.0 and growth < 2 * MAX_ANSWER_BYTES + 4 * 2**20, (elapsed, growth)
        finally:
            await source.close()
