"""The embedded fund database: one SQLite file, the default for a single manager's desk."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from ...errors import FidusError
from ..spec import CollectionSpec
from . import schema
from .collection import SqliteCollection
from .connection import Database, upgrade_schema
from .layout import TableLayout
from .migrations import STEPS, bind


class SqliteBackend:
    """``DocumentBackend`` over one SQLite file (WAL, one connection, serialized statements)."""

    kind = "sqlite"
    #: A unit of work is one SQLite transaction: a change and its audit entry commit together.
    atomic_units = True

    def __init__(self, path: str | Path, *, wal: bool = True) -> None:
        self.path = Path(path).expanduser()
        self.location = str(self.path)
        self._db = Database(self.path, "The fund database", wal=wal)
        self._layouts: dict[str, TableLayout] = {}

    async def open(self, specs: Iterable[CollectionSpec]) -> None:
        """Open the file (creating it), run pending migrations, then reconcile the tables with
        ``specs``; all idempotent, so every start-up calls it."""
        for spec in specs:
            self._layouts[spec.name] = TableLayout(spec)
        await self._db.open()
        try:
            await upgrade_schema(self._db, bind(STEPS, self._layouts))
            async with self._db.transaction() as tx:
                for layout in self._layouts.values():
                    await schema.reconcile(tx, layout)
        except BaseException:
            await self._db.close()
            raise

    async def close(self) -> None:
        await self._db.close()

    async def ping(self) -> None:
        await self._db.fetch("SELECT 1")

    def unit(self) -> AbstractAsyncContextManager[object]:
        """Everything written inside the block commits together, or not at all."""
        return self._db.transaction()

    async def external_changes(self, specs: Iterable[CollectionSpec], *,
                               poll_seconds: float = 2.0) -> AsyncIterator[dict[str, set[str]]]:
        """Commits by another connection to this file (the CLI, a second window): SQLite's
        ``data_version`` says *that* something changed, not what, so each batch names every
        collection with the unknown key ``"*"`` (panels reload what they show)."""
        names = [spec.name for spec in specs]
        [(seen,)] = await self._db.fetch("PRAGMA data_version")
        while True:
            await asyncio.sleep(poll_seconds)
            try:
                [(version,)] = await self._db.fetch("PRAGMA data_version")
            except FidusError:
                continue
            if version != seen:
                seen = version
                yield {name: {"*"} for name in names}

    def collection(self, spec: CollectionSpec) -> SqliteCollection:
        """The collection of ``spec``, over the table :meth:`open` made for its name (another
        spec of the same name is a view with its own scope, e.g. admins in ``users``)."""
        layout = self._layouts.setdefault(spec.name, TableLayout(spec))
        return SqliteCollection(self._db, layout, spec)

    async def schema_version(self) -> int:
        [(version,)] = await self._db.fetch("PRAGMA user_version")
        return int(version)

    async def journal_mode(self) -> str:
        [(mode,)] = await self._db.fetch("PRAGMA journal_mode")
        return str(mode)
