"""HTTP plumbing for the Google client library: endpoints, certificates, one connection per thread.

google-api-python-client is synchronous and its transport, httplib2, is not thread-safe. So:

- request objects are *built* from one shared ``Resource`` per API (pure Python, no I/O; the
  Resource is made once, off the event loop, from the discovery document bundled with the
  library, ``static_discovery=True``: nothing is ever fetched);
- they are *executed* on the I/O lane with the calling thread's own authorized ``httplib2.Http``
  (:meth:`Transport.thread_http`, a ``threading.local``), passed explicitly as ``http=``.

The shared Resource carries an http object that refuses to send anything, so a request that
forgot its ``http=`` fails loudly instead of racing another thread on a shared connection.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import google_auth_httplib2
import httplib2
from google.auth.credentials import Credentials

from ..config import GoogleSettings
from .apis import Api
from .errors import GoogleError

log = logging.getLogger(__name__)

# The library logs every URL it requests at INFO (Gmail search queries, message ids): that is
# the manager's correspondence, not diagnostics. Warnings still get through.
logging.getLogger("googleapiclient.discovery").setLevel(logging.WARNING)
logging.getLogger("googleapiclient.http").setLevel(logging.WARNING)

type RunBlocking = Callable[[Callable[[], Any]], Awaitable[Any]]


_VERSION = {Api.GMAIL: "v1", Api.CALENDAR: "v3", Api.DRIVE: "v3"}
#: ``batchPath`` of the bundled discovery documents. The library joins it to the document's own
#: ``rootUrl`` and ignores ``api_endpoint``; we join it to the configured host instead.
_BATCH_PATH = {Api.GMAIL: "batch", Api.CALENDAR: "batch/calendar/v3", Api.DRIVE: "batch/drive/v3"}


@dataclass(frozen=True, slots=True)
class Endpoints:
    gmail: str
    calendar: str
    drive: str
    revoke: str

    @classmethod
    def from_settings(cls, settings: GoogleSettings) -> Endpoints:
        for name in ("gmail_api_root", "calendar_api_root", "drive_api_root", "revoke_uri"):
            url = urlsplit(getattr(settings, name))
            if url.scheme != "https" or not url.netloc:
                raise GoogleError(f"The setting google.{name} must be an https address.")
        return cls(settings.gmail_api_root, settings.calendar_api_root, settings.drive_api_root,
                   settings.revoke_uri)

    def root(self, api: Api) -> str:
        root: str = getattr(self, api.value)
        return root if root.endswith("/") else root + "/"

    def batch_uri(self, api: Api) -> str:
        url = urlsplit(self.root(api))
        return f"{url.scheme}://{url.netloc}/{_BATCH_PATH[api]}"


def ca_certs_file(settings: GoogleSettings, folder: Path) -> str | None:
    """The certificate file every Google call trusts: ``None`` for the usual ones (certifi's), or
    a file in ``folder`` holding the usual ones plus ``settings.ca_bundle``. httplib2 and requests
    both *replace* their trust store with the file they are given, hence the combined file."""
    if not settings.ca_bundle:
        return None
    extra_path = Path(settings.ca_bundle).expanduser()
    try:
        extra = extra_path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise GoogleError(f"The certificate file of setting google.ca_bundle ({extra_path}) cannot be read: "
                          f"{exc}.") from None
    if "-----BEGIN CERTIFICATE-----" not in extra:
        raise GoogleError(f"{extra_path} holds no PEM certificate (setting google.ca_bundle).")
    import certifi

    combined = Path(certifi.where()).read_text(encoding="ascii") + "\n" + extra
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "google-ca-bundle.pem"
    fd, tmp = tempfile.mkstemp(prefix=target.name, suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(combined)
        os.replace(tmp, target)  # atomic, so another process never reads half a bundle
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return str(target)


def new_http(ca_certs: str | None, timeout: float) -> httplib2.Http:
    http = httplib2.Http(timeout=timeout, ca_certs=ca_certs)
    # Resumable uploads answer 308 "resume incomplete", which httplib2 would follow as a redirect.
    http.redirect_codes = http.redirect_codes - {308}
    return http


class _NoNetwork:
    """The http object of the shared Resources: building requests is fine, sending is a bug."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a Google request was executed without its thread's http object")

    def close(self) -> None:
        pass


class Transport:
    """Endpoints, certificates and connections for one signed-in account."""

    def __init__(self, credentials: Credentials, settings: GoogleSettings, run_blocking: RunBlocking,
                 *, ca_certs: str | None = None) -> None:
        self.credentials = credentials
        self.endpoints = Endpoints.from_settings(settings)
        self.ca_certs = ca_certs
        self.timeout = settings.request_timeout_seconds
        self.run_blocking = run_blocking
        self._local = threading.local()
        self._resources: dict[Api, Any] = {}
        self._lock = threading.Lock()

    def thread_http(self) -> google_auth_httplib2.AuthorizedHttp:
        """This thread's authorized connection (made on first use, kept for the thread's life)."""
        http = getattr(self._local, "http", None)
        if http is None:
            http = google_auth_httplib2.AuthorizedHttp(self.credentials, http=new_http(self.ca_certs, self.timeout))
            self._local.http = http
        return http

    async def resource(self, api: Api) -> Any:
        """The shared request builder of ``api`` (made once on the I/O lane: parsing a bundled
        discovery document takes tens of milliseconds)."""
        resource = self._resources.get(api)
        if resource is None:
            resource = await self.run_blocking(lambda: self._build(api))
        return resource

    def _build(self, api: Api) -> Any:
        from googleapiclient.discovery import build

        with self._lock:
            if api not in self._resources:
                self._resources[api] = build(
                    api.value, _VERSION[api], http=_NoNetwork(), static_discovery=True, cache_discovery=False,
                    client_options={"api_endpoint": self.endpoints.root(api)})
            return self._resources[api]
