"""What the app may say about a MongoDB URI: where it points, without the secrets it embeds.

The URI usually carries the Atlas password. It is parsed here by hand, not by PyMongo: PyMongo
rejects malformed URIs (and resolves ``mongodb+srv`` names over DNS) before it would tell us
which part is secret, and a status bar or an error message must never show it either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote

_SCHEMES = ("mongodb", "mongodb+srv")
# URI options whose values are credentials (TLS key passphrase, AWS session token...).
_SECRET_OPTIONS = frozenset({"tlscertificatekeyfilepassword", "sslpemkeypassword", "authmechanismproperties"})


@dataclass(frozen=True, slots=True)
class MongoAddress:
    #: The URI without password and options, for the status bar.
    location: str
    #: The server names, for messages ("cluster0.example.net", "db1:27017, db2:27017").
    hosts: str
    username: str
    #: Every form of every secret in the URI, for redaction (raw and percent-decoded).
    secrets: frozenset[str]
    #: Starts with a MongoDB scheme (PyMongo would read anything else as a host name).
    is_mongodb: bool = True
    #: The text after ``?`` (``retryWrites=true&w=majority``), as written; may hold secrets.
    options: str = field(default="", repr=False)

    @classmethod
    def parse(cls, uri: str) -> MongoAddress:
        scheme, sep, rest = uri.strip().partition("://")
        if not sep or scheme.lower() not in _SCHEMES:
            # Still hide anything that looks like "user:password@" in a malformed address.
            userinfo = rest.rpartition("@")[0] if sep else uri.rpartition("@")[0]
            password = userinfo.partition(":")[2]
            return cls("not a MongoDB address", "the configured address", "", _forms(password), is_mongodb=False)
        # The password may hold unescaped "/", "?" or "@" (PyMongo refuses those, but they
        # must still be hidden), so the credentials end at the last "@".
        userinfo, at, after = rest.rpartition("@")
        if not at:
            userinfo, after = "", rest
        username, _, password = userinfo.partition(":")
        host_and_path, _, options = after.partition("?")
        hosts, _, path = host_and_path.partition("/")
        secrets = set(_forms(password))
        for name, value in parse_qsl(options, keep_blank_values=True):
            if name.lower() in _SECRET_OPTIONS:
                secrets.update(_forms(value))
        user = f"{unquote(username)}@" if username else ""
        location = f"{scheme.lower()}://{user}{hosts}" + (f"/{path}" if path else "")
        shown_hosts = ", ".join(h for h in hosts.split(",") if h) or "the configured address"
        return cls(location, shown_hosts, unquote(username), frozenset(secrets), options=options)

    def redact(self, text: str) -> str:
        """``text`` with every secret of this URI masked (longest first, so no fragment stays)."""
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text


def _forms(secret: str) -> frozenset[str]:
    return frozenset(s for s in (secret, unquote(secret)) if s)
