"""The first thing every request meets: the API key, then the body's size, before any reading.

FastAPI reads (and parses) a body before it runs a route's dependencies, so a key checked as a
dependency came after a 200 MB upload had been taken in. This ASGI layer runs first: a request
without the right key gets 401 from its headers alone, a body announced or found larger than
``max_body_bytes`` gets 413 (both close the connection, so the rest is never read), and only
then does the application see the request, with its body already in hand.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Iterable
from typing import Any

from .auth import HEADER
from .problems import problem

log = logging.getLogger(__name__)
_HEADER = HEADER.lower().encode("ascii")


async def send_json(send: Any, status: int, body: dict[str, Any], headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    content = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": content})


class RequestGuard:
    def __init__(self, app: Any, *, api_key: bytes, open_paths: frozenset[str], max_body_bytes: int) -> None:
        self.app = app
        self._key = api_key
        self._open = open_paths
        self._max_body = max_body_bytes

    def _key_ok(self, scope: dict[str, Any]) -> bool:
        given = next((value for name, value in scope["headers"] if name == _HEADER), b"")
        # compare_digest: constant time whatever the content (a length mismatch says only that).
        return bool(given) and hmac.compare_digest(given, self._key)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] not in self._open and not self._key_ok(scope):
            client = scope.get("client") or ("?", 0)
            log.info("rejected request to %s from %s: missing or wrong API key", scope["path"][:200], client[0])
            # Closed after the answer: whatever body follows is never read.
            await send_json(send, 401, {"detail": "Invalid API key"}, [(b"connection", b"close")])
            return
        declared = next((value for name, value in scope["headers"] if name == b"content-length"), None)
        if declared is not None and (not declared.isdigit() or int(declared) > self._max_body):
            await self._too_large(send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left (or was dropped for sending too slowly): nobody to answer
            body += message.get("body", b"")
            if len(body) > self._max_body:
                await self._too_large(send)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: the client's disconnect, when it comes
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)

    async def _too_large(self, send: Any) -> None:
        limit = f"{self._max_body // 1024} KB"
        await send_json(send, 413, problem("too_large", f"The request body is over {limit}."),
                        [(b"connection", b"close")])
