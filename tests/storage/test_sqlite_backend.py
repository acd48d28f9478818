"""What only the embedded SQLite store promises: its file, its schema and its failures."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from bson import Binary, Decimal128, ObjectId, Regex, Timestamp
from bson.int64 import Int64

from fidus_desktop.domain.prospects import Prospect, Stage
from fidus_desktop.errors import ConflictError, StorageCorrupt, StorageUnavailable, ValidationError
from fidus_desktop.storage import doc_json
from fidus_desktop.storage.codecs import ProspectCodec
from fidus_desktop.storage.codecs.fields import indexed
from fidus_desktop.storage.query import Eq, Query
from fidus_desktop.storage.spec import CollectionSpec
from fidus_desktop.storage.sqlite import SqliteBackend, connection, migrations
from fidus_desktop.storage.sqlite.layout import TableLayout
from fidus_desktop.storage.sqlite.sql_query import order_clause, page_clause, where_clause
from fidus_desktop.storage.store import FundStore
from tests.storage.conftest import assert_same_value


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "fund.sqlite3"


async def open_store(path: Path) -> FundStore:
    return await FundStore.open(SqliteBackend(path))


def prospects(count: int, start: int = 0) -> list[Prospect]:
    return [Prospect(f"p{n:05}", f"Prospect {n}", f"{n}@example.com") for n in range(start, start + count)]


# -- the file -------------------------------------------------------------------------------


async def test_the_file_runs_in_wal_mode_at_the_current_schema(db_path: Path) -> None:
    store = await open_store(db_path)
    try:
        assert await store.backend.journal_mode() == "wal"
        assert await store.backend.schema_version() == migrations.SCHEMA_VERSION
        assert store.kind == "sqlite" and store.location == str(db_path)
    finally:
        await store.close()


async def test_data_survives_closing_and_reopening(db_path: Path) -> None:
    store = await open_store(db_path)
    await store.prospects.add(Prospect("p1", "Kept", "k@example.com", stage=Stage.WON))
    await store.close()

    store = await open_store(db_path)
    try:
        assert (await store.prospects.get("p1")).stage is Stage.WON
        assert await store.products.count() == 4  # not seeded twice
        assert await store.backend.schema_version() == migrations.SCHEMA_VERSION
    finally:
        await store.close()


async def test_each_migration_step_runs_once_and_a_failing_one_changes_nothing(
        db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    async def add_notes_table(tx: connection.Transaction, layouts: Any) -> None:
        calls.append(2)
        await tx.fetch("CREATE TABLE manager_notes (id INTEGER PRIMARY KEY)")

    async def broken(tx: connection.Transaction, layouts: Any) -> None:
        await tx.fetch("CREATE TABLE half_done (id INTEGER)")
        raise RuntimeError("step 3 failed")

    from fidus_desktop.storage.sqlite import backend as backend_module
    steps = (*migrations.STEPS, (2, "manager notes", add_notes_table))
    monkeypatch.setattr(backend_module, "STEPS", steps)
    for _ in range(2):
        await (await open_store(db_path)).close()
    assert calls == [2]

    monkeypatch.setattr(backend_module, "STEPS", (*steps, (3, "broken", broken)))
    with pytest.raises(RuntimeError, match="step 3 failed"):
        await open_store(db_path)
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone() == (2,)
        tables = {name for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "manager_notes" in tables and "half_done" not in tables


async def test_a_file_from_a_newer_release_is_refused(db_path: Path) -> None:
    await (await open_store(db_path)).close()
    with sqlite3.connect(db_path) as raw:
        raw.execute("PRAGMA user_version = 99")
    with pytest.raises(StorageUnavailable, match="newer version of FIDUS Desktop") as caught:
        await open_store(db_path)
    assert caught.value.reason == "config"


async def test_a_file_that_is_not_a_database_is_reported_as_corrupt(db_path: Path) -> None:
    db_path.write_bytes(b"This is a spreadsheet, not a database.\n" * 200)
    with pytest.raises(StorageCorrupt) as caught:
        await open_store(db_path)
    assert str(db_path) in caught.value.message and "backup" in caught.value.message


async def test_a_location_that_cannot_hold_a_file_is_a_configuration_problem(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(StorageUnavailable) as caught:
        await open_store(tmp_path / "a-file" / "fund.sqlite3")
    assert caught.value.reason == "config" and "a-file" in caught.value.message


async def test_a_database_locked_by_another_program_is_reported_as_busy(
        db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_MS", 50)
    store = await open_store(db_path)
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StorageUnavailable, match="busy") as caught:
            await store.prospects.add(Prospect("p1", "Waiting", "w@example.com"))
        assert caught.value.reason == "timeout"
        other.execute("ROLLBACK")
        await store.prospects.add(Prospect("p1", "Waiting", "w@example.com"))  # fine once released
    finally:
        other.close()
        await store.close()


def test_a_full_disk_is_explained_in_words(db_path: Path) -> None:
    raw = sqlite3.connect(db_path)
    raw.execute("CREATE TABLE t (x TEXT)")
    raw.execute("PRAGMA max_page_count = 3")
    with pytest.raises(sqlite3.Error) as real_error:
        raw.executemany("INSERT INTO t VALUES (?)", [("x" * 4000,)] * 10)
    raw.close()
    translated = connection.translate(real_error.value, "The fund database", str(db_path))
    assert isinstance(translated, StorageUnavailable)
    assert "is full" in translated.message and "nothing was saved" in translated.message


# -- writes ---------------------------------------------------------------------------------


async def test_a_bulk_load_with_one_duplicate_writes_nothing(db_path: Path) -> None:
    store = await open_store(db_path)
    try:
        await store.prospects.add(Prospect("p00007", "Existing", "e@example.com"))
        # 2,500 records span two internal chunks; the duplicate comes in the second.
        with pytest.raises(ConflictError, match="p00007"):
            await store.prospects.add_many(prospects(2500, start=8) + prospects(1, start=7))
        with pytest.raises(ConflictError, match="twice"):
            await store.prospects.add_many(prospects(3) + prospects(1))
        assert await store.prospects.count() == 1
    finally:
        await store.close()


async def test_a_record_without_its_key_is_filed_under_its_object_id_or_refused(db_path: Path) -> None:
    store = await open_store(db_path)
    try:
        oid = ObjectId()
        await store.prospects.insert_documents([{"_id": oid, "name": "No key", "stage": "lead"}])
        assert [d["name"] for d in await store.prospects.find_documents()] == ["No key"]
        assert (await store.prospects.get(str(oid))).name == "No key"
        with pytest.raises(ValidationError, match="prospect_id or id"):
            await store.prospects.insert_documents([{"prospect_id": "p1"}, {"name": "Nothing to file it by"}])
        assert await store.prospects.count() == 1
    finally:
        await store.close()


async def test_concurrent_writes_do_not_mix_into_a_bulk_load(db_path: Path) -> None:
    import asyncio

    store = await open_store(db_path)
    try:
        bulk = store.prospects.add_many(prospects(3000) + prospects(1))  # fails at the end
        singles = [store.prospects.add(p) for p in prospects(20, start=5000)]
        results = await asyncio.gather(bulk, *singles, return_exceptions=True)
        assert isinstance(results[0], ConflictError)
        assert not any(isinstance(r, BaseException) for r in results[1:])
        assert await store.prospects.count() == 20  # the single adds, none of the rolled-back bulk
    finally:
        await store.close()


# -- schema follows the specs -----------------------------------------------------------------


async def test_a_field_added_to_a_spec_is_filled_from_the_stored_documents(db_path: Path) -> None:
    v1 = CollectionSpec(name="notes", key=indexed("note_id", "text"), fields=(indexed("author", "text"),))
    v2 = CollectionSpec(name="notes", key=v1.key, fields=(indexed("topic", "text"),))
    backend = SqliteBackend(db_path)
    await backend.open([v1])
    await backend.collection(v1).insert_many(
        [{"note_id": "n1", "author": "ana", "topic": "kyc"}, {"note_id": "n2", "author": "bo", "topic": "fees"}])
    await backend.close()

    backend = SqliteBackend(db_path)
    await backend.open([v2])
    try:
        found = await backend.collection(v2).find(Query(where=(Eq("topic", "kyc"),)))
        assert [s.doc["note_id"] for s in found] == ["n1"]
    finally:
        await backend.close()
    with sqlite3.connect(db_path) as raw:
        indexes = {name for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'notes' "
                                                   "AND name LIKE 'ix_%'")}
    assert indexes == {"ix_notes__f_topic"}  # the author index went with its field


async def test_the_pipeline_page_is_read_through_an_index(db_path: Path) -> None:
    await (await open_store(db_path)).close()
    layout = TableLayout(ProspectCodec.spec)
    query = Query(where=(Eq("stage", "lead"),), order_by=(("created_at", True),), limit=50)
    where, params = where_clause(layout, query)
    page, page_params = page_clause(query)
    sql = f"SELECT doc FROM {layout.table} {where} {order_clause(layout, query)} {page}"
    with sqlite3.connect(db_path) as raw:
        plan = " ".join(row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {sql}", [*params, *page_params]))
    assert "USING INDEX ix_crm_prospects__f_stage_f_created_at_desc" in plan
    assert "SCAN" not in plan


# -- documents as JSON ------------------------------------------------------------------------


def test_documents_keep_every_bson_type_through_json() -> None:
    doc = {
        "_id": ObjectId(), "money": Decimal128("10000.10"), "exact": Decimal("0.015"), "ratio": 0.1,
        "whole": 5, "long_small": Int64(5), "long_big": Int64(2**40), "flag": True, "none": None,
        "when": datetime(2025, 3, 1, 9, 30, 15, 123000, tzinfo=UTC), "iso": "2025-03-01T09:30:15Z",
        "nested": {"list": [1, 2.0, {"at": datetime(2024, 1, 1, tzinfo=UTC), "n": Int64(7)}], "empty": {}},
        "bytes": Binary(b"\x00\x01", 0), "pattern": Regex("^a", "i"),
        "uuid": Binary.from_uuid(uuid.UUID(int=1)), "stamp": Timestamp(1700000000, 1),
        "text": "José — 100% \"quoted\"", "negative_zero": -0.0,
    }
    back = doc_json.loads(doc_json.dumps(doc))
    expected = dict(doc, bytes=b"\x00\x01")  # BSON binary subtype 0 reads back as bytes
    back["pattern"] = Regex(back["pattern"].pattern, back["pattern"].flags)
    assert_same_value(expected, back)


def test_times_are_stored_as_bson_keeps_them() -> None:
    naive = datetime(2025, 3, 1, 9, 30, 15, 123987)
    elsewhere = datetime(2025, 3, 1, 11, 30, 15, 123987, tzinfo=timezone(timedelta(hours=2)))
    back = doc_json.loads(doc_json.dumps({"naive": naive, "offset": elsewhere}))
    assert back["naive"] == back["offset"] == datetime(2025, 3, 1, 9, 30, 15, 123000, tzinfo=UTC)
    assert back["naive"].tzinfo is not None


def test_a_value_bson_cannot_hold_is_refused() -> None:
    for value in (date(2025, 3, 1), uuid.uuid4(), object()):
        with pytest.raises(ValueError, match="cannot store"):
            doc_json.dumps({"value": value})
