"""The bridge server application: routers for our API and the original's, errors as JSON.

Routers only parse, call the session and serialize; the key and the body's size are checked
before them (:mod:`.guard`), everything MT5 happens in the session's one lane. Errors carry
their reason and an honest status code (the original answered 200 with zero balances or
``success: false``; see :mod:`.problems`).
"""

from __future__ import annotations

import json
import logging
import time
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI

from . import legacy_deployed, legacy_seed, problems, routes_v1
from .guard import RequestGuard
from .session import VERSION, BridgeSession

log = logging.getLogger(__name__)
access_log = logging.getLogger("bridge_link.access")
#: The routers whose pages need no key: monitoring only, no account data.
OPEN_ROUTERS: tuple[APIRouter, ...] = (legacy_seed.open_router, legacy_deployed.open_router)


def open_paths() -> frozenset[str]:
    return frozenset(route.path for router in OPEN_ROUTERS for route in router.routes)  # type: ignore[attr-defined]


class AccessLog:
    """One structured line per request: method, path (never the query string, where the original
    carried tokens), status, duration and client. Headers, and so keys, are never logged."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def watch(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                client = scope.get("client") or ("?", 0)
                # The path is cut: a client must not be able to write megabytes into the log.
                access_log.info(json.dumps({"method": scope["method"][:16], "path": scope["path"][:200],
                                            "status": status,
                                            "ms": round((time.perf_counter() - started) * 1000, 1),
                                            "client": client[0]}))


def create_app(session: BridgeSession, api_key: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        health = await session.health()  # connect at start-up, so the first client does not wait
        log.info("bridge started (%s): MT5 %s", session.mode, "connected" if health.connected else health.detail)
        try:
            yield
        finally:
            await session.close()

    app = FastAPI(title="FIDUS MT5 bridge", version=VERSION, docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    app.state.session = session
    problems.install(app)
    app.include_router(routes_v1.router)
    app.include_router(legacy_seed.router)
    app.include_router(legacy_deployed.router)
    app.add_middleware(RequestGuard, api_key=api_key.encode("utf-8"), open_paths=open_paths(),
                       max_body_bytes=session.limits.max_body_bytes)
    app.add_middleware(AccessLog)  # outermost: the guard's 401 and 413 are logged too
    return app
