"""Fuzz: whatever a client sends the bridge server, the answer is JSON and never a 500.

Arbitrary methods, paths (the real routes with wild parameters, and made-up ones), queries,
headers and bodies, with and without the key, against the demo bridge in process.
"""

from __future__ import annotations

import asyncio
import json
import string

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge_link.demo_terminal import DemoTerminal
from bridge_link.direct import DirectSource
from bridge_link.server.app import create_app
from bridge_link.server.build import demo_directory
from bridge_link.server.session import BridgeSession, PasswordBook

from .conftest import API_KEY, Clock

POSTS = {"/api/mt5/initialize", "/api/mt5/login", "/api/mt5/history", "/api/mt5/deals", "/api/admin/emergency-restart",
         "/api/mt5/refresh", "/api/v1/reconnect"}
ROUTES = ["/", "/health", "/mt5/health", "/status", "/mt5/status", "/accounts", "/mt5/accounts",
          "/api/mt5/account/info", "/api/mt5/initialize", "/api/mt5/login", "/api/mt5/terminal/info",
          "/api/mt5/positions", "/api/mt5/symbols", "/api/mt5/history", "/api/mt5/deals",
          "/api/mt5/account/{login}/positions", "/api/mt5/bridge/health", "/api/mt5/status",
          "/api/mt5/account/{login}/info", "/api/mt5/account/{login}/balance", "/api/mt5/account/{login}/trades",
          "/api/mt5/account/{login}/deals/live", "/api/mt5/accounts/deals/live", "/api/mt5/accounts",
          "/api/mt5/accounts/summary", "/api/mt5/admin/system-status", "/api/admin/emergency-restart",
          "/api/mt5/refresh", "/api/v1/health", "/api/v1/accounts", "/api/v1/accounts/{login}",
          "/api/v1/accounts/{login}/positions", "/api/v1/accounts/{login}/orders", "/api/v1/accounts/{login}/deals",
          "/api/v1/accounts/{login}/history-orders", "/api/v1/symbols/{symbol}", "/api/v1/symbols/{symbol}/tick",
          "/api/v1/symbols/{symbol}/rates", "/api/v1/reconnect"]
PARAMS = ["login", "account", "days", "limit", "date_from", "date_to", "timeframe", "token", "from_date"]
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

safe_text = st.text(alphabet=string.ascii_letters + string.digits + "-_.:+%/ ~!$&'()*,;=@", max_size=24)
logins = st.sampled_from(["88001001", "88001004", "0", "-1", "4242", str(2**63), str(2**70), "1e3", "abc", "%00"])
dates = st.sampled_from(["garbage", "2026-11-01", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00",
                         "2026-11-18T14:30:00Z", "2026-11-10T00:00:00+00:00", "1969-12-31T00:00:00Z",
                         "2026-11-18T14:30:00", "2000-01-01T00:00:00Z", "", "12345"])
wild = (st.sampled_from([88001001, 88001004, "88001002", "NaN", "M1", "D1", "3650", 2**64, -1, 0, True])
        | dates | st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | safe_text)
json_bodies = st.recursive(wild, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.sampled_from(PARAMS + ["password", "x"]) | safe_text, inner,
                                             max_size=4), max_leaves=8)


@st.composite
def requests(draw) -> dict:
    real = st.sampled_from(ROUTES)
    # The routes that take dates or bodies, where client mistakes hide, come up more often.
    takes_input = st.sampled_from(sorted(POSTS) + [r for r in ROUTES if r.endswith(("deals", "orders", "rates", "live"))])
    template = draw(st.one_of(real, real, takes_input, takes_input, safe_text.map(lambda t: "/" + t.lstrip("/"))))
    path = template.replace("{login}", draw(logins)).replace("{symbol}", draw(
        st.sampled_from(["EURUSD", "XAUUSD", "NOPE"]) | safe_text.filter(bool)))
    query = draw(st.dictionaries(st.sampled_from(PARAMS) | safe_text, wild.map(lambda v: "" if v is None else str(v)),
                                 max_size=3))
    if template.endswith(("/deals", "/history-orders", "/rates")) and draw(st.booleans()):
        query.update(date_from=draw(dates), date_to=draw(dates), timeframe=draw(st.sampled_from(["M1", "H1", "X"])))
    headers = {"X-API-Key": draw(st.sampled_from([API_KEY, API_KEY, API_KEY, "", "wrong-key-0123456789", API_KEY + " "]))}
    kind = draw(st.sampled_from(["application/json"] * 5 + [None, "text/plain", "application/x-www-form-urlencoded",
                                                            "multipart/form-data", "application/json; charset=utf-16"]))
    if kind:
        headers["Content-Type"] = kind
    legacy = st.fixed_dictionaries({"login": st.sampled_from([88001001, 88001004, "88001002"]) | wild}, optional={
        "account": wild, "password": wild, "from_date": dates | wild, "to_date": dates | wild,
    }).map(lambda b: json.dumps(b).encode())
    others = (st.none() | json_bodies.map(lambda b: json.dumps(b).encode()) | st.binary(max_size=64)
              | st.just(b"[" * 3000) | st.just(b'{"login": ' + b"9" * 5000 + b"}"))
    body = draw(st.one_of(legacy, legacy, others) if template in POSTS else others)
    usual = "POST" if template in POSTS else "GET"
    method = draw(st.sampled_from([usual] * 6 + ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS"]))
    return {"method": method, "url": path, "params": query, "headers": headers, "content": body}


def test_fuzz_requests_never_get_a_500() -> None:
    async def start():
        terminal = DemoTerminal(seed=1, clock=Clock())
        passwords = PasswordBook()
        source = DirectSource(terminal, name="demo terminal", zone=terminal.zone, password_for=passwords)
        session = BridgeSession(source, demo_directory(), passwords=passwords, snapshot_ttl=5.0, request_timeout=3.0)
        app = create_app(session, API_KEY)
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 5555)),
                                   base_url="http://bridge")
        return client, lifespan

    with asyncio.Runner() as runner:
        client, lifespan = runner.run(start())
        try:
            @FUZZ
            @given(request=requests())
            def one(request: dict) -> None:
                response = runner.run(asyncio.wait_for(client.request(**request), 10))
                assert response.status_code != 500, (request, response.text)
                if response.status_code >= 500:  # only the terminal's own refusals (a wrong MT5 password)
                    assert response.json()["error"]["reason"] in ("auth_failed", "not_connected"), response.text
                if request["method"] != "HEAD":
                    assert isinstance(response.json(), (dict, list)), response.text

            one()
        finally:
            runner.run(client.aclose())
            runner.run(lifespan.__aexit__(None, None, None))
