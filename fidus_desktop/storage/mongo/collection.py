"""One MongoDB collection as a :class:`DocumentCollection`, shared with the running web platform.

There are no transactions and no version field the web platform would maintain, so a save is
checked against the document as it was read: the update only matches while every field it
changes (and ``updated_at``) still holds the value read. A concurrent edit of those fields by
the web platform makes it match nothing, and the manager is told instead of overwriting it.
Only the named fields are ``$set``/``$unset``: fields the web platform wrote and the app does not
model are never touched.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import bson
from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from ...errors import ConflictError, NotFoundError, ValidationError
from ..base import StoredDoc
from ..query import Query
from ..spec import CollectionSpec
from .errors import ErrorGuard
from .filters import Filter, all_of, key_filter, query_filter, scope_filter, sort_keys

_DUPLICATE_KEY = 11000
#: Field every codec stamps on a change: checked on every update and delete.
_LAST_MODIFIED = "updated_at"


class MongoCollection:
    def __init__(self, spec: CollectionSpec, handle: Callable[[], AsyncCollection], guard: ErrorGuard,
                 *, insert_batch_size: int = 500) -> None:
        self.spec = spec
        # Resolved on each call: the backend connects in open(), after collections are handed out.
        self._handle = handle
        self._guard = guard
        self._insert_batch_size = insert_batch_size

    async def get(self, key: str) -> StoredDoc | None:
        with self._guard:
            # Oldest first: the original has duplicates, and its own find_one sees that one.
            doc = await self._handle().find_one(all_of(scope_filter(self.spec), key_filter(self.spec, key)),
                                                sort=[("_id", 1)], **_session())
        return None if doc is None else _snapshot(doc)

    async def find(self, query: Query) -> list[StoredDoc]:
        if query.limit == 0:
            return []  # PyMongo reads limit=0 as "no limit"
        cursor = self._handle().find(query_filter(self.spec, query), sort=sort_keys(self.spec, query),
                                     skip=query.offset, limit=query.limit or 0, **_session())
        with self._guard:
            docs = await cursor.to_list()
        return [_snapshot(doc) for doc in docs]

    async def project(self, fields: Sequence[str], query: Query = Query()) -> list[tuple[Any, ...]]:
        """``(key, *values)`` of every matching record, each value read by its field's reader
        from only the raw paths it needs (the server sends nothing else)."""
        if query.limit == 0:
            return []
        specs = [self.spec.field(name) for name in fields]
        paths = {raw for f in (self.spec.key, *specs) for raw in f.raw_names}
        # A field read from the whole document (no raw path) needs the whole document.
        projection = None if any(not f.raw_names for f in specs) else dict.fromkeys(paths, 1)
        cursor = self._handle().find(query_filter(self.spec, query), projection=projection,
                                     sort=sort_keys(self.spec, query), skip=query.offset, limit=query.limit or 0,
                                     **_session())
        with self._guard:
            docs = await cursor.to_list()
        key = self.spec.key.extract
        readers = [f.extract for f in specs]
        return [(str(key(doc) if key(doc) is not None else doc["_id"]), *(r(doc) for r in readers)) for doc in docs]

    async def count(self, query: Query) -> int:
        with self._guard:
            return await self._handle().count_documents(query_filter(self.spec, query), **_session())

    async def insert(self, doc: Mapping[str, Any]) -> StoredDoc:
        new = self._scoped(doc)
        await self._refuse_taken_keys([new])
        collection = self._handle()
        with self._guard:
            await collection.insert_one(new, **_session())
        return _snapshot(_as_stored(new, collection))

    async def insert_many(self, docs: Iterable[Mapping[str, Any]]) -> int:
        """Refuses the whole load if any key is taken; then writes in unordered batches."""
        new = [self._scoped(doc) for doc in docs]
        await self._refuse_taken_keys(new)
        written = existing = 0
        for batch in itertools.batched(new, self._insert_batch_size):
            done, already = await self._insert_batch(list(batch))
            written, existing = written + done, existing + already
        if existing:
            # Same _id already stored, or a unique index of the web platform's: the rest of the
            # load is written, and the caller learns what was not.
            raise ConflictError(f"{existing} records were already in {self.spec.name} and were left as "
                                f"they are; {written} new records were written.")
        return written

    def _scoped(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        scoped = {**doc, **scope_filter(self.spec)}
        if self.spec.key.extract(scoped) is None and scoped.get("_id") is None:
            # The SQLite backend cannot file such a record either; refuse it on both.
            raise ValidationError(f"A record for '{self.spec.name}' has no "
                                  f"{' or '.join(self.spec.key.raw_names)}, so it cannot be stored.")
        return scoped

    async def _refuse_taken_keys(self, docs: list[dict[str, Any]]) -> None:
        """ConflictError if a key repeats in ``docs`` or is already used in the collection.

        Checked across the whole collection, not just the scope: the original treats these keys
        as unique everywhere. No unique index backs the check (see indexes.py), so two inserts of
        one new key at the same instant could both pass; keys are generated, so that is rare.
        """
        keys = [key for key in map(self.spec.key.extract, docs) if key is not None]
        repeated = [key for key, n in Counter(keys).items() if n > 1]
        if repeated:
            raise ConflictError(f"The records being added to {self.spec.name} hold '{repeated[0]}' twice.")
        names = self.spec.key.raw_names
        for chunk in itertools.batched(keys, self._insert_batch_size):
            with self._guard:
                taken = await self._handle().find_one(key_filter(self.spec, *chunk),
                                                      projection=dict.fromkeys(names, 1), **_session())
            if taken is not None:
                stored_keys = {str(taken[name]) for name in names if name in taken}
                key = next((k for k in chunk if str(k) in stored_keys), taken["_id"])
                raise ConflictError(f"There is already a record '{key}' in {self.spec.name}.")

    async def _insert_batch(self, batch: list[dict[str, Any]]) -> tuple[int, int]:
        """(written, already there); unordered so one duplicate does not stop the batch."""
        with self._guard:
            try:
                result = await self._handle().insert_many(batch, ordered=False, **_session())
            except BulkWriteError as exc:
                errors = exc.details.get("writeErrors", [])
                if any(e.get("code") != _DUPLICATE_KEY for e in errors) or exc.details.get("writeConcernErrors"):
                    raise
                return exc.details.get("nInserted", len(batch) - len(errors)), len(errors)
        return len(result.inserted_ids), 0

    async def update(self, stored: StoredDoc, set_fields: Mapping[str, Any],
                     unset_fields: Iterable[str] = ()) -> StoredDoc:
        read = _revision(stored)
        changes = dict(set_fields)
        removed = [name for name in unset_fields if name not in changes]
        if not changes and not removed:
            return stored
        unchanged_since_read = {name: _as_read(read, name) for name in (*changes, *removed, _LAST_MODIFIED)}
        update: dict[str, Any] = {}
        if changes:
            update["$set"] = changes
        if removed:
            update["$unset"] = {name: "" for name in removed}
        with self._guard:
            after = await self._handle().find_one_and_update(
                self._same_document(read, unchanged_since_read), update, return_document=ReturnDocument.AFTER,
                **_session())
            if after is None:
                await self._raise_moved(read)
        return _snapshot(after)

    async def delete(self, stored: StoredDoc) -> None:
        read = _revision(stored)
        with self._guard:
            result = await self._handle().delete_one(
                self._same_document(read, {_LAST_MODIFIED: _as_read(read, _LAST_MODIFIED)}), **_session())
            if result.deleted_count == 0:
                await self._raise_moved(read)

    async def scan(self, batch_size: int = 1000) -> AsyncIterator[dict[str, Any]]:
        # By _id so a scan interrupted and resumed (migration) sees a stable order.
        cursor = self._handle().find(scope_filter(self.spec), sort=[("_id", 1)], batch_size=batch_size)
        try:
            with self._guard:
                async for doc in cursor:
                    yield doc
        finally:
            await cursor.close()

    def _same_document(self, read: Mapping[str, Any], expected: Filter) -> Filter:
        return all_of(scope_filter(self.spec), {"_id": read["_id"]}, expected)

    async def _raise_moved(self, read: Mapping[str, Any]) -> None:
        """The guarded write matched nothing: say whether the record is gone or was changed."""
        key = self.spec.key.extract(read) or read["_id"]
        if await self._handle().find_one(all_of(scope_filter(self.spec), {"_id": read["_id"]}),
                                         projection={"_id": 1}, **_session()) is None:
            raise NotFoundError(f"The record '{key}' is no longer in {self.spec.name}: someone deleted it "
                                "after you opened it.")
        raise ConflictError(f"The record '{key}' in {self.spec.name} was changed by someone else (the web "
                            "platform or another window) after you opened it. Reload it and make your "
                            "change again.")


def _session() -> dict[str, Any]:
    """``session=`` for the unit of work's transaction, when the current task is in one."""
    # Imported here: the backend module imports this one.
    from .backend import CURRENT_SESSION

    session = CURRENT_SESSION.get()
    return {} if session is None else {"session": session}


def _snapshot(doc: dict[str, Any]) -> StoredDoc:
    # The revision is a read-only copy of the document as read: the values a later save expects.
    return StoredDoc(doc, MappingProxyType(dict(doc)))


def _revision(stored: StoredDoc) -> Mapping[str, Any]:
    read = stored.revision
    if not isinstance(read, Mapping) or "_id" not in read:
        raise ValueError("update() and delete() need a document read from this MongoDB collection")
    return read


def _as_read(read: Mapping[str, Any], name: str) -> Filter:
    if name not in read:
        return {"$exists": False}
    value = read[name]
    # {"$eq": None} would also match a field removed since; "$eq" keeps a stored sub-document
    # with "$"-like keys from being read as operators.
    return {"$type": "null"} if value is None else {"$eq": value}


def _as_stored(doc: dict[str, Any], collection: AsyncCollection) -> dict[str, Any]:
    """``doc`` as the server now holds it (datetimes cut to milliseconds, aware UTC), without a
    round trip: the record ``add()`` returns must equal the one a later read returns."""
    options = collection.codec_options
    return bson.decode(bson.encode(doc, codec_options=options), codec_options=options)
