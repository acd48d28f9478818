"""The loopback listener that receives Google's answer to the browser sign-in.

Google redirects the browser to ``http://127.0.0.1:<port>/?state=...&code=...``. The listener is
ours (asyncio), not google-auth-oauthlib's ``run_local_server``, because that one blocks, serves a
single request whatever it is, and cannot be cancelled. Here:

- only ``GET /`` carrying our exact ``state`` completes the sign-in; anything else (the browser's
  ``/favicon.ico``, a second tab, a reply from an earlier attempt, a local program probing the
  port) gets a small page and the listener keeps waiting;
- each connection has a few seconds and a few kilobytes to say what it wants;
- :meth:`close` stops listening and drops open connections at once (Cancel, timeout, done).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import html
import logging
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

_HOST = "127.0.0.1"
_HEAD_LIMIT = 16 * 1024
_HEAD_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class SignInAnswer:
    """What Google sent back with our state: a ``code``, or an ``error`` (``access_denied``)."""

    code: str = ""
    error: str = ""


def _page(title: str, text: str) -> bytes:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
            f"<body style='font-family:sans-serif;margin:3em'><h2>{html.escape(title)}</h2>"
            f"<p>{html.escape(text)}</p></body></html>").encode()


def _response(status: str, body: bytes) -> bytes:
    head = (f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n")
    return head.encode("ascii") + body


class LoopbackReceiver:
    """One sign-in's listener: ``await start()``, give :attr:`redirect_uri` to Google, ``await
    answer()``, and always ``await close()``."""

    def __init__(self, state: str) -> None:
        self._state = state
        self._server: asyncio.Server | None = None
        self._answer: asyncio.Future[SignInAnswer] | None = None
        self.port = 0
        #: Requests answered without completing the sign-in (favicon, wrong state...), for tests.
        self.ignored = 0
        self.rejected_states = 0

    async def start(self) -> None:
        self._answer = asyncio.get_running_loop().create_future()
        self._server = await asyncio.start_server(self._serve, _HOST, 0, limit=_HEAD_LIMIT)
        self.port = self._server.sockets[0].getsockname()[1]

    @property
    def redirect_uri(self) -> str:
        return f"http://{_HOST}:{self.port}/"

    @property
    def listening(self) -> bool:
        return self._server is not None and self._server.is_serving()

    async def answer(self) -> SignInAnswer:
        assert self._answer is not None, "start() first"
        return await asyncio.shield(self._answer)

    async def close(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        server.close_clients()  # wait_closed() would otherwise wait for every open connection
        with contextlib.suppress(Exception):
            await server.wait_closed()
        if self._answer is not None and not self._answer.done():
            self._answer.cancel()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(_HEAD_SECONDS):
                head = await reader.readuntil(b"\r\n\r\n")
            writer.write(self._handle(head))
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            self.ignored += 1
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    def _handle(self, head: bytes) -> bytes:
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            self.ignored += 1
            return _response("400 Bad Request", _page("Bad request", "This address only takes the sign-in reply."))
        method, target, _ = parts
        url = urlsplit(target)
        if method != "GET" or url.path != "/":
            self.ignored += 1
            return _response("404 Not Found", _page("Not found", "Nothing here."))
        query = parse_qs(url.query, max_num_fields=20)
        state = query.get("state", [""])[0]
        if not state:
            self.ignored += 1
            return _response("404 Not Found", _page("Waiting for Google", "FIDUS is waiting for Google's reply."))
        if not hmac.compare_digest(state.encode(), self._state.encode()):
            self.rejected_states += 1
            log.warning("a sign-in reply with a foreign state was refused")
            return _response("400 Bad Request", _page(
                "Not this sign-in", "This reply does not belong to the sign-in FIDUS Desktop is waiting for "
                "(perhaps an older tab). Close this tab and use the newest one."))
        assert self._answer is not None
        if self._answer.done():
            self.ignored += 1
            return _response("200 OK", _page("Already done", "FIDUS Desktop already has this answer; close this tab."))
        error = query.get("error", [""])[0]
        code = query.get("code", [""])[0]
        if error or not code:
            self._answer.set_result(SignInAnswer(error=error or "no_code"))
            return _response("200 OK", _page("Sign-in not completed",
                                             "Google did not give FIDUS Desktop access. You can close this tab."))
        self._answer.set_result(SignInAnswer(code=code))
        return _response("200 OK", _page("FIDUS Desktop is connected",
                                         "You can close this tab and return to FIDUS Desktop."))
