"""A backend-neutral :class:`Query` as a MongoDB filter and sort over the original's documents.

SQLite filters normalized columns; here the raw documents are filtered where they are, so each
condition is widened to every way the web platform may have stored the value: under any of the
field's ``raw_names``, as an int or a string (MT5 logins), as an ObjectId or its hex string,
as a BSON datetime or an ISO string, and under the aliases the spec declares (``raw_values``).

Known difference: sorting uses the first raw name only, and MongoDB orders values by BSON type
before value, so a field holding both ISO strings and datetimes sorts in two runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, time
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING

from ...domain.values import iso_utc, read_datetime
from ..query import Between, Condition, Contains, Eq, Query
from ..spec import CollectionSpec, IndexedField

Filter = dict[str, Any]

#: What ``codecs.fields.flag`` reads as true.
_TRUTHY: tuple[Any, ...] = (True, 1, "true", "True", "TRUE", "1", "yes", "Yes", "YES")
#: The BSON type ("number" covers int, long, double and Decimal128) a range compares, per kind.
_RANGE_TYPES = {"text": "string", "int": "number", "real": "number", "bool": "bool"}
# Bounds that keep a string range on date-like strings: every ISO date starts with a digit,
# and ":" sorts right after "9".
_LOWEST_DATE_TEXT = "0"
_ABOVE_DATE_TEXT = ":"


def scope_filter(spec: CollectionSpec) -> Filter:
    return dict(spec.scope)


def key_filter(spec: CollectionSpec, *keys: Any) -> Filter:
    """Documents whose key, under any of its raw names and encodings, is one of ``keys``."""
    return _any_name(spec.key, {"$in": _unique(f for key in keys for f in _stored_forms(spec.key, key))})


def query_filter(spec: CollectionSpec, query: Query) -> Filter:
    return all_of(scope_filter(spec), *(_condition(spec, c) for c in query.where))


def sort_keys(spec: CollectionSpec, query: Query) -> list[tuple[str, int]]:
    keys: dict[str, int] = {}
    for name, descending in query.order_by:
        keys.setdefault(spec.field(name).raw_names[0], DESCENDING if descending else ASCENDING)
    # The key, then _id, make the order total: pages never repeat or skip a record.
    keys.setdefault(spec.key.raw_names[0], ASCENDING)
    keys.setdefault("_id", ASCENDING)
    return list(keys.items())


def all_of(*filters: Filter) -> Filter:
    parts = [f for f in filters if f]
    if not parts:
        return {}
    return parts[0] if len(parts) == 1 else {"$and": parts}


def any_of(filters: list[Filter]) -> Filter:
    return filters[0] if len(filters) == 1 else {"$or": filters}


def _condition(spec: CollectionSpec, cond: Condition) -> Filter:
    if isinstance(cond, Contains):
        return _contains(spec, cond)
    field = spec.field(cond.field)
    if isinstance(cond, Between):
        return _between(field, cond.low, cond.high)
    values = (cond.value,) if isinstance(cond, Eq) else cond.values
    if field.kind == "bool":
        return any_of([_flag(field, bool(v)) for v in values]) if values else _nothing()
    if isinstance(cond, Eq) and cond.value is None:
        return all_of(*({raw: {"$in": [None, ""]}} for raw in field.raw_names))
    return _any_name(field, {"$in": _unique(f for v in values for f in _stored_forms(field, v))})


def _contains(spec: CollectionSpec, cond: Contains) -> Filter:
    text = cond.text.strip()
    if not text:
        return {}
    # Escaped: a search box is text, never a pattern ("a+b" finds "a+b").
    # re.escape only puts a backslash before non-alphanumerics, which PCRE then reads literally.
    pattern = {"$regex": re.escape(text), "$options": "i"}
    return any_of([{raw: pattern} for name in cond.fields for raw in spec.field(name).raw_names])


def _between(field: IndexedField, low: Any, high: Any) -> Filter:
    # Each range names the BSON type it compares: MongoDB's type bracketing would imply it, but
    # saying it keeps a date bound from matching strings on servers that order across types.
    if low is None and high is None:
        return {}
    if field.kind != "datetime":
        return _any_name(field, {"$type": _RANGE_TYPES[field.kind], **_bounds(low, high)})
    low_at, high_at = read_datetime(low), read_datetime(high)
    as_date = {"$type": "date", **_bounds(low_at, high_at)}
    as_text = {"$type": "string", "$gte": _date_text(low_at) if low_at else _LOWEST_DATE_TEXT,
               "$lt": _date_text(high_at) if high_at else _ABOVE_DATE_TEXT}
    return any_of([{raw: bounds} for raw in field.raw_names for bounds in (as_date, as_text)])


def _flag(field: IndexedField, truth: bool) -> Filter:
    # flag() reads the first name only; a missing flag is false.
    return {field.raw_names[0]: {"$in" if truth else "$nin": list(_TRUTHY)}}


def _any_name(field: IndexedField, predicate: Filter) -> Filter:
    return any_of([{raw: predicate} for raw in field.raw_names])


def _nothing() -> Filter:
    return {"_id": {"$in": []}}


def _bounds(low: Any, high: Any) -> Filter:
    bounds: Filter = {}
    if low is not None:
        bounds["$gte"] = low
    if high is not None:
        bounds["$lt"] = high
    return bounds


def _stored_forms(field: IndexedField, value: Any) -> list[Any]:
    values = field.raw_values(value) if field.raw_values else (value,)
    forms: list[Any] = []
    for v in values:
        forms.append(v)
        if field.kind == "int":
            forms.extend(_int_forms(v))
        elif isinstance(v, ObjectId):
            forms.append(str(v))
        elif isinstance(v, str) and len(v) == 24 and ObjectId.is_valid(v):
            # client_id may be a referral-module ObjectId rather than its hex string.
            forms.append(ObjectId(v))
        elif field.kind == "datetime" and v is not None:
            moment = read_datetime(v)
            forms.extend((moment, iso_utc(moment), _date_text(moment)))
    return _unique(forms)


def _int_forms(value: Any) -> tuple[Any, ...]:
    if isinstance(value, bool):
        return ()
    try:
        number = int(str(value).strip())
    except ValueError:
        return ()
    return number, str(number)


def _date_text(moment: datetime) -> str:
    """The shortest ISO text for ``moment`` in UTC; every longer ISO text of the same instant
    (offset, fractions) sorts after it, so it works as an inclusive lower bound and exclusive
    upper bound on the original's string dates."""
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    return utc.date().isoformat() if utc.time() == time(0) else utc.isoformat()


def _unique(values: Iterable[Any]) -> list[Any]:
    # True == 1 in Python but not in BSON: compare type and value.
    seen: set[tuple[type, Any]] = set()
    out = []
    for v in values:
        marker = (type(v), v if _hashable(v) else repr(v))
        if marker not in seen:
            seen.add(marker)
            out.append(v)
    return out


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


