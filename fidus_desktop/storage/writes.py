"""The document changes a unit of work is made of: insert, patch, delete.

They are data, not calls, so the same change can be applied now, or kept in the outbox while the
database is away and applied later, exactly once. Each carries what it expects to find: applying
it again after it already took effect does nothing, and applying it over somebody else's change
to the same fields is refused with a :class:`ConflictError` naming those fields (never an
overwrite). Fields somebody else changed that this change does not touch are left as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from . import doc_json

#: Marks a field that was absent when the change was prepared.
MISSING = {"$fidus": "missing"}


@dataclass(frozen=True, slots=True)
class Insert:
    collection: str
    doc: dict[str, Any]
    #: ``skip``: a record already under this key is fine (recording a payment someone else
    #: recorded first); ``conflict``: it is refused unless it is this very record.
    if_exists: Literal["conflict", "skip"] = "conflict"


@dataclass(frozen=True, slots=True)
class Patch:
    collection: str
    key: str
    set: dict[str, Any]
    unset: tuple[str, ...] = ()
    #: Field -> the value read before the edit (``MISSING`` when absent), for every field set
    #: or unset except the "last modified" stamps.
    expected: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Delete:
    collection: str
    key: str
    expected: dict[str, Any] = field(default_factory=dict)


Write = Insert | Patch | Delete


def write_payload(write: Write) -> dict[str, Any]:
    """A JSON-able form for the outbox (values keep their BSON types through ``doc_json``)."""
    if isinstance(write, Insert):
        return {"op": "insert", "collection": write.collection, "doc": write.doc, "if_exists": write.if_exists}
    if isinstance(write, Patch):
        return {"op": "patch", "collection": write.collection, "key": write.key, "set": write.set,
                "unset": list(write.unset), "expected": write.expected}
    return {"op": "delete", "collection": write.collection, "key": write.key, "expected": write.expected}


def write_from_payload(data: Mapping[str, Any]) -> Write:
    kind = data.get("op")
    if kind == "insert":
        return Insert(str(data["collection"]), dict(data["doc"]), data.get("if_exists", "conflict"))
    if kind == "patch":
        return Patch(str(data["collection"]), str(data["key"]), dict(data["set"]),
                     tuple(data.get("unset", ())), dict(data.get("expected", {})))
    if kind == "delete":
        return Delete(str(data["collection"]), str(data["key"]), dict(data.get("expected", {})))
    raise ValueError(f"unknown write {kind!r}")


def comparable(value: Any) -> Any:
    """``value`` as it reads back from storage (datetimes at milliseconds, BSON types kept), so
    a change kept in the outbox compares equal to the same value read from the database."""
    if value is MISSING or value == MISSING:
        return MISSING
    return doc_json.loads(doc_json.dumps({"v": value}))["v"]


def same(a: Any, b: Any) -> bool:
    return comparable(a) == comparable(b)
