"""The runtime on MongoDB (through a mongoeco wire server and real PyMongo): an edit made while the
server is down is kept, shown pending, and saved once when it is back; the web platform's own edits
reach the portfolio within seconds."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from pymongo import AsyncMongoClient

from fidus_desktop.app_context import AppContext
from fidus_desktop.events import EventType
from fidus_desktop.paths import AppPaths
from fidus_desktop.runtime.database_link import DatabaseLink
from fidus_desktop.runtime.outbox import OutboxService
from fidus_desktop.runtime.watcher import ChangeWatcher
from fidus_desktop.runtime.writer import WritePath
from fidus_desktop.services import investments
from fidus_desktop.services.portfolio_service import PortfolioService
from fidus_desktop.storage.cache import LocalCache
from fidus_desktop.storage.mongo import MongoBackend
from fidus_desktop.storage.store import FundStore

from tests.portfolio.conftest import client, investment
from tests.runtime.waiting import until
from tests.storage.mongo_fixtures import mongo_server  # noqa: F401

pytestmark = pytest.mark.mongo


class CuttableLink:
    """A TCP forwarder in front of a mongoeco server, on its own thread: ``cut()`` is the network
    (or Atlas) going away (connections dropped, new ones refused), ``restore()`` its return. The
    server and its data stay as they were, as a real database's do."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.up = True
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._ready: concurrent.futures.Future[int] = concurrent.futures.Future()

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    def start(self) -> CuttableLink:
        self._thread.start()
        self.port = self._ready.result(timeout=15)
        return self

    def _serve(self) -> None:
        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while self.up and (data := await reader.read(65536)):
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                writer.close()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            if not self.up:
                writer.close()
                return
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
            self._writers.update((writer, up_writer))
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            server = await asyncio.start_server(handle, "127.0.0.1", 0)
            self._ready.set_result(server.sockets[0].getsockname()[1])
            await asyncio.Event().wait()

        asyncio.run(main())

    def cut(self) -> None:
        def drop() -> None:
            self.up = False
            for writer in list(self._writers):
                writer.close()
            self._writers.clear()

        assert self._loop is not None
        self._loop.call_soon_threadsafe(drop)

    def restore(self) -> None:
        self.up = True


@pytest.fixture
def server(mongo_server):
    """The fund's MongoDB behind a link the test can cut."""
    return CuttableLink(mongo_server.port).start()


async def runtime(tmp_path, uri: str, *, portfolio: bool = False) -> AppContext:
    context = AppContext.create(AppPaths.under(tmp_path / "home"))
    context.store = await FundStore.open(MongoBackend(uri, database=f"fidus_{uuid.uuid4().hex[:8]}",
                                                      timeout_seconds=0.5))
    context.cache = LocalCache(tmp_path / "cache.sqlite3")
    await context.cache.open()
    context.writer = WritePath(context, actor=lambda: "manager")
    outbox = context.services.add(OutboxService(context, context.writer, base_delay=timedelta(milliseconds=50)))
    link = context.services.add(DatabaseLink(context, first_delay=0.1, max_delay=0.2, on_back=outbox.wake))
    context.writer.on_database_lost = link.lost
    context.services.add(ChangeWatcher(context, context.writer, poll_seconds=0.2))
    if portfolio:
        context.services.add(PortfolioService(context, today=lambda: date(2026, 3, 1)))
    await context.services.start()
    return context


async def test_an_edit_while_mongodb_is_down_is_kept_and_saved_once_when_it_is_back(tmp_path, server):
    context = await runtime(tmp_path, server.uri, portfolio=True)
    try:
        assert not context.store.atomic  # a standalone server: the outbox carries every write first
        await context.store.clients.add(client())
        await context.store.investments.add(investment("inv-1", "CORE", "10000"))
        read = await context.store.investments.get("inv-1")
        portfolio = context.service(PortfolioService)
        await until(lambda: portfolio.book is not None and "inv-1" in portfolio.book.index)
        published = []
        context.events.subscribe(EventType.DATA_CHANGED, published.append)
        server.cut()  # Atlas goes away while the manager edits

        _saved, result = await investments.update_investment(context, read.evolve(principal=Decimal("11000")))
        assert result.queued
        assert published[-1].pending and published[-1].investments == {"inv-1"}
        assert [op.op_id for op in context.writer.pending()] == [result.operation.op_id]
        # shown at once, marked pending, while the database is away
        await until(lambda: "inv-1" in portfolio.pending)
        assert portfolio.book.principals[portfolio.book.index["inv-1"]] == Decimal("11000")

        server.restore()  # back, with its data
        await until(lambda: not context.writer.pending())
        await until(lambda: not portfolio.pending)
        stored = await context.store.investments.get("inv-1")
        assert stored.principal == Decimal("11000")
        audits = await context.store.activity.find()
        assert [a.log_id for a in audits if a.log_id.startswith("op:")] == [result.operation.audit_id]
        assert published[-1].origin == "replay"
        assert await context.cache.pending_count() == 0
    finally:
        await context.close()


async def test_the_web_platforms_edit_reaches_the_portfolio(tmp_path, server):
    context = await runtime(tmp_path, server.uri, portfolio=True)
    web = AsyncMongoClient(server.uri, tz_aware=True)
    try:
        await context.store.clients.add(client())
        await context.store.investments.add(investment("inv-1", "CORE", "10000"))
        portfolio = context.service(PortfolioService)
        updates = []
        context.events.subscribe(EventType.PORTFOLIO_UPDATED, updates.append)
        await until(lambda: portfolio.book is not None and "inv-1" in portfolio.book.index)
        # The web platform's investment edit, as its API writes it.
        await web[context.store.backend._database_name].investments.update_one({"investment_id": "inv-1"}, {"$set": {
            "principal_amount": 25000.0, "amount": 25000.0, "updated_at": datetime.now().astimezone()}})
        # Waited for by its announcement: the book is adjusted in place before the figures that
        # go with it are computed and published.
        await until(lambda: any(u.changes is not None and u.changes.origin == "external"
                                and "inv-1" in u.changes.investments for u in updates))
        assert portfolio.book.principals[portfolio.book.index["inv-1"]] == Decimal("25000")
        assert portfolio.dashboard.aum == Decimal("25000")
    finally:
        await web.close()
        await context.close()
