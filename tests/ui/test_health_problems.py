"""The Health panel lists the records left out of the figures (collection, key, field, reason)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from fidus_desktop.app_context import open_context
from fidus_desktop.paths import AppPaths
from fidus_desktop.storage.sqlite import SqliteBackend
from fidus_desktop.storage.store import FundStore

pytestmark = pytest.mark.gui


@pytest.fixture
def bad_fund() -> None:
    """Built before the window's Qt event loop runs (asyncio.run cannot nest inside it)."""
    async def build() -> None:
        paths = AppPaths.default()
        await (await open_context(paths)).close()
        store = await FundStore.open(SqliteBackend(paths.fund_db))
        try:
            await store.investments.insert_documents([{
                "investment_id": "inv-bad", "client_id": "c", "fund_type": {"$gt": ""}, "principal_amount": 1e6,
                "status": "active", "start_date": datetime(2025, 1, 1, tzinfo=UTC)}])
        finally:
            await store.close()

    asyncio.run(build())


def test_the_health_panel_lists_what_the_figures_left_out(bad_fund, qtbot, make_window):
    window = make_window()
    results = []
    window.tasks.run(window.context.store.investments.find(), on_success=results.append, name="read investments")
    qtbot.waitUntil(lambda: bool(results), timeout=5000)
    assert all(inv.investment_id != "inv-bad" for inv in results[0])
    window.show_panel("health")
    qtbot.waitUntil(lambda: window.slot("health").panel is not None, timeout=5000)
    health = window.slot("health").panel
    qtbot.waitUntil(lambda: bool(health.problem_rows()), timeout=5000)
    assert health.problem_rows() == [("investments", "inv-bad", "fund_type", "{'$gt': ''} is not a fund code")]
    assert "Records left out of the figures: 1." in health.problems_label.text()
    assert not window.reports


def test_a_clean_fund_says_none(qtbot, make_window):
    window = make_window()
    window.show_panel("health")
    qtbot.waitUntil(lambda: window.slot("health").panel is not None, timeout=5000)
    health = window.slot("health").panel
    assert health.problem_rows() == [] and health.problems_label.text() == "Records left out of the figures: none."
