"""The settings file: atomic writes, round trips, and refusing what it cannot trust."""

from __future__ import annotations

import json
import os

import pytest

from fidus_desktop.app_context import AppContext
from fidus_desktop.config import (BridgeEndpoint, ConfigError, Mt5Settings, Settings, StorageSettings, UiSettings,
                                  load_settings, save_settings, settings_from_dict)
from fidus_desktop.paths import AppPaths


def custom_settings() -> Settings:
    return Settings(
        fund_name="Test Fund",
        storage=StorageSettings(backend="mongodb", mongo_database="fund_x", timeout_seconds=2.5),
        mt5=Mt5Settings(source="bridge", bridges=(BridgeEndpoint("VPS-1", "https://vps1.example.net", "key-1"),
                                                  BridgeEndpoint("VPS-2", "https://vps2.example.net"))),
        ui=UiSettings(window_geometry="AdnQywAD", last_panel="mt5"))


def test_round_trip_keeps_every_value(tmp_path):
    path = tmp_path / "settings.json"
    save_settings(custom_settings(), path)
    loaded, warning = load_settings(path)
    assert warning is None and loaded == custom_settings()


def test_missing_file_means_defaults_without_warning(tmp_path):
    assert load_settings(tmp_path / "absent.json") == (Settings(), None)


def test_failed_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "settings.json"
    save_settings(Settings(fund_name="Before"), path)

    def disk_full(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError):
        save_settings(Settings(fund_name="After"), path)
    monkeypatch.undo()
    assert load_settings(path)[0].fund_name == "Before"
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]  # no temp file left behind


def test_unreadable_file_is_moved_aside_with_a_warning(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text('{"fund_name": "Half written', encoding="utf-8")
    settings, warning = load_settings(path)
    assert settings == Settings()
    assert warning and "could not be read" in warning
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("settings.json.unreadable-")]
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == '{"fund_name": "Half written'
    assert not path.exists()


def test_newer_version_is_refused_and_kept(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"config_version": 99, "fund_name": "From the future"}), encoding="utf-8")
    with pytest.raises(ConfigError, match="newer"):
        settings_from_dict(json.loads(path.read_text(encoding="utf-8")))
    settings, warning = load_settings(path)
    assert settings == Settings() and "newer" in warning
    assert any(p.name.startswith("settings.json.unreadable-") for p in tmp_path.iterdir())


@pytest.mark.parametrize("data, where", [
    ({"storage": {"timeout_seconds": "fast"}}, "settings.storage.timeout_seconds"),
    ({"storage": {"backend": "postgres"}}, "settings.storage.backend"),
    ({"mt5": {"poll_seconds": True}}, "settings.mt5.poll_seconds"),
    ({"ui": "maximised"}, "settings.ui"),
])
def test_wrong_types_are_refused_naming_the_setting(data, where):
    with pytest.raises(ConfigError, match=where.replace(".", r"\.")):
        settings_from_dict(data)


def test_context_surfaces_the_warning_and_saves_window_state_atomically():
    paths = AppPaths.default().ensure()
    paths.settings_file.write_text("not json", encoding="utf-8")
    context = AppContext.create(paths)
    assert any("could not be read" in w for w in context.startup_warnings)
    context.update_ui_settings(last_panel="health", window_geometry="Zm9v")
    reloaded = AppContext.create(paths)
    assert not any("could not be read" in w for w in reloaded.startup_warnings)
    assert (reloaded.settings.ui.last_panel, reloaded.settings.ui.window_geometry) == ("health", "Zm9v")
