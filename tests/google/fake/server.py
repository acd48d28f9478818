"""A fake of the Google endpoints FIDUS uses, served over HTTPS on 127.0.0.1.

The real google-api-python-client and google-auth-oauthlib talk to it unchanged. Each area
(OAuth, Gmail, Calendar, Drive, batch) registers its routes; the server adds what tests need to
steer and observe: per-request latency, scripted failures (:meth:`FakeGoogle.fail`) and a log of
every request received (:attr:`FakeGoogle.requests`).
"""

from __future__ import annotations

import json
import re
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .certs import TestCertificates


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    route: str = ""
    params: dict[str, str] = field(default_factory=dict)
    in_batch: bool = False

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else {}

    @property
    def bearer(self) -> str:
        value = self.headers.get("authorization", "")
        return value[7:] if value.lower().startswith("bearer ") else ""


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, data: Any, headers: dict[str, str] | None = None) -> Reply:
        return cls(status, json.dumps(data).encode(), {"Content-Type": "application/json; charset=UTF-8",
                                                       **(headers or {})})

    @classmethod
    def error(cls, status: int, reason: str, message: str = "", headers: dict[str, str] | None = None) -> Reply:
        return cls.json(status, {"error": {"code": status, "message": message or reason,
                                           "errors": [{"domain": "global", "reason": reason,
                                                       "message": message or reason}]}}, headers)


@dataclass
class Failure:
    route: str
    status: int
    times: int
    reason: str
    headers: dict[str, str]
    match: Callable[[Request], bool] | None


Handler = Callable[[Request], Reply]


class FakeGoogle:
    def __init__(self, certificates: TestCertificates) -> None:
        from . import batch, calendar, drive, gmail, oauth

        self.certificates = certificates
        self.latency = 0.0
        self.requests: list[Request] = []
        self._routes: list[tuple[str, re.Pattern[str], str, Handler]] = []
        self._failures: list[Failure] = []
        self._lock = threading.RLock()
        self.oauth = oauth.FakeOAuth(self)
        self.gmail = gmail.FakeGmail(self)
        self.calendar = calendar.FakeCalendar(self)
        self.drive = drive.FakeDrive(self)
        batch.register(self)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- wiring ---------------------------------------------------------------------------------

    def route(self, method: str, pattern: str, name: str, handler: Handler) -> None:
        self._routes.append((method, re.compile(f"^{pattern}$"), name, handler))

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def client_json(self, client_id: str = "fidus-test.apps.googleusercontent.com",
                    client_secret: str = "fake-installed-app-secret") -> str:
        return json.dumps({"installed": {
            "client_id": client_id, "client_secret": client_secret, "project_id": "fidus-test",
            "auth_uri": f"{self.base_url}/o/oauth2/auth", "token_uri": f"{self.base_url}/token",
            "redirect_uris": ["http://localhost"]}})

    def start(self) -> FakeGoogle:
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go in two writes: without this, Nagle and delayed ACKs add 40 ms.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's name)
                pass

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                request = Request(self.command, url.path, parse_qs(url.query, keep_blank_values=True),
                                  {k.lower(): v for k, v in self.headers.items()}, body)
                if fake.latency:
                    time.sleep(fake.latency)
                reply = fake.dispatch(request)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any  # noqa: N815 (stdlib naming)

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certificates.cert_file, self.certificates.key_file)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        # The handshake happens in each connection's own thread, not in the accepting loop.
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=lambda: server.serve_forever(poll_interval=0.05), name="fake-google", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)

    # -- steering -------------------------------------------------------------------------------

    def fail(self, route: str, status: int, *, times: int = 1, reason: str = "",
             headers: dict[str, str] | None = None, match: Callable[[Request], bool] | None = None) -> None:
        """The next ``times`` requests of ``route`` (matching ``match``) get ``status``."""
        default = {429: "rateLimitExceeded", 403: "userRateLimitExceeded", 404: "notFound", 410: "deleted"}
        with self._lock:
            self._failures.append(Failure(route, status, times, reason or default.get(status, "backendError"),
                                          headers or {}, match))

    def received(self, route: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.route == route]

    # -- dispatch -------------------------------------------------------------------------------

    def dispatch(self, request: Request) -> Reply:
        for method, pattern, name, handler in self._routes:
            found = pattern.match(request.path)
            if found and method == request.method:
                request.route, request.params = name, found.groupdict()
                break
        else:
            with self._lock:
                self.requests.append(request)
            return Reply.error(404, "notFound", f"no fake route for {request.method} {request.path}")
        with self._lock:
            self.requests.append(request)
            for failure in self._failures:
                if failure.route == name and failure.times > 0 and (failure.match is None or failure.match(request)):
                    failure.times -= 1
                    return Reply.error(failure.status, failure.reason, headers=failure.headers)
        if not name.startswith(("oauth.", "batch")) and not self.oauth.access_ok(request.bearer):
            return Reply.error(401, "authError", "Invalid Credentials")
        with self._lock:
            return handler(request)
