"""A raw HTTP server on 127.0.0.1 that misbehaves on purpose (trickles, hangs, bombs, 404s).

Raw sockets rather than an ASGI app, so the misbehaviour is exactly what goes on the wire: a
framework would buffer, compress or time out for us.
"""

from __future__ import annotations

import asyncio
import gzip
import threading
from collections.abc import Awaitable, Callable

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def read_head(reader: asyncio.StreamReader) -> bytes:
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return b""


def head(status: str, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    return "\r\n".join(lines).encode()


def trickle(interval: float) -> Handler:
    """Headers at once, then one byte of the body every ``interval`` seconds, for ever."""
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(head("200 OK", {"Content-Type": "application/json", "Content-Length": "100000"}))
        while True:
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(interval)
    return handle


async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accepts the request and never answers."""
    await read_head(reader)
    await asyncio.sleep(3600)


def gzip_bomb(unpacked_mb: int) -> Handler:
    """A small gzip body that unpacks to ``unpacked_mb`` MB of spaces (valid JSON whitespace)."""
    payload = gzip.compress(b" " * (unpacked_mb * 2**20), compresslevel=9)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await read_head(reader):
            writer.write(head("200 OK", {"Content-Type": "application/json", "Content-Encoding": "gzip",
                                         "Content-Length": str(len(payload))}) + payload)
            await writer.drain()
    handle.compressed_bytes = len(payload)  # type: ignore[attr-defined]
    return handle


def huge(megabytes: int, declare_length: bool = False) -> Handler:
    """A plain body of ``megabytes`` MB, streamed (chunked unless ``declare_length``)."""
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        chunk = b" " * 65536
        headers = {"Content-Type": "application/json"}
        if declare_length:
            headers["Content-Length"] = str(megabytes * 2**20)
        else:
            headers["Transfer-Encoding"] = "chunked"
        writer.write(head("200 OK", headers))
        for _ in range(megabytes * 16):
            writer.write(chunk if declare_length else b"10000\r\n" + chunk + b"\r\n")
            await writer.drain()
        if not declare_length:
            writer.write(b"0\r\n\r\n")
        await writer.drain()
    return handle


async def not_found(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """What a proxy or an old bridge says to every path: 404 with a body that is not ours."""
    body = b'{"detail":"Not Found"}'
    while await read_head(reader):
        writer.write(head("404 Not Found", {"Content-Type": "application/json", "Content-Length": str(len(body))})
                     + body)
        await writer.drain()


class HostileServer:
    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hostile-http", daemon=True)
        self.port = 0

    async def _guarded(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._handler(reader, writer)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._guarded, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._server = server
        self._ready.set()
        self._loop.run_forever()
        server.close()
        for task in asyncio.all_tasks(self._loop):
            task.cancel()
        self._loop.run_until_complete(asyncio.sleep(0))
        self._loop.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> HostileServer:
        self._thread.start()
        self._ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
