"""When to retry a Google call, how long to wait, and how fast to call at all.

Retried: 429, 500/502/503/504, and 403 with reason ``rateLimitExceeded`` or
``userRateLimitExceeded`` (never ``quotaExceeded``, a daily limit, nor other 403s such as
missing permissions, nor 400/404). The wait is ``min(cap, base * 2**n)`` plus up to ``base`` of
random jitter, or Google's ``Retry-After`` when it says more. A request that changes something
(a send, an insert: a POST) is retried only when the answer proves it was not carried out (429, a
rate-limit 403); after a 5xx or a dropped connection it may have been, so it is not repeated.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Reads that travel as POST.
READ_ONLY_POSTS = frozenset({"calendar.freebusy.query"})

#: Gmail quota units per method (Gmail's published costs); anything unlisted costs 5.
GMAIL_UNITS: Mapping[str, int] = {
    "gmail.users.messages.send": 100, "gmail.users.drafts.send": 100, "gmail.users.messages.get": 5,
    "gmail.users.messages.list": 5, "gmail.users.messages.attachments.get": 5, "gmail.users.threads.get": 10,
    "gmail.users.threads.list": 10, "gmail.users.history.list": 2, "gmail.users.labels.list": 1,
    "gmail.users.getProfile": 1,
}


@dataclass(frozen=True, slots=True)
class HttpProblem:
    """What an ``HttpError`` says, read once."""

    status: int
    reason: str
    message: str
    retry_after: float | None

    @property
    def rate_limited(self) -> bool:
        return self.status == 429 or (self.status == 403 and self.reason in RATE_LIMIT_REASONS)

    def retryable(self, idempotent: bool) -> bool:
        if self.rate_limited:
            return True
        return idempotent and self.status in RETRY_STATUSES


def read_http_error(exc: Any) -> HttpProblem:
    """``exc`` is a googleapiclient ``HttpError``; its body is Google's error JSON (or anything)."""
    status = int(getattr(exc.resp, "status", 0) or 0)
    reason, message = "", ""
    try:
        error = json.loads(exc.content.decode("utf-8", "replace")).get("error")
        if isinstance(error, dict):
            message = str(error.get("message", ""))[:300]
            errors = error.get("errors")
            if isinstance(errors, list) and errors and isinstance(errors[0], dict):
                reason = str(errors[0].get("reason", ""))
            reason = reason or str(error.get("status", ""))
        elif isinstance(error, str):  # the OAuth shape: {"error": "invalid_grant", ...}
            reason = error
    except (ValueError, AttributeError):
        pass
    return HttpProblem(status, reason, message, parse_retry_after(exc.resp.get("retry-after")))


def parse_retry_after(value: Any, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header: a number, or an HTTP date."""
    if value is None:
        return None
    text = str(value).strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True, slots=True)
class Backoff:
    attempts: int = 5
    base: float = 1.0
    cap: float = 32.0
    #: Longer than this and the caller is told to come back later instead of being made to wait.
    longest_wait: float = 120.0

    def delay(self, attempt: int, rng: Callable[[], float], retry_after: float | None = None) -> float:
        wait = min(self.cap, self.base * 2 ** attempt) + rng() * self.base
        return max(wait, retry_after) if retry_after is not None else wait


class RateLimiter:
    """A token bucket on the event loop: ``rate`` units a second, bursts up to ``burst_seconds``
    of them."""

    def __init__(self, rate: float, *, burst_seconds: float = 1.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = max(rate * burst_seconds, 1.0)
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._stamp = clock()
        self._lock = asyncio.Lock()

    async def acquire(self, cost: float = 1.0) -> None:
        cost = min(cost, self.capacity)  # a batch dearer than a full bucket waits for a full bucket
        async with self._lock:  # first come, first served
            while True:
                now = self._clock()
                self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= cost:
                    self._tokens -= cost
                    return
                await self._sleep((cost - self._tokens) / self.rate)


def request_cost(api: str, method_id: str | None) -> float:
    if api == "gmail":
        return float(GMAIL_UNITS.get(method_id or "", 5))
    return 1.0


def is_idempotent(method: str, method_id: str | None) -> bool:
    return method.upper() in ("GET", "HEAD", "PUT", "PATCH", "DELETE") or (method_id or "") in READ_ONLY_POSTS
