"""The installed-app sign-in against the fake: PKCE, state, cancel, timeout, tokens kept."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import json
import socket
from urllib.parse import parse_qs, urlsplit

import pytest

from fidus_desktop.errors import UserCancelled
from fidus_desktop.google.client_file import SCOPES
from fidus_desktop.google.errors import ConsentError, ConsentTimeout


def _port_closed(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) != 0


async def test_connect_runs_pkce_and_state_and_keeps_only_the_refresh_token(account, fake, browser):
    shown: list[str] = []
    grant = await account.connect(on_url=shown.append)

    [url] = browser.urls
    assert shown == [url]
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 43 and query["access_type"] == "offline"
    assert query["redirect_uri"].startswith("http://127.0.0.1:")
    assert set(query["scope"].split()) == set(SCOPES)
    # The verifier sent with the exchange is the one behind the challenge (the fake also checks).
    [exchange] = fake.oauth.token_requests
    verifier = exchange["code_verifier"][0]
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    assert digest == query["code_challenge"]

    assert grant.account_email == "manager@fidus.test"
    assert set(grant.scopes) == set(SCOPES)
    stored = account.secrets.get(account.settings.token_entry)
    record = json.loads(stored)
    assert record["rt"] == grant.refresh_token and "access" not in stored and "ya29" not in stored
    assert len(stored.encode("utf-16-le")) < 2560
    # The favicon request the browser made first did not consume the callback.
    assert browser.pages[0][0] == 404 and browser.pages[-1][0] == 200
    assert _port_closed(urlsplit(query["redirect_uri"]).port)


async def test_a_reply_with_a_wrong_state_is_refused_and_not_exchanged(account, fake, browser):
    browser.tamper_state = "forged-state-value-from-somewhere-else-000000"
    account = dataclasses.replace(account, settings=dataclasses.replace(account.settings,
                                                                         consent_timeout_seconds=0.5))
    with pytest.raises(ConsentTimeout):
        await account.connect()
    assert browser.pages[-1][0] == 400 and "does not belong" in browser.pages[-1][1]
    assert fake.oauth.token_requests == []  # the code that came with it was never used
    assert account.grant() is None


async def test_cancel_stops_the_listener(account, browser):
    browser.idle = True
    flow = account.consent_flow()
    task = asyncio.create_task(account.connect(flow))
    while flow.receiver is None or not browser.urls:
        await asyncio.sleep(0.01)
    port = flow.receiver.port
    assert not _port_closed(port)
    flow.cancel()
    with pytest.raises(UserCancelled):
        await task
    assert _port_closed(port)
    assert account.grant() is None


async def test_timeout_stops_the_listener(account, browser):
    browser.idle = True
    flow = account.consent_flow()
    flow._timeout = 0.3
    seen: list[int] = []
    task = asyncio.create_task(account.connect(flow))
    while flow.receiver is None:
        await asyncio.sleep(0.01)
    seen.append(flow.receiver.port)
    with pytest.raises(ConsentTimeout):
        await task
    assert _port_closed(seen[0])


async def test_cancelling_the_task_also_closes_the_listener(account, browser):
    browser.idle = True
    flow = account.consent_flow()
    task = asyncio.create_task(account.connect(flow))
    while flow.receiver is None or not browser.urls:
        await asyncio.sleep(0.01)
    port = flow.receiver.port
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert _port_closed(port)


async def test_access_denied_in_the_browser(account, fake):
    fake.oauth.deny = True
    with pytest.raises(ConsentError, match="not granted"):
        await account.connect()
    assert account.grant() is None
