"""A fresh embedded fund store per test, and small builders for clients and investments."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from fidus_desktop.app_context import AppContext
from fidus_desktop.domain.investments import Investment
from fidus_desktop.domain.people import Client, KycStatus
from fidus_desktop.paths import AppPaths
from fidus_desktop.runtime.writer import WritePath
from fidus_desktop.storage.cache import LocalCache
from fidus_desktop.storage.sqlite import SqliteBackend
from fidus_desktop.storage.store import FundStore
from tests.storage.mongo_fixtures import (mongo_backend, mongo_database_name, mongo_server, web_client,  # noqa: F401
                                          web_db)


@pytest.fixture
async def store(tmp_path) -> AsyncIterator[FundStore]:
    fund = await FundStore.open(SqliteBackend(tmp_path / "fund.sqlite3"))
    yield fund
    await fund.close()


@pytest.fixture
async def context(tmp_path, store) -> AsyncIterator[AppContext]:
    """The runtime over ``store``, with a local cache for the outbox and "manager" as the actor."""
    runtime = AppContext.create(AppPaths.under(tmp_path / "home"))
    runtime.store = store
    runtime.cache = LocalCache(tmp_path / "cache.sqlite3")
    await runtime.cache.open()
    runtime.writer = WritePath(runtime, actor=lambda: "manager")
    yield runtime
    await runtime.cache.close()


def client(client_id: str = "client_ana", name: str = "Ana Castro",
           kyc: KycStatus = KycStatus.APPROVED) -> Client:
    return Client(client_id=client_id, name=name, email=f"{client_id}@example.com", kyc_status=kyc)


def investment(investment_id: str, product: str, principal: str, start: str = "2025-10-01",
               client_id: str = "client_ana", **more) -> Investment:
    return Investment(investment_id=investment_id, client_id=client_id, product=product,
                      principal=Decimal(principal), start_date=datetime.fromisoformat(start).replace(tzinfo=UTC),
                      **more)


@pytest.fixture
async def mongo_context(tmp_path, mongo_backend) -> AsyncIterator[AppContext]:
    """The runtime over a fresh MongoDB (mongoeco through real PyMongo), as ``context``."""
    runtime = AppContext.create(AppPaths.under(tmp_path / "mongo-home"))
    runtime.store = await FundStore.open(mongo_backend)  # the mongo_backend fixture closes it
    runtime.cache = LocalCache(tmp_path / "mongo-cache.sqlite3")
    await runtime.cache.open()
    runtime.writer = WritePath(runtime, actor=lambda: "manager")
    yield runtime
    await runtime.cache.close()
