"""The first start: the wizard in front of the window, its choices applied before the fund
opens (an empty fund stays empty; the web platform's MongoDB is tested, kept in the keyring and
opened), and the same wizard reachable again from the settings."""

from __future__ import annotations

import asyncio

import pytest

from fidus_desktop.app_context import AppContext
from fidus_desktop.cli import LaunchOptions
from fidus_desktop.paths import AppPaths
from fidus_desktop.services.health import ServiceName, ServiceState
from tests.storage.mongo_fixtures import mongo_server  # noqa: F401
from ui.app import first_start
from ui.main_window import MainWindow

from .conftest import close_window

pytestmark = pytest.mark.gui


@pytest.fixture
def first_window(qtbot, qloop):
    """A new installation's window, its wizard open in front of it."""
    windows = []

    def make():
        context = AppContext.create(AppPaths.default())
        window = MainWindow(context)
        windows.append(window)
        window.show()
        choosing = asyncio.ensure_future(window.first_run())
        qtbot.waitUntil(lambda: window.wizard is not None and window.wizard.isVisible(), timeout=5000)
        return window, choosing

    yield make
    for window in windows:
        close_window(qtbot, window)
        window.deleteLater()


def open_after(qtbot, window, choosing):
    qtbot.waitUntil(choosing.done, timeout=15000)
    window.open_fund(window.context.start())
    qtbot.waitUntil(lambda: window.is_open, timeout=15000)
    qtbot.waitUntil(lambda: not window.tasks.running(), timeout=15000)


def is_empty(qtbot, store) -> bool:
    result = asyncio.ensure_future(store.is_empty())
    qtbot.waitUntil(result.done, timeout=5000)
    return result.result()


def test_a_new_installation_asks_first_and_a_demo_or_smoke_run_never(tmp_path):
    paths = AppPaths.under(tmp_path / "new")
    assert first_start(paths, LaunchOptions())
    assert not first_start(paths, LaunchOptions(demo=True)) and not first_start(paths, LaunchOptions(smoke=True))
    paths.ensure()
    paths.fund_db.write_bytes(b"")  # a fund from an earlier version, without settings
    assert not first_start(paths, LaunchOptions())


def test_an_empty_fund_on_this_computer_starts_empty(qtbot, first_window):
    window, choosing = first_window()
    wizard = window.wizard
    wizard.start_buttons["empty"].click()
    wizard.next_button.click()       # -> MT5
    wizard.skip_button.click()       # -> Google (the demo terminal)
    wizard.next_button.click()       # -> summary
    assert "starting empty" in wizard.summary.text()
    wizard.next_button.click()       # Finish
    open_after(qtbot, window, choosing)
    assert not window.context.settings.storage.demo_on_first_run
    assert window.context.store is not None and is_empty(qtbot, window.context.store)
    assert not window.context.demo_loaded
    assert not any("restart" in m for m in window.banners.messages())


def test_closing_the_wizard_starts_on_the_demo_fund(qtbot, first_window):
    window, choosing = first_window()
    window.wizard.close()
    open_after(qtbot, window, choosing)
    assert window.context.demo_loaded and not is_empty(qtbot, window.context.store)


def test_the_web_platforms_mongodb_is_tested_kept_in_the_keyring_and_opened(qtbot, first_window, mongo_server,
                                                                             isolated_home):
    window, choosing = first_window()
    wizard = window.wizard
    wizard.start_buttons["mongodb"].click()
    wizard.next_button.click()
    wizard.uri.setText("mongodb://127.0.0.1:9/?directConnection=true&serverSelectionTimeoutMS=500")
    wizard.database.setText("fidus_first_run")
    wizard.next_button.click()       # tests first: refused, stays on the step
    qtbot.waitUntil(lambda: wizard.next_button.isEnabled(), timeout=20000)
    assert wizard.wizard.step.value == "mongodb" and "Cannot reach" in wizard.uri_result.text()
    wizard.uri.setText(mongo_server.uri)
    wizard.next_button.click()       # tested, then on to MT5
    qtbot.waitUntil(lambda: wizard.wizard.step.value == "mt5", timeout=20000)
    wizard.close()                   # the rest later
    open_after(qtbot, window, choosing)
    assert isolated_home.store[("fidus-desktop", "mongodb-uri")] == mongo_server.uri
    assert mongo_server.uri not in window.context.paths.settings_file.read_text(encoding="utf-8")
    assert window.context.store is not None and window.context.store.kind == "mongodb"
    assert window.context.health.get(ServiceName.DATABASE).state is ServiceState.ONLINE


def test_the_wizard_is_reachable_again_from_the_settings(qtbot, make_window):
    window = make_window()
    window.open_settings()
    qtbot.waitUntil(lambda: window.settings_dialog is not None and window.settings_dialog.ready, timeout=5000)
    dialog = window.settings_dialog
    dialog.wizard_button.click()
    qtbot.waitUntil(lambda: window.wizard is not None and window.wizard.isVisible(), timeout=5000)
    assert not dialog.isVisible() and not window.wizard.wizard.first_run
    window.wizard.mt5_buttons["bridge"].setChecked(True)
    window.wizard.skip_button.click()   # keep the fund where it is
    window.wizard.next_button.click()   # MT5: bridges
    row = window.wizard.bridge_list.rows[0]
    row.name.setText("vps")
    row.url.setText("https://vps.example.net")
    row.key.setText("k" * 20)
    window.wizard.next_button.click()   # -> Google
    window.wizard.next_button.click()   # -> summary
    window.wizard.next_button.click()   # Finish
    qtbot.waitUntil(lambda: window.context.settings.mt5.source == "bridge", timeout=5000)
    assert window.context.settings.mt5.bridges[0].api_key_secret == "bridge-vps-key"
