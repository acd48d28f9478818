"""Fetching 100 Gmail messages: batch requests against one request per message.

Both run in the same process against the fake Google of the tests (HTTPS on loopback, a
certificate made for the run), which adds 20 ms to every HTTP request, as a distant server
would. Baseline: what a competent engineer writes with the same library, google-api-python-client
with one authorized connection, ``users.messages.get(format="full").execute()`` for each id in
turn (the original did exactly this, N+1 round trips). Ours: ``Gmail.messages(ids)``, batches of
at most 50 through the client layer on a thread-pool lane. Our Gmail rate limiter (200 quota
units/s by default with bursts of two seconds' worth; Gmail allows 250) is lifted for the comparison, since it is about round
trips; the same fetch with the default limit is shown too. Goal: at least 5x.
Run: ``uv run python benchmarks/bench_gmail_batch.py``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the fake lives with the tests

from fidus_desktop.config import GoogleSettings  # noqa: E402
from fidus_desktop.google.account import GoogleAccount  # noqa: E402
from fidus_desktop.google.gmail import Gmail  # noqa: E402
from fidus_desktop.google.transport import Api  # noqa: E402
from fidus_desktop.secrets import SecretStore  # noqa: E402
from tests.conftest import MemoryKeyring  # noqa: E402
from tests.google.conftest import FakeBrowser  # noqa: E402
from tests.google.fake import FakeGoogle, make_certificates  # noqa: E402
from tests.google.fake.gmail import simple_mail  # noqa: E402

MESSAGES = 100
LATENCY = 0.020
ROUNDS = 3


def settings_for(fake: FakeGoogle, *, limited: bool) -> GoogleSettings:
    base = fake.base_url
    settings = GoogleSettings(gmail_api_root=f"{base}/", calendar_api_root=f"{base}/calendar/v3/",
                              drive_api_root=f"{base}/drive/v3/", revoke_uri=f"{base}/revoke",
                              ca_bundle=str(fake.certificates.ca_file))
    return settings if limited else dataclasses.replace(settings, gmail_units_per_second=1e6)


async def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-gmail-"))
    fake = FakeGoogle(make_certificates(folder / "certs")).start()
    pool = ThreadPoolExecutor(max_workers=4)

    def run_blocking(fn):
        return asyncio.get_running_loop().run_in_executor(pool, fn)

    try:
        ids = [fake.gmail.add(simple_mail(f"Statement {i}", text="Monthly statement attached. " * 40))
               for i in range(MESSAGES)]
        client_file = folder / "client.json"
        client_file.write_text(fake.client_json(), encoding="utf-8")
        accounts = {}
        for limited in (False, True):
            account = GoogleAccount(settings_for(fake, limited=limited), SecretStore(backend=MemoryKeyring()),
                                    run_blocking, cache_dir=folder / "cache",
                                    open_browser=FakeBrowser(str(fake.certificates.ca_file)))
            account.use_client_file(client_file)
            await account.connect()
            accounts[limited] = account
        api = accounts[False].api()
        resource = await api.resource(Api.GMAIL)
        # Warm both paths (TLS handshakes, imports) before timing.
        await Gmail(api).messages(ids[:2])
        await run_blocking(lambda: resource.users().messages().get(userId="me", id=ids[0], format="full")
                           .execute(http=api.transport.thread_http()))
        fake.latency = LATENCY

        def one_by_one() -> int:
            http = api.transport.thread_http()
            return len([resource.users().messages().get(userId="me", id=i, format="full").execute(http=http)
                        for i in ids])

        base, ours, ours_limited = [], [], []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            assert await run_blocking(one_by_one) == MESSAGES
            base.append(time.perf_counter() - started)
            started = time.perf_counter()
            got = await Gmail(api).messages(ids)
            ours.append(time.perf_counter() - started)
            assert len(got) == MESSAGES and all(m.subject.startswith("Statement") for m in got)
            started = time.perf_counter()
            await Gmail(accounts[True].api()).messages(ids)
            ours_limited.append(time.perf_counter() - started)
        b, o, limited = statistics.median(base), statistics.median(ours), statistics.median(ours_limited)
        print(f"{MESSAGES} messages, {LATENCY * 1000:.0f} ms added per HTTP request, median of {ROUNDS} rounds")
        print(f"  one request per message (baseline) {b * 1000:8.0f} ms")
        print(f"  batches of 50 (ours)               {o * 1000:8.0f} ms   {b / o:5.1f}x faster (goal >= 5x)")
        print(f"  batches, default Gmail rate limit  {limited * 1000:8.0f} ms   {b / limited:5.1f}x "
              "(200 units/s, bursts of 400: 500 units need ~0.5 s more)")
    finally:
        fake.stop()
        pool.shutdown(wait=True)


if __name__ == "__main__":
    asyncio.run(main())
