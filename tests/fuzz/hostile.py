"""Hypothesis strategies for outside data: JSON a person or a program wrote, and the BSON values
the web platform's MongoDB can hold. Shared by the fuzz tests of settings and documents."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from bson import Decimal128, ObjectId
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: Bounded so the whole fuzz suite stays within seconds, not minutes, on a slow CI machine.
FUZZ = settings(max_examples=120, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
#: For properties that go through a real store (SQLite file, MongoDB wire server) per example.
FUZZ_STORE = settings(max_examples=15, deadline=None, database=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

OPERATORS = ("$gt", "$ne", "$where", "$regex", "$in", "$exists", "$expr")

# ---- JSON ---------------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(), st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), float("-inf"), 1e308, -1e308, 0.0, -0.0, 5e-324]),
    st.text(max_size=40),
    st.sampled_from(["", "C:\temp", "C:\\Program Files", "sqlite", "mongodb", "demo", "bridge", "eu", "NaN",
                     "1e308", "-1", "true", "$gt", "\x00", "é" * 5]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5),
                            st.dictionaries(st.text(max_size=12), inner, max_size=5),
                            st.dictionaries(st.sampled_from(OPERATORS), inner, min_size=1, max_size=1)),
    max_leaves=25,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a JSON-like value, for replacing one part of a valid document."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, *rest = path
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _replace(value[head], tuple(rest), new)
    return copy


@st.composite
def mutated(draw: st.DrawFn, valid: Any, values: st.SearchStrategy[Any], max_changes: int = 3) -> Any:
    """``valid`` with up to ``max_changes`` of its parts replaced by ``values``, dropped, or given
    an extra key: mostly right, the shape outside data usually has."""
    result = valid
    for _ in range(draw(st.integers(min_value=1, max_value=max_changes))):
        path = draw(st.sampled_from(_paths(result)))
        target = _at(result, path)
        action = draw(st.sampled_from(["replace", "replace", "replace", "drop", "add"]))
        if action == "drop" and path and isinstance(_at(result, path[:-1]), dict):
            parent = {k: v for k, v in _at(result, path[:-1]).items() if k != path[-1]}
            result = _replace(result, path[:-1], parent)
        elif action == "add" and isinstance(target, dict):
            result = _replace(result, path, {**target, draw(st.text(max_size=10)): draw(values)})
        else:
            result = _replace(result, path, draw(values))
    return result


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


# ---- BSON -----------------------------------------------------------------------------------

aware = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                     timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9))]))
bson_scalars = st.one_of(
    json_scalars,
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.builds(Decimal128, st.sampled_from(["NaN", "-NaN", "Infinity", "-Infinity", "1E+6144", "-5000000",
                                           "0", "0.015", "100000", "1E-6176", "12345678901234567890.12"])),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**15, max_value=10**15).map(
        lambda d: Decimal128(Decimal(d))),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)), aware,
    st.sampled_from([datetime(9999, 12, 31, 23, 59), datetime(1, 1, 1), datetime(1899, 12, 31)]),
    st.builds(lambda n: ObjectId(n.to_bytes(12, "big")), st.integers(min_value=0, max_value=2**96 - 1)),
    st.dates().map(lambda d: d.isoformat()),
    st.text(alphabet=string.digits + ".-eE+", max_size=30),
)
bson_values = st.recursive(
    bson_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(OPERATORS), inner, min_size=1, max_size=2),
                            st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=12,
)
