"""The OAuth client ("Desktop app" client file) and the scopes FIDUS asks for.

The manager downloads the client file from the Google Cloud console once; its JSON is validated,
reduced to the fields the flow needs and kept in the keyring (the entry named by the settings).
It is never copied to disk: the client secret of a desktop client is not truly confidential, but
the original leaked one in a committed file, and no secret of ours lives in a file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..logs import register_secret
from ..secrets import SecretStore
from .errors import ClientFileError

_AUTH = "https://www.googleapis.com/auth/"
#: No more than the features use: read and send mail, the calendar, and Drive.
SCOPES: tuple[str, ...] = (f"{_AUTH}gmail.readonly", f"{_AUTH}gmail.send", f"{_AUTH}calendar", f"{_AUTH}drive")

#: A client file is a few hundred bytes; anything much larger is not one.
_MAX_FILE_BYTES = 64 * 1024


def short_scope(scope: str) -> str:
    """``gmail.send`` for ``https://www.googleapis.com/auth/gmail.send`` (for status lines)."""
    return scope.removeprefix(_AUTH)


@dataclass(frozen=True, slots=True)
class OAuthClient:
    client_id: str
    client_secret: str
    auth_uri: str
    token_uri: str
    project_id: str = ""

    def flow_config(self) -> dict[str, Any]:
        """The client-secrets shape google-auth-oauthlib's ``Flow.from_client_config`` reads."""
        return {"installed": {"client_id": self.client_id, "client_secret": self.client_secret,
                              "auth_uri": self.auth_uri, "token_uri": self.token_uri,
                              "project_id": self.project_id}}

    def to_json(self) -> str:
        return json.dumps(self.flow_config(), separators=(",", ":"))


def _https(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise ClientFileError(f"The client file has no '{field}'.")
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc:
        raise ClientFileError(f"The client file's '{field}' is not an https address.")
    return value


def parse_client_json(text: str) -> OAuthClient:
    """Validate the text of a client file; the error says what to download instead."""
    try:
        data = json.loads(text)
    except ValueError:
        raise ClientFileError("That file is not a Google OAuth client file (it is not JSON).") from None
    if not isinstance(data, dict):
        raise ClientFileError("That file is not a Google OAuth client file.")
    if "web" in data and "installed" not in data:
        raise ClientFileError("That client file is for a web application. In the Google Cloud console "
                              "create an OAuth client of type \"Desktop app\" and use its file.")
    section = data.get("installed")
    if not isinstance(section, dict):
        raise ClientFileError("That file is not a Google OAuth client file of type \"Desktop app\".")
    client_id = section.get("client_id")
    secret = section.get("client_secret", "")
    if not isinstance(client_id, str) or not client_id.strip():
        raise ClientFileError("The client file has no 'client_id'.")
    if not isinstance(secret, str):
        raise ClientFileError("The client file's 'client_secret' is not text.")
    project = section.get("project_id", "")
    client = OAuthClient(client_id.strip(), secret, _https(section.get("auth_uri"), "auth_uri"),
                         _https(section.get("token_uri"), "token_uri"),
                         project if isinstance(project, str) else "")
    register_secret(client.client_secret)
    return client


def read_client_file(path: str | Path) -> OAuthClient:
    path = Path(path).expanduser()
    try:
        with path.open("rb") as handle:
            raw = handle.read(_MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ClientFileError(f"The client file {path} cannot be read: {exc.strerror or exc}.") from None
    if len(raw) > _MAX_FILE_BYTES:
        raise ClientFileError(f"{path.name} is too large to be a Google OAuth client file.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ClientFileError(f"{path.name} is not a Google OAuth client file (not UTF-8 text).") from None
    return parse_client_json(text)


def load_client(secrets: SecretStore, entry: str) -> OAuthClient | None:
    """The client kept in the keyring, ``None`` when none was given yet."""
    text = secrets.get(entry)
    if not text:
        return None
    try:
        return parse_client_json(text)
    except ClientFileError as exc:
        raise ClientFileError(f"The OAuth client kept in the keyring (entry '{entry}') is damaged: {exc} "
                              "Give the client file again.") from None


def save_client(secrets: SecretStore, entry: str, client: OAuthClient) -> None:
    secrets.set(entry, client.to_json())
