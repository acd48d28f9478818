"""The fake Google over HTTPS, a thread-pool stand-in for the I/O lane, and a fake browser."""

from __future__ import annotations

import asyncio
import http.client
import ssl
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from fidus_desktop.config import GoogleSettings
from fidus_desktop.google.account import GoogleAccount
from fidus_desktop.secrets import SecretStore

from .fake import FakeGoogle, make_certificates


@pytest.fixture(scope="session")
def certificates(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("google-certs"))


@pytest.fixture
def fake(certificates):
    server = FakeGoogle(certificates).start()
    yield server
    server.stop()


@pytest.fixture
def run_blocking():
    """What the app's I/O lane does: run a blocking callable on a worker thread."""
    pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="test-io")

    def run(fn):
        return asyncio.get_running_loop().run_in_executor(pool, fn)

    yield run
    pool.shutdown(wait=True, cancel_futures=True)


def settings_for(fake: FakeGoogle, **changes) -> GoogleSettings:
    base = fake.base_url
    values = dict(gmail_api_root=f"{base}/", calendar_api_root=f"{base}/calendar/v3/",
                  drive_api_root=f"{base}/drive/v3/", revoke_uri=f"{base}/revoke",
                  ca_bundle=str(fake.certificates.ca_file), retry_base_seconds=0.01, retry_max_seconds=0.05,
                  consent_timeout_seconds=10.0, request_timeout_seconds=10.0,
                  # The limiter has its own test; elsewhere it would only slow the suite down.
                  gmail_units_per_second=1e6, max_requests_per_second=1e6)
    values.update(changes)
    return GoogleSettings(**values)


@dataclass
class FakeBrowser:
    """The manager's browser: follows the consent URL to the fake, then to the loopback."""

    ca_file: str
    #: Do nothing (the manager never finishes): for timeout and cancel.
    idle: bool = False
    #: Replace the state on the way back (an attacker's or a stale reply).
    tamper_state: str | None = None
    #: Also ask for /favicon.ico first, as browsers do.
    favicon: bool = True
    urls: list[str] = field(default_factory=list)
    pages: list[tuple[int, str]] = field(default_factory=list)

    def __call__(self, url: str) -> bool:
        self.urls.append(url)
        if self.idle:
            return True
        parts = urlsplit(url)
        context = ssl.create_default_context(cafile=self.ca_file)
        conn = http.client.HTTPSConnection(parts.hostname, parts.port, context=context, timeout=10)
        conn.request("GET", f"{parts.path}?{parts.query}")
        answer = conn.getresponse()
        answer.read()
        location = answer.getheader("Location")
        conn.close()
        assert answer.status == 302, answer.status
        back = urlsplit(location)
        query = back.query
        if self.tamper_state is not None:
            values = {k: v[0] for k, v in parse_qs(query).items()}
            values["state"] = self.tamper_state
            query = urlencode(values)
        if self.favicon:
            self.visit(back.hostname, back.port, "/favicon.ico")
        self.visit(back.hostname, back.port, f"{back.path}?{query}")
        return True

    def visit(self, host: str, port: int, target: str) -> tuple[int, str]:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        conn.request("GET", target)
        answer = conn.getresponse()
        page = (answer.status, answer.read().decode())
        conn.close()
        self.pages.append(page)
        return page


@pytest.fixture
def browser(fake):
    return FakeBrowser(str(fake.certificates.ca_file))


@pytest.fixture
def account(fake, run_blocking, browser, tmp_path):
    """An account with the client file given, not yet connected."""
    secrets = SecretStore()
    acct = GoogleAccount(settings_for(fake), secrets, run_blocking, cache_dir=tmp_path / "cache",
                         open_browser=browser)
    client_file = tmp_path / "client_secret_desktop.json"
    client_file.write_text(fake.client_json(), encoding="utf-8")
    acct.use_client_file(client_file)
    return acct


@pytest.fixture
async def connected(account):
    await account.connect()
    return account




ACCOUNT = "manager@fidus.test"


def app_settings(fake: FakeGoogle, **google_changes):
    from fidus_desktop.config import Settings

    return Settings(google=settings_for(fake, account_email=ACCOUNT, **google_changes))


async def wait_for(predicate, timeout: float = 15.0) -> None:
    """Let the runtime's loops work until ``predicate()`` holds."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


@pytest.fixture
async def app(fake, connected):
    """The runtime as the window starts it (embedded demo fund, outbox, Google service), with the
    account connected against the fake."""
    from fidus_desktop.app_context import AppContext
    from fidus_desktop.paths import AppPaths

    context = AppContext.create(AppPaths.default(), settings=app_settings(fake))
    await context.start(mt5=False)
    yield context
    await context.close()
