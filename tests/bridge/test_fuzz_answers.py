"""Fuzz: whatever a bridge answers, the remote source returns a valid model or a typed BridgeError.

Never another exception, never a hang: arbitrary JSON, valid answers with one value replaced or
removed, any status, bytes that are not JSON, and content encodings the body does not match.
"""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge_link.errors import BridgeError
from bridge_link.models import AccountSnapshot, DealsSnapshot, OrdersSnapshot, PositionsSnapshot, SourceHealth
from bridge_link.models import SymbolSpec, Tick

from .answers import LOGIN, demo_answers, json_answer, served
from .conftest import FIXED_NOW

FROM, TO = FIXED_NOW - timedelta(days=30), FIXED_NOW
CALLS = {
    "/health": (lambda s: s.health(), SourceHealth),
    f"/accounts/{LOGIN}": (lambda s: s.account(LOGIN), AccountSnapshot),
    f"/accounts/{LOGIN}/positions": (lambda s: s.positions(LOGIN), PositionsSnapshot),
    f"/accounts/{LOGIN}/orders": (lambda s: s.open_orders(LOGIN), OrdersSnapshot),
    f"/accounts/{LOGIN}/deals": (lambda s: s.deals(LOGIN, FROM, TO), DealsSnapshot),
    "/symbols/EURUSD": (lambda s: s.symbol("EURUSD"), SymbolSpec),
    "/symbols/EURUSD/tick": (lambda s: s.tick("EURUSD"), Tick),
}
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

hostile = st.sampled_from(["NaN", "Infinity", "-1", "1e999", "0", "yes", "100", "9999-12-31T23:59:59-12:00",
                           "0001-01-01T00:00:00+14:00", "2026-11-18T14:30:00", "2026-11-18T14:30:00Z", -1, 2**64,
                           10**20, 1.5, "9" * 5000, "-0.000001", True, 1, None, [], {}])
scalars = (hostile | st.none() | st.booleans() | st.integers() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=12)


@pytest.fixture(scope="module")
def answers() -> dict[str, Any]:
    return demo_answers()


def check(runner: asyncio.Runner, path: str, body: Any, status: int = 200,
          headers: dict[str, str] | None = None) -> Any:
    call, model = CALLS[path]
    content = body if isinstance(body, bytes) else json.dumps(body, allow_nan=False).encode()
    source = served(json_answer(content, status, headers))
    try:
        result = runner.run(asyncio.wait_for(call(source), 5))
    except BridgeError:
        return None
    finally:
        runner.run(source.close())
    assert isinstance(result, model)  # health, which never raises, tells of a failure in its answer
    return result


def paths_in(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path in a JSON document (into the first row of each list)."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths_in(item, (*prefix, key))
    elif isinstance(value, list) and value:
        found += paths_in(value[0], (*prefix, 0))
    return found


def leaf(document: Any, path: tuple) -> Any:
    for key in path:
        document = document[key]
    return document


def mutate(document: Any, path: tuple, value: Any, remove: bool) -> Any:
    out = copy.deepcopy(document)
    target = out
    for key in path[:-1]:
        target = target[key]
    if remove and isinstance(target, dict):
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return out


def test_fuzz_valid_answers_with_one_value_changed(answers) -> None:
    with asyncio.Runner() as runner:
        @FUZZ
        @given(data=st.data(), value=json_values, remove=st.booleans())
        def one(data, value, remove: bool) -> None:
            path = data.draw(st.sampled_from(sorted(CALLS)))
            where = data.draw(st.sampled_from(paths_in(answers[path])))
            result = check(runner, path, mutate(answers[path], where, value, remove))
            before = leaf(answers[path], where)
            if result is not None and path != "/health" and not remove and isinstance(before, int):
                # An int or a bool of the terminal's, replaced by another JSON type, is no answer.
                assert type(value) is type(before), (path, where, value)

        one()


def test_fuzz_arbitrary_answers(answers) -> None:
    with asyncio.Runner() as runner:
        @FUZZ
        @given(path=st.sampled_from(sorted(CALLS)), body=json_values | st.binary(max_size=64),
               status=st.sampled_from([200, 200, 201, 204, 301, 400, 401, 404, 422, 429, 500, 503, 504]),
               encoding=st.sampled_from([None, "gzip", "deflate", "br", "identity", "gzip, gzip"]))
        def one(path: str, body: Any, status: int, encoding: str | None) -> None:
            check(runner, path, body, status, {"Content-Encoding": encoding} if encoding else None)

        one()
