"""Batch requests: ``multipart/mixed`` of ``application/http`` parts, answered part by part.

As Google does, the outer request's headers (its ``Authorization``) apply to every part, and each
part is answered with its own status (so one part can fail while the others succeed).
"""

from __future__ import annotations

import email.parser
import email.policy
import secrets
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from .server import Reply, Request

if TYPE_CHECKING:
    from .server import FakeGoogle

_REASONS = {200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
            404: "Not Found", 410: "Gone", 429: "Too Many Requests", 500: "Internal Server Error",
            503: "Service Unavailable"}


def register(fake: FakeGoogle) -> None:
    sizes: list[int] = []
    fake.batch_sizes = sizes  # type: ignore[attr-defined]

    def handle(request: Request) -> Reply:
        if not fake.oauth.access_ok(request.bearer):
            return Reply.error(401, "authError", "Invalid Credentials")
        content_type = request.headers.get("content-type", "")
        message = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + request.body)
        if not message.is_multipart():
            return Reply.error(400, "badRequest", "not multipart/mixed")
        parts = message.get_payload()
        if len(parts) > 100:
            return Reply.error(400, "badRequest", "too many requests in a batch")
        sizes.append(len(parts))
        boundary = "batch_" + secrets.token_hex(8)
        out: list[bytes] = []
        for part in parts:
            content_id = part["Content-ID"] or ""
            inner = part.get_payload()
            if isinstance(inner, list):
                return Reply.error(400, "badRequest", "nested multipart")
            head, _, body = inner.replace("\r\n", "\n").partition("\n\n")
            lines = head.split("\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            headers["authorization"] = request.headers.get("authorization", "")
            url = urlsplit(target)
            reply = fake.dispatch(Request(method, url.path, parse_qs(url.query, keep_blank_values=True), headers,
                                          body.encode(), in_batch=True))
            status_line = f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Unknown')}"
            inner_headers = "".join(f"{k}: {v}\r\n" for k, v in reply.headers.items())
            answer_id = f"<response-{content_id[1:]}" if content_id.startswith("<") else f"<response-{content_id}>"
            out.append((f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: {answer_id}\r\n\r\n"
                        f"{status_line}\r\n{inner_headers}Content-Length: {len(reply.body)}\r\n\r\n").encode()
                       + reply.body + b"\r\n")
        body = b"".join(out) + f"--{boundary}--\r\n".encode()
        return Reply(200, body, {"Content-Type": f"multipart/mixed; boundary={boundary}"})

    fake.route("POST", "/batch(?:/[a-z]+/v[0-9]+)?", "batch", handle)
