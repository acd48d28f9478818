"""End to end on loopback: bridge servers (demo) <-> remote source, failover, faulty bridges."""

from __future__ import annotations

import asyncio
import time

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response

from bridge_link.errors import BridgeError, ErrorReason
from bridge_link.failover import FailoverSource
from bridge_link.remote import RemoteSource
from bridge_link.server.app import create_app
from bridge_link.server.build import ServeOptions, build_session

from .conftest import API_KEY
from .serving import BackgroundServer


def demo_bridge(port: int | None = None) -> BackgroundServer:
    session = build_session(ServeOptions(demo=True, seed=1, snapshot_ttl=0.2, request_timeout=3.0))
    return BackgroundServer(create_app(session, API_KEY), port).start()


def remote(server: BackgroundServer, name: str, **kw) -> RemoteSource:
    kw.setdefault("connect_timeout", 0.5)
    kw.setdefault("read_timeout", 2.0)
    kw.setdefault("retry_base", 0.02)
    return RemoteSource(name, server.url, kw.pop("api_key", API_KEY), **kw)


def faulty_bridge(mode: dict[str, str]) -> BackgroundServer:
    """A bridge that misbehaves as ``mode["kind"]`` says: slow, 500, garbage, wrong_account, ok_shape."""
    app = FastAPI()

    @app.get("/api/v1/{rest:path}")
    async def anything(rest: str):
        kind = mode["kind"]
        if kind == "slow":
            await asyncio.sleep(0.8)
            return JSONResponse({})
        if kind == "500":
            return JSONResponse({"error": "Internal server error"}, status_code=500)
        if kind == "garbage":
            return Response(b'{"login": 88001001, "balance": "12', media_type="application/json")
        if kind == "nan":
            return Response(b'{"login": 88001001, "balance": "NaN"}', media_type="application/json")
        return JSONResponse({"detail": "nope"}, status_code=404)

    return BackgroundServer(app).start()


async def test_remote_source_reads_the_demo_bridge_and_needs_the_key() -> None:
    with demo_bridge() as server:
        good = remote(server, "vps-1")
        bad = remote(server, "vps-1", api_key="not-the-key-000000")
        try:
            health = await good.health()
            assert health.connected and health.source == "bridge vps-1"
            refs = await good.accounts()
            assert 88001002 in {r.login for r in refs}
            account = await good.account(88001002)
            assert account.login == 88001002 and account.source == "bridge vps-1"
            positions = await good.positions(88001002)
            assert positions.login == 88001002
            with pytest.raises(BridgeError) as refused:
                await bad.account(88001002)
            assert refused.value.reason is ErrorReason.AUTH_FAILED
            assert (await bad.health()).reason is ErrorReason.AUTH_FAILED
            with pytest.raises(BridgeError) as missing:
                await good.account(4242)
            assert missing.value.reason is ErrorReason.NOT_FOUND
        finally:
            await good.close()
            await bad.close()


async def test_failover_when_the_primary_dies_mid_poll_and_back() -> None:
    primary, secondary = demo_bridge(), demo_bridge()
    group = FailoverSource([remote(primary, "vps-1"), remote(secondary, "vps-2")], probe_interval=0.2,
                           open_initial=0.3, recover_probes=2)
    try:
        assert (await group.account(88001001)).source == "bridge vps-1"
        stop = asyncio.get_running_loop().run_in_executor(None, primary.stop)
        killed_at = time.monotonic()
        switched_at = None
        for _ in range(60):  # a poll loop; no call may fail while the secondary answers
            snap = await group.account(88001003)
            await group.positions(88001003)
            if snap.source == "bridge vps-2" and switched_at is None:
                switched_at = time.monotonic()
            if switched_at and stop.done():
                break
            await asyncio.sleep(0.02)
        await stop
        assert switched_at is not None and switched_at - killed_at < 2.0
        assert group.active_name == "bridge vps-2"
        assert (await group.account(88001003)).source == "bridge vps-2"  # sticks to the healthy one
        assert {s.name: s.breaker for s in group.status()}["bridge vps-1"] != "closed"

        primary = demo_bridge(primary.port)  # the primary is back on its address
        deadline = time.monotonic() + 5
        while group.active_name != "bridge vps-1" and time.monotonic() < deadline:
            await group.account(88001003)
            await asyncio.sleep(0.05)
        assert group.active_name == "bridge vps-1"
        assert (await group.account(88001003)).source == "bridge vps-1"
    finally:
        await group.close()
        primary.stop()
        secondary.stop()


@pytest.mark.parametrize("kind", ["slow", "500", "garbage", "nan"])
async def test_a_faulty_bridge_is_an_error_then_failover(kind: str) -> None:
    mode = {"kind": kind}
    with faulty_bridge(mode) as broken, demo_bridge() as healthy:
        alone = remote(broken, "bad", read_timeout=0.3)
        group = FailoverSource([remote(broken, "bad", read_timeout=0.3), remote(healthy, "good")],
                               probe_interval=10)
        try:
            with pytest.raises(BridgeError) as caught:
                await alone.account(88001001)
            expected = {"slow": ErrorReason.TIMEOUT, "500": ErrorReason.BAD_DATA,
                        "garbage": ErrorReason.BAD_DATA, "nan": ErrorReason.BAD_DATA}[kind]
            assert caught.value.reason is expected
            started = time.monotonic()
            snap = await group.account(88001001)
            assert snap.source == "bridge good" and time.monotonic() - started < 2.0
            assert not (await alone.health()).connected
        finally:
            await alone.close()
            await group.close()


async def test_retries_are_bounded_when_nothing_listens() -> None:
    from .serving import free_port

    source = RemoteSource("gone", f"http://127.0.0.1:{free_port()}", API_KEY, connect_timeout=0.3, retries=2,
                          retry_base=0.01)
    try:
        started = time.monotonic()
        with pytest.raises(BridgeError) as caught:
            await source.account(88001001)
        assert caught.value.reason is ErrorReason.NOT_CONNECTED and time.monotonic() - started < 1.0
    finally:
        await source.close()
