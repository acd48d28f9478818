"""``fidus-desktop secret``: keys and passwords go to the keyring and are never printed."""

from __future__ import annotations

import io

from fidus_desktop.cli import main
from fidus_desktop.config import BridgeEndpoint, Mt5Settings, Settings, save_settings
from fidus_desktop.paths import AppPaths


def test_set_list_and_delete_a_bridge_key(monkeypatch, capsys, isolated_home):
    paths = AppPaths.default().ensure()
    save_settings(Settings(mt5=Mt5Settings(source="bridge", bridges=(
        BridgeEndpoint("vps1", "https://vps1.example.net", "bridge-vps1-key"),))), paths.settings_file)

    monkeypatch.setattr("sys.stdin", io.StringIO("k3y-for-the-primary-vps\n"))
    assert main(["secret", "set", "bridge-vps1-key", "--stdin"]) == 0
    assert isolated_home.get_password("fidus-desktop", "bridge-vps1-key") == "k3y-for-the-primary-vps"

    assert main(["secret", "list"]) == 0
    listing = capsys.readouterr().out
    assert "bridge-vps1-key" in listing and "API key of bridge vps1" in listing
    assert "k3y-for-the-primary-vps" not in listing
    assert "mongodb-uri" in listing and "not set" in listing
    assert "k3y-for-the-primary-vps" not in paths.settings_file.read_text()

    assert main(["secret", "delete", "bridge-vps1-key"]) == 0
    assert isolated_home.get_password("fidus-desktop", "bridge-vps1-key") is None


def test_an_empty_value_is_refused(monkeypatch, capsys, isolated_home):
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert main(["secret", "set", "mongodb-uri", "--stdin"]) == 2
    assert isolated_home.get_password("fidus-desktop", "mongodb-uri") is None
