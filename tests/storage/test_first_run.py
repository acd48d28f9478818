"""The first start's demo load is all or nothing, and a file cut to 0 bytes is not a new fund."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fidus_desktop.app_context import open_context
from fidus_desktop.paths import AppPaths
from fidus_desktop.services.health import ServiceName, ServiceState

#: A first start that dies abruptly (``os._exit``: no cleanup runs, as with ``kill -9``) in the
#: middle of the N-th bulk write of the demo load.
DIES_DURING_LOAD = r"""
import asyncio, os, sys
from fidus_desktop.app_context import open_context
from fidus_desktop.paths import AppPaths
from fidus_desktop.storage.base import Repository

crash_at, calls, real = int(sys.argv[1]), [0], Repository.add_many

async def add_many(self, entities):
    calls[0] += 1
    if calls[0] == crash_at:
        os._exit(9)
    return await real(self, entities)

Repository.add_many = add_many

async def main():
    await open_context(AppPaths.default())
    os._exit(0)

asyncio.run(main())
"""

FULL_DEMO = {"clients": 20, "prospects": 60, "investments": 25, "mt5_accounts": 6}


async def counts(context) -> dict[str, int]:
    store = context.store
    return {"clients": await store.clients.count(), "prospects": await store.prospects.count(),
            "investments": await store.investments.count(), "mt5_accounts": await store.mt5_accounts.count()}


# Bulk write 1 seeds the products; 2-6 write the demo's clients, prospects, investments, MT5
# accounts and activity.
@pytest.mark.parametrize("crash_at", [2, 4, 6])
async def test_a_first_start_killed_during_the_demo_load_leaves_no_partial_fund(crash_at: int) -> None:
    paths = AppPaths.default()
    child = subprocess.run([sys.executable, "-c", DIES_DURING_LOAD, str(crash_at)], env=dict(os.environ),
                           capture_output=True, text=True, timeout=60)
    assert child.returncode == 9, child.stderr
    # Before: e.g. 20 clients, 60 prospects and no investment, never completed by a restart.
    assert not paths.fund_db.exists()
    context = await open_context(paths)
    try:
        assert context.demo_loaded and await counts(context) == FULL_DEMO
        assert context.health.get(ServiceName.DATABASE).state is ServiceState.ONLINE
    finally:
        await context.close()
    assert sorted(p.name for p in paths.data_dir.iterdir()) == ["backups", "fund.sqlite3"]


async def test_a_zero_byte_fund_file_is_refused_not_opened_as_an_empty_fund() -> None:
    paths = AppPaths.default().ensure()
    paths.fund_db.write_bytes(b"")
    context = await open_context(paths)
    try:
        database = context.health.get(ServiceName.DATABASE)
        assert database.state is ServiceState.OFFLINE and context.store is None
        assert "empty (0 bytes)" in database.detail and "backup" in database.detail
        assert not context.demo_loaded
    finally:
        await context.close()
    assert paths.fund_db.stat().st_size == 0  # left as found, for whoever can recover it


async def test_a_new_empty_store_is_created_complete(tmp_path: Path) -> None:
    from fidus_desktop.storage.open import open_store

    store = await open_store(str(tmp_path / "new" / "fund.sqlite3"))
    await store.close()
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == ["fund.sqlite3"]
