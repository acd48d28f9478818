"""What every stored aggregate carries besides its meaning.

``raw`` is the document exactly as the database held it when read: the storage layer merges
changes into it, so fields the web platform wrote and we do not model survive a
read-modify-write. ``revision`` is the backend's opaque token for optimistic concurrency (a
version number in SQLite, the values read in MongoDB). Neither takes part in equality.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Self

NO_RAW: Mapping[str, Any] = MappingProxyType({})


def stored_field() -> Any:
    return dataclasses.field(default=None, compare=False, repr=False, kw_only=True)


def raw_field() -> Any:
    return dataclasses.field(default=NO_RAW, compare=False, repr=False, kw_only=True)


class Record:
    """Mixin for frozen dataclasses that live in a repository."""

    raw: Mapping[str, Any]
    revision: Any

    def evolve(self, **changes: Any) -> Self:
        """A copy with ``changes``, keeping ``raw`` and ``revision`` so the save is checked."""
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    @property
    def is_stored(self) -> bool:
        return self.revision is not None
