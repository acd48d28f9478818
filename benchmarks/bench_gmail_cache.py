"""Opening the Gmail list from the local cache with 10,000 cached messages.

Ours: the first page (100 lines) of the INBOX from the cache's list columns, as the panel will
open it. Baseline, measured in the same run: the same page without a cache, fetched from Gmail
(the fake of the tests, 20 ms added per HTTP request) with ``messages.list`` plus one batch
request, the fastest way the network allows. Also shown: the longest the event loop went without
running while the cache was read (the SQLite work runs on aiosqlite's thread). Goals: under
200 ms, loop stall under 50 ms. Run: ``uv run python benchmarks/bench_gmail_cache.py``.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the fake lives with the tests

from fidus_desktop.google.account import GoogleAccount  # noqa: E402
from fidus_desktop.google.gmail import Gmail  # noqa: E402
from fidus_desktop.secrets import SecretStore  # noqa: E402
from fidus_desktop.storage.cache import LocalCache  # noqa: E402
from fidus_desktop.storage.google_cache import MessageRow  # noqa: E402
from tests.conftest import MemoryKeyring  # noqa: E402
from tests.google.conftest import FakeBrowser, settings_for  # noqa: E402
from tests.google.fake import FakeGoogle, make_certificates  # noqa: E402
from tests.google.fake.gmail import simple_mail  # noqa: E402

CACHED = 10_000
PAGE = 100
ACCOUNT = "manager@fidus.test"


def rows() -> list[MessageRow]:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    out = []
    for i in range(CACHED):
        labels = ("INBOX", "UNREAD") if i % 3 else ("SENT",)
        doc = {"id": f"m{i:06d}", "text": "Monthly statement. " * 60, "html": "<p>statement</p>" * 40}
        out.append(MessageRow(f"m{i:06d}", f"t{i // 3:06d}", start + timedelta(minutes=i), str(i),
                              f"Client {i % 400} <c{i % 400}@example.com>", f"Statement {i}", "Monthly statement",
                              "UNREAD" in labels, i % 7 == 0, labels, doc))
    return out


class StallMeter:
    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.002)
            now = time.perf_counter()
            self.worst = max(self.worst, now - last - 0.002)
            last = now

    def __enter__(self) -> StallMeter:
        self._task = asyncio.get_running_loop().create_task(self._tick())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


async def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-gmail-cache-"))
    cache = LocalCache(folder / "cache.sqlite3")
    await cache.open()
    fake = FakeGoogle(make_certificates(folder / "certs")).start()
    pool = ThreadPoolExecutor(max_workers=4)

    def run_blocking(fn):
        return asyncio.get_running_loop().run_in_executor(pool, fn)

    try:
        await cache.google.put_messages(ACCOUNT, rows())
        for i in range(PAGE):
            fake.gmail.add(simple_mail(f"Statement {i}", text="Monthly statement. " * 60))
        client_file = folder / "client.json"
        client_file.write_text(fake.client_json(), encoding="utf-8")
        account = GoogleAccount(settings_for(fake, gmail_units_per_second=1e6), SecretStore(backend=MemoryKeyring()),
                                run_blocking, cache_dir=folder / "tls", open_browser=FakeBrowser(str(fake.certificates.ca_file)))
        account.use_client_file(client_file)
        await account.connect()
        gmail = Gmail(account.api())
        await gmail.messages((await gmail.search(max_results=2)).ids)  # warm connections
        fake.latency = 0.020

        cached, network, stalls = [], [], []
        for _ in range(5):
            with StallMeter() as meter:
                started = time.perf_counter()
                page = await cache.google.list_messages(ACCOUNT, label="INBOX", limit=PAGE)
                cached.append(time.perf_counter() - started)
            stalls.append(meter.worst)
            assert len(page) == PAGE
            started = time.perf_counter()
            ids = (await gmail.search(label_ids=["INBOX"], max_results=PAGE)).ids
            fetched = await gmail.messages(ids)
            network.append(time.perf_counter() - started)
            assert len(fetched) == PAGE
        c, n = statistics.median(cached), statistics.median(network)
        print(f"First {PAGE} INBOX lines with {CACHED:,} messages cached (median of 5)")
        print(f"  from Gmail, list + batch (baseline)   {n * 1000:7.1f} ms")
        print(f"  from the local cache (ours)           {c * 1000:7.1f} ms   {n / c:5.0f}x faster (goal < 200 ms)")
        print(f"  longest event-loop stall meanwhile    {max(stalls) * 1000:7.1f} ms   (goal < 50 ms)")
    finally:
        fake.stop()
        pool.shutdown(wait=True)
        await cache.close()


if __name__ == "__main__":
    asyncio.run(main())
