"""Values no account can have are refused at the bridge boundary, as a typed ``bad_data`` error."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from bridge_link.errors import BridgeError, ErrorReason

from .answers import LOGIN, demo_answers, json_answer, served
from .conftest import FIXED_NOW

ACCOUNT = f"/accounts/{LOGIN}"


@pytest.fixture(scope="module")
def answers() -> dict[str, Any]:
    return demo_answers()


async def read(path: str, body: Any) -> Any:
    source = served(json_answer(body))
    try:
        if path == ACCOUNT:
            return await source.account(LOGIN)
        if path.endswith("/positions"):
            return await source.positions(LOGIN)
        if path.endswith("/deals"):
            return await source.deals(LOGIN, FIXED_NOW - timedelta(days=30), FIXED_NOW)
        return await source.symbol("EURUSD")
    finally:
        await source.close()


async def test_the_unchanged_answers_are_accepted(answers) -> None:
    for path in (ACCOUNT, f"{ACCOUNT}/positions", f"{ACCOUNT}/deals", "/symbols/EURUSD"):
        assert await read(path, answers[path]) is not None


HOSTILE_ACCOUNT = {
    "a balance of 100,000 digits": ("balance", "9" * 100_000),
    "a balance of 100,000 digits as a JSON number": ("balance", int("9" * 4000)),
    "a balance with 100,000 decimals": ("balance", "1." + "1" * 100_000),
    "a balance of 1e400": ("balance", "1e400"),
    "a negative margin": ("margin", "-5"),
    "a negative margin level": ("margin_level", "-120.5"),
    "a negative credit": ("credit", "-1"),
    "an int as a string": ("leverage", "100"),
    "an int as a float": ("leverage", 100.0),
    "a bool as 'yes'": ("trade_allowed", "yes"),
    "a bool as 1": ("fifo_close", 1),
    "absurd currency digits": ("currency_digits", 1000),
    "a login as a string": ("login", str(LOGIN)),
    "a time as a number": ("fetched_at", 1_700_000_000),
    "a year 9999 that overflows in UTC": ("fetched_at", "9999-12-31T23:00:00-05:00"),
    "a year-1 time": ("fetched_at", "0001-01-01T00:00:00+01:00"),
    "a naive time": ("fetched_at", "2026-11-18T14:30:00"),
    "a name of a megabyte": ("name", "x" * 2**20),
}


@pytest.mark.parametrize("field,value", HOSTILE_ACCOUNT.values(), ids=HOSTILE_ACCOUNT.keys())
async def test_an_account_no_one_can_have_is_refused(answers, field: str, value: Any) -> None:
    body = copy.deepcopy(answers[ACCOUNT])
    body[field] = value
    with pytest.raises(BridgeError) as caught:
        await read(ACCOUNT, body)
    assert caught.value.reason is ErrorReason.BAD_DATA


@pytest.mark.parametrize("path,row,field,value", [
    ("positions", 0, "ticket", 2**64),
    ("positions", 0, "volume", "-1"),
    ("positions", 0, "type", "0"),
    ("deals", 0, "ticket", -1),
    ("deals", 0, "time", "2026-12-31T00:00:00Z"),  # outside the range asked
], ids=["ticket over 64 bits", "negative volume", "type as a string", "negative ticket", "deal out of range"])
async def test_rows_no_terminal_can_hold_are_refused(answers, path, row, field, value) -> None:
    key = f"{ACCOUNT}/{path}"
    body = copy.deepcopy(answers[key])
    body[path][row][field] = value
    with pytest.raises(BridgeError) as caught:
        await read(key, body)
    assert caught.value.reason is ErrorReason.BAD_DATA


async def test_a_deeply_nested_error_body_is_a_typed_error() -> None:
    source = served(json_answer(b"[" * 100_000 + b"]" * 100_000, status=500))
    try:
        with pytest.raises(BridgeError) as caught:
            await source.account(LOGIN)
        assert caught.value.reason is ErrorReason.BAD_DATA
    finally:
        await source.close()


async def test_a_symbol_name_stays_one_path_segment() -> None:
    seen: list[str] = []

    def respond(request):
        seen.append(request.url.raw_path.decode())
        return json_answer({"detail": "no"}, 404)(request)

    source = served(respond)
    try:
        with pytest.raises(BridgeError):
            await source.symbol("../accounts/1?x=")
        assert seen == ["/api/v1/symbols/..%2Faccounts%2F1%3Fx%3D"]
    finally:
        await source.close()
