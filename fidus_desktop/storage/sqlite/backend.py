"""The embedded fund database: one SQLite file, the default for a single manager's desk."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..spec import CollectionSpec
from . import schema
from .collection import SqliteCollection
from .connection import Database, upgrade_schema
from .layout import TableLayout
from .migrations import STEPS, bind


class SqliteBackend:
    """``DocumentBackend`` over one SQLite file (WAL, one connection, serialized statements)."""

    kind = "sqlite"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self.location = str(self.path)
        self._db = Database(self.path, "The fund database")
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
