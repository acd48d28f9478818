"""Copying a fund between stores (``fidus-desktop migrate``): nothing changed, nothing lost.

The first tests run with ``fund_store`` on each backend, so with MongoDB they cover both
directions (MongoDB -> SQLite and SQLite -> MongoDB); the round trip through SQLite back into
another MongoDB database is checked as the web platform would see it.
"""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from bson import Decimal128, ObjectId
from bson.int64 import Int64

from fidus_desktop.domain.prospects import Prospect, Stage
from fidus_desktop.errors import ValidationError
from fidus_desktop.storage.migrate import copy_fund
from fidus_desktop.storage.store import FundStore
from tests.storage.conftest import StoreFactory, assert_same_value

# BSON keeps milliseconds: the documents use no finer times, as if read from MongoDB.
AT = datetime(2025, 3, 1, 9, 30, 15, 123000, tzinfo=UTC)


def web_documents() -> dict[str, list[dict[str, Any]]]:
    """Documents in the shapes the web platform writes (reference §2-§8), with fields the app
    does not model and every BSON type a copy could get wrong."""
    client_oid = ObjectId()
    return {
        "users": [{
            "_id": ObjectId(), "id": "client_9f8e7d6c", "user_id": "client_9f8e7d6c", "type": "client",
            "user_type": "client", "username": "ana", "name": "Ana Ruiz", "email": "ana@example.com",
            "status": "active", "createdAt": "2025-03-01T09:30:15.123456", "created_from_prospect": True,
            "google_drive_folder": {"folder_id": "1AbC", "created_at": "2025-03-02T10:00:00+00:00"},
        }],
        "crm_prospects": [{
            "_id": ObjectId(), "prospect_id": "5b1e6a52-8f0c-4a57-9a3e-2f1d0c9b8a7e", "name": "Ana Ruiz",
            "email": "ana@example.com", "phone": "+34 600", "stage": "won", "created_at": AT,
            "updated_at": "2025-03-05T12:00:00.000001+00:00", "converted_to_client": True,
            "client_id": "client_9f8e7d6c", "estimated_value": 25000, "google_drive_folder": "",
        }, {
            "_id": ObjectId(), "id": "prospect_20250301_093015", "name": "Web Lead", "email": "w@example.com",
            "stage": "qualified_lead", "created_at": "2025-03-01T09:30:15", "registration_data": {"a": [1, 2.5]},
        }],
        "investments": [{
            "_id": ObjectId(), "investment_id": "INV-1a2b3c4d", "client_id": str(client_oid), "fund_type": "CORE",
            "product": "FIDUS_CORE", "principal_amount": Decimal128("10000.00"), "amount": Decimal128("10000.00"),
            "total_expected_return": Decimal128("11800.00"), "start_date": AT, "status": "active",
            "interest_rate": 0.015, "referred_by": ObjectId(), "mt5_accounts": [886557],
        }],
        "activity_logs": [{
            "_id": ObjectId(), "log_id": "0c2d5a4e-1111-4d3c-9e8f-123456789abc", "client_id": "client_9f8e7d6c",
            "activity_type": "deposit", "amount": 10000.0, "fund_code": "CORE", "description": "Deposit",
            "timestamp": AT,
        }],
        "mt5_accounts": [{
            "_id": ObjectId(), "account": 886557, "broker": "MEXAtlantic", "fund_type": "FIDUS_CORE",
            "manager_name": "Alpha", "status": "active", "balance": 100000.5, "equity": 100200.75,
            "leverage": Int64(100), "open_positions": [{"ticket": Int64(9_000_000_001), "profit": -12.5}],
            "last_sync_timestamp": AT, "updated_at": "2025-03-01T09:32:00", "synced_from_vps": True,
        }],
    }


async def seed(store: FundStore, documents: dict[str, list[dict[str, Any]]]) -> None:
    repos = {repo.spec.name: repo for repo in store.repositories()}
    for name, docs in documents.items():
        # Copies: a driver may add an _id to what it is given.
        await repos[name].insert_documents(copy.deepcopy(docs))


async def documents_of(store: FundStore) -> dict[str, list[dict[str, Any]]]:
    """Every document of every repository, in key order (backends scan in different orders)."""
    out = {}
    for repo in store.repositories():
        docs = [doc async for doc in repo.scan_documents()]
        out[repo.spec.name] = sorted(docs, key=lambda d: str(repo.spec.key.extract(d)))
    return out


def assert_same_fund(source: dict[str, list[dict]], target: dict[str, list[dict]]) -> None:
    assert set(source) == set(target)
    for name in source:
        assert len(source[name]) == len(target[name]), name
        for left, right in zip(source[name], target[name], strict=True):
            if "_id" not in left:  # MongoDB gives every document one; SQLite keeps what it is given
                right = {k: v for k, v in right.items() if k != "_id"}
            assert_same_value(left, right, name)


async def test_a_copy_into_sqlite_keeps_every_document_as_it_was(
        fund_store: FundStore, new_sqlite_store: StoreFactory) -> None:
    await seed(fund_store, web_documents())
    target = await new_sqlite_store()

    counts = await copy_fund(fund_store, target)

    assert counts == {"fund_products": 4, "users": 1, "crm_prospects": 2, "investments": 1,
                      "activity_logs": 1, "mt5_accounts": 1, "money_managers": 0, "mt5_account_config": 0,
                      "redemptions": 0, "salespeople": 0, "referral_commissions": 0,
                      "leads": 0, "client_readiness": 0, "clients": 0}
    assert_same_fund(await documents_of(fund_store), await documents_of(target))


async def test_a_copy_from_sqlite_keeps_every_document_as_it_was(
        fund_store: FundStore, new_sqlite_store: StoreFactory) -> None:
    source = await new_sqlite_store()
    await seed(source, web_documents())

    await copy_fund(source, fund_store)

    assert_same_fund(await documents_of(source), await documents_of(fund_store))
    # And the app reads them as it read the originals.
    assert (await fund_store.prospects.get("prospect_20250301_093015")).stage is Stage.QUALIFIED
    assert (await fund_store.investments.get("INV-1a2b3c4d")).principal == Decimal128("10000.00").to_decimal()


@pytest.mark.mongo
async def test_mongodb_to_sqlite_to_mongodb_gives_the_web_platform_back_what_it_wrote(
        mongo_server: Any, web_client: Any, new_sqlite_store: StoreFactory) -> None:
    from fidus_desktop.storage.mongo import MongoBackend

    first, second = (f"fidus_test_{uuid.uuid4().hex[:12]}" for _ in range(2))
    written = web_documents()
    for name, docs in written.items():  # written by the web platform's own (naive) client
        await web_client[first][name].insert_many(copy.deepcopy(docs))
    origin = await FundStore.open(MongoBackend(mongo_server.uri, database=first, timeout_seconds=5))
    back = await FundStore.open(MongoBackend(mongo_server.uri, database=second, timeout_seconds=5))
    try:
        await copy_fund(origin, embedded := await new_sqlite_store())
        await copy_fund(embedded, back)
        for name in written:
            before = await web_client[first][name].find().sort("_id").to_list()
            after = await web_client[second][name].find().sort("_id").to_list()
            assert_same_value(before, after, name)
    finally:
        await origin.close()
        await back.close()
        for name in (first, second):
            await web_client.drop_database(name)


# -- rules of the copy (SQLite stores are enough to check them) -----------------------------


async def test_a_target_holding_fund_data_is_refused_before_anything_is_written(
        new_sqlite_store: StoreFactory) -> None:
    source, target = await new_sqlite_store(), await new_sqlite_store()
    await source.prospects.add(Prospect("p1", "From source", "s@example.com"))
    await target.prospects.add(Prospect("p2", "Already there", "t@example.com"))

    with pytest.raises(ValidationError, match=r"already holds fund data \(1 prospects\)"):
        await copy_fund(source, target)
    assert [p.prospect_id for p in await target.prospects.find()] == ["p2"]


async def test_merging_adds_only_what_the_target_lacks(new_sqlite_store: StoreFactory) -> None:
    source, target = await new_sqlite_store(), await new_sqlite_store()
    await source.prospects.add_many([Prospect("p1", "Source one", "a@x.com"), Prospect("p2", "Source two", "b@x.com")])
    await target.prospects.add(Prospect("p2", "Target's own", "c@x.com"))
    messages: list[tuple[float, str]] = []

    counts = await copy_fund(source, target, merge=True, progress=lambda f, m: messages.append((f, m)))

    assert counts["crm_prospects"] == 1 and counts["fund_products"] == 0
    assert {p.prospect_id: p.name for p in await target.prospects.find()} == {"p1": "Source one",
                                                                            "p2": "Target's own"}
    assert any("already there" in m for _, m in messages)
    fractions = [f for f, _ in messages]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


async def test_an_interrupted_copy_is_completed_by_merging(new_sqlite_store: StoreFactory) -> None:
    source, target = await new_sqlite_store(), await new_sqlite_store()
    await source.prospects.add_many(Prospect(f"p{n}", f"P {n}", f"{n}@x.com") for n in range(1200))
    half = [doc async for doc in source.prospects.scan_documents()][:700]
    await target.prospects.insert_documents(half)

    counts = await copy_fund(source, target, merge=True)

    assert counts["crm_prospects"] == 500
    assert await target.prospects.count() == 1200


async def test_the_sources_products_replace_the_seeded_ones(new_sqlite_store: StoreFactory) -> None:
    source, target = await new_sqlite_store(), await new_sqlite_store()
    core = await source.products.get("CORE")
    await source.products.save(core.evolve(name="Core (renamed by the manager)"))

    await copy_fund(source, target)

    assert (await target.products.get("CORE")).name == "Core (renamed by the manager)"
    assert await target.products.count() == 4


async def test_a_store_cannot_be_copied_onto_itself(new_sqlite_store: StoreFactory) -> None:
    store = await new_sqlite_store()
    with pytest.raises(ValidationError, match="same database"):
        await copy_fund(store, store, merge=True)
