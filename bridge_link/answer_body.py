"""Reading an HTTP answer's body with a cap on its size, as sent and once unpacked.

httpx would unpack a gzip body chunk by chunk without a limit: one 64 KB chunk of a gzip bomb
becomes 64 MB at once. Here the raw stream is read and unpacked by us with ``max_length``, so no
step ever holds more than the cap (plus one chunk), whatever the sender claims or sends.
"""

from __future__ import annotations

import zlib

import httpx

#: What the remote source asks for: what it can unpack under a cap (no brotli or zstd).
ACCEPT_ENCODING = "gzip, deflate"


class AnswerTooLarge(ValueError):
    pass


class AnswerUnreadable(ValueError):
    pass


class _Inflater:
    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
        self._inflate = zlib.decompressobj(wbits)
        self._first = True

    def feed(self, data: bytes, room: int) -> bytes:
        try:
            out = self._inflate.decompress(data, room + 1)
        except zlib.error:
            if not (self._first and self._encoding == "deflate"):
                raise AnswerUnreadable(f"the {self._encoding} body is corrupt") from None
            # Some servers send raw deflate without the zlib header (httpx accepts both too).
            self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
            self._first = False
            return self.feed(data, room)
        self._first = False
        if len(out) > room:
            raise AnswerTooLarge
        return out

    def finish(self, room: int) -> bytes:
        try:
            out = self._inflate.flush()
        except zlib.error:
            raise AnswerUnreadable(f"the {self._encoding} body is corrupt") from None
        if len(out) > room:
            raise AnswerTooLarge
        return out


def _inflater(response: httpx.Response) -> _Inflater | None:
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip", "deflate"):
        return _Inflater("gzip" if encoding == "x-gzip" else encoding)
    raise AnswerUnreadable(f"unsupported content-encoding {encoding[:40]!r}")


async def read_capped(response: httpx.Response, limit: int) -> bytearray:
    """The body of a streamed ``response``; :class:`AnswerTooLarge` past ``limit`` bytes either way."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise AnswerTooLarge
    if response.is_stream_consumed:
        # Read already by an in-memory transport (tests, tools): the network never does this.
        if len(response.content) > limit:
            raise AnswerTooLarge
        return bytearray(response.content)
    inflater = _inflater(response)
    body = bytearray()
    received = 0
    async for chunk in response.aiter_raw():
        received += len(chunk)
        if received > limit:
            raise AnswerTooLarge
        body += inflater.feed(chunk, limit - len(body)) if inflater else chunk
        if len(body) > limit:
            raise AnswerTooLarge
    if inflater:
        body += inflater.finish(limit - len(body))
    return body
