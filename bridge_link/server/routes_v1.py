"""``/api/v1``: the FIDUS desktop's own API, our models as JSON, the key required everywhere."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import AwareDatetime

from ..models import AccountRef, Timeframe
from .deps import model_response, models_response, session_of
from .ranges import bars_range, history_range

PREFIX = "/api/v1"
#: Every route needs the key (checked before anything is read, see guard.py).
router = APIRouter(prefix=PREFIX)
Symbol = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/health")
async def health(request: Request) -> Response:
    """200 only while the terminal is connected; 503 with the reason otherwise."""
    result = await session_of(request).health()
    return model_response(result, 200 if result.connected else 503)


@router.get("/accounts")
async def accounts(request: Request) -> Response:
    directory = session_of(request).directory
    return models_response(AccountRef(login=m.login, name=m.name, fund_type=m.fund_type, server=m.server)
                           for m in directory.values())


@router.get("/accounts/{login}")
async def account(login: int, request: Request) -> Response:
    return model_response(await session_of(request).account(login))


@router.get("/accounts/{login}/positions")
async def positions(login: int, request: Request) -> Response:
    return model_response(await session_of(request).positions(login))


@router.get("/accounts/{login}/orders")
async def orders(login: int, request: Request) -> Response:
    return model_response(await session_of(request).open_orders(login))


@router.get("/accounts/{login}/deals")
async def deals(login: int, request: Request, date_from: Annotated[AwareDatetime, Query()],
                date_to: Annotated[AwareDatetime, Query()]) -> Response:
    session = session_of(request)
    return model_response(await session.deals(login, *history_range(date_from, date_to, session.limits)))


@router.get("/accounts/{login}/history-orders")
async def history_orders(login: int, request: Request, date_from: Annotated[AwareDatetime, Query()],
                         date_to: Annotated[AwareDatetime, Query()]) -> Response:
    session = session_of(request)
    return model_response(await session.history_orders(login, *history_range(date_from, date_to, session.limits)))


@router.get("/symbols/{symbol}")
async def symbol(symbol: Symbol, request: Request) -> Response:
    return model_response(await session_of(request).symbol(symbol))


@router.get("/symbols/{symbol}/tick")
async def tick(symbol: Symbol, request: Request) -> Response:
    return model_response(await session_of(request).tick(symbol))


@router.get("/symbols/{symbol}/rates")
async def rates(symbol: Symbol, request: Request, timeframe: Timeframe, date_from: Annotated[AwareDatetime, Query()],
                date_to: Annotated[AwareDatetime, Query()]) -> Response:
    session = session_of(request)
    result = await session.rates(symbol, timeframe, *bars_range(timeframe, date_from, date_to, session.limits))
    return model_response(result)


@router.post("/reconnect")
async def reconnect(request: Request) -> Response:
    session = session_of(request)
    await session.reconnect()
    return model_response(await session.health())
