"""A fund's files are readable by their owner only: 0600 files in 0700 folders (POSIX; on
Windows the folders under the user's profile are already private to that user)."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from fidus_desktop.app_context import open_context
from fidus_desktop.logs import setup_logging
from fidus_desktop.paths import AppPaths

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_fund_its_log_the_cache_and_the_backups_are_private() -> None:
    paths = AppPaths.default().ensure()
    setup_logging(paths.log_file)
    try:
        logging.getLogger("fidus.test").warning("a line for the log file")
        context = await open_context(paths)
        try:
            files = [paths.fund_db, paths.fund_db.with_name("fund.sqlite3-wal"),
                     paths.fund_db.with_name("fund.sqlite3-shm"), paths.cache_db, paths.log_file]
            # Before: fund.sqlite3, the local cache and the log were 0644.
            assert {str(f): oct(mode(f)) for f in files} == {str(f): "0o600" for f in files}
        finally:
            await context.close()
        folders = [paths.config_dir, paths.data_dir, paths.cache_dir, paths.log_dir, paths.data_dir / "backups"]
        assert {str(d): oct(mode(d)) for d in folders} == {str(d): "0o700" for d in folders}
        backups = list((paths.data_dir / "backups").iterdir())
        assert backups and all(mode(b) == 0o600 for b in backups)
    finally:
        setup_logging(None)


async def test_files_an_older_version_left_readable_are_tightened() -> None:
    paths = AppPaths.default()
    for folder in (paths.data_dir, paths.log_dir):
        folder.mkdir(parents=True, mode=0o755)
        folder.chmod(0o755)
    await (await open_context(paths)).close()
    paths.fund_db.chmod(0o644)
    paths.log_file.write_text("old\n")
    paths.log_file.chmod(0o644)
    setup_logging(paths.log_file)
    try:
        await (await open_context(paths)).close()
        assert (mode(paths.fund_db), mode(paths.log_file), mode(paths.data_dir), mode(paths.log_dir)) == (
            0o600, 0o600, 0o700, 0o700)
    finally:
        setup_logging(None)
