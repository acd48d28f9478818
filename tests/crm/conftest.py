"""The CRM's tests: a runtime over an embedded store (and over MongoDB through mongoeco), small
record builders, and CSV bytes in the encodings spreadsheets write."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fidus_desktop.app_context import AppContext
from fidus_desktop.crm.prospects import ProspectDraft, create_prospect
from fidus_desktop.domain.prospects import Prospect, Stage
from fidus_desktop.paths import AppPaths
from fidus_desktop.runtime.writer import WritePath
from fidus_desktop.storage.cache import LocalCache
from fidus_desktop.storage.sqlite import SqliteBackend
from fidus_desktop.storage.store import FundStore
from tests.storage.mongo_fixtures import (mongo_backend, mongo_database_name, mongo_server, web_client,  # noqa: F401
                                          web_db)


async def runtime_over(store: FundStore, home: Path) -> AppContext:
    context = AppContext.create(AppPaths.under(home))
    context.store = store
    context.cache = LocalCache(home / "cache.sqlite3")
    await context.cache.open()
    context.writer = WritePath(context, actor=lambda: "manager")
    return context


@pytest.fixture
async def store(tmp_path) -> AsyncIterator[FundStore]:
    fund = await FundStore.open(SqliteBackend(tmp_path / "fund.sqlite3"))
    yield fund
    await fund.close()


@pytest.fixture
async def context(tmp_path, store) -> AsyncIterator[AppContext]:
    runtime = await runtime_over(store, tmp_path / "home")
    yield runtime
    await runtime.cache.close()


@pytest.fixture
async def mongo_store(mongo_backend) -> FundStore:  # noqa: F811
    return await FundStore.open(mongo_backend)  # the mongo_backend fixture closes it


@pytest.fixture
async def mongo_context(tmp_path, mongo_store) -> AsyncIterator[AppContext]:
    runtime = await runtime_over(mongo_store, tmp_path / "mongo-home")
    yield runtime
    await runtime.cache.close()


def draft(name: str = "Ana Castro", email: str = "ana.castro@example.com", phone: str = "+1 305 555 0100",
          **more) -> ProspectDraft:
    return ProspectDraft(name=name, email=email, phone=phone, **more)


async def new_prospect(context: AppContext, name: str = "Ana Castro", email: str = "ana.castro@example.com",
                       phone: str = "+1 305 555 0100", **more) -> Prospect:
    prospect, result = await create_prospect(context, draft(name, email, phone, **more))
    assert result.saved
    return prospect


def won(**more) -> dict:
    return {"stage": Stage.WON, **more}
