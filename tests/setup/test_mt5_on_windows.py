"""MT5 on Windows: the terminals found, a path required when there are several, portable mode
passed to ``initialize``, the broker's summer-time rule."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bridge_link.demo_terminal import DemoTerminal
from bridge_link.direct import DirectSource
from bridge_link.errors import BridgeError
from bridge_link.server.build import ServeOptions, build_session
from bridge_link.server_time import ServerZone
from bridge_link.terminals import find_terminals, terminal_problem
from fidus_desktop.config import Mt5Settings
from fidus_desktop.runtime.mt5_sources import build_direct_source
from fidus_desktop.secrets import SecretStore


def windows_tree(root: Path) -> dict[str, str]:
    """Two brokers' terminals under Program Files, and a portable one known only by origin.txt."""
    program_files = root / "Program Files"
    for broker in ("MetaTrader 5", "MEX Atlantic MT5 Terminal"):
        (program_files / broker).mkdir(parents=True)
        (program_files / broker / "terminal64.exe").write_bytes(b"MZ")
    (program_files / "Common Files").mkdir()
    portable = root / "mt5-portable"
    portable.mkdir()
    (portable / "terminal64.exe").write_bytes(b"MZ")
    appdata = root / "AppData" / "Roaming"
    data = appdata / "MetaQuotes" / "Terminal"
    for ident, install in (("D0E8209F77C8CF37AD8BF550E51FF075", portable),
                           ("0A1B2C3D4E5F60718293A4B5C6D7E8F9", program_files / "MetaTrader 5")):
        (data / ident).mkdir(parents=True)
        # Windows programs write it in UTF-16 with a byte-order mark.
        (data / ident / "origin.txt").write_bytes("\ufeff".encode("utf-16-le") + str(install).encode("utf-16-le"))
    (data / "Common").mkdir()  # the shared folder has no origin.txt
    return {"ProgramFiles": str(program_files), "APPDATA": str(appdata)}


def test_every_installed_terminal_is_found_once(tmp_path):
    found = find_terminals(windows_tree(tmp_path))
    assert sorted(p.parent.name for p in found) == ["MEX Atlantic MT5 Terminal", "MetaTrader 5", "mt5-portable"]


def test_nothing_is_found_without_the_windows_folders(tmp_path):
    assert find_terminals({}) == ()
    assert find_terminals({"ProgramFiles": str(tmp_path / "absent")}) == ()


def test_a_path_is_required_when_several_terminals_are_installed(tmp_path):
    found = find_terminals(windows_tree(tmp_path))
    assert "3 MetaTrader 5 terminals are installed" in terminal_problem("", False, found)
    assert terminal_problem("", False, found[:1]) == ""
    assert terminal_problem(str(found[0]), False, found) == ""
    assert "no terminal at" in terminal_problem(str(tmp_path / "nowhere.exe"), False, found)
    assert "Portable mode needs the terminal's path" in terminal_problem("", True, ())


class RecordingTerminal(DemoTerminal):
    def __init__(self) -> None:
        super().__init__(seed=1)
        self.calls: list[tuple[tuple, dict]] = []

    def initialize(self, *args, **kwargs):  # type: ignore[override]
        self.calls.append((args, kwargs))
        return super().initialize(*args, **kwargs)


async def test_portable_mode_and_the_path_reach_initialize(tmp_path):
    terminal = RecordingTerminal()
    exe = tmp_path / "terminal64.exe"
    source = DirectSource(terminal, path=str(exe), portable=True, zone=terminal.zone)
    try:
        await source.health()
    finally:
        await source.close()
    (args, kwargs), *_ = terminal.calls
    assert args == (str(exe),) and kwargs["portable"] is True


async def test_without_portable_initialize_is_not_told_portable():
    terminal = RecordingTerminal()
    source = DirectSource(terminal, zone=terminal.zone)
    try:
        await source.health()
    finally:
        await source.close()
    assert "portable" not in terminal.calls[0][1]


def test_portable_without_a_path_is_refused():
    with pytest.raises(BridgeError, match="portable"):
        DirectSource(RecordingTerminal(), portable=True)


def test_the_app_refuses_to_guess_between_several_terminals(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "MetaTrader5", RecordingTerminal())  # as on Windows
    found = find_terminals(windows_tree(tmp_path))
    with pytest.raises(BridgeError, match="3 MetaTrader 5 terminals are installed"):
        build_direct_source(Mt5Settings(source="direct"), SecretStore(), terminals=lambda: found)
    source = build_direct_source(Mt5Settings(source="direct", terminal_path=str(found[0]), portable=True),
                                 SecretStore(), terminals=lambda: found)
    assert source._path == str(found[0]) and source._portable


def test_the_bridge_server_refuses_to_guess_too(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "MetaTrader5", RecordingTerminal())
    monkeypatch.setattr("bridge_link.server.build.find_terminals", lambda: find_terminals(windows_tree(tmp_path)))
    with pytest.raises(BridgeError, match="--terminal-path"):
        build_session(ServeOptions())


def test_the_us_rule_differs_from_the_eu_rule_in_march():
    # 2026: the US switches on 8 March, the EU on 29 March; in between a US broker is at +3.
    between = datetime(2026, 3, 16, 12, tzinfo=UTC)
    assert ServerZone(2, "us").offset_at(between).total_seconds() == 3 * 3600
    assert ServerZone(2, "eu").offset_at(between).total_seconds() == 2 * 3600
    assert ServerZone(2, "none").offset_at(datetime(2026, 7, 1, tzinfo=UTC)).total_seconds() == 2 * 3600
