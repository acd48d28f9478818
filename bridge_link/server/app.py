"""The bridge server application: routers for our API and the original's, errors as JSON.

Routers only parse, authenticate, call the session and serialize; everything MT5 happens in the
session's one lane. Errors carry their reason and an honest status code (the original answered
200 with zero balances or ``success: false``).
"""

from __future__ import annotations

import json
import logging
import time
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ..errors import BridgeError, ErrorReason
from . import legacy_deployed, legacy_seed, routes_v1
from .session import VERSION, BridgeSession

log = logging.getLogger(__name__)
access_log = logging.getLogger("bridge_link.access")

STATUS = {ErrorReason.NOT_CONNECTED: 503, ErrorReason.TIMEOUT: 504, ErrorReason.AUTH_FAILED: 502,
          ErrorReason.BAD_DATA: 502, ErrorReason.NOT_FOUND: 404}


def error_body(exc: BridgeError) -> dict[str, Any]:
    return {"detail": exc.message, "error": {"reason": exc.reason.value, "message": exc.message}}


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
                access_log.info(json.dumps({"method": scope["method"], "path": scope["path"], "status": status,
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
    app.state.api_key = api_key.encode("utf-8")

    @app.exception_handler(BridgeError)
    async def bridge_error(_request: Request, exc: BridgeError) -> JSONResponse:
        return JSONResponse(error_body(exc), status_code=STATUS[exc.reason])

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return JSONResponse({"error": "Internal server error", "detail": "Internal server error"}, status_code=500)

    app.include_router(routes_v1.router)
    app.include_router(legacy_seed.router)
    app.include_router(legacy_deployed.router)
    app.add_middleware(AccessLog)
    return app
