"""The connection-level limits uvicorn does not have: a request deadline and a connection cap.

uvicorn bounds a request's header size (h11's 16 KB) and idle keep-alive time, but nothing
bounds how long a client may take to *send* a request: five sockets dribbling partial headers
held their connections for over two minutes. ASGI middleware cannot help (it runs once the
headers are complete), so this is uvicorn's own h11 protocol with two additions:

* a connection that has not delivered a complete request (headers and body) ``header_timeout``
  seconds after it opened, or after the request's first byte on a kept-alive connection, is
  closed;
* beyond ``max_connections`` open connections, a new one is closed at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from .limits import ServerLimits

log = logging.getLogger(__name__)
_WARN_EVERY = 10.0
_last_warning = [0.0]


def _warn(message: str, *args: Any) -> None:
    # A flood of slow or surplus clients must not become a flood of log lines.
    now = time.monotonic()
    if now - _last_warning[0] >= _WARN_EVERY:
        _last_warning[0] = now
        log.warning(message, *args)


class GuardedH11Protocol(H11Protocol):
    header_timeout: float = ServerLimits.header_timeout
    max_connections: int = ServerLimits.max_connections

    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            _warn("more than %d connections open: new ones are closed at once", self.max_connections)
            transport.close()
            return
        self._arm()

    def _arm(self) -> None:
        self._deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            _warn("closed a connection from %s: no complete request within %g s",
                  self.client[0] if self.client else "?", self.header_timeout)
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self._deadline is None and self.conn.their_state is h11.IDLE:
            self._arm()  # a new request starts on a kept-alive connection
        super().data_received(data)
        if self.conn.their_state not in (h11.IDLE, h11.SEND_BODY):
            self._disarm()  # the whole request is in: answering it is our business

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def guarded_protocol(limits: ServerLimits) -> type[GuardedH11Protocol]:
    return type("GuardedH11Protocol", (GuardedH11Protocol,),
                {"header_timeout": limits.header_timeout, "max_connections": limits.max_connections})


def server_config(app: Any, *, host: str, port: int, limits: ServerLimits, **options: Any) -> uvicorn.Config:
    """uvicorn's configuration for the bridge: our protocol, and uvicorn's own limits set explicitly."""
    return uvicorn.Config(app, host=host, port=port, http=guarded_protocol(limits),
                          h11_max_incomplete_event_size=16 * 1024,  # request line and headers
                          timeout_keep_alive=5, **options)
