"""Secrets stay in the keyring (or memory) and never reach the log file."""

from __future__ import annotations

import logging

import pytest
from keyring.backends.fail import Keyring as NoKeyring

from fidus_desktop.app_context import open_context, register_uri_secret
from fidus_desktop.logs import setup_logging
from fidus_desktop.paths import AppPaths
from fidus_desktop.secrets import SecretStore


@pytest.fixture
def log_file(tmp_path):
    path = tmp_path / "logs" / "fidus.log"
    setup_logging(path)
    yield path
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_fidus", False)]:
        root.removeHandler(handler)
        handler.close()


def test_without_a_keyring_secrets_live_in_memory_and_the_user_is_told():
    store = SecretStore(backend=NoKeyring())
    assert not store.persistent and "session only" in store.warning
    store.set("bridge-key", "k-1234567890")
    assert store.get("bridge-key") == "k-1234567890"
    assert SecretStore(backend=NoKeyring()).get("bridge-key") is None  # gone with the session


async def test_context_reports_the_missing_keyring_once_the_fund_is_open(monkeypatch):
    import keyring

    monkeypatch.setattr(keyring, "get_keyring", lambda: NoKeyring())
    context = await open_context(AppPaths.default())
    try:
        assert [w for w in context.startup_warnings if "No system keyring" in w] != []
        context.secrets.get("anything")
        assert len([w for w in context.startup_warnings if "No system keyring" in w]) == 1
    finally:
        await context.close()


def test_secrets_never_reach_the_log_file(log_file):
    log = logging.getLogger("fidus_desktop.test")
    SecretStore().set("mt5-password", "Mt5-Pa55word-777")
    uri = "mongodb+srv://fund:S3cr%40t-Atlas@cluster0.example.net/fidus?retryWrites=true"
    register_uri_secret(uri)

    log.info("connecting with %s", uri)
    log.warning("login failed for password Mt5-Pa55word-777")
    log.info("decoded form S3cr@t-Atlas and an unregistered mongodb://ops:0ther-pass@db.example.net/x")
    log.info("header x-api-key: bridge-key-abc123 and Bearer ya29.token-value")
    try:
        raise RuntimeError(f"driver said: bad auth for {uri}")
    except RuntimeError:
        log.exception("opening failed")
    for handler in logging.getLogger().handlers:
        handler.flush()

    text = log_file.read_text(encoding="utf-8")
    assert "connecting with" in text and "opening failed" in text and "Traceback" in text
    for secret in ("Mt5-Pa55word-777", "S3cr%40t-Atlas", "S3cr@t-Atlas", "0ther-pass", "bridge-key-abc123",
                   "ya29.token-value"):
        assert secret not in text
    assert "cluster0.example.net" in text  # the host stays readable: only the secret goes


def test_a_password_inside_an_escaped_json_document_is_masked():
    from fidus_desktop.logs import redact

    # How the MongoDB driver logs a reply at DEBUG level: a document as JSON inside JSON.
    reply = r'{"reply": "{\"account\": 886557, \"password\": \"Never-Logged-42\", \"name\": \"CORE\"}"}'
    masked = redact(reply)
    assert "Never-Logged-42" not in masked and '\\"name\\": \\"CORE\\"' in masked
