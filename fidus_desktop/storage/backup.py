"""Rolling backups of the embedded fund, and restoring one.

Backups are whole copies made with SQLite's online backup API (a consistent snapshot, taken
while the app keeps working), kept in ``backups/`` beside the fund file as
``<fund>-<UTC time>-<reason>.sqlite3``, newest last, the last ``keep`` of them. One is taken
every day the app starts, before every schema upgrade, before ``migrate --from`` writes into
the fund, and on ``fidus-desktop backup``.

A restore never destroys anything: the current file (with its write-ahead log) is moved aside
into the same folder as ``<fund>-replaced-<UTC time>.sqlite3`` (never pruned), and the backup is
checked, copied in under a temporary name, then renamed into place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .. import fileio
from ..domain.values import utc_now
from ..errors import StorageCorrupt, StorageUnavailable, ValidationError
from .sqlite.files import check_file, companions, in_use

log = logging.getLogger(__name__)

FOLDER = "backups"
DEFAULT_KEEP = 10
#: The daily backup is due when the newest is older than this.
DAILY = timedelta(hours=20)
_STAMP = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True, slots=True)
class Backup:
    path: Path
    taken_at: datetime
    #: ``daily``, ``before-upgrade``, ``before-migrate``, ``manual``
    reason: str

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def folder_of(fund: Path) -> Path:
    return fund.parent / FOLDER


def _pattern(fund: Path) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(fund.stem)}-(\d{{8}}T\d{{6}}Z)(?:-(\d+))?-([a-z-]+)\.sqlite3$")


def list_backups(fund: Path) -> list[Backup]:
    """The backups of ``fund``, oldest first."""
    folder = folder_of(fund)
    if not folder.is_dir():
        return []
    pattern, found = _pattern(fund), []
    for path in folder.iterdir():
        if match := pattern.match(path.name):
            taken = datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)
            found.append((taken, int(match.group(2) or 0), Backup(path, taken, match.group(3))))
    return [b for *_, b in sorted(found, key=lambda row: row[:2])]


def restore_hint(fund: Path) -> str:
    """What the manager should do about a damaged fund file, with the backups there are."""
    backups = list_backups(fund)
    if not backups:
        return ("No backup of it exists yet: keep the file as it is, and run 'fidus-desktop doctor' "
                "for what can still be read.")
    newest = backups[-1]
    return (f"Close FIDUS Desktop and restore the latest backup with 'fidus-desktop restore --latest' "
            f"(from {newest.taken_at:%Y-%m-%d %H:%M} UTC; {len(backups)} backup(s) in {newest.path.parent}, "
            "listed by 'fidus-desktop backup --list'). The damaged file is kept aside, not deleted.")


def _copy(source: Path, target: Path) -> None:
    """Page by page through SQLite's backup API: a consistent copy even while the app writes."""
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            # A copy in rollback-journal mode is one self-contained file: reading it (a check,
            # a restore) leaves no -wal/-shm beside it. The app turns WAL back on when it opens it.
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    finally:
        src.close()
    fileio.make_private(target)


def backup_now(fund: Path, reason: str = "manual", keep: int = DEFAULT_KEEP) -> Backup:
    """Copy ``fund`` into its backups folder now, then keep only the last ``keep`` (blocking:
    call it through :func:`backup` from the event loop)."""
    if not fund.exists():
        raise StorageUnavailable(f"There is no fund database at {fund} to back up.", reason="config")
    try:
        problems = check_file(fund, quick=True)
    except sqlite3.DatabaseError as exc:
        problems = [str(exc)]
    if problems:
        # A copy of a damaged file would push a good backup out of the ones kept.
        raise StorageCorrupt(f"The fund database at {fund} is damaged (SQLite's integrity check: {problems[0]}), "
                             f"so it was not backed up. {restore_hint(fund)}")
    folder = fileio.private_dir(folder_of(fund))
    stamp = utc_now().strftime(_STAMP)
    # Several backups within one second are numbered, so their order is still known.
    same_second = sum(1 for b in list_backups(fund) if b.taken_at.strftime(_STAMP) == stamp)
    target = folder / (f"{fund.stem}-{stamp}-{same_second}-{reason}.sqlite3" if same_second
                       else f"{fund.stem}-{stamp}-{reason}.sqlite3")
    try:
        with fileio.atomic_path(target, suffix=".incomplete") as tmp:
            _copy(fund, tmp)
    except sqlite3.DatabaseError as exc:
        raise StorageCorrupt(f"The fund database at {fund} could not be copied ({exc}): it is damaged. "
                             f"{restore_hint(fund)}") from exc
    except OSError as exc:
        raise StorageUnavailable(f"The backup could not be written to {folder}: {exc.strerror or exc}.",
                                 reason="config") from exc
    prune(fund, keep)
    log.info("backup of %s taken (%s): %s", fund, reason, target)
    return Backup(target, datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC), reason)


async def backup(fund: Path, reason: str = "manual", keep: int = DEFAULT_KEEP) -> Backup:
    return await asyncio.to_thread(backup_now, fund, reason, keep)


async def backup_if_due(fund: Path, keep: int = DEFAULT_KEEP, *, now: datetime | None = None) -> Backup | None:
    """The daily backup, when the newest backup is older than :data:`DAILY` (or there is none)."""
    backups = list_backups(fund)
    if backups and (now or utc_now()) - backups[-1].taken_at < DAILY:
        return None
    return await backup(fund, "daily", keep)


def prune(fund: Path, keep: int) -> None:
    """Keep the last ``keep`` backups, and remove copies a killed backup left half-written."""
    for old in list_backups(fund)[:-keep] if keep > 0 else []:
        with contextlib.suppress(FileNotFoundError):
            old.path.unlink()
    stale = utc_now().timestamp() - 3600
    for leftover in folder_of(fund).glob(f".{fund.stem}-*.incomplete"):
        with contextlib.suppress(OSError):
            if leftover.stat().st_mtime < stale:
                leftover.unlink()


# ---- restore ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Restored:
    #: Where the file that was in place went (``None``: there was none).
    kept_aside: Path | None
    source: Path


def restore_now(fund: Path, source: Path) -> Restored:
    """Put the backup ``source`` in place of ``fund`` (blocking; see the module docstring).

    Refused, with nothing changed, while a program has ``fund`` open (FIDUS Desktop on this
    fund) or when ``source`` is not a sound FIDUS database.
    """
    source = source.expanduser()
    if not source.is_file():
        raise ValidationError(f"There is no backup file at {source}.")
    if source.resolve() == fund.resolve():
        raise ValidationError(f"{source} is the fund database itself, not a backup of it.")
    try:
        problems = check_file(source)
        with contextlib.closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise ValidationError(f"{source} is not a FIDUS database backup ({exc}).") from exc
    if problems:
        raise ValidationError(f"{source} is damaged too (SQLite's integrity check: {problems[0]}); "
                              "choose an older backup ('fidus-desktop backup --list').")
    if not {"investments", "users"} <= tables:
        raise ValidationError(f"{source} is a SQLite file, but not a FIDUS fund (it has no investments).")
    if in_use(fund):
        raise ValidationError(f"FIDUS Desktop (or another program) has the fund at {fund} open: close it, "
                              "then restore again. Nothing was changed.")
    fileio.private_dir(folder_of(fund))
    with fileio.atomic_path(fund, suffix=".restoring") as tmp:
        _copy(source, tmp)
        kept = _set_aside(fund)
    log.warning("fund %s restored from %s (previous file kept as %s)", fund, source, kept)
    return Restored(kept, source)


async def restore(fund: Path, source: Path) -> Restored:
    return await asyncio.to_thread(restore_now, fund, source)


def _set_aside(fund: Path) -> Path | None:
    """Move the fund file and its write-ahead log into the backups folder, under one name (so
    the file can still be opened with its last writes); ``None`` when there was no file.

    Named so that it is no backup: never pruned, never what ``restore --latest`` picks.
    """
    if not fund.exists():
        return None
    with contextlib.suppress(sqlite3.Error), contextlib.closing(sqlite3.connect(fund)) as conn:
        # Fold a crash's write-ahead log into the file, so the file alone holds everything.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    aside = folder_of(fund) / f"{fund.stem}-replaced-{utc_now().strftime(_STAMP)}.sqlite3"
    for current, kept in zip((*companions(fund), fund), (*companions(aside), aside), strict=True):
        if current.exists():
            fileio.replace(current, kept)
    return aside
