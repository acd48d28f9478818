"""The storage contract: document collections implemented by each backend, and the typed
repositories the domain uses on top of them.

Backends (``sqlite/``, ``mongo/``) only move documents: the original-shaped dicts the web platform
reads and writes. Converting a document to a domain object happens once, in ``codecs/``, for both
backends, so the embedded default and MongoDB cannot drift apart.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from ..domain.values import utc_now
from ..errors import NotFoundError, StorageCorrupt
from .offload import map_off_loop
from .problems import DocumentProblem, DocumentProblems, problem_of
from .query import Query
from .spec import CollectionSpec

#: What a codec raises for a value it cannot read or will not trust (``UntrustedValue`` is a
#: ValueError; ``OverflowError`` an ArithmeticError).
DECODE_ERRORS = (ValueError, TypeError, KeyError, ArithmeticError)


class StoredDoc(NamedTuple):
    doc: dict[str, Any]
    #: Opaque to everyone but the backend that produced it.
    revision: Any


class DocumentCollection(Protocol):
    spec: CollectionSpec

    async def get(self, key: str) -> StoredDoc | None: ...

    async def find(self, query: Query) -> list[StoredDoc]: ...

    async def count(self, query: Query) -> int: ...

    async def insert(self, doc: Mapping[str, Any]) -> StoredDoc:
        """Raises :class:`ConflictError` when a document with the same key exists."""

    async def insert_many(self, docs: Iterable[Mapping[str, Any]]) -> int:
        """Bulk load (demo data, migration); returns how many were written."""

    async def update(self, stored: StoredDoc, set_fields: Mapping[str, Any],
                     unset_fields: Iterable[str] = ()) -> StoredDoc:
        """Apply the changes only if the document is still as ``stored`` saw it.

        Raises :class:`ConflictError` when someone changed it since (SQLite: the version moved;
        MongoDB: a changed field or ``updated_at`` no longer holds the value read), and
        :class:`NotFoundError` when it is gone. Fields not named are left untouched.
        """

    async def delete(self, stored: StoredDoc) -> None: ...

    def scan(self, batch_size: int = 1000) -> AsyncIterator[dict[str, Any]]:
        """Every document of the collection (within its scope), for migration and export."""


class DocumentBackend(Protocol):
    #: ``sqlite`` or ``mongodb``
    kind: str
    #: Where the data lives, for the status bar, with any password removed.
    location: str

    async def open(self, specs: Iterable[CollectionSpec]) -> None:
        """Connect, then create tables/indexes idempotently (and run migrations)."""

    async def close(self) -> None: ...

    async def ping(self) -> None:
        """Raises :class:`StorageUnavailable` when the database cannot answer."""

    def collection(self, spec: CollectionSpec) -> DocumentCollection: ...


class Codec[T](Protocol):
    spec: CollectionSpec

    def decode(self, doc: Mapping[str, Any]) -> T:
        """Domain object from a stored document; raises ``ValueError`` on a value it cannot read."""

    def encode(self, entity: T) -> dict[str, Any]:
        """The fields this codec understands, in the types the original writes."""

    def key_of(self, entity: T) -> str: ...

    def stamp_update(self, changes: dict[str, Any], now: datetime) -> None:
        """Add the original's "last modified" field(s) to a non-empty change set."""

    def stamp_create(self, doc: dict[str, Any], now: datetime) -> None: ...


class Repository[T]:
    """Typed access to one aggregate; the only storage API services see.

    Reading many records (:meth:`find`) leaves out each document the codec refuses and lists
    it in ``problems``, so one bad document never stops a report nor corrupts a figure.
    Reading one record by its key (:meth:`get`) raises :class:`StorageCorrupt` naming it.
    """

    def __init__(self, collection: DocumentCollection, codec: Codec[T],
                 problems: DocumentProblems | None = None) -> None:
        self._collection = collection
        self._codec = codec
        self.problems = problems if problems is not None else DocumentProblems()

    @property
    def spec(self) -> CollectionSpec:
        return self._codec.spec

    def _key(self, doc: Mapping[str, Any]) -> Any:
        key = self._codec.spec.key.extract(doc)
        return doc.get("_id", "(no key)") if key is None or key == "" else key

    def _load(self, stored: StoredDoc) -> T:
        try:
            entity = self._codec.decode(stored.doc)
        except DECODE_ERRORS as exc:
            problem = problem_of(self._codec.spec.name, self._key(stored.doc), exc)
            self.problems.record(problem)
            raise StorageCorrupt(f"A record in '{problem.collection}' ({problem.key}) holds a value the app "
                                 f"cannot read: {exc}") from exc
        return dataclasses.replace(entity, raw=stored.doc, revision=stored.revision)  # type: ignore[type-var]

    def _try_load(self, stored: StoredDoc) -> T | DocumentProblem:
        try:
            entity = self._codec.decode(stored.doc)
        except DECODE_ERRORS as exc:
            return problem_of(self._codec.spec.name, self._key(stored.doc), exc)
        return dataclasses.replace(entity, raw=stored.doc, revision=stored.revision)  # type: ignore[type-var]

    async def get(self, key: str) -> T:
        stored = await self._collection.get(key)
        if stored is None:
            raise NotFoundError(f"No record '{key}' in {self._codec.spec.name}.")
        return self._load(stored)

    async def find_one(self, key: str) -> T | None:
        stored = await self._collection.get(key)
        return None if stored is None else self._load(stored)

    async def find(self, query: Query = Query()) -> list[T]:
        """The records matching ``query``, without the documents the app cannot trust (each
        listed in :attr:`problems`)."""
        stored = await self._collection.find(query)
        loaded = await map_off_loop(self._try_load, stored)
        found: list[T] = []
        refused: list[DocumentProblem] = []
        for item in loaded:
            (refused if isinstance(item, DocumentProblem) else found).append(item)  # type: ignore[arg-type]
        name = self._codec.spec.name
        if not query.where and query.limit is None and not query.offset:
            self.problems.replace(name, refused)  # the whole collection was read
        else:
            for problem in refused:
                self.problems.record(problem)
            if self.problems.holds(name):
                for entity in found:
                    self.problems.resolve(name, self._key(entity.raw))  # type: ignore[attr-defined]
        return found

    async def count(self, query: Query = Query()) -> int:
        return await self._collection.count(query)

    async def add(self, entity: T) -> T:
        doc = self._codec.encode(entity)
        self._codec.stamp_create(doc, utc_now())
        return self._load(await self._collection.insert(doc))

    async def add_many(self, entities: Iterable[T]) -> int:
        now = utc_now()
        docs = []
        for entity in entities:
            doc = self._codec.encode(entity)
            self._codec.stamp_create(doc, now)
            docs.append(doc)
        return await self._collection.insert_many(docs)

    def changes_of(self, entity: T) -> tuple[dict[str, Any], list[str]]:
        """Fields whose meaning changed since ``entity`` was read, and fields it dropped.

        The baseline is the stored document decoded and re-encoded, so a field the original
        wrote in another encoding (an ISO string where we would write a datetime) is only
        rewritten when its value really changed.
        """
        raw = entity.raw  # type: ignore[attr-defined]
        new = self._codec.encode(entity)
        old = self._codec.encode(self._codec.decode(raw))
        changed = {k: v for k, v in new.items() if k not in old or old[k] != v}
        removed = [k for k in old if k not in new and k in raw]
        return changed, removed

    async def save(self, entity: T, *, derived: Mapping[str, Any] | None = None) -> T:
        """Write what changed; raises ``ConflictError`` if the record moved since it was read.

        ``derived``: raw fields the domain object does not hold but the original stores beside
        it (an investment's contract dates), written in the same checked update when they differ.
        """
        if entity.revision is None:  # type: ignore[attr-defined]
            raise ValueError("save() needs an entity read from this repository; use add()")
        changed, removed = self.changes_of(entity)
        raw = entity.raw  # type: ignore[attr-defined]
        if changed or removed:
            changed.update({k: v for k, v in (derived or {}).items() if k not in raw or raw[k] != v})
        if not changed and not removed:
            return entity
        self._codec.stamp_update(changed, utc_now())
        stored = StoredDoc(dict(entity.raw), entity.revision)  # type: ignore[attr-defined]
        return self._load(await self._collection.update(stored, changed, removed))

    async def remove(self, entity: T) -> None:
        await self._collection.delete(StoredDoc(dict(entity.raw), entity.revision))  # type: ignore[attr-defined]

    def scan_documents(self, batch_size: int = 1000) -> AsyncIterator[dict[str, Any]]:
        return self._collection.scan(batch_size)

    async def find_documents(self, query: Query = Query()) -> list[dict[str, Any]]:
        """Raw documents matching ``query`` as stored (migration checks which keys exist)."""
        return [stored.doc for stored in await self._collection.find(query)]

    async def insert_documents(self, docs: Iterable[Mapping[str, Any]]) -> int:
        """Raw documents as they are (migration between backends): nothing is converted."""
        return await self._collection.insert_many(docs)
