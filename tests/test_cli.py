"""The ``fidus-desktop`` command: the smoke run, the demo, and ``migrate``."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.storage.mongo_fixtures import WireServer, mongo_server  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[1]


def fidus(*args: str, home: Path | None, timeout: float = 120, extra_env: dict | None = None,
          code: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FIDUS_HOME"}
    env["QT_QPA_PLATFORM"] = "offscreen"
    if home is not None:
        env["FIDUS_HOME"] = str(home)
    env.update(extra_env or {})
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "fidus_desktop", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_smoke_run_opens_every_panel_and_exits_0(tmp_path):
    result = fidus("--smoke", home=tmp_path / "home")
    assert result.returncode == 0, result.stderr
    assert "smoke: ok" in result.stdout
    assert "panels opened: crm, portfolio, mt5, workspace, health" in result.stdout
    assert re.search(r"timings: imports=\d+\.\d+s first_paint=\d+\.\d+s store_open=\d+\.\d+s "
                     r"usable=\d+\.\d+s total=\d+\.\d+s", result.stdout)
    assert re.search(r"smoke: worst stall: (\d+ ms during|none over 50 ms)", result.stdout)
    assert (tmp_path / "home" / "data" / "fund.sqlite3").exists()


def test_smoke_run_fails_when_the_database_is_unreachable(tmp_path):
    config = tmp_path / "home" / "config"
    config.mkdir(parents=True)
    (config / "settings.json").write_text(json.dumps({"storage": {"timeout_seconds": 0.3}}), encoding="utf-8")
    result = fidus("--smoke", "--mongo-uri", f"mongodb://fund:Hidden-Pa55@127.0.0.1:{closed_port()}/"
                   "?directConnection=true", home=tmp_path / "home")
    assert result.returncode == 1
    assert "smoke: FAILED: database offline" in result.stderr
    assert "Hidden-Pa55" not in result.stdout + result.stderr
    assert "Hidden-Pa55" not in (tmp_path / "home" / "logs" / "fidus-desktop.log").read_text(encoding="utf-8")


def test_demo_runs_in_a_throwaway_folder_that_is_deleted(tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    result = fidus("--demo", "--smoke", home=None, extra_env={"TMPDIR": str(scratch)})
    assert result.returncode == 0, result.stderr
    assert "demo fund loaded" in result.stdout
    assert list(scratch.iterdir()) == []


def test_migrate_to_an_unreachable_server_exits_2_without_the_password_or_qt(tmp_path):
    uri = f"mongodb://fund:Very-Secret-99@127.0.0.1:{closed_port()}/?directConnection=true"
    code = ("import sys\nfrom fidus_desktop.cli import main\n"
            f"status = main(['migrate', '--to', {uri!r}, '--timeout', '0.3'])\n"
            "print('QT LOADED' if 'PySide6' in sys.modules else 'QT NOT LOADED')\nsys.exit(status)\n")
    result = fidus(home=tmp_path / "home", code=code)
    assert result.returncode == 2
    assert "Migration failed:" in result.stderr
    assert "QT NOT LOADED" in result.stdout
    output = result.stdout + result.stderr + (tmp_path / "home/logs/fidus-desktop.log").read_text(encoding="utf-8")
    assert "Very-Secret-99" not in output


def test_migrate_without_an_address_says_where_it_looked(tmp_path, capsys):
    from fidus_desktop.cli import main

    assert main(["migrate", "--to"]) == 2
    assert "none is saved in the keyring (entry 'mongodb-uri')" in capsys.readouterr().err


def test_migrate_rejects_a_non_database_address(capsys):
    from fidus_desktop.cli import main

    assert main(["migrate", "--to", "https://user:TopSecret1@example.net"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Migration failed:") and "TopSecret1" not in err


@pytest.mark.mongo
def test_migrate_round_trip_through_mongodb(tmp_path, mongo_server: WireServer):  # noqa: F811 (fixture)
    source_home, target_home = tmp_path / "source", tmp_path / "target"
    assert fidus("--smoke", home=source_home).returncode == 0  # first run: the demo fund
    database = f"fidus_cli_{os.getpid()}"
    out = fidus("--data-dir", str(source_home), "migrate", "--to", mongo_server.uri, "--database", database,
                home=None)
    assert out.returncode == 0, out.stderr
    assert "Copying SQLite on this computer -> MongoDB" in out.stdout and "100%" in out.stdout
    copied = dict(re.findall(r"^\s{2}(\w[\w ]*?)\s+(\d+)$", out.stdout, re.M))
    assert all(int(copied[name]) > 0 for name in ("users", "crm_prospects", "investments", "mt5_accounts"))

    again = fidus("--data-dir", str(source_home), "migrate", "--to", mongo_server.uri, "--database", database,
                  home=None)
    assert again.returncode == 2 and "already holds fund data" in again.stderr

    back = fidus("--data-dir", str(target_home), "migrate", "--from", mongo_server.uri, "--database", database,
                 home=None)
    assert back.returncode == 0, back.stderr
    assert dict(re.findall(r"^\s{2}(\w[\w ]*?)\s+(\d+)$", back.stdout, re.M)) == copied
