"""Real uvicorn servers on 127.0.0.1 in background threads, stoppable mid-request."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn

from bridge_link.server.limits import ServerLimits
from bridge_link.server.protocol import server_config


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BackgroundServer:
    """As ``fidus-bridge serve`` runs it: uvicorn with the bridge's protocol and limits."""

    def __init__(self, app: Any, port: int | None = None, limits: ServerLimits | None = None) -> None:
        self.port = port or free_port()
        config = server_config(app, host="127.0.0.1", port=self.port, limits=limits or ServerLimits(),
                               log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run, name=f"uvicorn-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"server on port {self.port} did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """What killing the process looks like to a client: new connections are refused."""
        self.server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> BackgroundServer:
        return self if self._thread.is_alive() else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
