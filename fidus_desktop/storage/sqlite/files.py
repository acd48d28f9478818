"""The fund file as a file: created complete or not at all, checked before use, and whether
another program (a running FIDUS Desktop) has it open.

A new database file is built under a temporary name and renamed into place only once it is
complete, so a crash (``kill -9``, power loss) during the first start leaves either no fund file
(the next start begins again) or a whole one, never a half-loaded fund that looks real.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from ... import fileio
from ...errors import StorageCorrupt

#: Problems ``PRAGMA quick_check`` / ``integrity_check`` list at most (the first says enough).
_MAX_PROBLEMS = 20


def companions(path: Path) -> tuple[Path, ...]:
    """The files SQLite may keep beside the database (write-ahead log, shared memory, journal)."""
    return tuple(path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal"))


def _remove_with_companions(path: Path) -> None:
    for name in (path, *companions(path)):
        with contextlib.suppress(FileNotFoundError):
            name.unlink()


@contextlib.contextmanager
def complete_file(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` for building a new database; renamed to ``path`` when the
    block ends without error (after the caller closed every connection to it), removed otherwise.

    A leftover from a build that was killed is removed first: nobody else builds this file.
    """
    tmp = path.with_name(path.name + ".incomplete")
    _remove_with_companions(tmp)
    try:
        yield tmp
        wal = tmp.with_name(tmp.name + "-wal")
        if wal.exists() and wal.stat().st_size:
            # Closing the last connection folds the log into the file; if it did not, renaming
            # the file alone would leave its last writes behind.
            raise StorageCorrupt(f"The new database at {tmp} was not closed cleanly; it was not used.")
        fileio.replace(tmp, path)
    finally:
        _remove_with_companions(tmp)


def refuse_truncated(path: Path, what: str, damaged_hint: str) -> None:
    """A database file of 0 bytes (cut short by a crash, a full disk or a sync tool) would open
    as an empty fund: refuse it instead. A missing file is fine (it is created)."""
    try:
        size = path.stat().st_size
    except OSError:  # missing (it is created), or no folder to hold it (reported on opening)
        return
    wal = path.with_name(path.name + "-wal")
    if size == 0 and not (wal.exists() and wal.stat().st_size):
        raise StorageCorrupt(f"{what} at {path} is empty (0 bytes): the file was cut short, so it does not "
                             f"hold the fund any more. {damaged_hint}")


def integrity_sql(*, quick: bool = True) -> str:
    """SQLite's own check: ``quick`` skips comparing index contents with the tables (O(N): a
    tenth of a second for 100,000 records), the full check does not (six times longer)."""
    return f"PRAGMA {'quick_check' if quick else 'integrity_check'}({_MAX_PROBLEMS})"


def integrity_problems(rows: list[tuple[object, ...]] | list[object]) -> list[str]:
    """What the check's rows say is wrong (``[]`` when the file is sound)."""
    found = [line.strip() for row in rows for line in str(row[0]).splitlines()]  # type: ignore[index]
    if found == ["ok"]:
        return []
    return [line for line in found if line and not line.startswith("***")] or found


def check_file(path: Path, *, quick: bool = False) -> list[str]:
    """The check on a file no one else needs to share (a backup, a file to restore); raises
    ``sqlite3.DatabaseError`` when it is no database at all."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return integrity_problems(conn.execute(integrity_sql(quick=quick)).fetchall())
    finally:
        conn.close()


def in_use(path: Path) -> bool:
    """Whether another connection (a running FIDUS Desktop) has the database open.

    In WAL mode every open connection holds a shared lock on the file for as long as it is open;
    a connection in exclusive locking mode cannot start a transaction while one does. Works the
    same on Windows (SQLite's locks are ``LockFileEx`` there).
    """
    if not path.exists():
        return False
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("PRAGMA locking_mode = EXCLUSIVE")
        try:
            probe.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return True
            raise
        probe.execute("ROLLBACK")
        return False
    finally:
        probe.close()
