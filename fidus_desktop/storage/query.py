"""A small, backend-neutral query language over a collection's declared fields.

Only fields a :class:`~fidus_desktop.storage.spec.CollectionSpec` declares can be filtered or
sorted on: each is an indexed column in SQLite and an indexed path in MongoDB, so every panel
query is served by an index on both backends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Eq:
    field: str
    value: Any


@dataclass(frozen=True, slots=True)
class In:
    field: str
    values: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Between:
    """``low <= field < high``; either bound may be ``None``."""

    field: str
    low: Any = None
    high: Any = None


@dataclass(frozen=True, slots=True)
class Contains:
    """Case-insensitive substring match on any of ``fields`` (a search box)."""

    fields: tuple[str, ...]
    text: str


Condition = Eq | In | Between | Contains


@dataclass(frozen=True, slots=True)
class Query:
    where: tuple[Condition, ...] = ()
    #: ``(field, descending)`` pairs; the key is always the last tie-breaker.
    order_by: tuple[tuple[str, bool], ...] = ()
    limit: int | None = None
    offset: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def fields(self) -> set[str]:
        names: set[str] = set()
        for cond in self.where:
            names.update(cond.fields if isinstance(cond, Contains) else (cond.field,))
        names.update(name for name, _ in self.order_by)
        return names
