"""The embedded fund database: one SQLite file, the default for a single manager's desk."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from ...errors import FidusError, StorageCorrupt
from .. import backup
from ..spec import ANY_KEY, CollectionSpec
from . import schema
from .change_log import ChangeLog
from .collection import SqliteCollection
from .connection import Database, upgrade_schema
from .files import complete_file, integrity_problems, integrity_sql, refuse_truncated
from .layout import TableLayout
from .migrations import STEPS, bind

log = logging.getLogger(__name__)

WHAT = "The fund database"


class SqliteBackend:
    """``DocumentBackend`` over one SQLite file (WAL, one connection, serialized statements).

    Opening checks the file before trusting it: a 0-byte file or one that fails SQLite's quick
    integrity check is refused with what to do (restore a backup). A new file is created
    complete or not at all. Before a schema upgrade a backup is taken; with ``daily_backup``,
    also the day's first, in the background.
    """

    kind = "sqlite"
    #: A unit of work is one SQLite transaction: a change and its audit entry commit together.
    atomic_units = True

    def __init__(self, path: str | Path, *, daily_backup: bool = False, backups_kept: int | None = None,
                 wal: bool = True) -> None:
        self.path = Path(path).expanduser()
        self.location = str(self.path)
        self._db = Database(self.path, WHAT, damaged_hint=lambda: backup.restore_hint(self.path), wal=wal)
        self._log = ChangeLog(self._db)
        self._layouts: dict[str, TableLayout] = {}
        self._daily_backup = daily_backup
        self._backups_kept = backups_kept or backup.DEFAULT_KEEP
        self._backup_task: asyncio.Task[object] | None = None

    async def open(self, specs: Iterable[CollectionSpec]) -> None:
        """Open the file (creating it), run pending migrations, then reconcile the tables with
        ``specs``; all idempotent, so every start-up calls it."""
        for spec in specs:
            self._layouts[spec.name] = TableLayout(spec)
        refuse_truncated(self.path, WHAT, backup.restore_hint(self.path))
        if not self.path.exists():
            await self._create()
        await self._db.open()
        try:
            await self._check_integrity()
            await self._prepare(self._db, back_up_first=True)
        except BaseException:
            await self._db.close()
            raise
        if self._daily_backup:
            self._backup_task = asyncio.create_task(self._daily(), name="daily fund backup")

    async def _create(self) -> None:
        with self._db.errors():  # a folder that cannot be made is reported for the real name
            self.path.parent.mkdir(parents=True, exist_ok=True)
        with complete_file(self.path) as tmp:
            db = Database(tmp, WHAT)
            await db.open()
            try:
                await self._prepare(db)
            finally:
                await db.close()

    async def _prepare(self, db: Database, *, back_up_first: bool = False) -> None:
        """Migrations, then tables and indexes; ``back_up_first``: a file with an older schema
        is copied to the backups before anything changes it."""
        steps = bind(STEPS, self._layouts)
        if back_up_first:
            [(version,)] = await db.fetch("PRAGMA user_version")
            if 0 < version < steps[-1][0]:
                await backup.backup(self.path, "before-upgrade", self._backups_kept)
        await upgrade_schema(db, steps)
        async with db.transaction() as tx:
            for layout in self._layouts.values():
                await schema.reconcile(tx, layout)
            await ChangeLog.prepare(tx)

    async def _check_integrity(self) -> None:
        with self._db.errors():
            problems = integrity_problems(await self._db.fetch(integrity_sql(quick=True)))
        if problems:
            log.error("integrity check of %s failed: %s", self.path, "; ".join(problems))
            raise StorageCorrupt(f"{WHAT} at {self.path} is damaged (SQLite's integrity check: "
                                 f"{problems[0]}). {backup.restore_hint(self.path)}",
                                 detail="\n".join(problems))

    async def _daily(self) -> None:
        try:
            await backup.backup_if_due(self.path, self._backups_kept)
        except Exception:  # a backup that fails must not stop the fund; the next start retries
            log.exception("the daily backup of %s failed", self.path)

    async def close(self) -> None:
        task, self._backup_task = self._backup_task, None
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task  # a copy in progress finishes: it runs in a thread anyway
        await self._db.close()

    async def ping(self) -> None:
        await self._db.fetch("SELECT 1")

    def unit(self) -> AbstractAsyncContextManager[object]:
        """Everything written inside the block commits together, or not at all."""
        return self._db.transaction()

    async def external_changes(self, specs: Iterable[CollectionSpec], *,
                               poll_seconds: float = 2.0) -> AsyncIterator[dict[str, set[str]]]:
        """Commits by another connection to this file (the CLI, a second window), as the
        records they touched (``change_log``). A commit that logged nothing (a writer that keeps
        no log) names every collection with the unknown key ``"*"``: panels reload what they show.

        Each poll reads the log first and ``data_version`` second, so a version that moved
        with no row to show for it can only be a commit made after the log was read: it is
        judged at the next poll, whose log read would show that commit's rows.
        """
        names = [spec.name for spec in specs]
        everything = {name: {ANY_KEY} for name in names}
        await self._log.start_reading()
        [(seen,)] = await self._db.fetch("PRAGMA data_version")
        unexplained = False
        while True:
            await asyncio.sleep(poll_seconds)
            try:
                new = await self._log.read_new(names)
                [(version,)] = await self._db.fetch("PRAGMA data_version")
            except FidusError:
                continue
            moved, seen = version != seen, version
            if new.lost or unexplained and not new.foreign:
                yield everything
            elif new.touched:
                yield new.touched
            unexplained = moved and not new.foreign and not new.lost

    def collection(self, spec: CollectionSpec) -> SqliteCollection:
        """The collection of ``spec``, over the table :meth:`open` made for its name (another
        spec of the same name is a view with its own scope, e.g. admins in ``users``)."""
        layout = self._layouts.setdefault(spec.name, TableLayout(spec))
        return SqliteCollection(self._db, layout, spec, log=self._log)

    async def schema_version(self) -> int:
        [(version,)] = await self._db.fetch("PRAGMA user_version")
        return int(version)

    async def journal_mode(self) -> str:
        [(mode,)] = await self._db.fetch("PRAGMA journal_mode")
        return str(mode)
