"""Valid bridge answers (from the demo terminal) and a remote source that is served them in memory."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from collections.abc import Callable
from typing import Any

import httpx

from bridge_link.demo_terminal import DemoTerminal
from bridge_link.direct import DirectSource
from bridge_link.remote import RemoteSource

from .conftest import API_KEY, FIXED_NOW, Clock

LOGIN = 88001003  # positions, orders and deals: every shape has rows


def demo_answers() -> dict[str, Any]:
    """``/api/v1`` path -> the JSON our bridge sends for it, read from a demo terminal."""
    async def read() -> dict[str, Any]:
        terminal = DemoTerminal(seed=1, clock=Clock())
        source = DirectSource(terminal, name="demo terminal", zone=terminal.zone)
        try:
            now = FIXED_NOW
            return {
                "/health": await source.health(),
                f"/accounts/{LOGIN}": await source.account(LOGIN),
                f"/accounts/{LOGIN}/positions": await source.positions(LOGIN),
                f"/accounts/{LOGIN}/orders": await source.open_orders(LOGIN),
                f"/accounts/{LOGIN}/deals": await source.deals(LOGIN, now - timedelta(days=30), now),
                "/symbols/EURUSD": await source.symbol("EURUSD"),
                "/symbols/EURUSD/tick": await source.tick("EURUSD"),
            }
        finally:
            await source.close()

    models = asyncio.run(read())
    return {path: json.loads(model.model_dump_json()) for path, model in models.items()}


def served(respond: Callable[[httpx.Request], httpx.Response]) -> RemoteSource:
    return RemoteSource("fuzz", "http://bridge.test", API_KEY, retries=0, read_timeout=2.0,
                        transport=httpx.MockTransport(respond))


class Chunks(httpx.AsyncByteStream):
    """A body streamed in chunks, as from the network (``content=`` would be read at once)."""

    def __init__(self, content: bytes, size: int = 65536) -> None:
        self._content = content
        self._size = size

    async def __aiter__(self):
        for start in range(0, len(self._content), self._size):
            yield self._content[start:start + self._size]


def json_answer(body: Any, status: int = 200,
                headers: dict[str, str] | None = None) -> Callable[[httpx.Request], httpx.Response]:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return lambda request: httpx.Response(status, stream=Chunks(content),
                                          headers={"Content-Type": "application/json", **(headers or {})})
