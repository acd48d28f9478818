"""The indexes the app's queries need, created once per collection and never unique.

The database is shared with the running web platform: its collections hold documents that lack
our keys or repeat them (``prospect_id`` missing on older prospects, duplicated sample rows). A
unique index would fail to build on them, and worse, once built it would make the web
platform's own inserts fail. Uniqueness is checked by the app before it inserts instead.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pymongo import IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import OperationFailure

from ..spec import CollectionSpec

log = logging.getLogger(__name__)

IndexKeys = tuple[tuple[str, int], ...]

# Not allowed to create indexes, or an index on the same keys exists with other options (the
# web platform's own): the app works without ours, only slower, so neither stops it.
_TOLERATED_CODES = {13: "Unauthorized", 85: "IndexOptionsConflict", 86: "IndexKeySpecsConflict"}


def wanted_indexes(spec: CollectionSpec) -> list[IndexKeys]:
    """One index per raw path of every queryable field and scope, then the compound ones."""
    single = [((raw, 1),) for field in spec.all_fields if field.index for raw in field.raw_names]
    scoped = [((name, 1),) for name, _ in spec.scope]
    # The watcher for other writers' changes asks for records modified after a moment.
    watched = [(("updated_at", 1),)]
    return list(dict.fromkeys([*single, *scoped, *(tuple(c) for c in spec.compound_indexes), *watched]))


async def ensure_indexes(collection: AsyncCollection, spec: CollectionSpec) -> list[str]:
    """Create the missing indexes; returns their names (empty when all existed)."""
    # Compare key patterns, not names: the web platform may hold the same keys under another
    # name, and asking again for them with other options is an error.
    existing = {_keys(ix["key"]) async for ix in await collection.list_indexes()}
    missing = [keys for keys in wanted_indexes(spec) if keys not in existing]
    if not missing:
        return []
    try:
        names = await collection.create_indexes([IndexModel(list(keys)) for keys in missing])
    except OperationFailure as exc:
        if exc.code not in _TOLERATED_CODES:
            raise
        log.warning("indexes on %s not created (%s): queries will be slower",
                    spec.name, _TOLERATED_CODES[exc.code])
        return []
    log.info("created indexes on %s: %s", spec.name, ", ".join(names))
    return names


def _keys(key: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    # Servers report directions as 1, 1.0 or "1" depending on who created the index.
    def direction(value: Any) -> Any:
        try:
            return int(value)
        except (TypeError, ValueError):
            return value  # "text", "2dsphere", "hashed"

    return tuple((path, direction(value)) for path, value in key.items())
