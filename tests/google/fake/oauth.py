"""Authorize, token and revoke, checking what a careful authorization server checks."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode

from .server import Reply, Request

if TYPE_CHECKING:
    from .server import FakeGoogle


@dataclass
class IssuedCode:
    client_id: str
    redirect_uri: str
    challenge: str
    method: str
    scopes: list[str]
    used: bool = False


@dataclass
class RefreshGrant:
    client_id: str
    scopes: list[str]
    revoked: bool = False
    access_tokens: set[str] = field(default_factory=set)


class FakeOAuth:
    def __init__(self, fake: FakeGoogle) -> None:
        self.fake = fake
        self.client_id = "fidus-test.apps.googleusercontent.com"
        self.client_secret = "fake-installed-app-secret"
        self.codes: dict[str, IssuedCode] = {}
        self.refresh_tokens: dict[str, RefreshGrant] = {}
        self.access: dict[str, float] = {}  # access token -> expiry (epoch)
        #: Scopes the "user" grants on the consent screen (None: all asked for).
        self.grant_scopes: list[str] | None = None
        self.deny = False
        self.access_lifetime = 3600
        self.token_requests: list[dict[str, list[str]]] = []
        self.revoked: list[str] = []
        fake.route("GET", "/o/oauth2/auth", "oauth.authorize", self.authorize)
        fake.route("POST", "/token", "oauth.token", self.token)
        fake.route("POST", "/revoke", "oauth.revoke", self.revoke)

    def access_ok(self, token: str) -> bool:
        expiry = self.access.get(token)
        return expiry is not None and expiry > time.time()

    def expire_access_tokens(self) -> None:
        for token in self.access:
            self.access[token] = 0

    def revoke_all(self) -> None:
        """The user removed FIDUS from their Google account."""
        for grant in self.refresh_tokens.values():
            grant.revoked = True
            for token in grant.access_tokens:
                self.access.pop(token, None)

    # -- endpoints -------------------------------------------------------------------------------

    def authorize(self, request: Request) -> Reply:
        q = {k: v[0] for k, v in request.query.items()}
        if q.get("client_id") != self.client_id or q.get("response_type") != "code":
            return Reply(400, b"bad client or response_type")
        redirect = q.get("redirect_uri", "")
        if not redirect.startswith("http://127.0.0.1:"):
            return Reply(400, b"redirect_uri must be a loopback address")
        state = q.get("state", "")
        if self.deny:
            return Reply(302, b"", {"Location": f"{redirect}?{urlencode({'error': 'access_denied', 'state': state})}"})
        code = "4/fake-code-" + secrets.token_urlsafe(16)
        scopes = q.get("scope", "").split()
        granted = [s for s in scopes if self.grant_scopes is None or s in self.grant_scopes]
        self.codes[code] = IssuedCode(q["client_id"], redirect, q.get("code_challenge", ""),
                                      q.get("code_challenge_method", ""), granted)
        location = f"{redirect}?{urlencode({'state': state, 'code': code, 'scope': ' '.join(granted)})}"
        return Reply(302, b"", {"Location": location})

    def _client_ok(self, request: Request, form: dict[str, str]) -> bool:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            client_id = client_id.replace("%40", "@")
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        return client_id == self.client_id and secret == self.client_secret

    def token(self, request: Request) -> Reply:
        raw = parse_qs(request.body.decode())
        self.token_requests.append(raw)
        form = {k: v[0] for k, v in raw.items()}
        if not self._client_ok(request, form):
            return Reply.json(401, {"error": "invalid_client"})
        if form.get("grant_type") == "authorization_code":
            issued = self.codes.get(form.get("code", ""))
            if issued is None or issued.used:
                return Reply.json(400, {"error": "invalid_grant", "error_description": "Bad code."})
            issued.used = True
            if form.get("redirect_uri") != issued.redirect_uri:
                return Reply.json(400, {"error": "redirect_uri_mismatch"})
            verifier = form.get("code_verifier", "")
            expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
            if issued.method != "S256" or not verifier or expected != issued.challenge:
                return Reply.json(400, {"error": "invalid_grant", "error_description": "PKCE verification failed."})
            refresh = "1//fake-refresh-" + secrets.token_urlsafe(24)
            self.refresh_tokens[refresh] = RefreshGrant(issued.client_id, issued.scopes)
            return self._issue(refresh, include_refresh=True)
        if form.get("grant_type") == "refresh_token":
            grant = self.refresh_tokens.get(form.get("refresh_token", ""))
            if grant is None or grant.revoked:
                return Reply.json(400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
            return self._issue(form["refresh_token"], include_refresh=False)
        return Reply.json(400, {"error": "unsupported_grant_type"})

    def _issue(self, refresh: str, include_refresh: bool) -> Reply:
        grant = self.refresh_tokens[refresh]
        access = "ya29.fake-access-" + secrets.token_urlsafe(24)
        self.access[access] = time.time() + self.access_lifetime
        grant.access_tokens.add(access)
        answer = {"access_token": access, "expires_in": self.access_lifetime, "token_type": "Bearer",
                  "scope": " ".join(grant.scopes)}
        if include_refresh:
            answer["refresh_token"] = refresh
        return Reply.json(200, answer)

    def revoke(self, request: Request) -> Reply:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        token = form.get("token") or request.arg("token") or ""
        grant = self.refresh_tokens.get(token)
        if grant is None or grant.revoked:
            return Reply.json(400, {"error": "invalid_token"})
        self.revoked.append(token)
        grant.revoked = True
        for access in grant.access_tokens:
            self.access.pop(access, None)
        return Reply.json(200, {})
