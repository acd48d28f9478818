"""Fixtures of the storage tests: one fund store per backend, so every contract test runs on both.

``mongo`` tests talk to a mongoeco wire server through the real PyMongo (fixtures from
``mongo_fixtures.py``). If that module is missing the ``mongo`` tests fail loudly: a contract
suite that silently ran on one backend would prove nothing about the other.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from fidus_desktop.storage.sqlite import SqliteBackend
from fidus_desktop.storage.store import FundStore

try:
    from tests.storage.mongo_fixtures import *  # noqa: F403
except ModuleNotFoundError as missing:
    if missing.name != "tests.storage.mongo_fixtures":
        raise
    _MISSING_MONGO = str(missing)

    @pytest.fixture
    def mongo_backend() -> None:
        pytest.fail(f"tests/storage/mongo_fixtures.py cannot be imported ({_MISSING_MONGO}): "
                    "the MongoDB half of the contract suite cannot run")


@pytest.fixture(params=["sqlite", pytest.param("mongo", marks=pytest.mark.mongo)])
def fund_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """An unopened backend of each kind (resolved here: async fixtures cannot ask for others)."""
    if request.param == "sqlite":
        return SqliteBackend(tmp_path / "fund.sqlite3")
    return request.getfixturevalue("mongo_backend")


@pytest.fixture
async def fund_store(fund_backend: Any) -> AsyncIterator[FundStore]:
    store = await FundStore.open(fund_backend)
    yield store
    await store.close()


type StoreFactory = Callable[[], Awaitable[FundStore]]


@pytest.fixture
async def new_sqlite_store(tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """Opens as many fresh SQLite fund stores as a test needs; closes them afterwards."""
    opened: list[FundStore] = []

    async def make() -> FundStore:
        store = await FundStore.open(SqliteBackend(tmp_path / f"extra-{len(opened)}.sqlite3"))
        opened.append(store)
        return store

    yield make
    for store in opened:
        await store.close()


def assert_same_value(left: Any, right: Any, path: str = "doc") -> None:
    """Equal *and* of the same type all the way down: ``5 == 5.0`` and ``Decimal128`` vs
    ``float`` differences are exactly what a copy between backends must not introduce."""
    assert type(left) is type(right), f"{path}: {type(left).__name__} {left!r} != {type(right).__name__} {right!r}"
    if isinstance(left, dict):
        # Key order is not compared: MongoDB moves _id first.
        assert set(left) == set(right), f"{path}: keys differ: {sorted(set(left) ^ set(right))}"
        for name in left:
            assert_same_value(left[name], right[name], f"{path}.{name}")
    elif isinstance(left, list):
        assert len(left) == len(right), f"{path}: {len(left)} items != {len(right)}"
        for i, (a, b) in enumerate(zip(left, right, strict=True)):
            assert_same_value(a, b, f"{path}[{i}]")
    else:
        assert left == right, f"{path}: {left!r} != {right!r}"
