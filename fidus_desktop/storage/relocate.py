"""Moving the embedded fund to another folder (away from a network drive or a synced folder).

The copy is SQLite's online backup of the open file (consistent while the app keeps running),
checked, and put in place whole; the settings then name the new file and the move takes effect
at the next start. The old file is left where it was, for the manager to delete once the moved
fund has opened: nothing is ever lost to a move.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from pathlib import Path

from ..errors import StorageUnavailable, ValidationError
from .location import Volumes, assess_location


def copy_fund(source: Path, folder: Path, *, volumes: Volumes | None = None) -> Path:
    """Copy the fund at ``source`` into ``folder`` (same file name); returns the new path."""
    target = folder / source.name
    risk = assess_location(target, volumes)
    if risk is not None:
        raise ValidationError(f"Not there either: {folder} is {risk.where if risk.kind == 'synced' else 'on a network drive'}"
                              ". Choose a folder on this computer that is not synchronised.", {"folder": risk.where})
    if target.exists():
        raise ValidationError(f"{target} exists already: choose an empty folder (FIDUS never overwrites a fund).",
                              {"folder": "exists"})
    if not source.is_file():
        raise StorageUnavailable(f"The fund file {source} is not there any more.", reason="config")
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{source.stem}-", suffix=".part", dir=folder)
    os.close(fd)
    temporary = Path(name)
    try:
        with contextlib.closing(sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)) as src, \
                contextlib.closing(sqlite3.connect(temporary)) as dst:
            src.backup(dst)
            [(verdict,)] = dst.execute("PRAGMA quick_check").fetchall()
            if verdict != "ok":
                raise StorageUnavailable(f"The copy of the fund failed its check ({verdict}); nothing was moved.",
                                         reason="config")
            dst.execute("PRAGMA journal_mode = WAL")
        os.replace(temporary, target)
    except sqlite3.Error as exc:
        raise StorageUnavailable(f"The fund could not be copied to {folder} ({exc}).", reason="config") from exc
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
    return target
