"""One collection in the embedded fund database (the ``DocumentCollection`` protocol)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import Any

from ...errors import ConflictError, NotFoundError
from .. import doc_json
from ...lanes import shared_lanes
from ..offload import LARGE_BATCH, map_off_loop
from ..base import StoredDoc
from ..query import Query
from ..spec import ANY_KEY, CollectionSpec
from .change_log import ChangeLog
from .connection import Database
from .layout import TableLayout, read_column
from .sql_query import order_clause, page_clause, where_clause

#: Documents per ``executemany``; bounds the keys a duplicate report looks up.
_CHUNK = 2000


class SqliteCollection:
    """Documents with an integer ``version``: the revision every update and delete checks.

    ``layout`` is the table's (from the spec it was opened with); ``spec`` may be another view
    of the same table with another scope value. As in MongoDB, a document inserted through a
    scoped collection gets the scope's values (a record added as a client is a client).
    """

    def __init__(self, db: Database, layout: TableLayout, spec: CollectionSpec | None = None, *,
                 log: ChangeLog) -> None:
        self._db = db
        self._log = log
        self._layout = layout
        self.spec: CollectionSpec = spec or layout.spec
        self._scope = layout.scope_of(self.spec)
        self._scope_values = dict(self.spec.scope)
        table = layout.table
        scope = "".join(f" AND {column} = ?" for column, _ in self._scope)
        self._scope_params = [value for _, value in self._scope]
        columns = ", ".join(c.name for c in layout.columns)
        marks = ", ".join("?" * len(layout.columns))
        sets = "".join(f", {c.name} = ?" for c in layout.columns)
        self._sql_get = f"SELECT doc, version FROM {table} WHERE key = ?{scope}"
        self._sql_exists = f"SELECT 1 FROM {table} WHERE key = ?{scope}"
        self._sql_insert = (f"INSERT INTO {table} (key, version, doc{', ' if columns else ''}{columns}) "
                            f"VALUES (?, 1, ?{', ' if marks else ''}{marks})")
        self._sql_update = (f"UPDATE {table} SET key = ?, version = version + 1, doc = ?{sets} "
                            f"WHERE key = ? AND version = ?{scope} RETURNING version")
        self._sql_delete = f"DELETE FROM {table} WHERE key = ? AND version = ?{scope} RETURNING key"
        self._sql_scan = f"SELECT key, doc FROM {table} WHERE key > ?{scope} ORDER BY key LIMIT ?"

    @property
    def _name(self) -> str:
        return self.spec.name

    # -- reads --------------------------------------------------------------------------------

    async def get(self, key: str) -> StoredDoc | None:
        rows = await self._db.fetch(self._sql_get, [self._layout.key_value(key), *self._scope_params])
        return StoredDoc(doc_json.loads(rows[0][0]), rows[0][1]) if rows else None

    async def find(self, query: Query) -> list[StoredDoc]:
        where, params = where_clause(self._layout, query, self._scope)
        page, page_params = page_clause(query)
        sql = f"SELECT doc, version FROM {self._layout.table} {where} {order_clause(self._layout, query)} {page}"
        rows = await self._db.fetch(sql, [*params, *page_params])
        return await map_off_loop(lambda row: StoredDoc(doc_json.loads(row[0]), row[1]), rows)

    async def project(self, fields: Sequence[str], query: Query = Query()) -> list[tuple[Any, ...]]:
        """``(key, *values)`` of every matching record, from the query columns alone: no document
        is decoded, so reading 100,000 records for the figures takes a fraction of a second."""
        where, params = where_clause(self._layout, query, self._scope)
        page, page_params = page_clause(query)
        kinds = [self._layout.kind(name) for name in fields]
        columns = ", ".join(["key", *(self._layout.column(name) for name in fields)])
        sql = f"SELECT {columns} FROM {self._layout.table} {where} {order_clause(self._layout, query)} {page}"
        rows = await self._db.fetch(sql, [*params, *page_params])
        if not rows or not any(kind in ("datetime", "decimal", "bool") for kind in kinds):
            return rows
        convert = tuple((i + 1, kind) for i, kind in enumerate(kinds) if kind in ("datetime", "decimal", "bool"))

        def typed() -> list[tuple[Any, ...]]:
            # Column by column, each distinct value converted once: start dates, amounts and
            # rates repeat across a fund, so 100,000 rows cost a few thousand conversions.
            columns = list(zip(*rows, strict=True))
            for index, kind in convert:
                memo: dict[Any, Any] = {}
                columns[index] = tuple(memo[v] if v in memo else memo.setdefault(v, read_column(kind, v))
                                       for v in columns[index])
            # A comprehension, not ``list(zip(...))``: the collector then runs while the rows
            # are made, not once over all of them (see ``connection.FETCH_CHUNK``).
            return [row for row in zip(*columns, strict=True)]  # noqa: C416

        if len(rows) <= LARGE_BATCH:
            return typed()
        return await shared_lanes().cpu.run(typed, action="read query columns")

    async def count(self, query: Query) -> int:
        """How many documents match ``query.where``; ordering and paging are ignored."""
        where, params = where_clause(self._layout, query, self._scope)
        [(count,)] = await self._db.fetch(f"SELECT count(*) FROM {self._layout.table} {where}", params)
        return int(count)

    async def scan(self, batch_size: int = 1000) -> AsyncIterator[dict[str, Any]]:
        """Every document in key order, one short read per batch (no lock held in between)."""
        last = ""
        while True:
            rows = await self._db.fetch(self._sql_scan, [last, *self._scope_params, batch_size])
            for _, doc in rows:
                yield doc_json.loads(doc)
            if len(rows) < batch_size:
                return
            last = rows[-1][0]

    # -- writes -------------------------------------------------------------------------------

    def _scoped(self, doc: Mapping[str, Any]) -> Mapping[str, Any]:
        return {**doc, **self._scope_values} if self._scope_values else doc

    async def insert(self, doc: Mapping[str, Any]) -> StoredDoc:
        row = self._layout.row(self._scoped(doc))
        try:
            # One transaction with its log row; it joins the unit of work when there is one,
            # and its statements go through ``_db.fetch``, which says what an error means.
            async with self._db.transaction() as tx:
                await self._db.fetch(self._sql_insert, row)
                await self._log.record(tx, self._name, (row[0],))
        except ConflictError as exc:
            raise self._duplicate(row[0]) from exc
        # What a later get() returns (a naive datetime comes back aware, for instance).
        return StoredDoc(doc_json.loads(row[1]), 1)

    async def insert_many(self, docs: Iterable[Mapping[str, Any]]) -> int:
        """All or nothing: a duplicate key anywhere leaves the collection as it was.

        Rows are built lazily inside SQLite's thread (``executemany`` pulls them from a
        generator), so a 100,000-record load keeps the event loop, and the window, responsive.
        """
        written = 0
        chunk: tuple[Mapping[str, Any], ...] = ()
        try:
            async with self._db.transaction() as tx:
                for chunk in itertools.batched(docs, _CHUNK, strict=False):
                    await tx.execute_many(self._sql_insert, (self._layout.row(self._scoped(d)) for d in chunk))
                    if written == 0:  # one chunk: each key; more: one "*" (see change_log)
                        keys = [self._layout.key_of(d) for d in chunk] if len(chunk) < _CHUNK else [ANY_KEY]
                        await self._log.record(tx, self._name, keys)
                    written += len(chunk)
        except ConflictError as exc:
            raise await self._explain_duplicate([self._layout.key_of(d) for d in chunk], exc) from exc
        return written

    async def update(self, stored: StoredDoc, set_fields: Mapping[str, Any],
                     unset_fields: Iterable[str] = ()) -> StoredDoc:
        merged = dict(stored.doc)
        merged.update(set_fields)
        for name in unset_fields:
            merged.pop(name, None)
        key, text, *derived = self._layout.row(merged)
        old_key = self._layout.key_of(stored.doc)
        try:
            async with self._db.transaction() as tx:
                rows = await self._db.fetch(
                    self._sql_update, [key, text, *derived, old_key, stored.revision, *self._scope_params])
                if rows:
                    await self._log.record(tx, self._name, (old_key, key))
        except ConflictError as exc:
            raise self._duplicate(key) from exc
        if not rows:
            await self._raise_lost(old_key)
        return StoredDoc(doc_json.loads(text), rows[0][0])

    async def delete(self, stored: StoredDoc) -> None:
        key = self._layout.key_of(stored.doc)
        async with self._db.transaction() as tx:
            rows = await self._db.fetch(self._sql_delete, [key, stored.revision, *self._scope_params])
            if rows:
                await self._log.record(tx, self._name, (key,))
        if not rows:
            await self._raise_lost(key)

    # -- errors -------------------------------------------------------------------------------

    async def _raise_lost(self, key: str) -> None:
        if await self._db.fetch(self._sql_exists, [key, *self._scope_params]):
            raise ConflictError(f"Record '{key}' in {self._name} was changed by someone else since it "
                                "was opened. Reload it and make your change again.")
        raise NotFoundError(f"Record '{key}' in {self._name} no longer exists (it was deleted).")

    def _duplicate(self, key: str) -> ConflictError:
        return ConflictError(f"{self._name} already holds a record '{key}'.")

    async def _explain_duplicate(self, keys: list[str], cause: ConflictError) -> ConflictError:
        """Name the key that collided (the batch is rolled back, so the table is as before)."""
        seen: set[str] = set()
        for key in keys:
            if key in seen:
                return ConflictError(f"The records being added to {self._name} hold '{key}' twice.")
            seen.add(key)
        if not keys:
            return cause
        existing = await self._db.fetch(
            f"SELECT key FROM {self._layout.table} WHERE key IN ({', '.join('?' * len(keys))}) LIMIT 1", keys)
        return self._duplicate(existing[0][0]) if existing else cause
