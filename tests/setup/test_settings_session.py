"""The settings dialog's flow without the dialog: every kind of setting edited and saved,
secrets to the keyring only, MongoDB addresses tested off the loop's thread before they are
saved, bridges tested with their key, and the change announced."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bridge_link.server.app import create_app
from bridge_link.server.build import ServeOptions, build_session
from fidus_desktop.app_context import AppContext
from fidus_desktop.config import load_settings
from fidus_desktop.errors import ValidationError
from fidus_desktop.events import EventType
from fidus_desktop.paths import AppPaths
from fidus_desktop.setup import checks
from fidus_desktop.setup.session import SettingsSession
from tests.bridge.serving import BackgroundServer

KEY = "bridge-key-0123456789abcdef"
URI_PASSWORD = "Sup3r-s3cret-pw"


@pytest.fixture
def context(tmp_path):
    return AppContext.create(AppPaths.under(tmp_path / "home"))


def keyring_values(ring) -> dict[str, str]:
    return {name: value for (service, name), value in ring.store.items() if service == "fidus-desktop"}


async def test_each_kind_of_setting_is_saved_and_secrets_go_to_the_keyring_only(context, isolated_home):
    session = SettingsSession(context, terminals=lambda: ())
    await session.load()
    seen = []
    context.events.subscribe(EventType.SETTINGS_CHANGED, seen.append)
    session.edit(fund_name="Fondo Uno")                                   # text
    session.edit("mt5", source="bridge", server_dst="us", server_utc_offset=3.0, poll_seconds=2.5)  # choices, numbers
    session.edit("alerts", notify=False)                                 # a switch
    session.edit("ui", theme="dark")
    session.set_bridges([("VPS 1", "https://vps1.example.net", "", KEY), ("VPS 2", "http://10.0.0.2:8000", "", KEY + "2")])
    change = await session.save()
    saved, _ = load_settings(context.paths.settings_file)
    assert saved == context.settings == session.settings
    assert (saved.fund_name, saved.mt5.source, saved.mt5.server_dst, saved.mt5.server_utc_offset,
            saved.alerts.notify, saved.ui.theme) == ("Fondo Uno", "bridge", "us", 3.0, False, "dark")
    assert [b.api_key_secret for b in saved.mt5.bridges] == ["bridge-vps-1-key", "bridge-vps-2-key"]
    assert keyring_values(isolated_home) == {"bridge-vps-1-key": KEY, "bridge-vps-2-key": KEY + "2"}
    text = context.paths.settings_file.read_text(encoding="utf-8")
    assert KEY not in text
    assert seen == [change] and change.touches("mt5", "fund_name", "alerts", "ui") and not change.restart_needed


async def test_a_new_key_alone_restarts_the_mt5_source_and_a_removed_bridge_forgets_its_key(context, isolated_home):
    session = SettingsSession(context, terminals=lambda: ())
    session.edit("mt5", source="bridge")
    session.set_bridges([("a", "https://a.example", "", KEY), ("b", "https://b.example", "", KEY)])
    await session.save()
    seen = []
    context.events.subscribe(EventType.SETTINGS_CHANGED, seen.append)
    again = SettingsSession(context, terminals=lambda: ())
    await again.load()
    again.set_secret("bridge-a-key", KEY + "new")
    change = await again.save()
    assert seen and change.touches("mt5") and change.secrets == {"bridge-a-key"}
    third = SettingsSession(context, terminals=lambda: ())
    await third.load()
    third.set_bridges([("a", "https://a.example", "bridge-a-key", "")])
    await third.save()
    assert set(keyring_values(isolated_home)) == {"bridge-a-key"}


async def test_incomplete_settings_are_refused_with_their_fields_and_nothing_is_saved(context, isolated_home):
    session = SettingsSession(context, terminals=lambda: ())
    session.edit("mt5", source="bridge")
    session.set_bridges([("", "ftp://x", "", "")])
    session.edit("storage", backend="mongodb")
    with pytest.raises(ValidationError) as caught:
        await session.save()
    assert {"mt5.bridges[0].name", "mt5.bridges[0].url", "mt5.bridges[0].api_key", "storage.mongo_uri"} <= set(
        caught.value.fields)
    assert not context.paths.settings_file.exists() and keyring_values(isolated_home) == {}


async def test_a_bad_mongodb_address_is_tested_off_the_loop_and_nothing_is_saved(context, isolated_home, monkeypatch):
    threads = []
    real = checks.check_store_blocking

    def spy(*args, **kwargs):
        threads.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(checks, "check_store_blocking", spy)
    session = SettingsSession(context, terminals=lambda: ())
    session.edit("storage", backend="mongodb", timeout_seconds=0.5)
    session.set_mongo_uri(f"mongodb://manager:{URI_PASSWORD}@127.0.0.1:9/?directConnection=true")
    with pytest.raises(ValidationError) as caught:
        await session.save()
    assert threads and threads[0] is not threading.main_thread() and threads[0].name.startswith("fidus-io")
    assert "storage.mongo_uri" in caught.value.fields and URI_PASSWORD not in caught.value.message
    assert not context.paths.settings_file.exists() and keyring_values(isolated_home) == {}
    assert context.settings.storage.backend == "sqlite"


async def test_the_loop_keeps_turning_while_a_mongodb_address_is_tested(context):
    session = SettingsSession(context, terminals=lambda: ())
    session.edit("storage", timeout_seconds=1.0)
    ticks = 0

    async def heartbeat():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.02)
            ticks += 1

    beat = asyncio.create_task(heartbeat())
    try:
        result = await session.test_mongodb("mongodb://10.255.255.1:27017/?directConnection=true")
    finally:
        beat.cancel()
    assert not result.ok and ticks >= 20  # about a second of heartbeats while the test waited


async def test_a_good_mongodb_address_is_kept_in_the_keyring_and_needs_a_restart(context, isolated_home, mongo_server):
    session = SettingsSession(context, terminals=lambda: ())
    session.edit("storage", backend="mongodb", mongo_database="fidus_settings_test")
    session.set_mongo_uri(mongo_server.uri)
    result = await session.test_mongodb()
    assert result.ok and "Connected" in result.message
    change = await session.save()
    assert keyring_values(isolated_home) == {"mongodb-uri": mongo_server.uri}
    assert change.restart_needed and context.settings.storage.backend == "mongodb"
    assert mongo_server.uri not in context.paths.settings_file.read_text(encoding="utf-8")


async def test_a_bridge_is_tested_with_its_key(context):
    server = BackgroundServer(create_app(build_session(ServeOptions(demo=True)), KEY)).start()
    try:
        session = SettingsSession(context, terminals=lambda: ())
        session.edit("mt5", source="bridge")
        session.set_bridges([("vps", server.url, "", KEY), ("wrong", server.url, "", "x" * 20),
                             ("dead", "http://127.0.0.1:9", "", KEY)])
        ok, refused, dead = [await session.test_bridge(i) for i in range(3)]
    finally:
        server.stop()
    assert ok.ok and "MT5 connected" in ok.message and "6 account(s)" in ok.message
    assert not refused.ok and "refused our API key" in refused.message
    assert not dead.ok and "cannot be reached" in dead.message


async def test_changes_saved_elsewhere_meanwhile_are_kept(context):
    session = SettingsSession(context, terminals=lambda: ())
    session.edit("mt5", poll_seconds=9.0)
    context.update_ui_settings(last_panel="health")   # the window saved its state meanwhile
    await session.save()
    assert context.settings.mt5.poll_seconds == 9.0 and context.settings.ui.last_panel == "health"
