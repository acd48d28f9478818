"""``fidus-desktop database``: the MongoDB address goes to the keyring, never to a file."""

from __future__ import annotations

import io
import json

import pytest

from fidus_desktop.cli import main
from fidus_desktop.paths import AppPaths
from tests.storage.mongo_fixtures import (AUTH_PASSWORD, WireServer, auth_uri,  # noqa: F401 (fixtures)
                                          mongo_auth_server)


def run(argv, monkeypatch, stdin=""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(argv)


@pytest.mark.mongo
def test_use_mongodb_saves_the_uri_in_the_keyring_only(mongo_auth_server, monkeypatch, capsys, isolated_home):
    uri = auth_uri(mongo_auth_server)
    assert run(["database", "use-mongodb", "--uri-stdin", "--database", "fund_test"], monkeypatch, uri + "\n") == 0
    out = capsys.readouterr()
    assert "Connected" in out.out and AUTH_PASSWORD not in out.out + out.err

    settings_text = AppPaths.default().settings_file.read_text()
    settings = json.loads(settings_text)
    assert settings["storage"]["backend"] == "mongodb"
    assert settings["storage"]["mongo_database"] == "fund_test"
    assert AUTH_PASSWORD not in settings_text and "mongodb://" not in settings_text
    assert isolated_home.get_password("fidus-desktop", "mongodb-uri") == uri

    assert run(["database", "show"], monkeypatch) == 0
    shown = capsys.readouterr().out
    assert "fund_test" in shown and AUTH_PASSWORD not in shown

    assert run(["database", "use-embedded"], monkeypatch) == 0
    assert json.loads(AppPaths.default().settings_file.read_text())["storage"]["backend"] == "sqlite"


@pytest.mark.mongo
def test_wrong_password_is_refused_and_nothing_is_saved(mongo_auth_server, monkeypatch, capsys, isolated_home):
    uri = auth_uri(mongo_auth_server, password="Wrong-Passw0rd")
    assert run(["database", "use-mongodb", "--uri-stdin", "--timeout", "3"], monkeypatch, uri + "\n") == 2
    err = capsys.readouterr().err
    assert "Not saved" in err and "Wrong-Passw0rd" not in err
    assert isolated_home.get_password("fidus-desktop", "mongodb-uri") is None
    assert not AppPaths.default().settings_file.exists()


def test_something_that_is_not_a_mongodb_address_is_refused(monkeypatch, capsys):
    assert run(["database", "use-mongodb", "--uri-stdin"], monkeypatch, "postgres://x\n") == 2
    assert "not a MongoDB address" in capsys.readouterr().err
