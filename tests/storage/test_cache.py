"""The local cache: last known MT5 data, deal history, sync cursors and the outbox."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from fidus_desktop.errors import StorageCorrupt
from fidus_desktop.storage.cache import STEPS, LocalCache

T0 = datetime(2025, 3, 3, 14, 0, tzinfo=UTC)


@pytest.fixture
async def cache(tmp_path: Path) -> AsyncIterator[LocalCache]:
    cache = LocalCache(tmp_path / "cache.sqlite3")
    await cache.open()
    yield cache
    await cache.close()


def deal(ticket: int, time: datetime | int, **more: object) -> dict[str, object]:
    return {"ticket": ticket, "time": time, "type": 0, "symbol": "EURUSD", "profit": 1.5, **more}


# -- snapshots --------------------------------------------------------------------------------


async def test_a_snapshot_reads_back_with_its_age_and_source(cache: LocalCache) -> None:
    payload = {"balance": Decimal("100000.25"), "equity": 100200.75, "positions": [{"ticket": 1}]}
    await cache.put_snapshot("account", "886557", payload, fetched_at=T0, source="bridge VPS-2")

    snapshot = await cache.get_snapshot("account", "886557")
    assert snapshot is not None
    assert (snapshot.kind, snapshot.key, snapshot.payload, snapshot.source) == (
        "account", "886557", payload, "bridge VPS-2")
    assert snapshot.fetched_at == T0 and snapshot.fetched_at.tzinfo is not None
    assert snapshot.age(T0 + timedelta(minutes=5)) == timedelta(minutes=5)
    assert await cache.get_snapshot("account", "other") is None


async def test_a_newer_snapshot_replaces_the_older_one(cache: LocalCache) -> None:
    await cache.put_snapshot("account", "1", {"equity": 1}, fetched_at=T0)
    await cache.put_snapshot("account", "1", {"equity": 2}, fetched_at=T0 + timedelta(minutes=2), source="demo")
    await cache.put_snapshot("account", "2", {"equity": 3}, fetched_at=T0)
    await cache.put_snapshot("positions", "1", {"open": []}, fetched_at=T0)

    listed = await cache.list_snapshots("account")
    assert [(s.key, s.payload["equity"], s.source) for s in listed] == [("1", 2, "demo"), ("2", 3, "")]


# -- deals ------------------------------------------------------------------------------------


async def test_deals_are_upserted_by_ticket_and_read_in_time_order(cache: LocalCache) -> None:
    epoch = int(T0.timestamp())
    written = await cache.put_deals(886557, [deal(3, T0 + timedelta(hours=1)), deal(1, epoch), deal(2, epoch)])
    assert written == 3
    await cache.put_deals(886557, [deal(3, T0 + timedelta(hours=1), profit=-2.0)])  # corrected by the broker
    await cache.put_deals(886602, [deal(1, epoch)])

    assert await cache.count_deals(886557) == 3
    history = await cache.get_deals(886557)
    assert [(d["ticket"], d["profit"]) for d in history] == [(1, 1.5), (2, 1.5), (3, -2.0)]
    assert history[0]["time"] == epoch  # kept as given: epoch seconds stay an int


async def test_deals_are_read_in_a_time_window_and_resume_from_the_newest(cache: LocalCache) -> None:
    await cache.put_deals(7, (deal(n, T0 + timedelta(days=n)) for n in range(10)))
    window = await cache.get_deals(7, date_from=T0 + timedelta(days=2), date_to=T0 + timedelta(days=5))
    assert [d["ticket"] for d in window] == [2, 3, 4]
    assert [d["ticket"] for d in await cache.get_deals(7, date_from=T0 + timedelta(days=8))] == [8, 9]
    assert await cache.last_deal(7) == (T0 + timedelta(days=9), 9)
    assert await cache.last_deal(8) is None


async def test_the_fees_read_the_months_deals_and_the_balance_operations_before_it(cache: LocalCache,
                                                                                  tmp_path: Path) -> None:
    from fidus_desktop.services.revenue import fee_deal_docs

    since = T0 + timedelta(days=5)
    await cache.put_deals(7, [deal(1, T0, type=2, profit=-500.0, comment="transfer out"),  # balance, before
                              deal(2, T0 + timedelta(days=1)),  # a trade before the month: not needed
                              deal(3, since + timedelta(hours=1)),  # the month's trade
                              deal(4, since + timedelta(hours=2), type=2)])  # the month's deposit
    # A damaged row (not JSON) is left out of the typed read instead of failing it.
    with sqlite3.connect(tmp_path / "cache.sqlite3") as raw:
        raw.execute("INSERT INTO deals (account, ticket, time, doc) VALUES (7, 5, ?, 'not json')",
                    (T0.isoformat(),))
    from fidus_desktop.storage import doc_json

    docs = await fee_deal_docs(cache, 7, since)
    assert [doc_json.loads(d)["ticket"] for d in docs] == [1, 3, 4]


async def test_a_deal_without_a_ticket_is_refused_and_its_batch_is_not_written(cache: LocalCache) -> None:
    with pytest.raises(ValueError, match="ticket"):
        await cache.put_deals(7, [deal(1, T0), {"time": T0}])
    assert await cache.count_deals(7) == 0


# -- sync state -------------------------------------------------------------------------------


async def test_sync_state_is_kept_per_name(cache: LocalCache) -> None:
    assert await cache.get_sync_state("gmail") is None
    await cache.put_sync_state("gmail", {"history_id": "123", "at": T0})
    await cache.put_sync_state("gmail", {"history_id": "456", "at": T0})
    await cache.put_sync_state("calendar", {"sync_token": "abc"})
    assert await cache.get_sync_state("gmail") == {"history_id": "456", "at": T0}
    assert await cache.get_sync_state("calendar") == {"sync_token": "abc"}


# -- outbox -----------------------------------------------------------------------------------


async def test_queued_writes_are_due_at_once_oldest_first(cache: LocalCache) -> None:
    first = await cache.enqueue("prospect.save", {"prospect_id": "p1", "stage": "won"})
    second = await cache.enqueue("activity.add", {"log_id": "l1", "amount": Decimal("10.5")})
    now = datetime.now(UTC) + timedelta(seconds=1)

    due = await cache.due(now)
    assert [(i.id, i.kind) for i in due] == [(first, "prospect.save"), (second, "activity.add")]
    assert due[1].payload == {"log_id": "l1", "amount": Decimal("10.5")}
    assert (due[0].attempts, due[0].last_error, due[0].needs_attention) == (0, "", False)
    assert [i.id for i in await cache.due(now, limit=1)] == [first]
    assert await cache.pending_count() == 2


async def test_a_failed_write_waits_for_its_next_attempt_or_for_the_manager(cache: LocalCache) -> None:
    retried = await cache.enqueue("prospect.save", {"n": 1})
    held = await cache.enqueue("prospect.save", {"n": 2})
    now = datetime.now(UTC) + timedelta(seconds=1)
    await cache.fail(retried, "The database did not answer.", now + timedelta(minutes=1))
    await cache.fail(held, "Changed by someone else since.", None)

    assert await cache.due(now) == []
    [later] = await cache.due(now + timedelta(minutes=1))
    assert (later.id, later.attempts, later.last_error) == (retried, 1, "The database did not answer.")
    pending = {i.id: i for i in await cache.pending()}
    assert pending[held].needs_attention and pending[held].last_error == "Changed by someone else since."
    assert await cache.due(now + timedelta(days=365)) == [later]  # a held item is never due again


async def test_an_acknowledged_write_is_gone_for_good(cache: LocalCache, tmp_path: Path) -> None:
    item = await cache.enqueue("prospect.save", {"n": 1})
    await cache.ack(item)
    assert await cache.pending() == [] and await cache.pending_count() == 0
    assert await cache.enqueue("prospect.save", {"n": 2}) != item  # ids are never reused


async def test_queued_writes_survive_a_restart(tmp_path: Path) -> None:
    cache = LocalCache(tmp_path / "cache.sqlite3")
    await cache.open()
    await cache.enqueue("prospect.save", {"n": 1})
    await cache.close()

    cache = LocalCache(tmp_path / "cache.sqlite3")
    await cache.open()
    try:
        assert [i.payload for i in await cache.pending()] == [{"n": 1}]
        assert await cache.schema_version() == STEPS[-1][0]
    finally:
        await cache.close()


async def test_a_damaged_cache_file_is_reported_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    path.write_bytes(b"\x00garbage" * 1000)
    with pytest.raises(StorageCorrupt, match="not a readable"):
        await LocalCache(path).open()
    assert path.read_bytes().startswith(b"\x00garbage")  # the outbox may be in there: never deleted


async def test_the_cache_runs_in_wal_mode(cache: LocalCache) -> None:
    with sqlite3.connect(cache.path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
