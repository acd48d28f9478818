"""One SQLite connection as both embedded stores use it: settings, serialized access, errors.

Both the fund database and the local cache hold exactly one ``aiosqlite`` connection. Every
statement goes through :meth:`Database.fetch` or :meth:`Database.transaction`, which hold an
``asyncio.Lock``: with a single connection, a statement issued by one coroutine while another
has a ``BEGIN`` open would silently join (and roll back with) the other's transaction. Holding
the lock for reads too means nobody ever sees a half-written bulk load.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from ...errors import ConflictError, FidusError, StorageCorrupt, StorageUnavailable
from ...fileio import make_private
from .files import companions

log = logging.getLogger(__name__)

#: How long a statement waits for another process's lock before giving up (ms).
BUSY_TIMEOUT_MS = 5000
#: Rows handed over from SQLite's thread at a time. Since Python 3.12 the garbage collector runs
#: only between Python steps, so one ``fetchall`` of 250,000 rows left 250,000 new tuples for a
#: single young-generation pass (30-100 ms holding the interpreter, the window's thread waiting
#: on it); read in chunks, each pass covers one chunk.
FETCH_CHUNK = 2000

_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_CORRUPT = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
_READ_ONLY = {sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH}


def translate(exc: BaseException, what: str, location: str, damaged_hint: str = "") -> FidusError | None:
    """The manager-readable error for a driver error, or ``None`` for a programming error.

    ``what`` names the store in the message ("The fund database", "The local cache");
    ``damaged_hint`` says what to do about a damaged file (restoring a backup).
    """
    if isinstance(exc, OSError):
        return StorageUnavailable(f"{what} cannot be created at {location}: {exc.strerror or exc}. "
                                  "Check that the folder exists and that you may write to it.",
                                  reason="config", detail=repr(exc))
    if not isinstance(exc, sqlite3.Error):
        return None
    detail = f"{type(exc).__name__}: {exc}"
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF  # extended codes -> primary code
    if isinstance(exc, sqlite3.IntegrityError):
        return ConflictError(f"{what} refused the change because it would duplicate a record.", detail=detail)
    if code == sqlite3.SQLITE_FULL:
        return StorageUnavailable(f"The disk holding {what.lower()} ({location}) is full. "
                                  "Free some space, then try again: nothing was saved.", detail=detail)
    if code in _BUSY:
        return StorageUnavailable(f"{what} ({location}) is busy: another program or another FIDUS "
                                  "Desktop window is using it. Try again in a moment.",
                                  reason="timeout", detail=detail)
    if code == sqlite3.SQLITE_CANTOPEN:
        return StorageUnavailable(f"{what} cannot be opened at {location}. Check that the folder "
                                  "exists and that you may write to it.", reason="config", detail=detail)
    if code in _READ_ONLY:
        return StorageUnavailable(f"{what} at {location} is read-only for FIDUS Desktop. Check the "
                                  "file's permissions or choose another location.", reason="config",
                                  detail=detail)
    if code in _CORRUPT:
        return StorageCorrupt(f"The file {location} is not a readable FIDUS database: it is damaged "
                              "or is another kind of file. "
                              f"{damaged_hint or 'Restore it from a backup or choose another file.'}",
                              detail=detail)
    if code in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_NOMEM):
        return StorageUnavailable(f"The computer could not read or write {what.lower()} at {location} "
                                  "(disk or memory error). Nothing was saved; try again.", detail=detail)
    return None


class Database:
    """A serialized ``aiosqlite`` connection with WAL, ``synchronous=NORMAL`` and a busy timeout.

    WAL lets a reader (a backup tool, a second process) read while we write; ``NORMAL`` skips
    the fsync per commit, which in WAL mode can lose the last commits on power loss but never
    corrupts the file.
    """

    def __init__(self, path: Path, what: str, damaged_hint: Callable[[], str] | None = None, *,
                 wal: bool = True) -> None:
        self.path = path
        self.what = what
        #: What to do about a damaged file, asked for only when one is found (it lists backups).
        self.damaged_hint = damaged_hint or (lambda: "")
        #: False on a network drive or in a synced folder (``storage/location.py``): a rollback
        #: journal there, which needs no shared memory and leaves one file between transactions.
        self.wal = wal
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        #: The transaction the current task (and the tasks it starts) is inside, if any: its
        #: statements join it instead of waiting for the lock that transaction holds.
        self._active: contextvars.ContextVar[Transaction | None] = contextvars.ContextVar(
            f"sqlite-unit-{id(self)}", default=None)

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Translate driver errors raised inside the block into the core's error family."""
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            translated = translate(exc, self.what, str(self.path), self._hint_for(exc))
            if translated is None:
                raise
            raise translated from exc

    def _hint_for(self, exc: BaseException) -> str:
        code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
        return self.damaged_hint() if code in _CORRUPT else ""

    async def open(self) -> None:
        if self._conn is not None:
            return
        with self.errors():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = await aiosqlite.connect(self.path, isolation_level=None)
            try:
                # Before WAL mode: SQLite gives the -wal and -shm files the database's own mode.
                for name in (self.path, *companions(self.path)):
                    make_private(name)
                await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                # The first statement that reads the file: a damaged file fails here.
                [(mode,)] = await conn.execute_fetchall(f"PRAGMA journal_mode = {'WAL' if self.wal else 'DELETE'}")
                await conn.execute("PRAGMA synchronous = NORMAL")
                # 32 MiB of page cache (default 2 MiB): bulk loads touch every index at once.
                await conn.execute("PRAGMA cache_size = -32768")
                await conn.create_function("fidus_lower", 1, _lower, deterministic=True)
            except BaseException:
                await conn.close()
                raise
        if self.wal and str(mode).lower() != "wal":
            log.warning("%s at %s runs in %s journal mode (WAL unavailable here)", self.what, self.path, mode)
        self._conn = conn

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            async with self._lock:
                with self.errors():
                    await conn.close()

    def _connection(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise StorageUnavailable(f"{self.what} is closed.", reason="config")
        return self._conn

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Run one statement (read, or write with ``RETURNING``): inside the current task's
        transaction when there is one, else as its own transaction."""
        active = self._active.get()
        if active is not None:
            with self.errors():
                return await active.fetch(sql, params)
        async with self._lock:
            with self.errors():
                return await fetch_all(self._connection(), sql, params)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``; rolled back if the block raises or is cancelled.

        ``IMMEDIATE`` takes the write lock up front, so a busy database fails at the start (after
        the busy timeout) instead of half way through. Every statement the block issues through
        this database (directly, or through a collection) is part of it; a transaction opened
        inside an open one joins it, so a unit of work can call code that opens its own.
        """
        joined = self._active.get()
        if joined is not None:
            yield joined
            return
        async with self._lock:
            conn = self._connection()
            with self.errors():
                await conn.execute("BEGIN IMMEDIATE")
                tx = Transaction(conn)
                token = self._active.set(tx)
                try:
                    yield tx
                    await conn.execute("COMMIT")
                except BaseException:
                    try:
                        await conn.execute("ROLLBACK")
                    except sqlite3.Error as ended:
                        # Already over: SQLite rolled back by itself, or a COMMIT queued before
                        # a cancellation ran anyway.
                        log.debug("No transaction left to roll back: %s", ended)
                    raise
                finally:
                    self._active.reset(token)


class Transaction:
    """Statements inside :meth:`Database.transaction` (the lock is already held)."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return await fetch_all(self._conn, sql, params)

    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(sql, rows)

    async def script(self, sql: str) -> None:
        """Several DDL statements; ``executescript`` would COMMIT first, so split instead."""
        for statement in (s.strip() for s in sql.split(";")):
            if statement:
                await self._conn.execute(statement)


async def fetch_all(conn: aiosqlite.Connection, sql: str, params: Sequence[Any]) -> list[Any]:
    """Every row of one statement, read :data:`FETCH_CHUNK` rows at a time."""
    cursor = await conn.execute(sql, params)
    ended = False
    try:
        rows = list(await cursor.fetchmany(FETCH_CHUNK))
        # A short first chunk: the statement ran to its end and holds nothing (one hand-over
        # fewer for the many small reads).
        ended = len(rows) < FETCH_CHUNK
        while not ended:
            chunk = await cursor.fetchmany(FETCH_CHUNK)
            rows.extend(chunk)
            ended = len(chunk) < FETCH_CHUNK
        return rows
    finally:
        if not ended:  # failed or cancelled half way: its read snapshot must not stay open
            await cursor.close()


def _lower(value: Any) -> Any:
    # SQLite's own LIKE and lower() fold ASCII only; searches for "José" need Python's rules.
    return value.lower() if isinstance(value, str) else value


#: ``(version, description, step)``: ``step(tx)`` brings the schema from ``version - 1`` to ``version``.
type Step = tuple[int, str, Callable[[Transaction], Awaitable[None]]]


async def upgrade_schema(db: Database, steps: Sequence[Step]) -> int:
    """Run the steps newer than the file's ``PRAGMA user_version``, all in one transaction.

    Idempotent: a file already at the latest version is left alone. A file written by a newer
    release is refused rather than guessed at. Returns the version the file is at.
    """
    latest = steps[-1][0] if steps else 0
    [(current,)] = await db.fetch("PRAGMA user_version")
    if current > latest:
        raise StorageUnavailable(
            f"{db.what} at {db.path} was written by a newer version of FIDUS Desktop (schema "
            f"{current}, this version knows {latest}). Update FIDUS Desktop to open it.", reason="config")
    if current == latest:
        return current
    async with db.transaction() as tx:
        for version, description, step in steps:
            if version > current:
                log.info("Upgrading %s at %s to schema %d: %s", db.what, db.path, version, description)
                await step(tx)
        # PRAGMA takes no parameters; ``latest`` is an int from our own code.
        await tx.fetch(f"PRAGMA user_version = {int(latest)}")
    return latest
