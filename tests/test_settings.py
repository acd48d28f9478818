"""The settings file: atomic writes, round trips, and forgiving what a person typed by hand."""

from __future__ import annotations

import json
import os

import pytest

from fidus_desktop import settings_check
from fidus_desktop.app_context import AppContext, open_context
from fidus_desktop.config import (BridgeEndpoint, ConfigError, Mt5Settings, Settings, StorageSettings, UiSettings,
                                  load_settings, save_settings, settings_from_dict)
from fidus_desktop.paths import AppPaths
from fidus_desktop.services.health import ServiceName, ServiceState


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
    assert "unreadable" not in path.read_text(encoding="utf-8")  # session state never reaches the file


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


def write(path, text: str, encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))


# ---- a file that cannot be parsed: kept, located, and no fund guessed -------------------------


def test_a_half_written_file_is_kept_in_place_and_no_fund_is_guessed(tmp_path):
    path = tmp_path / "settings.json"
    write(path, '{"fund_name": "Half written')
    settings, warning = load_settings(path)
    assert "line 1, column 15" in warning and "opened none rather than guess" in warning
    assert settings.storage.unreadable == warning
    with pytest.raises(ConfigError, match="line 1, column 15"):
        settings.storage.require_known()
    assert path.read_text(encoding="utf-8") == '{"fund_name": "Half written'
    save_settings(settings, path)  # what closing the window does: never over the unread file
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]
    assert path.read_text(encoding="utf-8") == '{"fund_name": "Half written'


def test_windows_backslashes_are_located_and_explained_and_the_mongodb_fund_is_not_swapped():
    paths = AppPaths.default().ensure()
    text = ('{\n  "storage": {"backend": "mongodb"},\n'
            '  "mt5": {"terminal_path": "C:\\Program Files\\MetaTrader 5\\terminal64.exe"}\n}')
    write(paths.settings_file, text)
    context = AppContext.create(paths)
    [warning] = context.startup_warnings
    assert "line 3, column 31" in warning and 'write Windows paths with "/"' in warning

    async def opened():
        opened = await open_context(paths)
        await opened.close()
        return opened

    import asyncio
    database = asyncio.run(opened()).health.get(ServiceName.DATABASE)
    # Before: the file was moved aside and the embedded demo fund opened as if it were the fund.
    assert database.state is ServiceState.NOT_CONFIGURED and "line 3, column 31" in database.detail
    assert not paths.fund_db.exists()
    assert paths.settings_file.read_text(encoding="utf-8") == text


def test_a_byte_order_mark_is_fine(tmp_path):
    path = tmp_path / "settings.json"
    write(path, json.dumps({"fund_name": "José's Fund", "storage": {"backend": "mongodb"}}), "utf-8-sig")
    settings, warning = load_settings(path)
    assert warning is None
    assert (settings.fund_name, settings.storage.backend) == ("José's Fund", "mongodb")


@pytest.mark.parametrize("text, said", [
    ("[1, 2, 3]", "one JSON object"),              # was AttributeError in config.py
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),  # was RecursionError
    ('{"mt5": {"login": ' + "9" * 5000 + "}}", "cannot be read"),  # beyond Python's int parsing limit
    ("\xff\xfe{}", "line 1, column 1"),  # read as UTF-16 (Notepad's "Unicode"): no JSON in it
])
def test_a_file_that_is_no_settings_object_never_stops_the_app(tmp_path, text, said):
    path = tmp_path / "settings.json"
    path.write_bytes(text.encode("latin-1") if text.startswith("\xff") else text.encode())
    settings, warning = load_settings(path)
    assert said in warning and settings.storage.unreadable


def test_a_newer_file_is_kept_and_not_guessed_at(tmp_path):
    path = tmp_path / "settings.json"
    write(path, json.dumps({"config_version": 99, "fund_name": "From the future"}))
    settings, warning = load_settings(path)
    assert "newer FIDUS Desktop" in warning and settings.storage.unreadable
    assert json.loads(path.read_text(encoding="utf-8"))["config_version"] == 99


# ---- field by field: keep what is valid, reset what is not, say which -------------------------


def test_one_wrong_field_resets_only_itself_and_the_storage_choice_survives(tmp_path):
    path = tmp_path / "settings.json"
    write(path, json.dumps({
        "fund_name": "Kept Fund",
        "storage": {"backend": "mongodb", "mongo_database": "fund_x", "timeout_seconds": "fast"},
        "mt5": {"source": "bridge", "poll_seconds": float("nan"), "server_dst": "us",
                "bridges": [{"name": "VPS-1", "url": "https://vps1"}, "VPS-2", {"name": "VPS-3"}],
                "accounts": [123, -4, True, 456]},
        "alerts": {"drawdown_percent": 1e309},  # JSON "Infinity" once parsed
        "ui": "maximised",
    }))
    settings, warning = load_settings(path)
    # Before: one wrong field threw the whole file away, and the app opened the embedded fund.
    assert (settings.storage.backend, settings.storage.mongo_database) == ("mongodb", "fund_x")
    assert settings.storage.unreadable == "" and settings.fund_name == "Kept Fund"
    assert settings.storage.timeout_seconds == 8.0
    assert settings.mt5.poll_seconds == 5.0  # was NaN, then ValueError in the MT5 panel
    assert (settings.mt5.source, settings.mt5.server_dst) == ("bridge", "us")
    assert settings.mt5.bridges == (BridgeEndpoint("VPS-1", "https://vps1"),)
    assert settings.mt5.accounts == (123, 456)
    assert settings.alerts.drawdown_percent == 10.0 and settings.ui == UiSettings()
    for named in ("storage.timeout_seconds", "mt5.poll_seconds", "mt5.bridges[1]", "mt5.bridges[2]",
                  "mt5.accounts[1]", "mt5.accounts[2]", "alerts.drawdown_percent", "ui:"):
        assert named in warning, named
    assert "Every other setting was kept" in warning


@pytest.mark.parametrize("storage", [
    {"backend": "postgres"},
    {"backend": {"$gt": ""}},
    {"backend": "sqlite", "sqlite_path": "C:\temp\fund.sqlite3"},  # "\t" and "\f" as JSON reads them
    {"backend": "mongodb", "mongo_uri_secret": 7},
])
def test_an_unreadable_storage_choice_is_never_replaced_by_the_default(tmp_path, storage):
    path = tmp_path / "settings.json"
    write(path, json.dumps({"storage": storage}))
    settings, warning = load_settings(path)
    assert settings.storage.unreadable and "opened none rather than guess" in warning


def test_a_number_of_hundreds_of_digits_resets_its_setting(tmp_path):
    # Found by the fuzz suite: OverflowError converting it to a float.
    path = tmp_path / "settings.json"
    write(path, '{"storage": {"timeout_seconds": 1' + "0" * 400 + "}}")
    settings, warning = load_settings(path)
    assert settings.storage.timeout_seconds == 8.0 and "storage.timeout_seconds" in warning


def test_a_tab_in_a_path_is_explained(tmp_path):
    path = tmp_path / "settings.json"
    write(path, '{"mt5": {"terminal_path": "C:\\temp\\terminal64.exe"}}')
    settings, warning = load_settings(path)
    assert settings.mt5.terminal_path == "" and "mt5.terminal_path: holds a tab" in warning
    assert "write the path with /" in warning


def test_forward_slashes_are_accepted_in_windows_paths(tmp_path, monkeypatch):
    monkeypatch.setattr(settings_check, "WINDOWS", True)
    settings, problems = settings_from_dict({"mt5": {"terminal_path": "C:/Program Files/MetaTrader 5/terminal64.exe"},
                                             "storage": {"sqlite_path": "D:/Funds/fund.sqlite3"}})
    assert problems == []
    assert settings.mt5.terminal_path == "C:\\Program Files\\MetaTrader 5\\terminal64.exe"
    assert settings.storage.sqlite_path == "D:\\Funds\\fund.sqlite3"


def test_saving_over_a_file_with_invalid_values_keeps_it_aside(tmp_path):
    path = tmp_path / "settings.json"
    write(path, json.dumps({"mt5": {"poll_seconds": "often"}}))
    settings, _ = load_settings(path)
    aside = save_settings(settings, path)
    assert aside is not None and json.loads(aside.read_text(encoding="utf-8")) == {"mt5": {"poll_seconds": "often"}}
    assert load_settings(path) == (settings, None)
    assert save_settings(settings, path) is None  # a clean file is simply replaced


def test_context_surfaces_the_warning_and_saves_window_state_atomically():
    paths = AppPaths.default().ensure()
    paths.settings_file.write_text('{"mt5": {"poll_seconds": -1}}', encoding="utf-8")
    context = AppContext.create(paths)
    assert any("mt5.poll_seconds" in w for w in context.startup_warnings)
    context.update_ui_settings(last_panel="health", window_geometry="Zm9v")
    reloaded = AppContext.create(paths)
    assert reloaded.startup_warnings == []
    assert (reloaded.settings.ui.last_panel, reloaded.settings.ui.window_geometry) == ("health", "Zm9v")


def test_an_account_interval_without_a_login_is_left_out_not_read_as_account_0():
    from fidus_desktop.settings_check import read_settings

    settings, problems = read_settings({"mt5": {"account_intervals": [{}, {"seconds": 2}, {"login": 88001001,
                                                                                          "seconds": 2}]}})
    assert [(i.login, i.seconds) for i in settings.mt5.account_intervals] == [(88001001, 2.0)]
    assert problems  # the two left out are said
