"""Original-shaped documents as JSON text, keeping every BSON type they hold.

The embedded store keeps each document as one JSON text, and a document must come back with
the same types it went in with: a record copied MongoDB -> SQLite -> MongoDB has to be the
record the web platform wrote, down to ``Decimal128`` versus ``double`` and ``int32`` versus
``int64``. Tags are MongoDB Extended JSON (``$date``, ``$numberDecimal``, ``$oid``,
``$numberLong``), plus ``$decimal`` for a Python ``decimal.Decimal`` (which BSON has no type for).

Datetimes are kept as BSON keeps them (aware UTC, milliseconds).

Why not ``bson.json_util`` alone: it walks every value in Python before ``json`` sees it
(``benchmarks/bench_embedded_store.py`` measures both on prospect documents). Here ``json``
handles plain values in C and calls us only for the few tagged ones; rarer BSON types (Binary,
Regex, Timestamp, UUID...) are delegated to ``json_util`` in both directions, so nothing BSON
can hold is refused.
"""

from __future__ import annotations

import functools

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bson import Decimal128, ObjectId, json_util
from bson.int64 import Int64

_JSON_OPTIONS = json_util.JSONOptions(json_mode=json_util.JSONMode.CANONICAL, tz_aware=True, tzinfo=UTC)
# Documents are trees (BSON cannot hold a cycle either), so the cycle check is skipped.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False,
                            default=lambda o: _tag(o))


def dumps(doc: Mapping[str, Any]) -> str:
    """JSON text of ``doc``; raises ``ValueError`` for a value BSON could not hold either."""
    try:
        if type(doc) is not dict:
            doc = dict(doc)
        # ``json`` writes an ``int`` subclass as a plain number without asking ``default``, so an
        # ``Int64`` holding a small number would come back as an ``int32``: tag those first.
        return _ENCODER.encode(_tag_longs(doc) if _has_long(doc.values()) else doc)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"cannot store this value: {exc}") from exc


def loads(text: str) -> dict[str, Any]:
    return json.loads(text, object_hook=_untag)


def to_utc(moment: datetime) -> datetime:
    """BSON's rule: a naive datetime means UTC."""
    if moment.tzinfo is UTC:
        return moment
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@functools.lru_cache(maxsize=8192)
def utc_iso_millis(moment: datetime) -> str:
    """``2026-03-01T09:30:00.123`` (UTC, no offset): fixed width, so text order is time order.
    ``isoformat`` cuts to milliseconds as BSON does, without rounding up.

    Memoized: a bulk write formats each datetime twice (the document and its sortable column),
    and equal instants give equal text whatever their time zone."""
    return to_utc(moment).replace(tzinfo=None).isoformat(timespec="milliseconds")


def _tag(value: Any) -> dict[str, Any]:
    if isinstance(value, datetime):
        # Milliseconds, as BSON: a record then reads the same from either backend, and a copy
        # SQLite -> MongoDB loses nothing.
        return {"$date": utc_iso_millis(value) + "Z"}
    if isinstance(value, Decimal128):
        return {"$numberDecimal": str(value)}
    if isinstance(value, ObjectId):
        return {"$oid": str(value)}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    return json_util.default(value, _JSON_OPTIONS)


def _untag(obj: dict[str, Any]) -> Any:
    # Called for every object in the text: the common case (first key not a tag) must be cheap.
    first = next(iter(obj), "")
    if first[:1] != "$":
        return obj
    if len(obj) == 1:
        value = obj[first]
        if first == "$date" and isinstance(value, str):
            return datetime.fromisoformat(value)
        if first == "$numberDecimal":
            return Decimal128(value)
        if first == "$oid":
            return ObjectId(value)
        if first == "$decimal":
            return Decimal(value)
        if first == "$numberLong":
            return Int64(value)
    return json_util.object_hook(obj, _JSON_OPTIONS)


def _has_long(values: Any) -> bool:
    # ``type() is`` rather than ``isinstance``: this runs on every value of every document.
    for value in values:
        kind = type(value)
        if kind is Int64:
            return True
        if kind is dict:
            if _has_long(value.values()):
                return True
        elif (kind is list or kind is tuple) and _has_long(value):
            return True
    return False


def _tag_longs(value: Any) -> Any:
    if type(value) is Int64:
        return {"$numberLong": str(int(value))}
    if isinstance(value, dict):
        return {k: _tag_longs(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_tag_longs(v) for v in value]
    return value
