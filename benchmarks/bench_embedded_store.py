"""Embedded store hot paths, each against a naive baseline measured in the same run.

    uv run python benchmarks/bench_embedded_store.py [--quick]

1. Bulk load of 100,000 prospects through the repository (goal < 3 s) vs one commit per record.
2. Bulk load of 100,000 MT5 deals into the local cache (goal < 3 s) vs one commit per deal.
3. Single insert and versioned update at 1,000 and at 100,000 records (goal < 2 ms, not growing
   with the collection) vs a JSON-file store rewritten on each write.
4. One page of the pipeline (stage = X, newest first, 50 rows; goal < 20 ms) vs a table without
   indexes read whole and filtered and sorted in Python.
5. Document <-> JSON text: ``storage.doc_json`` vs ``bson.json_util`` (why doc_json exists).

Slow baselines run on a sample and are scaled per record; the output says so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bson import ObjectId, json_util

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


def prospect(n: int) -> Prospect:
    return Prospect(f"p{n:07}", f"Prospect {n}", f"prospect{n}@example.com", phone="+34 600 000 000",
                    stage=STAGES[n % len(STAGES)], notes="Met at the spring conference; asked about CORE.",
                    source="website", estimated_value=Decimal(25_000 + n % 1000),
                    created_at=T0 + timedelta(minutes=n * 7 % 500_000))


def deal(n: int) -> dict[str, object]:
    return {"ticket": 50_000_000 + n, "order": 60_000_000 + n, "time": int(T0.timestamp()) + n * 60,
            "type": n % 2, "entry": n % 2, "symbol": "EURUSD", "volume": 0.1, "price": 1.0842,
            "profit": round((n % 200 - 100) * 1.37, 2), "commission": -0.7, "swap": 0.0, "comment": ""}


def report(name: str, value: float, goal: float | None, baseline: float, unit: str = "s",
           note: str = "") -> None:
    shown = f"{value * 1000:9.3f} ms" if unit == "ms" else f"{value:9.3f} s "
    base = f"{baseline * 1000:11.3f} ms" if unit == "ms" else f"{baseline:11.3f} s "
    verdict = "" if goal is None else ("goal met" if value < goal else "GOAL NOT MET")
    goal_text = "" if goal is None else (f"< {goal * 1000:g} ms" if unit == "ms" else f"< {goal:g} s")
    print(f"  {name:<44}{shown}  baseline{base}  x{baseline / value:8.1f}  {goal_text:>9} {verdict}"
          + (f"  ({note})" if note else ""))


async def timed(action: Awaitable[object]) -> float:
    start = time.perf_counter()
    await action
    return time.perf_counter() - start


async def per_call(calls: list[Callable[[], Awaitable[object]]]) -> list[float]:
    times = []
    for call in calls:
        start = time.perf_counter()
        await call()
        times.append(time.perf_counter() - start)
    return times


# -- 1. bulk load -------------------------------------------------------------------------------


async def bulk_prospects(folder: Path, size: int, sample: int) -> FundStore:
    records = [prospect(n) for n in range(size)]
    store = await FundStore.open(SqliteBackend(folder / "bulk.sqlite3"))
    seconds = await timed(store.prospects.add_many(records))
    naive = await FundStore.open(SqliteBackend(folder / "naive-bulk.sqlite3"))
    one_by_one = await timed(asyncio.gather(*[naive.prospects.add(p) for p in records[:sample]]))
    await naive.close()
    report(f"{size:,} prospects, one transaction", seconds, 3.0, one_by_one / sample * size,
           note=f"baseline: {sample:,} adds, one commit each, scaled")
    return store


async def bulk_deals(folder: Path, size: int, sample: int) -> None:
    deals = [deal(n) for n in range(size)]
    cache = LocalCache(folder / "cache.sqlite3")
    await cache.open()
    seconds = await timed(cache.put_deals(886557, deals))
    start = time.perf_counter()
    for d in deals[:sample]:
        await cache.put_deals(886602, [d])
    one_by_one = time.perf_counter() - start
    assert await cache.count_deals(886557) == size
    await cache.close()
    report(f"{size:,} deals into the local cache", seconds, 3.0, one_by_one / sample * size,
           note=f"baseline: {sample:,} deals, one commit each, scaled")


# -- 3. single writes ---------------------------------------------------------------------------


def json_file_write(path: Path, docs: dict[str, dict[str, object]], key: str, doc: dict[str, object]) -> None:
    docs[key] = doc
    path.write_text(json.dumps(docs, default=str))


async def single_writes(store: FundStore, folder: Path, label: str, first_new: int, writes: int) -> None:
    count = await store.prospects.count()
    inserts = await per_call([lambda n=n: store.prospects.add(prospect(n))
                              for n in range(first_new, first_new + writes)])
    # Spread over the collection, so the updates do not all touch one recently cached page.
    read = [await store.prospects.get(f"p{n:07}") for n in range(0, count, count // writes)][:writes]
    updates = await per_call([lambda p=p: store.prospects.save(p.evolve(stage=Stage.WON, notes="signed"))
                              for p in read])
    docs = {f"p{n:07}": ProspectCodec().encode(prospect(n)) for n in range(count)}
    path = folder / f"naive-{label}.json"
    rewrites = [timed_sync(lambda n=n: json_file_write(path, docs, f"x{n}", docs["p0000000"]))
                for n in range(3)]
    baseline = statistics.median(rewrites)
    report(f"insert one prospect at {count:,}", statistics.median(inserts), 0.002, baseline, "ms",
           note=f"p95 {percentile(inserts, 95) * 1000:.2f} ms; baseline: JSON file rewritten")
    report(f"versioned update at {count:,}", statistics.median(updates), 0.002, baseline, "ms",
           note=f"p95 {percentile(updates, 95) * 1000:.2f} ms")


def timed_sync(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def percentile(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, len(ordered) * pct // 100)]


# -- 4. one page ----------------------------------------------------------------------------------


async def pipeline_page(store: FundStore, folder: Path) -> None:
    times = await per_call([lambda: store.prospects.find(PAGE) for _ in range(30)])
    page = await store.prospects.find(PAGE)
    assert len(page) == 50 and all(p.stage is Stage.NEGOTIATION for p in page)

    path = folder / "no-index.sqlite3"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE crm_prospects (key TEXT, doc TEXT)")
        rows = [(d["prospect_id"], doc_json.dumps(d)) async for d in scan_all(store)]
        raw.executemany("INSERT INTO crm_prospects VALUES (?, ?)", rows)

    def naive_page() -> list[dict[str, object]]:
        with sqlite3.connect(path) as raw:
            docs = [doc_json.loads(text) for (text,) in raw.execute("SELECT doc FROM crm_prospects")]
        matching = [d for d in docs if d["stage"] == "negotiation"]
        matching.sort(key=lambda d: (d["created_at"], d["prospect_id"]), reverse=True)
        return matching[:50]

    baseline = statistics.median(timed_sync(naive_page) for _ in range(3))
    report(f"stage page of 50, newest first, at {len(rows):,}", statistics.median(times), 0.020, baseline,
           "ms", note="baseline: unindexed table, filtered and sorted in Python")


async def scan_all(store: FundStore):  # type: ignore[no-untyped-def]
    async for doc in store.prospects.scan_documents(5000):
        yield doc


# -- 5. JSON --------------------------------------------------------------------------------------


def json_codecs(count: int) -> None:
    docs = [dict(ProspectCodec().encode(prospect(n)), _id=ObjectId(), updated_at=T0) for n in range(count)]
    options = json_util.JSONOptions(tz_aware=True, tzinfo=UTC)
    ours = timed_sync(lambda: [doc_json.loads(doc_json.dumps(d)) for d in docs])
    theirs = timed_sync(lambda: [json_util.loads(json_util.dumps(d, json_options=options), json_options=options)
                                 for d in docs])
    report(f"{count:,} documents to JSON and back", ours, None, theirs, note="baseline: bson.json_util")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 records instead of 100,000")
    args = parser.parse_args()
    size = 10_000 if args.quick else 100_000
    sample = 1_000 if args.quick else 2_000
    print(f"FIDUS embedded store benchmark: Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, "
          f"{size:,} records")
    with tempfile.TemporaryDirectory(prefix="fidus-bench-") as tmp:
        folder = Path(tmp)
        print("Bulk loads")
        big = await bulk_prospects(folder, size, sample)
        await bulk_deals(folder, size, sample)
        print("Single writes (median of 200)")
        small = await FundStore.open(SqliteBackend(folder / "small.sqlite3"))
        await small.prospects.add_many(prospect(n) for n in range(1_000))
        await single_writes(small, folder, "small", 1_000, 200)
        await single_writes(big, folder, "big", size, 200)
        print("Reading one page (median of 30)")
        await pipeline_page(big, folder)
        print("Document encoding")
        json_codecs(20_000)
        await small.close()
        await big.close()


if __name__ == "__main__":
    asyncio.run(main())
