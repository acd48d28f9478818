"""A damaged fund file is found at start-up and the manager is told what to do about it."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

from fidus_desktop.app_context import open_context
from fidus_desktop.paths import AppPaths
from fidus_desktop.services.health import ServiceName, ServiceState

PAGE = 4096


def damage(path: Path, pages: int = 5) -> None:
    """Overwrite ``pages`` pages near the end of the file, as a failing disk would."""
    size = path.stat().st_size
    with path.open("r+b") as handle:
        for n in range(2, 2 + pages):
            handle.seek(size - n * PAGE)
            handle.write(random.Random(n).randbytes(PAGE))


def sound(path: Path) -> bool:
    try:
        with sqlite3.connect(path) as raw:
            return raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    except sqlite3.DatabaseError:
        return False


async def demo_fund(paths: AppPaths) -> None:
    context = await open_context(paths)
    await context.close()


async def test_a_damaged_fund_is_reported_at_start_up_with_the_backup_to_restore() -> None:
    paths = AppPaths.default()
    await demo_fund(paths)  # the first start also takes the day's backup
    damage(paths.fund_db)
    assert not sound(paths.fund_db)
    context = await open_context(paths)
    try:
        database = context.health.get(ServiceName.DATABASE)
        # Before: ONLINE, and the damage showed later as a failed report.
        assert database.state is ServiceState.OFFLINE and context.store is None
        assert "damaged" in database.detail, database.detail
        assert "fidus-desktop restore --latest" in database.detail and "1 backup(s)" in database.detail
    finally:
        await context.close()


async def test_without_a_backup_the_message_says_to_keep_the_file(tmp_path: Path) -> None:
    from fidus_desktop.errors import StorageCorrupt
    from fidus_desktop.storage.open import open_store

    path = tmp_path / "fund.sqlite3"
    store = await open_store(str(path))
    await store.clients.insert_documents([{"id": f"client_{n}", "type": "client", "name": "x" * 500}
                                          for n in range(300)])
    await store.close()
    damage(path)
    try:
        await open_store(str(path))
    except StorageCorrupt as exc:
        assert "No backup of it exists yet: keep the file" in exc.message
    else:
        raise AssertionError("a damaged file was opened")


def test_smoke_fails_on_a_damaged_fund(tmp_path: Path) -> None:
    import asyncio

    home = tmp_path / "home"
    env = {**os.environ, "FIDUS_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    paths = AppPaths.under(home)
    asyncio.run(demo_fund(paths))
    damage(paths.fund_db)
    result = subprocess.run([sys.executable, "-m", "fidus_desktop", "--smoke"], env=env, capture_output=True,
                            text=True, timeout=120)
    # Before: "smoke: ok" and "online".
    assert result.returncode == 1, result.stdout + result.stderr
    assert "smoke: FAILED: database offline" in result.stderr and "restore --latest" in result.stderr
