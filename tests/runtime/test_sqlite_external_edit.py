"""An edit made to the embedded fund file by another window (or the command line) reaches the open
portfolio as that one investment taken in: the book is adjusted, not read again whole."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fidus_desktop.app_context import AppContext
from fidus_desktop.events import EventType
from fidus_desktop.paths import AppPaths
from fidus_desktop.runtime.watcher import ChangeWatcher
from fidus_desktop.runtime.writer import WritePath
from fidus_desktop.services.portfolio_service import PortfolioService
from fidus_desktop.storage.cache import LocalCache
from fidus_desktop.storage.sqlite import SqliteBackend
from fidus_desktop.storage.store import FundStore
from tests.portfolio.conftest import client, investment
from tests.runtime.waiting import until


async def test_another_windows_edit_is_taken_in_without_reading_the_book_again(tmp_path) -> None:
    path = tmp_path / "fund.sqlite3"
    other = await FundStore.open(SqliteBackend(path))  # the second window
    await other.clients.add(client())
    await other.investments.add(investment("inv-1", "CORE", "10000"))
    await other.investments.add(investment("inv-2", "CORE", "5000"))

    context = AppContext.create(AppPaths.under(tmp_path / "home"))
    context.store = await FundStore.open(SqliteBackend(path))
    context.cache = LocalCache(tmp_path / "cache.sqlite3")
    await context.cache.open()
    context.writer = WritePath(context, actor=lambda: "manager")
    context.services.add(ChangeWatcher(context, context.writer, poll_seconds=0.05))
    portfolio = context.services.add(PortfolioService(context, today=lambda: date(2026, 3, 1)))
    await context.services.start()
    try:
        await until(lambda: portfolio.book is not None and "inv-2" in portfolio.book.index)
        book = portfolio.book
        updates = []
        context.events.subscribe(EventType.PORTFOLIO_UPDATED, updates.append)

        stored = await other.investments.get("inv-1")
        await other.investments.save(stored.evolve(principal=Decimal("25000")))

        await until(lambda: any(u.changes is not None and u.changes.origin == "external" for u in updates))
        [update] = updates
        assert update.changes.investments == {"inv-1"}
        assert portfolio.book is book  # adjusted in place, not read again
        assert book.principals[book.index["inv-1"]] == Decimal("25000")
        assert portfolio.dashboard.aum == Decimal("30000")
    finally:
        await context.close()
        await other.close()
