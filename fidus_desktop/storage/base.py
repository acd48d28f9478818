"""The storage contract: document collections implemented by each backend, and the typed
repositories the domain uses on top of them.

Backends (``sqlite/``, ``mongo/``) only move documents: the original-shaped dicts the web platform
reads and writes. Converting a document to a domain object happens once, in ``codecs/``, for both
backends, so the embedded default and MongoDB cannot drift apart.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from ..domain.values import utc_now
from ..errors import ConflictError, NotFoundError, StorageCorrupt
from .offload import map_off_loop
from .problems import DocumentProblem, DocumentProblems, problem_of
from .query import In, Query
from .spec import CollectionSpec
from .writes import MISSING, Delete, Insert, Patch, Write, comparable, same

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

    async def project(self, fields: Sequence[str], query: Query) -> list[tuple[Any, ...]]: ...

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

    async def project(self, fields: Sequence[str], query: Query = Query()) -> list[tuple[Any, ...]]:
        """``(key, *values)`` per matching record: the declared fields' normalized values, as
        their readers give them, without decoding whole documents (bulk figures, big tables)."""
        return await self._collection.project(fields, query)

    def _encode_new(self, entity: T) -> dict[str, Any]:
        # A codec whose collection's creators write other fields than its editors (a new
        # prospect has no ``id``) says so with ``encode_new``.
        encode_new = getattr(self._codec, "encode_new", None)
        return encode_new(entity) if encode_new is not None else self._codec.encode(entity)

    async def add(self, entity: T) -> T:
        return self._load(await self._collection.insert(self.new_document(entity, utc_now())))

    async def add_many(self, entities: Iterable[T]) -> int:
        now = utc_now()
        return await self._collection.insert_many([self.new_document(entity, now) for entity in entities])

    def new_document(self, entity: T, now: datetime) -> dict[str, Any]:
        """The document ``add`` would write for ``entity``, stamped as created at ``now``."""
        doc = self._encode_new(entity)
        self._codec.stamp_create(doc, now)
        return doc

    @property
    def stamps(self) -> frozenset[str]:
        """The "last modified" fields the codec stamps on every change (never compared)."""
        probe: dict[str, Any] = {"\x00": None}
        self._codec.stamp_update(probe, utc_now())
        return frozenset(probe) - {"\x00"}

    def _normalized(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        try:
            return self._codec.encode(self._codec.decode(doc))
        except (ValueError, TypeError, KeyError):
            return {}

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

    def patch_of(self, entity: T, now: datetime, *,
                 derived: Mapping[str, Any] | None = None) -> Patch | None:
        """The change that turns the stored record ``entity`` was read from into ``entity``
        (``None`` when nothing changed), expecting the values it was read with.

        ``derived``: raw fields the domain object does not hold but the original stores beside
        it (an investment's contract dates), written in the same change when they differ.
        """
        if entity.revision is None:  # type: ignore[attr-defined]
            raise ValueError("a patch needs an entity read from this repository; use add()")
        changed, removed = self.changes_of(entity)
        raw = entity.raw  # type: ignore[attr-defined]
        if changed or removed:
            changed.update({k: v for k, v in (derived or {}).items() if k not in raw or raw[k] != v})
        if not changed and not removed:
            return None
        normalized = self._normalized(raw)

        def read(name: str) -> Any:
            return normalized[name] if name in normalized else raw.get(name, MISSING)

        expected = {name: read(name) for name in (*changed, *removed)}
        self._codec.stamp_update(changed, now)
        return Patch(self.spec.name, self._codec.key_of(entity), changed, tuple(removed), expected)

    async def apply(self, write: Write) -> bool:
        """Apply one document change; ``False`` when it had already taken effect (or an
        ``Insert`` with ``if_exists="skip"`` found its key taken), ``True`` when it wrote.

        Raises :class:`ConflictError` (``fields`` names each field somebody else changed) and
        :class:`NotFoundError` for a patch of a record that is gone.
        """
        if isinstance(write, Insert):
            return await self._apply_insert(write)
        if isinstance(write, Patch):
            return await self._apply_patch(write) is not None
        return await self._apply_delete(write)

    async def _apply_insert(self, write: Insert) -> bool:
        key = self.spec.key.extract(write.doc)
        existing = await self._collection.get(str(key)) if key is not None else None
        if existing is not None:
            if write.if_exists == "skip":
                return False
            stamps = self.stamps | {"created_at", "_id"}
            mine = {k: comparable(v) for k, v in write.doc.items() if k not in stamps}
            theirs = {k: comparable(v) for k, v in existing.doc.items() if k in mine}
            if mine == theirs:
                return False  # this very record: the change was applied before
            raise ConflictError(f"{self.spec.name} already holds a different record '{key}'.")
        await self._collection.insert(write.doc)
        return True

    async def apply_inserts(self, writes: Sequence[Insert]) -> int:
        """Apply many inserts as :meth:`apply` would one by one, in one bulk write (an import of
        10,000 rows): keys already taken are looked up together, then the rest is inserted.
        Returns how many were written."""
        fresh: list[dict[str, Any]] = []
        by_key: dict[str, Insert] = {}
        for write in writes:
            key = self.spec.key.extract(write.doc)
            if key is None or str(key) in by_key:
                return sum([await self.apply(w) for w in writes])  # unusual: keep the exact one-by-one rules
            by_key[str(key)] = write
        keys = list(by_key)
        existing: dict[str, StoredDoc] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            for stored in await self._collection.find(Query(where=(In(self.spec.key.name, tuple(chunk)),))):
                existing[str(self.spec.key.extract(stored.doc))] = stored
        for key, write in by_key.items():
            if key in existing:
                await self._apply_insert(write)  # skip, same record again, or a ConflictError
            else:
                fresh.append(write.doc)
        return await self._collection.insert_many(fresh) if fresh else 0

    def _current(self, stored: StoredDoc) -> Callable[[str], Any]:
        normalized = self._normalized(stored.doc)
        return lambda name: normalized[name] if name in normalized else stored.doc.get(name, MISSING)

    async def _apply_patch(self, write: Patch) -> StoredDoc | None:
        stored = await self._collection.get(write.key)
        if stored is None:
            raise NotFoundError(f"The record '{write.key}' is no longer in {self.spec.name}: someone "
                                "deleted it after you opened it.")
        current = self._current(stored)
        stamps = self.stamps
        targets = {k: v for k, v in write.set.items() if k not in stamps}
        if all(same(current(k), v) for k, v in targets.items()) and all(
                current(k) is MISSING or current(k) == MISSING for k in write.unset):
            return None  # already as wanted (applied before, or somebody made the same change)
        theirs = {k: current(k) for k, v in write.expected.items() if not same(current(k), v)}
        if theirs:
            raise ConflictError(
                f"The record '{write.key}' in {self.spec.name} was changed by someone else (the web "
                f"platform or another window) after you opened it: {', '.join(sorted(theirs))}. "
                "Reload it and make your change again.",
                fields={k: (write.expected[k], theirs[k], write.set.get(k, MISSING)) for k in theirs})
        return await self._collection.update(stored, write.set, write.unset)

    async def _apply_delete(self, write: Delete) -> bool:
        stored = await self._collection.get(write.key)
        if stored is None:
            return False
        current = self._current(stored)
        theirs = sorted(k for k, v in write.expected.items() if not same(current(k), v))
        if theirs:
            raise ConflictError(f"The record '{write.key}' in {self.spec.name} was changed by someone else "
                                f"after you opened it ({', '.join(theirs)}); it was not deleted.")
        await self._collection.delete(stored)
        return True

    async def save(self, entity: T, *, derived: Mapping[str, Any] | None = None) -> T:
        """Write what changed; raises ``ConflictError`` if someone else changed the same fields
        since ``entity`` was read (their other changes are kept)."""
        patch = self.patch_of(entity, utc_now(), derived=derived)
        if patch is None:
            return entity
        stored = await self._apply_patch(patch)
        return self.get_loaded(stored) if stored is not None else await self.get(patch.key)

    def get_loaded(self, stored: StoredDoc) -> T:
        return self._load(stored)

    def as_read(self, entity: T) -> T:
        """The record as it was read, before the edits made to ``entity`` (its ``raw`` decoded)."""
        return self._load(StoredDoc(dict(entity.raw), entity.revision))  # type: ignore[attr-defined]

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
