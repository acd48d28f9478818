"""The remote source: one bridge server reached over HTTP (our ``/api/v1``).

One ``httpx.AsyncClient`` per bridge, kept for the app's life: keep-alive saves a TCP (and TLS)
handshake per request, which is most of a request's cost on a LAN or VPN. Reads are idempotent,
so connection failures and 5xx answers are retried a little, with jitter. Every answer is
validated against our models before anyone sees it: malformed JSON, a missing field or another
account's numbers become ``bad_data``, never a crash or a wrong figure on screen.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import datetime
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from fidus_desktop.domain.values import utc_now
from fidus_desktop.logs import register_secret

from .errors import BridgeError, ErrorReason
from .models import (
    AccountRef,
    AccountSnapshot,
    DealsSnapshot,
    OrdersSnapshot,
    PositionsSnapshot,
    Rates,
    SourceHealth,
    SymbolSpec,
    Tick,
    Timeframe,
)

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
_ACCOUNT_LIST = TypeAdapter(tuple[AccountRef, ...])
RETRY_STATUS = frozenset({500, 502, 503, 504})


class RemoteSource:
    def __init__(self, name: str, url: str, api_key: str, *, connect_timeout: float = 3.0,
                 read_timeout: float = 10.0, retries: int = 2, retry_base: float = 0.1,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.name = f"bridge {name}"
        self.url = url.rstrip("/")
        if api_key:
            register_secret(api_key)
        self._retries = retries
        self._retry_base = retry_base
        self._client = httpx.AsyncClient(
            base_url=f"{self.url}/api/v1", headers={"X-API-Key": api_key} if api_key else {},
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=8, keepalive_expiry=30.0),
            transport=transport, follow_redirects=False)

    # --- transport ------------------------------------------------------------------------------------
    def _error(self, reason: ErrorReason, message: str, detail: str = "") -> BridgeError:
        return BridgeError(reason, message, detail=detail, source=self.name)

    async def _request(self, method: str, path: str, params: dict[str, Any] | None = None,
                       accept: tuple[int, ...] = (200,)) -> httpx.Response:
        failure: BridgeError | None = None
        for attempt in range(self._retries + 1):
            if attempt:
                # Full jitter: clients that lost the same bridge do not come back in step.
                await asyncio.sleep(random.uniform(0, self._retry_base * 2 ** (attempt - 1)))
            try:
                response = await self._client.request(method, path, params=params)
            except httpx.TimeoutException as exc:
                # A bridge that is slow once is slow again: no retry, let failover move on.
                raise self._error(ErrorReason.TIMEOUT, f"{self.name} did not answer in time.",
                                  type(exc).__name__) from exc
            except httpx.TransportError as exc:
                failure = self._error(ErrorReason.NOT_CONNECTED, f"{self.name} cannot be reached.",
                                      type(exc).__name__)
                continue
            if response.status_code in accept:
                return response
            failure = self._status_error(response)
            if response.status_code not in RETRY_STATUS:
                raise failure
        assert failure is not None
        raise failure

    def _status_error(self, response: httpx.Response) -> BridgeError:
        status = response.status_code
        if status in (401, 403):
            return self._error(ErrorReason.AUTH_FAILED, f"{self.name} refused our API key.", f"HTTP {status}")
        reason, message = None, ""
        try:
            body = response.json()
            error = body.get("error") if isinstance(body, dict) else None
            if isinstance(error, dict):
                reason = ErrorReason(error.get("reason"))
                message = str(error.get("message", ""))[:300]
        except (ValueError, TypeError):
            pass
        if reason is None:
            reason = {404: ErrorReason.NOT_FOUND, 504: ErrorReason.TIMEOUT}.get(
                status, ErrorReason.NOT_CONNECTED if status in (502, 503) else ErrorReason.BAD_DATA)
        return self._error(reason, message or f"{self.name} answered HTTP {status}.", f"HTTP {status}")

    def _parse(self, response: httpx.Response, model: type[M]) -> M:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            raise self._error(ErrorReason.BAD_DATA, f"{self.name} sent an answer that is not valid.",
                              f"{exc.error_count()} invalid field(s)") from None

    async def _get(self, path: str, model: type[M], params: dict[str, Any] | None = None) -> M:
        return self._parse(await self._request("GET", path, params), model)

    def _mine(self, snap: Any, login: int) -> Any:
        if snap.login != login:
            raise self._error(ErrorReason.BAD_DATA, f"{self.name} answered for account {snap.login}, not {login}.")
        return snap.model_copy(update={"source": self.name})

    # --- the source interface ----------------------------------------------------------------------------
    async def health(self) -> SourceHealth:
        try:
            response = await self._request("GET", "/health", accept=(200, 503))
            remote = self._parse(response, SourceHealth)
        except BridgeError as exc:
            return SourceHealth(source=self.name, connected=False, checked_at=utc_now(), reason=exc.reason,
                                detail=exc.message)
        detail = remote.detail if remote.connected else f"MT5 behind {self.name}: {remote.detail or remote.reason}"
        return remote.model_copy(update={"source": self.name, "detail": detail})

    async def accounts(self) -> tuple[AccountRef, ...]:
        response = await self._request("GET", "/accounts")
        try:
            return _ACCOUNT_LIST.validate_json(response.content)
        except ValidationError as exc:
            raise self._error(ErrorReason.BAD_DATA, f"{self.name} sent an invalid account list.",
                              f"{exc.error_count()} invalid field(s)") from None

    async def account(self, login: int) -> AccountSnapshot:
        return self._mine(await self._get(f"/accounts/{login}", AccountSnapshot), login)

    async def positions(self, login: int) -> PositionsSnapshot:
        return self._mine(await self._get(f"/accounts/{login}/positions", PositionsSnapshot), login)

    async def open_orders(self, login: int) -> OrdersSnapshot:
        return self._mine(await self._get(f"/accounts/{login}/orders", OrdersSnapshot), login)

    @staticmethod
    def _range(date_from: datetime, date_to: datetime) -> dict[str, str]:
        return {"date_from": date_from.isoformat(), "date_to": date_to.isoformat()}

    async def deals(self, login: int, date_from: datetime, date_to: datetime) -> DealsSnapshot:
        snap = await self._get(f"/accounts/{login}/deals", DealsSnapshot, self._range(date_from, date_to))
        return self._mine(snap, login)

    async def history_orders(self, login: int, date_from: datetime, date_to: datetime) -> OrdersSnapshot:
        snap = await self._get(f"/accounts/{login}/history-orders", OrdersSnapshot, self._range(date_from, date_to))
        return self._mine(snap, login)

    async def symbol(self, symbol: str) -> SymbolSpec:
        return await self._get(f"/symbols/{symbol}", SymbolSpec)

    async def tick(self, symbol: str) -> Tick:
        return await self._get(f"/symbols/{symbol}/tick", Tick)

    async def rates(self, symbol: str, timeframe: Timeframe, date_from: datetime, date_to: datetime) -> Rates:
        params = {"timeframe": Timeframe(timeframe).value, **self._range(date_from, date_to)}
        return await self._get(f"/symbols/{symbol}/rates", Rates, params)

    async def close(self) -> None:
        await self._client.aclose()
