"""The bridge's answers when something is wrong, all JSON with a reason and an honest status.

``{"detail": message, "error": {"reason": ..., "message": ...}}`` everywhere: 4xx when the client
asked for something it cannot have (with what to change), 429 with ``Retry-After`` when the
terminal is busy, 5xx only when the terminal or the bridge failed.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ..errors import BridgeError, ErrorReason

log = logging.getLogger(__name__)

STATUS = {ErrorReason.NOT_CONNECTED: 503, ErrorReason.TIMEOUT: 504, ErrorReason.AUTH_FAILED: 502,
          ErrorReason.BAD_DATA: 502, ErrorReason.NOT_FOUND: 404}


class InvalidRequest(Exception):
    """The client's mistake (a date that is none, a range too long): 422 with the reason."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Overloaded(Exception):
    """The terminal has more work waiting than it can do soon: 429, come back in a moment."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def problem(reason: str, message: str) -> dict[str, Any]:
    return {"detail": message, "error": {"reason": reason, "message": message}}


def error_body(exc: BridgeError) -> dict[str, Any]:
    return problem(exc.reason.value, exc.message)


def _describe(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path"))
        parts.append(f"{where or 'request'}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)[:500] or "The request is not valid."


def install(app: FastAPI) -> None:
    @app.exception_handler(BridgeError)
    async def bridge_error(_request: Request, exc: BridgeError) -> JSONResponse:
        return JSONResponse(error_body(exc), status_code=STATUS[exc.reason])

    @app.exception_handler(InvalidRequest)
    async def invalid(_request: Request, exc: InvalidRequest) -> JSONResponse:
        return JSONResponse(problem("invalid_request", exc.message), status_code=422)

    @app.exception_handler(RequestValidationError)
    async def unparsable(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(problem("invalid_request", _describe(exc)), status_code=422)

    @app.exception_handler(Overloaded)
    async def overloaded(_request: Request, exc: Overloaded) -> JSONResponse:
        return JSONResponse(problem("busy", exc.message), status_code=429,
                            headers={"Retry-After": str(exc.retry_after)})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return JSONResponse({"error": "Internal server error", "detail": "Internal server error"}, status_code=500)
