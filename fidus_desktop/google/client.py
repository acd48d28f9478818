"""The one way FIDUS calls Google: rate-limited, retried, batched, translated.

Callers describe a request with a function of the API's request builder (run on the event loop:
it only builds), e.g. ``lambda gmail: gmail.users().labels().list(userId="me")``; this module
waits its turn at the API's rate limiter, executes it on the I/O lane with the thread's own
connection, retries what is worth retrying (see :mod:`.retry`) and turns every failure into a
:mod:`.errors` type. Bulk reads go in batch requests (at most 50 calls each); the parts that
fail with a retryable error are sent again by themselves, the others keep their answers.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httplib2
from google.auth import exceptions as auth_exceptions
from googleapiclient.errors import BatchError, HttpError

from ..config import GoogleSettings
from ..errors import FidusError
from ..logs import redact
from .errors import GoogleApiError, GoogleError, GoogleGone, GoogleNotFound, GoogleUnavailable, ReconnectNeeded
from .grant import is_invalid_grant, translate_refresh_error
from .retry import Backoff, HttpProblem, RateLimiter, is_idempotent, read_http_error, request_cost
from .transport import Api, Transport

log = logging.getLogger(__name__)

type Build = Callable[[Any], Any]

#: Google allows 100 calls a batch and advises at most 50 (larger ones trip rate limits).
BATCH_LIMIT = 50
_NAMES = {Api.GMAIL: "Gmail", Api.CALENDAR: "Google Calendar", Api.DRIVE: "Google Drive"}


@dataclass(frozen=True, slots=True)
class _Failure:
    error: FidusError
    retryable: bool
    retry_after: float | None = None


def api_error(api: Api, problem: HttpProblem) -> FidusError:
    name = _NAMES[api]
    said = redact(problem.message) if problem.message else f"HTTP {problem.status}"
    detail = f"HTTP {problem.status} {problem.reason}".strip()
    if problem.status == 401:
        return ReconnectNeeded(f"{name} refused FIDUS's sign-in. Connect the Google account again.", detail=detail)
    if problem.rate_limited:
        return GoogleUnavailable(f"{name} is limiting how fast FIDUS may call it; try again in a minute.",
                                 retry_after=problem.retry_after, detail=detail)
    if problem.status >= 500:
        return GoogleUnavailable(f"{name} is not answering properly (HTTP {problem.status}); try again later.",
                                 detail=detail)
    kwargs = {"status": problem.status, "reason": problem.reason, "api": api.value, "detail": detail}
    if problem.status == 404:
        return GoogleNotFound(f"{name} has no such item ({said}).", **kwargs)
    if problem.status == 410:
        return GoogleGone(f"{name} asks for a full refresh ({said}).", **kwargs)
    if problem.status == 403 and problem.reason in ("insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                                                    "PERMISSION_DENIED"):
        return GoogleApiError(f"FIDUS was not given access to {name}. Connect the Google account again and "
                              "allow everything FIDUS asks for.", **kwargs)
    if problem.status == 403 and problem.reason in ("quotaExceeded", "dailyLimitExceeded"):
        return GoogleApiError(f"The daily {name} quota is used up; try again tomorrow.", **kwargs)
    return GoogleApiError(f"{name} refused the request: {said}", **kwargs)


def classify(api: Api, exc: BaseException, idempotent: bool) -> _Failure:
    """Whether ``exc`` (raised by a blocking call) is worth another try, and what to tell."""
    name = _NAMES[api]
    if isinstance(exc, HttpError):
        problem = read_http_error(exc)
        return _Failure(api_error(api, problem), problem.retryable(idempotent), problem.retry_after)
    if isinstance(exc, auth_exceptions.RefreshError):
        # Nothing was sent to the API yet: a refresh that may work next time is safe to retry.
        return _Failure(translate_refresh_error(exc), bool(getattr(exc, "retryable", False))
                        and not is_invalid_grant(exc))
    if isinstance(exc, auth_exceptions.TransportError):
        return _Failure(GoogleUnavailable("Google's sign-in service cannot be reached; check the internet "
                                          "connection.", detail=type(exc).__name__), True)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _Failure(GoogleUnavailable(f"{name}'s certificate is not trusted by this computer. Behind a "
                                          "corporate proxy, set its certificate file in the setting "
                                          "google.ca_bundle.", detail=type(exc).__name__), False)
    if isinstance(exc, ConnectionRefusedError):
        return _Failure(GoogleUnavailable(f"{name} cannot be reached (connection refused).",
                                          detail=type(exc).__name__), True)
    if isinstance(exc, OSError | httplib2.HttpLib2Error | BatchError | KeyError):
        # A dropped connection after the request left: a change may or may not have happened.
        return _Failure(GoogleUnavailable(
            f"{name} cannot be reached; check the internet connection." if idempotent else
            f"The connection to {name} broke during the request; it may or may not have been carried "
            "out. Check before trying again.", outcome_unknown=not idempotent,
            detail=type(exc).__name__), idempotent)
    if isinstance(exc, FidusError):
        return _Failure(exc, False)
    raise exc


class GoogleClient:
    def __init__(self, transport: Transport, settings: GoogleSettings, *,
                 sleep: Callable[[float], Any] = asyncio.sleep, rng: Callable[[], float] = random.random) -> None:
        self.transport = transport
        self.backoff = Backoff(settings.retry_attempts, settings.retry_base_seconds, settings.retry_max_seconds)
        # Gmail's limit is a moving average that "allows short bursts": two seconds' worth.
        self._limiters = {Api.GMAIL: RateLimiter(settings.gmail_units_per_second, burst_seconds=2.0),
                          Api.CALENDAR: RateLimiter(settings.max_requests_per_second),
                          Api.DRIVE: RateLimiter(settings.max_requests_per_second)}
        self._sleep = sleep
        self._rng = rng
        #: Retries made so far, per API (for status lines and tests).
        self.retries: dict[Api, int] = dict.fromkeys(Api, 0)

    async def resource(self, api: Api) -> Any:
        return await self.transport.resource(api)

    async def call(self, api: Api, build: Build, *, idempotent: bool | None = None) -> Any:
        """One request: ``build(resource)`` makes it; the result is the decoded answer."""
        resource = await self.transport.resource(api)

        def attempt() -> tuple[Callable[[], Any], float, bool]:
            request = build(resource)
            idem = is_idempotent(request.method, request.methodId) if idempotent is None else idempotent
            return (lambda: request.execute(http=self.transport.thread_http()),
                    request_cost(api.value, request.methodId), idem)

        return await self._with_retries(api, attempt)

    async def step(self, api: Api, blocking: Callable[[], Any], *, cost: float = 1.0,
                   idempotent: bool = True) -> Any:
        """A blocking step that is not a plain request (an upload chunk), with the same policy."""
        return await self._with_retries(api, lambda: (blocking, cost, idempotent))

    async def pages(self, api: Api, build: Callable[[Any, str | None], Any], key: str, *,
                    limit: int | None = None) -> tuple[list[Any], dict[str, Any]]:
        """Every item under ``key`` across pages (``build(resource, page_token)``), up to ``limit``;
        also the last page (for ``nextSyncToken`` and the like)."""
        items: list[Any] = []
        token: str | None = None
        while True:
            page = await self.call(api, lambda r, t=token: build(r, t))
            items.extend(page.get(key) or [])
            token = page.get("nextPageToken")
            if not token or (limit is not None and len(items) >= limit):
                return (items if limit is None else items[:limit]), page

    async def batch(self, api: Api, builds: Sequence[Build]) -> list[Any]:
        """Many reads in batch requests; each slot holds the answer or the :class:`GoogleError`
        of that call, in the order given."""
        results: list[Any] = [None] * len(builds)
        resource = await self.transport.resource(api)
        for start in range(0, len(builds), BATCH_LIMIT):
            await self._batch_chunk(api, resource, builds, list(range(start, min(start + BATCH_LIMIT, len(builds)))),
                                    results)
        return results

    async def _batch_chunk(self, api: Api, resource: Any, builds: Sequence[Build], todo: list[int],
                           results: list[Any]) -> None:
        attempt = 0
        while todo:
            requests = [builds[i](resource) for i in todo]
            await self._limiters[api].acquire(sum(request_cost(api.value, r.methodId) for r in requests))
            try:
                answers = await self.transport.run_blocking(lambda: self._run_batch(api, requests))
            except Exception as exc:  # the whole batch failed: retry it whole, or fail every slot
                failure = classify(api, exc, idempotent=True)
                wait = self._next_wait(attempt, failure)
                if wait is None:
                    for i in todo:
                        results[i] = failure.error
                    return
                await self._pause(api, wait, "batch", failure)
                attempt += 1
                continue
            again: list[int] = []
            retry_after: float | None = None
            for index, (response, exc) in zip(todo, answers, strict=True):
                if exc is None:
                    results[index] = response
                    continue
                failure = classify(api, exc, idempotent=True)
                if failure.retryable and attempt < self.backoff.attempts:
                    again.append(index)
                    retry_after = max(retry_after or 0.0, failure.retry_after or 0.0) or None
                else:
                    results[index] = failure.error
            if again:
                failure = _Failure(GoogleUnavailable("retrying"), True, retry_after)
                wait = self._next_wait(attempt, failure)
                if wait is None:
                    for i in again:
                        results[i] = GoogleUnavailable(f"{_NAMES[api]} kept refusing part of a batch; try again later.")
                    return
                await self._pause(api, wait, f"{len(again)} failed part(s) of a batch", failure)
                attempt += 1
            todo = again

    def _run_batch(self, api: Api, requests: list[Any]) -> list[tuple[Any, BaseException | None]]:
        from googleapiclient.http import BatchHttpRequest

        answers: list[tuple[Any, BaseException | None] | None] = [None] * len(requests)

        def collect(request_id: str, response: Any, exception: BaseException | None) -> None:
            answers[int(request_id)] = (response, exception)

        batch = BatchHttpRequest(callback=collect, batch_uri=self.transport.endpoints.batch_uri(api))
        for index, request in enumerate(requests):
            batch.add(request, request_id=str(index))
        batch.execute(http=self.transport.thread_http())
        missing = BatchError("a part of the batch got no answer")
        return [answer if answer is not None else (None, missing) for answer in answers]

    async def _with_retries(self, api: Api, attempt_factory: Callable[[], tuple[Callable[[], Any], float, bool]]) -> Any:
        attempt = 0
        while True:
            blocking, cost, idempotent = attempt_factory()
            await self._limiters[api].acquire(cost)
            try:
                return await self.transport.run_blocking(blocking)
            except Exception as exc:
                failure = classify(api, exc, idempotent)
            wait = self._next_wait(attempt, failure)
            if wait is None:
                raise failure.error
            await self._pause(api, wait, "call", failure)
            attempt += 1

    def _next_wait(self, attempt: int, failure: _Failure) -> float | None:
        if not failure.retryable or attempt >= self.backoff.attempts:
            return None
        wait = self.backoff.delay(attempt, self._rng, failure.retry_after)
        return None if wait > self.backoff.longest_wait else wait

    async def _pause(self, api: Api, wait: float, what: str, failure: _Failure) -> None:
        self.retries[api] += 1
        log.info("%s %s failed (%s); retrying in %.1f s", api.value, what, failure.error.detail or
                 type(failure.error).__name__, wait)
        await self._sleep(wait)


__all__ = ["BATCH_LIMIT", "GoogleClient", "GoogleError", "api_error", "classify"]
