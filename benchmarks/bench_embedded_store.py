"""Embedded store hot paths against raw ``sqlite3`` doing the same work, measured in the same run.

    uv run python benchmarks/bench_embedded_store.py [--quick] [--runs R]

The baseline is what a competent engineer writes with the same engine and the standard library:
the same table (columns and indexes copied from the file the store made), the same documents
(the app's codec turns the entities into them, so both sides encode), stdlib ``json`` for the
text, WAL with ``synchronous=NORMAL`` as the store uses.

1. Bulk load of 100,000 prospects (``store.prospects.add_many``) vs one transaction of
   ``executemany`` (goal: within 1.5x of raw).
2. Bulk load of 100,000 MT5 deals into the local cache (``cache.put_deals``) vs the same.
3. One insert and one versioned update at 1,000 and at 100,000 records vs raw single
   statements in autocommit (insert: one INSERT; update: SELECT the row, change the fields,
   UPDATE ... WHERE version = ?, which keeps another writer's change to other fields as ours does).
4. One page of the pipeline (stage = X, newest first, 50 rows, decoded to prospects) vs the same
   indexed SELECT, ``json.loads`` and the same codec (goal: within 2x of raw).
5. Document <-> JSON text: ``storage.doc_json`` vs ``bson.json_util`` (what one would use for
   documents holding ObjectIds, datetimes and Decimal128).

Times are medians; ``x`` is our time over the baseline's (1.0 = as fast as raw; lower is better).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bson import ObjectId, json_util

import machine  # this folder's module

from fidus_desktop.domain.prospects import Prospect, Stage
from fidus_desktop.storage import doc_json
from fidus_desktop.storage.cache import LocalCache
from fidus_desktop.storage.codecs import ProspectCodec
from fidus_desktop.storage.query import Eq, Query
from fidus_desktop.storage.sqlite import SqliteBackend
from fidus_desktop.storage.store import FundStore

T0 = datetime(2024, 1, 1, tzinfo=UTC)
STAGES = list(Stage)
PAGE = Query(where=(Eq("stage", Stage.NEGOTIATION),), order_by=(("created_at", True),), limit=50)
CODEC = ProspectCodec()


def prospect(n: int) -> Prospect:
    return Prospect(f"p{n:07}", f"Prospect {n}", f"prospect{n}@example.com", phone="+34 600 000 000",
                    stage=STAGES[n % len(STAGES)], notes="Met at the spring conference; asked about CORE.",
                    source="website", estimated_value=Decimal(25_000 + n % 1000),
                    created_at=T0 + timedelta(minutes=n * 7 % 500_000))


def deal(n: int) -> dict[str, object]:
    return {"ticket": 50_000_000 + n, "order": 60_000_000 + n, "time": int(T0.timestamp()) + n * 60,
            "type": n % 2, "entry": n % 2, "symbol": "EURUSD", "volume": 0.1, "price": 1.0842,
            "profit": round((n % 200 - 100) * 1.37, 2), "commission": -0.7, "swap": 0.0, "comment": ""}


def report(name: str, ours: float, raw: float, goal: float | None = None, note: str = "") -> None:
    ratio = ours / raw
    verdict = "" if goal is None else (f"goal <= {goal:g}x met" if ratio <= goal else f"GOAL <= {goal:g}x NOT MET")
    unit, scale = ("ms", 1000) if ours < 1 else ("s ", 1)
    print(f"  {name:<42} ours {ours * scale:9.3f} {unit}  raw {raw * scale:9.3f} {unit}  x{ratio:5.2f}  {verdict}"
          + (f"  ({note})" if note else ""))


def percentile(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, len(ordered) * pct // 100)]


# ---- the raw side ------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def raw_connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    return db


def copy_schema(source: Path, target: Path, table: str) -> None:
    """The table and its indexes exactly as the store made them: both sides maintain the same."""
    with sqlite3.connect(source) as src:
        ddl = [sql for (sql,) in src.execute("SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL "
                                             "ORDER BY type = 'index'", (table,))]
    db = raw_connect(target)
    for statement in ddl:
        db.execute(statement)
    db.close()


def prospect_row(p: Prospect, now: datetime) -> tuple[Any, ...]:
    """What a hand-written insert of one prospect writes: key, version, document, indexed columns."""
    doc = CODEC.encode(p)
    doc.setdefault("created_at", now)
    doc["updated_at"] = now
    created = doc["created_at"]
    return (p.prospect_id, 1, json.dumps(doc, default=_plain), doc["stage"], doc["name"], doc["email"],
            created.isoformat(), now.isoformat(), int(bool(doc["converted_to_client"])), doc["client_id"])


PROSPECT_INSERT = ('INSERT INTO crm_prospects (key, version, doc, "f_stage", "f_name", "f_email", "f_created_at", '
                   '"f_updated_at", "f_converted_to_client", "f_client_id") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')


def raw_bulk_prospects(path: Path, records: list[Prospect]) -> None:
    db = raw_connect(path)
    now = datetime.now(UTC)
    db.execute("BEGIN IMMEDIATE")
    db.executemany(PROSPECT_INSERT, (prospect_row(p, now) for p in records))
    db.execute("COMMIT")
    db.close()


def raw_bulk_deals(path: Path, account: int, deals: list[dict[str, object]]) -> None:
    db = raw_connect(path)
    db.execute("BEGIN IMMEDIATE")
    db.executemany("INSERT OR REPLACE INTO deals (account, ticket, time, doc) VALUES (?, ?, ?, ?)",
                   ((account, d["ticket"], datetime.fromtimestamp(d["time"], UTC).isoformat(), json.dumps(d))
                    for d in deals))
    db.execute("COMMIT")
    db.close()


def raw_update(db: sqlite3.Connection, key: str, fields: dict[str, Any]) -> None:
    (text, version), = db.execute("SELECT doc, version FROM crm_prospects WHERE key = ?", (key,))
    doc = json.loads(text)
    doc.update(fields)
    doc["updated_at"] = datetime.now(UTC).isoformat()
    changed = db.execute('UPDATE crm_prospects SET doc = ?, version = version + 1, "f_stage" = ?, "f_updated_at" = ? '
                         "WHERE key = ? AND version = ?", (json.dumps(doc), doc["stage"], doc["updated_at"], key,
                                                            version)).rowcount
    assert changed == 1


def raw_page(db: sqlite3.Connection) -> list[Prospect]:
    rows = db.execute('SELECT doc FROM crm_prospects WHERE "f_stage" = ? ORDER BY "f_created_at" DESC LIMIT 50',
                      (Stage.NEGOTIATION.value,)).fetchall()
    return [CODEC.decode(json.loads(text)) for (text,) in rows]


# ---- measuring ---------------------------------------------------------------------------------


async def timed(action: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await action()
    return time.perf_counter() - start


def timed_sync(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


async def bulk_loads(folder: Path, size: int, runs: int) -> Path:
    records = [prospect(n) for n in range(size)]
    ours, raw = [], []
    for run in range(runs):
        path = folder / f"bulk-{run}.sqlite3"
        store = await FundStore.open(SqliteBackend(path))
        ours.append(await timed(lambda s=store: s.prospects.add_many(records)))
        await store.close()
        copy_schema(path, folder / f"raw-bulk-{run}.sqlite3", "crm_prospects")
        raw.append(timed_sync(lambda r=run: raw_bulk_prospects(folder / f"raw-bulk-{r}.sqlite3", records)))
    report(f"{size:,} prospects, one transaction", statistics.median(ours), statistics.median(raw), 1.5)

    deals = [deal(n) for n in range(size)]
    ours, raw = [], []
    for run in range(runs):
        cache = LocalCache(folder / f"cache-{run}.sqlite3")
        await cache.open()
        ours.append(await timed(lambda c=cache: c.put_deals(886557, deals)))
        assert await cache.count_deals(886557) == size
        await cache.close()
        copy_schema(folder / f"cache-{run}.sqlite3", folder / f"raw-cache-{run}.sqlite3", "deals")
        raw.append(timed_sync(lambda r=run: raw_bulk_deals(folder / f"raw-cache-{r}.sqlite3", 886557, deals)))
    report(f"{size:,} deals into the local cache", statistics.median(ours), statistics.median(raw), 1.5)
    return folder / "bulk-0.sqlite3"


async def single_writes(path: Path, first_new: int, writes: int) -> None:
    """Inserts and updates on the store at ``path``, then the same on a raw copy of it."""
    store = await FundStore.open(SqliteBackend(path))
    count = await store.prospects.count()
    inserts = []
    for n in range(first_new, first_new + writes):
        inserts.append(await timed(lambda n=n: store.prospects.add(prospect(n))))
    # Spread over the collection, so the updates do not all touch one recently cached page.
    keys = [f"p{n:07}" for n in range(0, count, max(1, count // writes))][:writes]
    read = [await store.prospects.get(k) for k in keys]
    updates = [await timed(lambda p=p: store.prospects.save(p.evolve(stage=Stage.WON, notes="signed")))
               for p in read]
    await store.close()

    raw_path = path.with_name(path.stem + "-raw.sqlite3")
    copy_schema(path, raw_path, "crm_prospects")
    db = raw_connect(raw_path)
    db.execute("BEGIN")
    db.executemany(PROSPECT_INSERT, (prospect_row(prospect(n), T0) for n in range(count)))
    db.execute("COMMIT")
    now = datetime.now(UTC)
    raw_inserts = [timed_sync(lambda n=n: db.execute(PROSPECT_INSERT, prospect_row(prospect(n), now)))
                   for n in range(first_new + writes, first_new + 2 * writes)]
    raw_updates = [timed_sync(lambda k=k: raw_update(db, k, {"stage": "won", "notes": "signed"})) for k in keys]
    db.close()
    report(f"insert one prospect at {count:,}", statistics.median(inserts), statistics.median(raw_inserts),
           note=f"p95 ours {percentile(inserts, 95) * 1000:.2f} ms, raw {percentile(raw_inserts, 95) * 1000:.2f} ms")
    report(f"versioned update at {count:,}", statistics.median(updates), statistics.median(raw_updates),
           note=f"p95 ours {percentile(updates, 95) * 1000:.2f} ms, raw {percentile(raw_updates, 95) * 1000:.2f} ms")


async def pipeline_page(path: Path, raw_path: Path) -> None:
    store = await FundStore.open(SqliteBackend(path))
    times = [await timed(lambda: store.prospects.find(PAGE)) for _ in range(50)]
    page = await store.prospects.find(PAGE)
    total = await store.prospects.count()
    await store.close()
    assert len(page) == 50 and all(p.stage is Stage.NEGOTIATION for p in page)
    db = raw_connect(raw_path)
    raw_times = [timed_sync(lambda: raw_page(db)) for _ in range(50)]
    assert [p.prospect_id for p in raw_page(db)] == [p.prospect_id for p in page]
    db.close()
    report(f"stage page of 50, newest first, at {total:,}", statistics.median(times), statistics.median(raw_times),
           2.0, note="same index, both decode to prospects")


def json_codecs(count: int) -> None:
    docs = [dict(CODEC.encode(prospect(n)), _id=ObjectId(), updated_at=T0) for n in range(count)]
    options = json_util.JSONOptions(tz_aware=True, tzinfo=UTC)
    ours = timed_sync(lambda: [doc_json.loads(doc_json.dumps(d)) for d in docs])
    theirs = timed_sync(lambda: [json_util.loads(json_util.dumps(d, json_options=options), json_options=options)
                                 for d in docs])
    report(f"{count:,} documents to JSON and back", ours, theirs, note="baseline: bson.json_util")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 records instead of 100,000")
    parser.add_argument("--runs", type=int, default=3, help="bulk loads per side (default 3)")
    args = parser.parse_args()
    size = 10_000 if args.quick else 100_000
    print(f"FIDUS embedded store vs raw sqlite3: SQLite {sqlite3.sqlite_version}, {size:,} records; x = ours / raw")
    print(f"machine: {machine.describe()}")
    with tempfile.TemporaryDirectory(prefix="fidus-bench-") as tmp:
        folder = Path(tmp)
        print(f"Bulk loads (median of {args.runs})")
        big = await bulk_loads(folder, size, args.runs)
        print("Reading one page (median of 50)")
        await pipeline_page(big, folder / "raw-bulk-0.sqlite3")
        print("Single writes (median of 200, each its own transaction)")
        small = folder / "small.sqlite3"
        store = await FundStore.open(SqliteBackend(small))
        await store.prospects.add_many(prospect(n) for n in range(1_000))
        await store.close()
        await single_writes(small, 1_000, 200)
        await single_writes(big, size, 200)
        print("Document encoding")
        json_codecs(20_000)


if __name__ == "__main__":
    asyncio.run(main())
