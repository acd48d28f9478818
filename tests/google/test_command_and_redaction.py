"""``fidus-desktop google ...`` against the fake, and no secret in any output or log line."""

from __future__ import annotations

import base64
import dataclasses
import json
import logging

from urllib.parse import quote

import pytest

from fidus_desktop.cli import main
from fidus_desktop.config import Settings, load_settings, save_settings
from fidus_desktop.google.client_file import parse_client_json
from fidus_desktop.google.errors import ClientFileError
from fidus_desktop.google.gmail import Gmail
from fidus_desktop.logs import setup_logging
from fidus_desktop.paths import AppPaths

from .conftest import settings_for


def _secrets_of(fake) -> list[str]:
    values = [fake.oauth.client_secret, *fake.oauth.refresh_tokens, *fake.oauth.access, *fake.oauth.codes]
    for request in fake.oauth.token_requests:
        values += request.get("code_verifier", [])
    # Also as the libraries write them in logged request bodies and headers.
    encoded = [quote(v, safe="") for v in values] + [base64.b64encode(f"{fake.oauth.client_id}:{v}".encode()).decode()
                                                   for v in values]
    return [v for v in values + encoded if v]


@pytest.fixture
def cli_home(fake, browser, monkeypatch, tmp_path):
    paths = AppPaths.default().ensure()
    save_settings(Settings(google=settings_for(fake)), paths.settings_file)
    monkeypatch.setattr("fidus_desktop.google.consent._system_browser", browser)
    client_file = tmp_path / "client_secret_desktop.json"
    client_file.write_text(fake.client_json(), encoding="utf-8")
    return paths, client_file


def test_connect_status_disconnect_from_the_command_line(cli_home, fake, capsys):
    paths, client_file = cli_home
    assert main(["google", "connect", "--client-file", str(client_file), "--json"]) == 0
    out, err = capsys.readouterr()
    answer = json.loads(out)
    assert answer == {"connected": True, "account": "manager@fidus.test",
                      "scopes": ["gmail.readonly", "gmail.send", "calendar", "drive"], "missing_scopes": []}
    assert "/o/oauth2/auth?" in err  # the address is printed for a manager whose browser did not open
    assert load_settings(paths.settings_file)[0].google.account_email == "manager@fidus.test"

    assert main(["google", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["connected"] and status["account"] == "manager@fidus.test"
    assert [(a["api"], a["ok"]) for a in status["apis"]] == [("gmail", True), ("calendar", True), ("drive", True)]
    assert all(a["latency_ms"] >= 0 for a in status["apis"])

    assert main(["google", "status"]) == 0
    text = capsys.readouterr().out
    assert "gmail" in text and " ms " in text

    assert main(["google", "disconnect", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["disconnected"] and result["revoked"]
    assert len(fake.oauth.revoked) == 1
    assert main(["google", "status", "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["connected"] is False
    assert main(["google", "connect", "--json"]) == 0  # the client file was kept: no need to give it again
    capsys.readouterr()
    assert main(["google", "disconnect", "--forget-client", "--json"]) == 0
    assert main(["google", "connect", "--json"]) == 2
    capsys.readouterr()

    everything = out + err + text + (paths.log_file.read_text(encoding="utf-8") if paths.log_file.exists() else "")
    for secret in _secrets_of(fake):
        assert secret not in everything


def test_status_after_the_grant_was_revoked_asks_to_reconnect(cli_home, fake, capsys):
    _, client_file = cli_home
    assert main(["google", "connect", "--client-file", str(client_file), "--json"]) == 0
    capsys.readouterr()
    fake.oauth.revoke_all()
    assert main(["google", "status", "--json"]) == 2
    status = json.loads(capsys.readouterr().out)
    assert not any(a["ok"] for a in status["apis"])
    assert all("Connect the Google account again" in a["detail"] for a in status["apis"])


def test_connect_without_a_client_file_says_what_to_do(cli_home, capsys):
    assert main(["google", "connect", "--json"]) == 2
    answer = json.loads(capsys.readouterr().out)
    assert answer["code"] == "google_not_connected" and "client file" in answer["error"]


def test_a_web_client_file_is_refused_with_the_reason(tmp_path):
    with pytest.raises(ClientFileError, match="Desktop app"):
        parse_client_json(json.dumps({"web": {"client_id": "x", "client_secret": "y"}}))
    with pytest.raises(ClientFileError, match="https"):
        parse_client_json(json.dumps({"installed": {"client_id": "x", "client_secret": "y",
                                                    "auth_uri": "http://a", "token_uri": "https://t"}}))
    with pytest.raises(ClientFileError, match="not JSON"):
        parse_client_json("<html>")


async def test_no_token_code_or_secret_reaches_the_log_even_at_debug(account, fake, tmp_path):
    log_file = tmp_path / "debug.log"
    setup_logging(log_file, level=logging.DEBUG)
    try:
        await account.connect()
        fake.oauth.expire_access_tokens()
        await Gmail(account.api()).labels()  # a refresh, logged by the libraries at DEBUG
        await account.disconnect()
    finally:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if getattr(h, "_fidus", False)]:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(logging.WARNING)
    text = log_file.read_text(encoding="utf-8")
    assert "Obtained token" in text and "Request body was" in text  # the libraries did log the exchange
    for secret in _secrets_of(fake):
        assert secret not in text, "a secret reached the log"


async def test_a_rotated_refresh_token_is_saved(connected, fake, monkeypatch):
    grant = connected.grant()
    original = fake.oauth._issue

    def rotate(refresh, include_refresh):
        new = "1//rotated-" + refresh[-12:]
        fake.oauth.refresh_tokens[new] = fake.oauth.refresh_tokens[refresh]
        reply = original(new, True)
        return reply

    monkeypatch.setattr(fake.oauth, "_issue", rotate)
    fake.oauth.expire_access_tokens()
    await Gmail(connected.api()).labels()
    assert connected.grant().refresh_token.startswith("1//rotated-")
    assert dataclasses.replace(connected.grant(), refresh_token=grant.refresh_token) == grant
