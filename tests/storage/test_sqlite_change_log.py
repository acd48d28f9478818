"""Another program's edits to the fund file reach this one as the records it changed.

Two backends on one file stand for two FIDUS windows (or a window and the command line): each
has its own connection and its own writer id, as two processes would.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fidus_desktop.domain.prospects import Prospect
from fidus_desktop.storage.sqlite import SqliteBackend, change_log
from fidus_desktop.storage.store import SPECS, FundStore

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
EVERYTHING = {spec.name: {"*"} for spec in SPECS}


def prospect(n: int) -> Prospect:
    return Prospect(prospect_id=f"p{n:05}", name=f"Prospect {n}", email=f"p{n}@example.com",
                    created_at=T0 + timedelta(minutes=n))


class Watch:
    """What one store's backend reports of the others' commits, as it reports them."""

    def __init__(self, store: FundStore) -> None:
        self._changes: AsyncIterator[dict[str, set[str]]] = store.backend.external_changes(SPECS, poll_seconds=0.02)
        self._next: asyncio.Task | None = None

    async def started(self) -> Watch:
        self._next = asyncio.ensure_future(anext(self._changes))
        await asyncio.sleep(0.05)  # its starting point read before anybody writes
        return self

    async def next(self, timeout: float = 5.0) -> dict[str, set[str]]:
        assert self._next is not None
        touched = await asyncio.wait_for(self._next, timeout)
        self._next = asyncio.ensure_future(anext(self._changes))
        return touched

    async def quiet(self, seconds: float = 0.3) -> bool:
        """Nothing reported for ``seconds``."""
        assert self._next is not None
        await asyncio.sleep(seconds)
        return not self._next.done()

    async def close(self) -> None:
        if self._next is not None:
            self._next.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._next
        await self._changes.aclose()


@pytest.fixture
async def two_windows(tmp_path: Path) -> AsyncIterator[tuple[FundStore, FundStore, Watch]]:
    path = tmp_path / "fund.sqlite3"
    mine = await FundStore.open(SqliteBackend(path))
    theirs = await FundStore.open(SqliteBackend(path))
    watch = await Watch(mine).started()
    yield mine, theirs, watch
    await watch.close()
    await theirs.close()
    await mine.close()


async def test_an_edit_in_another_window_is_reported_as_the_record_it_changed(two_windows) -> None:
    mine, theirs, watch = two_windows
    added = await theirs.prospects.add(prospect(1))
    assert await watch.next() == {"crm_prospects": {"p00001"}}
    await theirs.prospects.save(added.evolve(name="Ana Rojas"))
    assert await watch.next() == {"crm_prospects": {"p00001"}}
    await theirs.prospects.remove(await theirs.prospects.get("p00001"))
    assert await watch.next() == {"crm_prospects": {"p00001"}}


async def test_this_windows_own_edits_are_not_reported_back_to_it(two_windows) -> None:
    mine, theirs, watch = two_windows
    await mine.prospects.add(prospect(1))
    assert await watch.quiet()
    await theirs.prospects.add(prospect(2))  # and theirs still are, alone
    assert await watch.next() == {"crm_prospects": {"p00002"}}


async def test_an_import_of_many_records_is_reported_as_the_whole_collection(two_windows) -> None:
    mine, theirs, watch = two_windows
    await theirs.prospects.add_many(prospect(n) for n in range(2500))
    assert await watch.next() == {"crm_prospects": {"*"}}


async def test_a_unit_of_work_rolled_back_reports_nothing(two_windows) -> None:
    mine, theirs, watch = two_windows
    with pytest.raises(RuntimeError):
        async with theirs.backend.unit():
            await theirs.prospects.add(prospect(1))
            raise RuntimeError("the audit entry could not be written")
    await theirs.prospects.add(prospect(2))
    assert await watch.next() == {"crm_prospects": {"p00002"}}


async def test_a_program_that_keeps_no_log_makes_every_collection_read_again(two_windows, tmp_path) -> None:
    mine, theirs, watch = two_windows
    await theirs.prospects.add(prospect(1))
    assert await watch.next() == {"crm_prospects": {"p00001"}}
    with sqlite3.connect(tmp_path / "fund.sqlite3") as tool:  # an SQLite tool editing the file
        tool.execute("UPDATE crm_prospects SET version = version + 1")
    assert await watch.next() == EVERYTHING


async def test_a_reader_whose_unread_rows_were_pruned_reads_everything_again(tmp_path, monkeypatch) -> None:
    path = tmp_path / "fund.sqlite3"
    mine, theirs = await FundStore.open(SqliteBackend(path)), await FundStore.open(SqliteBackend(path))
    try:
        reader = change_log.ChangeLog(mine.backend._db)
        await reader.start_reading()
        await theirs.prospects.add(prospect(1))
        await theirs.prospects.add(prospect(2))
        monkeypatch.setattr(change_log, "KEPT", 1)
        async with theirs.backend.unit() as tx:  # a third window opening prunes the log
            await change_log.ChangeLog.prepare(tx)
        assert (await reader.read_new(["crm_prospects"])).lost
        await theirs.prospects.add(prospect(3))  # and it goes on from there
        new = await reader.read_new(["crm_prospects"])
        assert not new.lost and new.touched == {"crm_prospects": {"p00003"}}
    finally:
        await theirs.close()
        await mine.close()
