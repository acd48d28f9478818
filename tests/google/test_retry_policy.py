"""The retry policy and the rate limiter, on their own, and sends that must not be repeated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httplib2
import pytest
from googleapiclient.errors import HttpError

from fidus_desktop.google.client import classify
from fidus_desktop.google.errors import GoogleUnavailable
from fidus_desktop.google.gmail import Gmail
from fidus_desktop.google.mime import OutgoingMail
from fidus_desktop.google.retry import Backoff, RateLimiter, parse_retry_after
from fidus_desktop.google.transport import Api


def _http_error(status: int, reason: str = "", headers: dict[str, str] | None = None) -> HttpError:
    body = f'{{"error": {{"code": {status}, "message": "m", "errors": [{{"reason": "{reason}"}}]}}}}'.encode()
    return HttpError(httplib2.Response({"status": status, **(headers or {})}), body)


@pytest.mark.parametrize(("status", "reason", "idempotent", "retryable"), [
    (429, "", False, True), (403, "rateLimitExceeded", False, True), (403, "userRateLimitExceeded", True, True),
    (403, "quotaExceeded", True, False), (403, "insufficientPermissions", True, False), (500, "", True, True),
    (503, "", True, True), (503, "", False, False), (400, "badRequest", True, False), (404, "notFound", True, False),
])
def test_what_is_retried(status, reason, idempotent, retryable):
    assert classify(Api.GMAIL, _http_error(status, reason), idempotent).retryable is retryable


def test_a_broken_connection_during_a_send_is_reported_as_maybe_done():
    failure = classify(Api.GMAIL, ConnectionResetError(), idempotent=False)
    assert not failure.retryable and failure.error.outcome_unknown
    assert classify(Api.GMAIL, ConnectionResetError(), idempotent=True).retryable
    assert classify(Api.GMAIL, ConnectionRefusedError(), idempotent=False).retryable  # never reached Google


def test_retry_after_as_seconds_or_a_date():
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    assert classify(Api.DRIVE, _http_error(429, headers={"retry-after": "12"}), True).retry_after == 12.0


def test_backoff_grows_is_capped_and_jittered():
    backoff = Backoff(attempts=8, base=1.0, cap=32.0)
    assert [backoff.delay(n, lambda: 0.0) for n in range(7)] == [1, 2, 4, 8, 16, 32, 32]
    assert backoff.delay(2, lambda: 0.999) == pytest.approx(4.999)
    assert backoff.delay(0, lambda: 0.5, retry_after=20) == 20


async def test_the_rate_limiter_spends_units_and_waits_for_them():
    now = [0.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(250, clock=lambda: now[0], sleep=sleep)
    for _ in range(50):  # 50 gets of 5 units: one second's quota, no wait
        await limiter.acquire(5)
    assert waits == []
    await limiter.acquire(100)  # a send: 0.4 s of quota
    assert sum(waits) == pytest.approx(0.4)
    now[0] += 10
    await limiter.acquire(1000)  # dearer than the bucket: waits for a full bucket only
    assert sum(waits) == pytest.approx(0.4)


async def test_a_send_that_failed_with_a_5xx_is_not_sent_again(connected, fake):
    fake.fail("gmail.messages.send", 500)
    with pytest.raises(GoogleUnavailable):
        await Gmail(connected.api()).send(OutgoingMail(to=["ana@example.com"], subject="Once", text="only once"),
                                          sender="manager@fidus.test")
    assert len(fake.received("gmail.messages.send")) == 1


async def test_a_send_refused_with_429_is_retried_since_nothing_was_sent(connected, fake):
    fake.fail("gmail.messages.send", 429)
    await Gmail(connected.api()).send(OutgoingMail(to=["ana@example.com"], subject="Once", text="x"),
                                      sender="manager@fidus.test")
    assert len(fake.received("gmail.messages.send")) == 2 and len(fake.gmail.sent) == 1
