"""What the keyring keeps of a Google sign-in, and the credentials rebuilt from it.

Only what rebuilds the credentials is kept: the refresh token, the client id it belongs to (the
client itself is its own entry), the scopes granted, the account and the expiry of the last
access token. Access tokens (up to 2 KB each) are never stored: one is fetched on first use. The
record stays far below Credential Manager's 2,560 bytes (UTF-16), so it is one entry.

:class:`ManagedCredentials` refreshes through our own connection (with the configured CA
bundle): the client library's batch code refreshes with a bare ``httplib2.Http()`` of its own,
which would not trust a corporate proxy. Refreshes are serialized across the I/O lane's threads.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import google.oauth2.credentials
import google_auth_httplib2
from google.auth import exceptions as auth_exceptions

from ..logs import register_secret
from ..secrets import SecretStore
from .client_file import OAuthClient
from .errors import GoogleError, ReconnectNeeded
from .transport import new_http

_VERSION = 1


@dataclass(frozen=True, slots=True)
class StoredGrant:
    refresh_token: str
    client_id: str
    scopes: tuple[str, ...]
    account_email: str = ""
    #: When the last access token expires (aware UTC), for the status line; ``None`` if unknown.
    expiry: datetime | None = None
    connected_at: datetime | None = None

    def to_json(self) -> str:
        return json.dumps({"v": _VERSION, "rt": self.refresh_token, "cid": self.client_id,
                           "sc": list(self.scopes), "em": self.account_email,
                           "exp": self.expiry.isoformat() if self.expiry else None,
                           "at": self.connected_at.isoformat() if self.connected_at else None},
                          separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> StoredGrant:
        try:
            data = json.loads(text)
            if data.get("v") != _VERSION or not isinstance(data["rt"], str) or not data["rt"]:
                raise ValueError("unknown shape")
            grant = cls(data["rt"], str(data["cid"]), tuple(str(s) for s in data["sc"]), str(data.get("em") or ""),
                        _moment(data.get("exp")), _moment(data.get("at")))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ReconnectNeeded("The saved Google sign-in is damaged. Connect the Google account again.") from None
        register_secret(grant.refresh_token)
        return grant

    def with_expiry(self, expiry: datetime | None) -> StoredGrant:
        return replace(self, expiry=expiry)


def _moment(text: Any) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(str(text))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def load_grant(secrets: SecretStore, entry: str) -> StoredGrant | None:
    text = secrets.get(entry)
    return StoredGrant.from_json(text) if text else None


def save_grant(secrets: SecretStore, entry: str, grant: StoredGrant) -> None:
    secrets.set(entry, grant.to_json())


def is_invalid_grant(exc: auth_exceptions.RefreshError) -> bool:
    """``invalid_grant`` from the token endpoint: only a new consent helps."""
    for arg in exc.args:
        if isinstance(arg, dict) and arg.get("error") == "invalid_grant":
            return True
        if isinstance(arg, str) and arg.startswith("invalid_grant"):
            return True
    return False


class ManagedCredentials(google.oauth2.credentials.Credentials):  # type: ignore[misc]
    """User credentials whose refresh uses our connection, one refresh at a time, and reports a
    rotated refresh token so it can be saved."""

    def __init__(self, grant: StoredGrant, client: OAuthClient, *, ca_certs: str | None, timeout: float,
                 on_rotated: Callable[[str], None] | None = None, token: str | None = None,
                 expiry: datetime | None = None) -> None:
        if grant.client_id != client.client_id:
            raise ReconnectNeeded("The saved Google sign-in belongs to another OAuth client than the one in the "
                                  "keyring. Connect the Google account again.")
        super().__init__(token=token, refresh_token=grant.refresh_token, token_uri=client.token_uri,
                         client_id=client.client_id, client_secret=client.client_secret,
                         scopes=list(grant.scopes))
        # google-auth compares with naive UTC datetimes.
        self.expiry = expiry.astimezone(UTC).replace(tzinfo=None) if expiry else None
        self._fidus_lock = threading.Lock()
        self._fidus_http = new_http(ca_certs, timeout)
        self._fidus_on_rotated = on_rotated

    def refresh(self, request: Any) -> None:
        # ``request`` is whatever transport the caller had; ours trusts the configured CAs.
        del request
        with self._fidus_lock:
            before = self.refresh_token
            super().refresh(google_auth_httplib2.Request(self._fidus_http))
            if self.token:
                register_secret(self.token)
            if self.refresh_token and self.refresh_token != before:
                register_secret(self.refresh_token)
                if self._fidus_on_rotated is not None:
                    self._fidus_on_rotated(self.refresh_token)

    @property
    def expiry_utc(self) -> datetime | None:
        return self.expiry.replace(tzinfo=UTC) if self.expiry else None


def translate_refresh_error(exc: auth_exceptions.RefreshError) -> GoogleError:
    if is_invalid_grant(exc):
        return ReconnectNeeded(detail="invalid_grant")
    return GoogleError("Google refused to renew FIDUS's access. Try again later, or connect again if it "
                       "persists.", detail=type(exc).__name__)
