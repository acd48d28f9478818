"""The settings dialog as the manager uses it: every option is there with its description, each
kind of setting is edited and saved (secrets to the test keyring only, never the file), the
MongoDB address is tested off the window's thread and a bad one saves nothing."""

from __future__ import annotations

import dataclasses
import threading
import typing

import pytest
from PySide6.QtWidgets import QApplication
from PySide6.QtGui import QPalette

from fidus_desktop import config
from fidus_desktop.config import Settings, describe, load_settings
from fidus_desktop.setup import checks
from ui.settings.dialog import STATE_FIELDS
from ui.theme import apply_theme

pytestmark = pytest.mark.gui

KEY_1, KEY_2 = "first-bridge-key-0123456789", "second-bridge-key-0123456789"
URI_PASSWORD = "Ma1n-Fund-s3cret"


@pytest.fixture(autouse=True)
def light_again(qapp):
    yield
    apply_theme(qapp, "light")  # the application outlives the test


def leaves(cls: type, prefix: str = "") -> set[str]:
    hints = typing.get_type_hints(cls)
    found: set[str] = set()
    for f in dataclasses.fields(cls):
        if not f.metadata.get("saved", True):
            continue  # session state, never in the file nor in the dialog
        if dataclasses.is_dataclass(hints[f.name]):
            found |= leaves(hints[f.name], f"{prefix}{f.name}.")
        else:
            found.add(prefix + f.name)
    return found


def open_dialog(qtbot, window, page="storage"):
    window.open_settings(page)
    qtbot.waitUntil(lambda: window.settings_dialog is not None and window.settings_dialog.ready, timeout=5000)
    return window.settings_dialog


def keyring_values(ring) -> dict[str, str]:
    return {name: value for (service, name), value in ring.store.items() if service == "fidus-desktop"}


def test_every_option_is_in_the_dialog_with_its_description(qtbot, make_window):
    window = make_window()
    dialog = open_dialog(qtbot, window)
    assert leaves(Settings) - STATE_FIELDS - dialog.covered() == set()  # builds every page
    for page in dialog.pages.values():
        for key, editor in page.editors.items():
            assert editor.description.text() == describe(editor.owner, editor.name) != "", key
    dialog.reject()


def test_each_kind_of_setting_is_edited_and_saved_with_secrets_in_the_keyring_only(qtbot, make_window, isolated_home):
    window = make_window()
    dialog = open_dialog(qtbot, window)
    storage, mt5 = dialog.page("storage"), dialog.page("mt5")
    storage.editors["fund_name"].widget.setText("Fondo Atlántico")                     # text
    combo = mt5.editors["mt5.source"].widget                                           # a choice
    combo.setCurrentIndex(combo.findData("bridge"))
    dst = mt5.editors["mt5.server_dst"].widget
    dst.setCurrentIndex(dst.findData("us"))
    mt5.editors["mt5.server_utc_offset"].widget.setValue(3.0)                          # a number
    for name, url, key in (("VPS 1", "https://vps1.example.net", KEY_1), ("VPS 2", "http://10.0.0.2:8000", KEY_2)):
        mt5.bridges.add_button.click()
        row = mt5.bridges.rows[-1]
        row.name.setText(name)
        row.url.setText(url)
        row.key.setText(key)                                                          # secrets
    mt5.bridges.rows[1].up.click()                                                     # the order
    dialog.page("alerts").editors["alerts.notify"].widget.setChecked(False)            # a switch
    theme = dialog.page("appearance").editors["ui.theme"].widget
    theme.setCurrentIndex(theme.findData("dark"))
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    settings = window.context.settings
    assert settings.fund_name == "Fondo Atlántico" and window.windowTitle().endswith("Fondo Atlántico")
    assert (settings.mt5.source, settings.mt5.server_dst, settings.mt5.server_utc_offset) == ("bridge", "us", 3.0)
    assert [b.name for b in settings.mt5.bridges] == ["VPS 2", "VPS 1"]
    assert not settings.alerts.notify and settings.ui.theme == "dark"
    assert load_settings(window.context.paths.settings_file)[0] == settings
    assert keyring_values(isolated_home) == {"bridge-vps-2-key": KEY_2, "bridge-vps-1-key": KEY_1}
    text = window.context.paths.settings_file.read_text(encoding="utf-8")
    assert KEY_1 not in text and KEY_2 not in text
    # applied without a restart: the dark theme is on, the MT5 monitor rebuilds on the bridges
    assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 60
    assert not any("restart" in m for m in window.banners.messages())


def test_a_bad_mongodb_address_is_tested_off_the_window_and_nothing_is_saved(qtbot, make_window, isolated_home,
                                                                              monkeypatch):
    threads = []
    real = checks.check_store_blocking

    def spy(*args, **kwargs):
        threads.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(checks, "check_store_blocking", spy)
    window = make_window()
    before = window.context.paths.settings_file.read_bytes() if window.context.paths.settings_file.exists() else b""
    dialog = open_dialog(qtbot, window)
    storage = dialog.page("storage")
    backend = storage.editors["storage.backend"].widget
    backend.setCurrentIndex(backend.findData("mongodb"))
    storage.editors["storage.timeout_seconds"].widget.setValue(0.5)
    storage.uri.setText(f"mongodb://manager:{URI_PASSWORD}@127.0.0.1:9/?directConnection=true")
    dialog.save_button.click()
    assert "Testing the MongoDB address" in dialog.status.text()
    qtbot.waitUntil(lambda: dialog.save_button.isEnabled(), timeout=20000)
    assert dialog.isVisible() and dialog.status.objectName() == "checkFailed"
    assert "Not saved" in dialog.status.text() and URI_PASSWORD not in dialog.status.text()
    assert storage.uri.text().endswith("directConnection=true")  # the input stays as typed
    assert threads and all(t is not threading.main_thread() for t in threads)
    assert window.context.settings.storage.backend == "sqlite" and keyring_values(isolated_home) == {}
    after = window.context.paths.settings_file.read_bytes() if window.context.paths.settings_file.exists() else b""
    assert after == before
    dialog.reject()


def test_a_field_the_rules_refuse_is_marked_and_its_page_shown(qtbot, make_window):
    window = make_window()
    dialog = open_dialog(qtbot, window, page="appearance")
    mt5 = dialog.page("mt5")
    source = mt5.editors["mt5.source"].widget
    source.setCurrentIndex(source.findData("bridge"))
    mt5.bridges.add_button.click()
    mt5.bridges.rows[0].url.setText("vps1.example.net")  # no scheme, no key
    dialog.apply_button.click()
    qtbot.waitUntil(lambda: dialog.apply_button.isEnabled(), timeout=5000)
    assert dialog.nav.currentRow() == 1  # the MT5 page
    assert "http://host:port" in mt5.bridges.rows[0].result.text()
    assert window.context.settings.mt5.source == "demo"
    dialog.reject()


def test_every_field_has_a_description_in_the_config():
    for name in leaves(Settings):
        section, _, field = name.rpartition(".")
        owner = typing.get_type_hints(Settings)[section] if section else Settings
        assert describe(owner, field), name
    for owner in (config.BridgeEndpoint, config.AlertRule):
        for f in dataclasses.fields(owner):
            assert describe(owner, f.name), f"{owner.__name__}.{f.name}"
