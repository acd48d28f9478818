"""The bridge's API key: the original's ``X-API-Key`` header, compared in constant time.

The key comes from ``MT5_BRIDGE_API_KEY`` (the original's variable) or the keyring; there is no
default key. It is checked by :mod:`.guard` before anything of a request is read, and a rejected
attempt is logged without what the caller sent.
"""

from __future__ import annotations

import os

from fidus_desktop.logs import register_secret
from fidus_desktop.secrets import SecretStore

HEADER = "X-API-Key"
ENV_VAR = "MT5_BRIDGE_API_KEY"
KEYRING_SERVICE = "fidus-bridge"
KEYRING_ENTRY = "api-key"
MIN_LENGTH = 16


class ApiKeyMissing(Exception):
    pass


def load_api_key(store: SecretStore | None = None) -> str:
    """The configured key; :class:`ApiKeyMissing` with a how-to when there is none or it is too short."""
    key = os.environ.get(ENV_VAR) or (store or SecretStore(service=KEYRING_SERVICE)).get(KEYRING_ENTRY)
    if not key:
        raise ApiKeyMissing(f"No API key: set {ENV_VAR} or run `fidus-bridge set-key` to store one in the keyring.")
    if len(key) < MIN_LENGTH:
        raise ApiKeyMissing(f"The API key is too short (at least {MIN_LENGTH} characters).")
    register_secret(key)
    return key
