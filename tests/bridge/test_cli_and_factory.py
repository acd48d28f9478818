"""``fidus-bridge serve --demo`` as a process, and building the configured source from settings."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from bridge_link.cached import CachedSource
from bridge_link.errors import BridgeError, ErrorReason
from fidus_desktop.runtime.mt5_sources import build_source
from bridge_link.failover import FailoverSource
from bridge_link.server.cli import main
from fidus_desktop.config import BridgeEndpoint, Mt5Settings
from fidus_desktop.secrets import SecretStore

from .conftest import API_KEY
from .serving import free_port


def test_serve_refuses_to_start_without_a_key(monkeypatch, capsys) -> None:
    monkeypatch.delenv("MT5_BRIDGE_API_KEY", raising=False)
    assert main(["serve", "--demo"]) == 2
    assert "MT5_BRIDGE_API_KEY" in capsys.readouterr().err


def test_fidus_bridge_serve_demo_process() -> None:
    port = free_port()
    env = {**os.environ, "MT5_BRIDGE_API_KEY": API_KEY}
    proc = subprocess.Popen([sys.executable, "-m", "bridge_link.server.cli", "serve", "--demo", "--port", str(port),
                             "--log-level", "warning"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        health = httpx.get(base + "/health").json()
        assert health["status"] == "healthy" and health["mt5_connected"] is True
        assert httpx.get(base + "/api/mt5/accounts/summary").status_code == 401
        summary = httpx.get(base + "/api/mt5/accounts/summary", headers={"X-API-Key": API_KEY}).json()
        assert summary["totals"]["accounts"] == 6 and summary["by_fund_type"]["SEPARATION"]["count"] == 1
    finally:
        proc.terminate()
        output = proc.communicate(timeout=10)[0].decode()
    assert API_KEY not in output


async def test_factory_builds_each_configured_source(tmp_path) -> None:
    secrets = SecretStore()
    demo = build_source(Mt5Settings(source="demo", demo_seed=2), secrets)
    try:
        assert demo.name == "demo terminal" and len(await demo.accounts()) == 6
    finally:
        await demo.close()
    if sys.platform != "win32":  # the MetaTrader5 package exists only on Windows
        with pytest.raises(BridgeError) as caught:
            build_source(Mt5Settings(source="direct"), secrets)
        assert caught.value.reason is ErrorReason.NOT_CONNECTED
    with pytest.raises(BridgeError):
        build_source(Mt5Settings(source="bridge"), secrets)
    secrets.set("bridge-key-1", API_KEY)
    settings = Mt5Settings(source="bridge", bridges=(BridgeEndpoint("vps-1", "http://127.0.0.1:9", "bridge-key-1"),
                                                     BridgeEndpoint("vps-2", "http://127.0.0.1:10", "")))
    from fidus_desktop.storage.cache import LocalCache

    cache = LocalCache(tmp_path / "c.sqlite3")
    await cache.open()
    try:
        source = build_source(settings, secrets, cache)
        assert isinstance(source, CachedSource) and isinstance(source.inner, FailoverSource)
        assert source.active_name == "bridge vps-1"
        assert [m.name for m in source.inner.status()] == ["bridge vps-1", "bridge vps-2"]
        await source.close()
    finally:
        await cache.close()


def test_set_password_puts_an_mt5_password_in_the_bridge_machines_keyring_only(monkeypatch, capsys) -> None:
    import io

    from bridge_link.server.auth import KEYRING_SERVICE
    from bridge_link.server.session import PasswordBook

    monkeypatch.setattr("sys.stdin", io.StringIO("Tr1cky-pass\n"))
    assert main(["set-password", "886557", "--stdin"]) == 0
    out = capsys.readouterr()
    assert "stored" in out.out and "Tr1cky" not in out.out + out.err
    store = SecretStore(service=KEYRING_SERVICE)
    # What the bridge's account switches read: the keyring entry of its own machine.
    assert PasswordBook(store.get)(886557) == "Tr1cky-pass"
    assert main(["set-password", "886557", "--delete"]) == 0
    assert PasswordBook(store.get)(886557) is None
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert main(["set-password", "886557", "--stdin"]) == 2  # nothing given: nothing stored
