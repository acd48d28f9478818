"""The connected Google account: connect, status, disconnect, and the API client for the rest.

This is what the front ends hold (one per session). It owns nothing Qt and no thread: blocking
work goes through ``run_blocking`` (the core's I/O lane in the app, ``asyncio.to_thread`` in the
command line, a small pool in tests).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from ..config import GoogleSettings
from ..secrets import SecretStore
from .client import GoogleClient
from .client_file import SCOPES, OAuthClient, load_client, read_client_file, save_client, short_scope
from .consent import ConsentFlow, TokenAnswer
from .errors import GoogleError, GoogleNotConnected, GoogleUnavailable
from .grant import ManagedCredentials, StoredGrant, load_grant, save_grant
from .transport import Api, Transport, RunBlocking, ca_certs_file, new_http

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ApiProbe:
    api: str
    ok: bool
    latency_ms: float
    detail: str


@dataclass(frozen=True, slots=True)
class AccountStatus:
    connected: bool
    account_email: str = ""
    scopes: tuple[str, ...] = ()
    missing_scopes: tuple[str, ...] = ()
    connected_at: datetime | None = None
    probes: tuple[ApiProbe, ...] = ()
    problem: str = ""


@dataclass(frozen=True, slots=True)
class DisconnectResult:
    revoked: bool
    message: str


@dataclass(eq=False)
class GoogleAccount:
    settings: GoogleSettings
    secrets: SecretStore
    run_blocking: RunBlocking
    #: Where the combined certificate file goes when ``settings.ca_bundle`` is set.
    cache_dir: Path
    open_browser: Callable[[str], Any] | None = None
    sleep: Callable[[float], Any] = asyncio.sleep
    rng: Callable[[], float] = random.random
    _client: GoogleClient | None = field(default=None, repr=False)
    _ca_certs: str | None = field(default=None, repr=False)
    _ca_ready: bool = False

    # -- the OAuth client file --------------------------------------------------------------

    def oauth_client(self) -> OAuthClient | None:
        return load_client(self.secrets, self.settings.client_secret_entry)

    def use_client_file(self, path: str | Path) -> OAuthClient:
        """Validate the client file and keep its JSON in the keyring (never copied as a file)."""
        client = read_client_file(path)
        save_client(self.secrets, self.settings.client_secret_entry, client)
        return client

    # -- state --------------------------------------------------------------------------------

    def grant(self) -> StoredGrant | None:
        return load_grant(self.secrets, self.settings.token_entry)

    def ca_certs(self) -> str | None:
        if not self._ca_ready:
            self._ca_certs = ca_certs_file(self.settings, self.cache_dir)
            self._ca_ready = True
        return self._ca_certs

    def api(self) -> GoogleClient:
        """The client for Gmail, Calendar and Drive calls; raises :class:`GoogleNotConnected`."""
        if self._client is None:
            grant, client = self.grant(), self.oauth_client()
            if grant is None or client is None:
                raise GoogleNotConnected("No Google account is connected. Connect one first "
                                         "(fidus-desktop google connect).")
            self._client = self._build_client(grant, client)
        return self._client

    def _build_client(self, grant: StoredGrant, client: OAuthClient, answer: TokenAnswer | None = None) -> GoogleClient:
        credentials = ManagedCredentials(grant, client, ca_certs=self.ca_certs(),
                                         timeout=self.settings.request_timeout_seconds,
                                         on_rotated=self._rotated,
                                         token=answer.access_token if answer else None,
                                         expiry=answer.expires_at if answer else None)
        transport = Transport(credentials, self.settings, self.run_blocking, ca_certs=self.ca_certs())
        return GoogleClient(transport, self.settings, sleep=self.sleep, rng=self.rng)

    def _rotated(self, refresh_token: str) -> None:
        # Google sent a new refresh token (it may, on any refresh): keep it, or the next start fails.
        grant = self.grant()
        if grant is not None:
            from dataclasses import replace

            save_grant(self.secrets, self.settings.token_entry, replace(grant, refresh_token=refresh_token))

    # -- connect ------------------------------------------------------------------------------

    def consent_flow(self, client: OAuthClient | None = None, *, login_hint: str = "") -> ConsentFlow:
        """A sign-in to run with :meth:`connect` (hold it to offer Cancel)."""
        client = client or self.oauth_client()
        if client is None:
            raise GoogleNotConnected("Give the OAuth client file (type \"Desktop app\") first.")
        kwargs: dict[str, Any] = {}
        if self.open_browser is not None:
            kwargs["open_browser"] = self.open_browser
        return ConsentFlow(client, run_blocking=self.run_blocking, timeout=self.settings.consent_timeout_seconds,
                           ca_certs=self.ca_certs(), request_timeout=self.settings.request_timeout_seconds,
                           scopes=SCOPES, login_hint=login_hint or self.settings.account_email, **kwargs)

    async def connect(self, flow: ConsentFlow | None = None, *,
                      on_url: Callable[[str], None] | None = None) -> StoredGrant:
        """Run the browser sign-in, find which account it was, and keep the grant in the keyring."""
        client = self.oauth_client()
        if client is None:
            raise GoogleNotConnected("Give the OAuth client file (type \"Desktop app\") first.")
        flow = flow or self.consent_flow(client)
        answer = await flow.run(on_url=on_url)
        grant = StoredGrant(answer.refresh_token, client.client_id, answer.scopes, "", answer.expires_at,
                            datetime.now(UTC))
        api = self._build_client(grant, client, answer)
        grant = StoredGrant(grant.refresh_token, grant.client_id, grant.scopes, await _account_email(api, grant),
                            grant.expiry, grant.connected_at)
        save_grant(self.secrets, self.settings.token_entry, grant)
        self._client = api
        log.info("Google account %s connected (%s)", grant.account_email,
                 ", ".join(short_scope(s) for s in grant.scopes))
        return grant

    # -- status ---------------------------------------------------------------------------------

    async def status(self, *, probe: bool = True) -> AccountStatus:
        grant = self.grant()
        if grant is None:
            return AccountStatus(False, problem="No Google account is connected.")
        missing = tuple(s for s in SCOPES if s not in grant.scopes)
        probes: list[ApiProbe] = []
        if probe:
            api = self.api()
            for name, build in _PROBES:
                started = time.perf_counter()
                try:
                    answer = await api.call(name, build)
                    ok, detail = True, _probe_detail(name, answer)
                except GoogleError as exc:
                    ok, detail = False, str(exc)
                probes.append(ApiProbe(name.value, ok, round((time.perf_counter() - started) * 1000, 1), detail))
        return AccountStatus(True, grant.account_email, grant.scopes, missing, grant.connected_at, tuple(probes))

    # -- disconnect -------------------------------------------------------------------------------

    async def disconnect(self, *, forget_client: bool = False) -> DisconnectResult:
        """Revoke the grant at Google, then delete it here (also when Google cannot be reached).
        The OAuth client stays in the keyring for the next connect unless ``forget_client``."""
        if forget_client:
            self.secrets.delete(self.settings.client_secret_entry)
        grant = self.grant()
        if grant is None:
            return DisconnectResult(False, "No Google account was connected.")
        try:
            revoked = await self.run_blocking(lambda: self._revoke(grant.refresh_token))
            message = ("Disconnected: Google revoked FIDUS's access." if revoked else
                       "Disconnected: Google no longer knew this sign-in.")
        except GoogleUnavailable as exc:
            revoked = False
            message = (f"Disconnected here, but Google could not be told ({exc}). Remove FIDUS under "
                       "\"Third-party apps with account access\" in your Google account.")
        self.secrets.delete(self.settings.token_entry)
        self._client = None
        return DisconnectResult(revoked, message)

    def _revoke(self, token: str) -> bool:
        http = new_http(self.ca_certs(), self.settings.request_timeout_seconds)
        try:
            response, _ = http.request(self.settings.revoke_uri, "POST", body=urlencode({"token": token}),
                                       headers={"Content-Type": "application/x-www-form-urlencoded"})
        except Exception as exc:
            raise GoogleUnavailable("Google's revoke endpoint cannot be reached", detail=type(exc).__name__) from None
        finally:
            http.close()
        if response.status == 200:
            return True
        if response.status == 400:  # invalid_token: already revoked or expired
            return False
        raise GoogleUnavailable(f"Google's revoke endpoint answered HTTP {response.status}")


_PROBES: tuple[tuple[Api, Callable[[Any], Any]], ...] = (
    (Api.GMAIL, lambda r: r.users().getProfile(userId="me")),
    (Api.CALENDAR, lambda r: r.calendars().get(calendarId="primary")),
    (Api.DRIVE, lambda r: r.about().get(fields="user(emailAddress)")),
)


def _probe_detail(api: Api, answer: dict[str, Any]) -> str:
    if api is Api.GMAIL:
        return f"{answer.get('messagesTotal', '?')} messages"
    if api is Api.CALENDAR:
        return f"primary calendar, time zone {answer.get('timeZone', '?')}"
    return f"Drive of {answer.get('user', {}).get('emailAddress', '?')}"


async def _account_email(api: GoogleClient, grant: StoredGrant) -> str:
    """Which account consented: asked of whichever granted API can tell (no profile scope)."""
    tries: list[tuple[Api, Callable[[Any], Any], Callable[[dict[str, Any]], Any]]] = []
    if any(s.endswith("gmail.readonly") for s in grant.scopes):
        tries.append((Api.GMAIL, _PROBES[0][1], lambda a: a.get("emailAddress")))
    if any(s.endswith("/drive") for s in grant.scopes):
        tries.append((Api.DRIVE, _PROBES[2][1], lambda a: a.get("user", {}).get("emailAddress")))
    if any(s.endswith("/calendar") for s in grant.scopes):
        tries.append((Api.CALENDAR, _PROBES[1][1], lambda a: a.get("id")))
    for api_name, build, pick in tries:
        try:
            email = pick(await api.call(api_name, build))
        except GoogleError as exc:
            log.warning("the account could not be read from %s: %s", api_name.value, exc)
            continue
        if email:
            return str(email)
    return ""
