"""The remote source: one bridge server reached over HTTP (our ``/api/v1``).

One ``httpx.AsyncClient`` per bridge, kept for the app's life: keep-alive saves a TCP (and TLS)
handshake per request, which is most of a request's cost on a LAN or VPN. Reads are idempotent,
so connection failures and 5xx answers are retried a little, with jitter. Every answer is
validated against our models (strictly: ``"100"`` is no int) before anyone sees it: malformed
JSON, a missing field, a value no account can have or another account's numbers become
``bad_data``, never a crash or a wrong figure on screen.

A bridge is outside our control, so every call is bounded: a total deadline (httpx's read
timeout counts per chunk, and a bridge trickling a byte every few seconds would never trip it)
and a cap on the answer's size, as sent and unpacked (:mod:`.answer_body`).
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from fidus_desktop.domain.values import utc_now
from fidus_desktop.logs import register_secret

from .answer_body import ACCEPT_ENCODING, AnswerTooLarge, AnswerUnreadable, read_capped
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
#: Far above any real answer (an account is about 1 KB, a few thousand positions a few MB; ten
#: years of a busy account's deals about 20 MB) and far below what would hurt the desktop.
MAX_ANSWER_BYTES = 8 * 1024 * 1024
MAX_HISTORY_BYTES = 64 * 1024 * 1024


class _Problem(BaseModel):
    reason: str = ""
    message: str = ""


class _ErrorBody(BaseModel):
    """Our bridge's error answers: ``{"detail": ..., "error": {"reason": ..., "message": ...}}``."""

    error: _Problem | None = None


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    headers: httpx.Headers
    body: bytearray


class RemoteSource:
    def __init__(self, name: str, url: str, api_key: str, *, connect_timeout: float = 3.0,
                 read_timeout: float = 10.0, deadline: float | None = None, history_deadline: float | None = None,
                 health_timeout: float = 2.0, retries: int = 2, retry_base: float = 0.1,
                 max_answer_bytes: int = MAX_ANSWER_BYTES, max_history_bytes: int = MAX_HISTORY_BYTES,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.name = f"bridge {name}"
        self.url = url.rstrip("/")
        if api_key:
            register_secret(api_key)
        self._retries = retries
        self._retry_base = retry_base
        #: Total seconds per call, retries included: ordinary reads, history reads, health.
        self.deadline = deadline if deadline is not None else read_timeout
        self.history_deadline = history_deadline if history_deadline is not None else 3 * self.deadline
        self.health_timeout = health_timeout
        self._max_answer = max_answer_bytes
        self._max_history = max_history_bytes
        headers = {"Accept-Encoding": ACCEPT_ENCODING}
        if api_key:
            headers["X-API-Key"] = api_key
        self._client = httpx.AsyncClient(
            base_url=f"{self.url}/api/v1", headers=headers,
            timeout=httpx.Timeout(min(read_timeout, self.deadline), connect=connect_timeout),
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=8, keepalive_expiry=30.0),
            transport=transport, follow_redirects=False)

    # --- transport ------------------------------------------------------------------------------------
    def _error(self, reason: ErrorReason, message: str, detail: str = "") -> BridgeError:
        return BridgeError(reason, message, detail=detail, source=self.name)

    async def _request(self, path: str, params: dict[str, Any] | None = None, *, accept: tuple[int, ...] = (200,),
                       deadline: float, limit: int) -> _Answer:
        try:
            async with asyncio.timeout(deadline):
                return await self._attempts(path, params, accept, limit)
        except TimeoutError:
            # A bridge that is slow once is slow again: no retry, let failover move on.
            raise self._error(ErrorReason.TIMEOUT, f"{self.name} did not answer within {deadline:g} s.",
                              "deadline") from None

    async def _attempts(self, path: str, params: dict[str, Any] | None, accept: tuple[int, ...],
                        limit: int) -> _Answer:
        failure: BridgeError | None = None
        for attempt in range(self._retries + 1):
            if attempt:
                # Full jitter: clients that lost the same bridge do not come back in step.
                await asyncio.sleep(random.uniform(0, self._retry_base * 2 ** (attempt - 1)))
            try:
                answer = await self._fetch(path, params, limit)
            except httpx.TimeoutException as exc:
                raise self._error(ErrorReason.TIMEOUT, f"{self.name} did not answer in time.",
                                  type(exc).__name__) from exc
            except httpx.TransportError as exc:
                failure = self._error(ErrorReason.NOT_CONNECTED, f"{self.name} cannot be reached.",
                                      type(exc).__name__)
                continue
            if answer.status in accept:
                return answer
            failure = self._status_error(answer)
            if answer.status not in RETRY_STATUS:
                raise failure
        assert failure is not None
        raise failure

    async def _fetch(self, path: str, params: dict[str, Any] | None, limit: int) -> _Answer:
        async with self._client.stream("GET", path, params=params) as response:
            try:
                body = await read_capped(response, limit)
            except AnswerTooLarge:
                raise self._error(ErrorReason.BAD_DATA, f"{self.name} sent an answer over {limit // 2**20} MB; "
                                  "it was refused.", f"HTTP {response.status_code}") from None
            except AnswerUnreadable as exc:
                raise self._error(ErrorReason.BAD_DATA, f"{self.name} sent an answer that cannot be read.",
                                  str(exc)) from None
            return _Answer(response.status_code, response.headers, body)

    def _status_error(self, answer: _Answer) -> BridgeError:
        status = answer.status
        if status in (401, 403):
            return self._error(ErrorReason.AUTH_FAILED, f"{self.name} refused our API key.", f"HTTP {status}")
        if status == 429:
            wait = answer.headers.get("retry-after", "")
            later = f" (it asks to retry in {wait[:8]} s)" if wait.isdigit() else ""
            return self._error(ErrorReason.TIMEOUT, f"{self.name} is overloaded{later}.", "HTTP 429")
        reason, message = None, ""
        try:
            problem = _ErrorBody.model_validate_json(answer.body).error
        except ValidationError:
            problem = None
        if problem is not None:
            reason = next((r for r in ErrorReason if r.value == problem.reason), None)
            message = problem.message[:300]
        if status == 404 and reason is not ErrorReason.NOT_FOUND:
            # Not our bridge saying "no such account": a wrong URL, an old bridge or a proxy's page.
            # Such a bridge serves nothing; failover must move on, not take it as a clean answer.
            return self._error(ErrorReason.NOT_CONNECTED, f"{self.name} does not serve the FIDUS bridge API at "
                               f"{self.url} (HTTP 404): check its URL.", "HTTP 404")
        if reason is None:
            reason = {504: ErrorReason.TIMEOUT}.get(
                status, ErrorReason.NOT_CONNECTED if status in (502, 503) else ErrorReason.BAD_DATA)
        return self._error(reason, message or f"{self.name} answered HTTP {status}.", f"HTTP {status}")

    def _parse(self, answer: _Answer, model: type[M]) -> M:
        try:
            return model.model_validate_json(answer.body, strict=True)
        except ValidationError as exc:
            raise self._error(ErrorReason.BAD_DATA, f"{self.name} sent an answer that is not valid.",
                              f"{exc.error_count()} invalid field(s)") from None

    async def _get(self, path: str, model: type[M], params: dict[str, Any] | None = None, *,
                   history: bool = False) -> M:
        answer = await self._request(path, params, deadline=self.history_deadline if history else self.deadline,
                                     limit=self._max_history if history else self._max_answer)
        return self._parse(answer, model)

    def _serving(self, exc: BridgeError) -> BridgeError:
        """A "not found" from an endpoint that always exists: the bridge is not serving."""
        if exc.reason is not ErrorReason.NOT_FOUND:
            return exc
        return self._error(ErrorReason.NOT_CONNECTED, f"{self.name} is not serving: {exc.message}", exc.detail)

    def _mine(self, snap: Any, login: int) -> Any:
        if snap.login != login:
            raise self._error(ErrorReason.BAD_DATA, f"{self.name} answered for account {snap.login}, not {login}.")
        return snap.model_copy(update={"source": self.name})

    # --- the source interface ----------------------------------------------------------------------------
    async def health(self) -> SourceHealth:
        try:
            try:
                answer = await self._request("/health", accept=(200, 503), deadline=self.health_timeout,
                                             limit=self._max_answer)
            except BridgeError as exc:
                raise self._serving(exc) from None
            remote = self._parse(answer, SourceHealth)
        except BridgeError as exc:
            return SourceHealth(source=self.name, connected=False, checked_at=utc_now(), reason=exc.reason,
                                detail=exc.message)
        detail = remote.detail if remote.connected else f"MT5 behind {self.name}: {remote.detail or remote.reason}"
        return remote.model_copy(update={"source": self.name, "detail": detail})

    async def accounts(self) -> tuple[AccountRef, ...]:
        try:
            answer = await self._request("/accounts", deadline=self.deadline, limit=self._max_answer)
        except BridgeError as exc:
            raise self._serving(exc) from None
        try:
            return _ACCOUNT_LIST.validate_json(answer.body, strict=True)
        except ValidationError as exc:
            raise self._error(ErrorReason.BAD_DATA, f"{self.name} sent an invalid account list.",
                              f"{exc.error_count()} invalid field(s)") from None

    async def account(self, login: int) -> AccountSnapshot:
        return self._mine(await self._get(f"/accounts/{login:d}", AccountSnapshot), login)

    async def positions(self, login: int) -> PositionsSnapshot:
        return self._mine(await self._get(f"/accounts/{login:d}/positions", PositionsSnapshot), login)

    async def open_orders(self, login: int) -> OrdersSnapshot:
        return self._mine(await self._get(f"/accounts/{login:d}/orders", OrdersSnapshot), login)

    @staticmethod
    def _range(date_from: datetime, date_to: datetime) -> dict[str, str]:
        return {"date_from": date_from.isoformat(), "date_to": date_to.isoformat()}

    async def deals(self, login: int, date_from: datetime, date_to: datetime) -> DealsSnapshot:
        snap = await self._get(f"/accounts/{login:d}/deals", DealsSnapshot, self._range(date_from, date_to),
                               history=True)
        snap = self._mine(snap, login)
        # A bridge that answered another range (or slipped in deals outside it) would put wrong
        # deals into the cache's history; the range asked is the range accepted.
        if (snap.date_from, snap.date_to) != (date_from, date_to) or any(
                not date_from <= d.time <= date_to for d in snap.deals):
            raise self._error(ErrorReason.BAD_DATA, f"{self.name} answered deals for another date range.")
        return snap

    async def history_orders(self, login: int, date_from: datetime, date_to: datetime) -> OrdersSnapshot:
        snap = await self._get(f"/accounts/{login:d}/history-orders", OrdersSnapshot,
                               self._range(date_from, date_to), history=True)
        return self._mine(snap, login)

    @staticmethod
    def _segment(symbol: str) -> str:
        # One path segment whatever the name holds ("/", "?", ".." would change the request).
        return quote(symbol, safe="")

    async def symbol(self, symbol: str) -> SymbolSpec:
        return await self._get(f"/symbols/{self._segment(symbol)}", SymbolSpec)

    async def tick(self, symbol: str) -> Tick:
        return await self._get(f"/symbols/{self._segment(symbol)}/tick", Tick)

    async def rates(self, symbol: str, timeframe: Timeframe, date_from: datetime, date_to: datetime) -> Rates:
        params = {"timeframe": Timeframe(timeframe).value, **self._range(date_from, date_to)}
        return await self._get(f"/symbols/{self._segment(symbol)}/rates", Rates, params, history=True)

    async def close(self) -> None:
        await self._client.aclose()
