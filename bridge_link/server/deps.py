"""Shared bits of the routers: the session, JSON responses from models, the UTC clock."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from .session import BridgeSession


def session_of(request: Request) -> BridgeSession:
    return request.app.state.session


def model_response(model: BaseModel, status_code: int = 200) -> Response:
    # Serialized by pydantic-core directly: no second validation pass as a response_model would do.
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json")


def models_response(models: Any) -> Response:
    body = b"[" + b",".join(m.model_dump_json().encode() for m in models) + b"]"
    return Response(body, media_type="application/json")


def json_response(data: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status_code)
