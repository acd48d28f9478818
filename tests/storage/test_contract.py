"""The storage contract: what every backend must do, run against SQLite and MongoDB alike.

Services only see ``Repository``; if a test here passes on one backend and fails on the other,
the two have drifted and the manager would see different data depending on where the fund lives.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from pymongo import MongoClient

from fidus_desktop.domain.activity import ActivityEntry
from fidus_desktop.domain.funds import DEFAULT_PRODUCTS
from fidus_desktop.domain.investments import Investment, InvestmentStatus
from fidus_desktop.domain.mt5_accounts import Mt5AccountLink
from fidus_desktop.domain.people import Client
from fidus_desktop.domain.prospects import Prospect, Stage
from fidus_desktop.errors import ConflictError, NotFoundError, StorageUnavailable
from fidus_desktop.storage.codecs import ClientCodec
from fidus_desktop.storage.open import describe_uri, open_store, sqlite_path
from fidus_desktop.storage.query import Between, Contains, Eq, In, Query
from fidus_desktop.storage.spec import CollectionSpec
from fidus_desktop.storage.store import FundStore

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)

#: The web platform's admin accounts live in ``users`` too; the app must never list them.
ADMINS = CollectionSpec(name="users", key=ClientCodec.spec.key, scope=(("type", "admin"),))


def prospect(n: int, **changes: object) -> Prospect:
    base = Prospect(prospect_id=f"p{n:03}", name=f"Prospect {n}", email=f"p{n}@example.com",
                    created_at=T0 + timedelta(days=n))
    return base.evolve(**changes)


# -- products -------------------------------------------------------------------------------


async def test_products_are_seeded_when_a_store_opens(fund_store: FundStore) -> None:
    products = await fund_store.products.find()
    assert products == sorted(DEFAULT_PRODUCTS, key=lambda p: p.code)


# -- add, get, find_one ----------------------------------------------------------------------


async def test_an_added_record_reads_back_equal(fund_store: FundStore) -> None:
    added = await fund_store.prospects.add(prospect(1, phone="+34 600", estimated_value=Decimal("25000.50")))
    read = await fund_store.prospects.get("p001")
    assert read == added
    assert read.estimated_value == Decimal("25000.50")
    assert read.is_stored and read.created_at == T0 + timedelta(days=1)


async def test_a_missing_record_is_not_found(fund_store: FundStore) -> None:
    assert await fund_store.prospects.find_one("nobody") is None
    with pytest.raises(NotFoundError):
        await fund_store.prospects.get("nobody")


async def test_adding_an_existing_key_is_refused(fund_store: FundStore) -> None:
    await fund_store.prospects.add(prospect(1))
    with pytest.raises(ConflictError):
        await fund_store.prospects.add(prospect(1, name="Someone else"))
    assert (await fund_store.prospects.get("p001")).name == "Prospect 1"


# -- queries ---------------------------------------------------------------------------------


@pytest.fixture
async def pipeline(fund_store: FundStore) -> FundStore:
    """Seven prospects across stages; p004 and p005 share a creation time (a sort tie)."""
    stages = [Stage.LEAD, Stage.LEAD, Stage.WON, Stage.NEGOTIATION, Stage.NEGOTIATION, Stage.LOST, Stage.LEAD]
    records = [prospect(n + 1, stage=stage) for n, stage in enumerate(stages)]
    records[4] = records[4].evolve(created_at=records[3].created_at)
    assert await fund_store.prospects.add_many(records) == 7
    return fund_store


def ids(records: list[Prospect]) -> list[str]:
    return [r.prospect_id for r in records]


async def test_find_by_equality_and_by_membership(pipeline: FundStore) -> None:
    leads = await pipeline.prospects.find(Query(where=(Eq("stage", Stage.LEAD),)))
    assert ids(leads) == ["p001", "p002", "p007"]
    closed = await pipeline.prospects.find(Query(where=(In("stage", (Stage.WON, Stage.LOST)),)))
    assert ids(closed) == ["p003", "p006"]
    assert await pipeline.prospects.find(Query(where=(In("stage", ()),))) == []


async def test_a_range_includes_its_low_bound_and_excludes_its_high_bound(pipeline: FundStore) -> None:
    query = Query(where=(Between("created_at", T0 + timedelta(days=2), T0 + timedelta(days=4)),))
    assert ids(await pipeline.prospects.find(query)) == ["p002", "p003"]
    open_ended = Query(where=(Between("created_at", low=T0 + timedelta(days=6)),))
    assert ids(await pipeline.prospects.find(open_ended)) == ["p006", "p007"]


async def test_search_ignores_case_and_reads_wildcards_as_text(fund_store: FundStore) -> None:
    names = ["Ana 100% Gomez", "Bob_Smith", "BOBBY Tables", "José Núñez", "Bo Xsmith"]
    await fund_store.prospects.add_many(prospect(n, name=name) for n, name in enumerate(names))

    async def search(text: str) -> list[str]:
        found = await fund_store.prospects.find(Query(where=(Contains(("name", "email"), text),)))
        return sorted(p.name for p in found)

    assert await search("bob") == ["BOBBY Tables", "Bob_Smith"]
    assert await search("100%") == ["Ana 100% Gomez"]
    assert await search("b_s") == ["Bob_Smith"]  # "_" is not "any character"
    assert await search("NÚÑEZ") == ["José Núñez"]
    assert await search("P2@EXAMPLE") == ["BOBBY Tables"]  # any of the named fields
    assert len(await search("")) == 5


async def test_pages_in_order_hold_every_record_exactly_once(pipeline: FundStore) -> None:
    newest_first = Query(order_by=(("created_at", True),))
    everything = ids(await pipeline.prospects.find(newest_first))
    # The tie between p004 and p005 is broken by the key, ascending.
    assert everything == ["p007", "p006", "p004", "p005", "p003", "p002", "p001"]
    pages = [ids(await pipeline.prospects.find(Query(order_by=newest_first.order_by, limit=3, offset=o)))
             for o in (0, 3, 6)]
    assert pages == [everything[0:3], everything[3:6], everything[6:]]


async def test_filter_sort_and_count_combine(pipeline: FundStore) -> None:
    open_stages = (Stage.LEAD, Stage.NEGOTIATION)
    query = Query(where=(In("stage", open_stages),), order_by=(("stage", False), ("created_at", True)), limit=2)
    assert ids(await pipeline.prospects.find(query)) == ["p007", "p002"]
    assert await pipeline.prospects.count(Query(where=(In("stage", open_stages),))) == 5
    assert await pipeline.prospects.count() == 7


# -- saving ----------------------------------------------------------------------------------


async def test_a_save_writes_the_change_and_keeps_what_the_app_does_not_model(fund_store: FundStore) -> None:
    # As the web platform's registration endpoint writes it: ISO string dates, extra fields.
    await fund_store.prospects.insert_documents([{
        "id": "prospect_20250301_093000", "name": "Web Lead", "email": "lead@example.com", "phone": "+1",
        "stage": "qualified_lead", "created_at": "2025-03-01T09:30:00+00:00",
        "registration_data": {"country": "ES", "answers": [1, 2.5, "x"]}, "_original_lead_id": "a" * 24,
    }])
    lead = await fund_store.prospects.get("prospect_20250301_093000")
    assert lead.stage is Stage.QUALIFIED
    changed, removed = fund_store.prospects.changes_of(lead.evolve(stage=Stage.PROPOSAL))
    assert (changed, removed) == ({"stage": "proposal"}, [])

    saved = await fund_store.prospects.save(lead.evolve(stage=Stage.PROPOSAL))
    raw = (await fund_store.prospects.get(saved.prospect_id)).raw
    assert raw["stage"] == "proposal"
    assert raw["created_at"] == "2025-03-01T09:30:00+00:00"  # not rewritten as a datetime
    assert raw["registration_data"] == {"country": "ES", "answers": [1, 2.5, "x"]}
    assert raw["_original_lead_id"] == "a" * 24
    assert "prospect_id" not in raw  # the key is not added under a second name by a save
    assert isinstance(raw["stage_changed_at"], str)


async def test_a_save_without_changes_writes_nothing(fund_store: FundStore) -> None:
    added = await fund_store.prospects.add(prospect(1))
    assert await fund_store.prospects.save(added) is added
    assert (await fund_store.prospects.get("p001")).raw == added.raw  # no "updated_at" stamped


async def test_the_first_of_two_concurrent_saves_wins(fund_store: FundStore) -> None:
    await fund_store.prospects.add(prospect(1))
    mine = await fund_store.prospects.get("p001")
    theirs = await fund_store.prospects.get("p001")
    await fund_store.prospects.save(theirs.evolve(stage=Stage.WON, notes="signed"))
    with pytest.raises(ConflictError):
        await fund_store.prospects.save(mine.evolve(stage=Stage.LOST))
    stored = await fund_store.prospects.get("p001")
    assert (stored.stage, stored.notes) == (Stage.WON, "signed")
    # Reloading and applying the change again is the way out.
    await fund_store.prospects.save(stored.evolve(stage=Stage.LOST))
    assert (await fund_store.prospects.get("p001")).stage is Stage.LOST


async def test_saving_or_removing_a_removed_record_is_not_found(fund_store: FundStore) -> None:
    added = await fund_store.prospects.add(prospect(1))
    await fund_store.prospects.remove(added)
    assert await fund_store.prospects.find_one("p001") is None
    with pytest.raises(NotFoundError):
        await fund_store.prospects.save(added.evolve(notes="too late"))
    with pytest.raises(NotFoundError):
        await fund_store.prospects.remove(added)


async def test_removing_a_stale_copy_is_refused(fund_store: FundStore) -> None:
    stale = await fund_store.prospects.add(prospect(1))
    await fund_store.prospects.save(stale.evolve(notes="changed meanwhile"))
    with pytest.raises(ConflictError):
        await fund_store.prospects.remove(stale)
    assert (await fund_store.prospects.get("p001")).notes == "changed meanwhile"


# -- bulk and scan ---------------------------------------------------------------------------


async def test_every_record_added_in_bulk_is_scanned_once(fund_store: FundStore) -> None:
    assert await fund_store.prospects.add_many(prospect(n) for n in range(23)) == 23
    scanned = [doc async for doc in fund_store.prospects.scan_documents(batch_size=5)]
    assert sorted(doc["prospect_id"] for doc in scanned) == [f"p{n:03}" for n in range(23)]


async def test_adding_in_bulk_refuses_an_existing_key(fund_store: FundStore) -> None:
    await fund_store.prospects.add(prospect(1))
    with pytest.raises(ConflictError):
        await fund_store.prospects.add_many([prospect(2), prospect(1, name="Again")])
    assert (await fund_store.prospects.get("p001")).name == "Prospect 1"


# -- scope -----------------------------------------------------------------------------------


async def test_admin_accounts_in_users_are_invisible_to_the_client_repository(fund_store: FundStore) -> None:
    admins = fund_store.backend.collection(ADMINS)
    await admins.insert({"id": "admin_001", "username": "admin", "name": "Fund Admin", "type": "admin",
                         "status": "active", "password": "$2b$12$hash"})
    await fund_store.clients.add(Client(client_id="client_1a2b3c4d", name="Fund Client", email="c@example.com"))

    assert [c.client_id for c in await fund_store.clients.find()] == ["client_1a2b3c4d"]
    assert await fund_store.clients.count() == 1
    assert await fund_store.clients.find_one("admin_001") is None
    assert await fund_store.clients.find(Query(where=(Contains(("name",), "fund"),))) != []
    assert [c.name for c in await fund_store.clients.find(Query(where=(Contains(("name",), "admin"),)))] == []
    assert [d["id"] async for d in fund_store.clients.scan_documents()] == ["client_1a2b3c4d"]
    assert (await admins.get("admin_001")) is not None  # still there, untouched


# -- every aggregate -------------------------------------------------------------------------


async def test_clients_round_trip_and_filter(fund_store: FundStore) -> None:
    client = await fund_store.clients.add(Client(client_id="client_0001", name="Ana", email="ana@example.com",
                                                 source_prospect_id="p001"))
    assert await fund_store.clients.get("client_0001") == client
    assert client.raw["type"] == "client"
    found = await fund_store.clients.find(Query(where=(Eq("email", "ana@example.com"),)))
    assert [c.client_id for c in found] == ["client_0001"]
    await fund_store.clients.save(client.evolve(phone="+34 611"))
    assert (await fund_store.clients.get("client_0001")).phone == "+34 611"


async def test_investments_round_trip_and_filter(fund_store: FundStore) -> None:
    investments = [
        Investment("inv-1", "client_0001", "CORE", Decimal("10000.00"), T0, InvestmentStatus.ACTIVE),
        Investment("inv-2", "client_0001", "BALANCE", Decimal("50000.00"), T0 + timedelta(days=30),
                   InvestmentStatus.INCUBATION),
        Investment("inv-3", "client_0002", "CORE", Decimal("20000.00"), T0 + timedelta(days=60)),
    ]
    await fund_store.investments.add_many(investments)
    # created_at/updated_at are stamped by the store; everything else reads back as given.
    assert (await fund_store.investments.get("inv-2")).evolve(created_at=None, updated_at=None) == investments[1]
    query = Query(where=(Eq("client_id", "client_0001"), Eq("status", "active")))
    assert [i.investment_id for i in await fund_store.investments.find(query)] == ["inv-1"]
    core = Query(where=(Eq("product", "CORE"),), order_by=(("principal", True),))
    assert [i.investment_id for i in await fund_store.investments.find(core)] == ["inv-3", "inv-1"]
    big = Query(where=(Between("principal", Decimal("15000")),))
    assert {i.investment_id for i in await fund_store.investments.find(big)} == {"inv-2", "inv-3"}


async def test_activity_round_trips_and_reads_newest_first(fund_store: FundStore) -> None:
    entries = [ActivityEntry(f"log-{n}", "note", f"entry {n}", T0 + timedelta(hours=n), client_id="client_0001",
                             amount=Decimal("12.5") if n == 2 else None, details={"n": n})
               for n in range(4)]
    await fund_store.activity.add_many(entries)
    timeline = await fund_store.activity.find(
        Query(where=(Eq("client_id", "client_0001"),), order_by=(("timestamp", True),), limit=2))
    assert timeline == [entries[3], entries[2]]
    assert timeline[1].amount == Decimal("12.5")


async def test_mt5_accounts_are_keyed_by_their_login_number(fund_store: FundStore) -> None:
    account = Mt5AccountLink(886557, name="Core main", broker="MEXAtlantic", fund_type="CORE",
                             manager_name="Alpha", balance=Decimal("100000.25"))
    await fund_store.mt5_accounts.add_many([account, Mt5AccountLink(886602, fund_type="BALANCE")])
    # Never synced: editing the record must not make it look freshly synced.
    assert (await fund_store.mt5_accounts.get("886557")) == account
    found = await fund_store.mt5_accounts.find(Query(where=(Eq("fund_type", "CORE"),)))
    assert [a.account for a in found] == [886557]
    stored = await fund_store.mt5_accounts.get("886557")
    await fund_store.mt5_accounts.save(stored.evolve(manager_name="Beta"))
    assert (await fund_store.mt5_accounts.get("886557")).manager_name == "Beta"
    assert (await fund_store.mt5_accounts.get("886557")).last_sync is None


# -- opening by address ----------------------------------------------------------------------


@pytest.fixture(params=["path", "sqlite-uri", pytest.param("mongodb-uri", marks=pytest.mark.mongo)])
def address(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """``(uri, kind, database)`` for each way a store is named in settings or on the command line."""
    database = f"fidus_test_{uuid.uuid4().hex[:12]}"
    if request.param == "path":
        yield str(tmp_path / "sub dir" / "fund.sqlite3"), "sqlite", database
    elif request.param == "sqlite-uri":
        yield f"sqlite://{quote(str(tmp_path / 'sub dir' / 'fund.sqlite3'))}", "sqlite", database
    else:
        server = request.getfixturevalue("mongo_server")
        yield server.uri, "mongodb", database
        with MongoClient(server.uri, serverSelectionTimeoutMS=5000) as client:
            client.drop_database(database)


async def test_a_store_opens_by_its_address(address: tuple[str, str, str]) -> None:
    uri, kind, database = address
    store = await open_store(uri, database=database, timeout_seconds=5)
    try:
        assert store.kind == kind
        assert await store.products.count() == 4
        await store.prospects.add(prospect(1))
    finally:
        await store.close()
    again = await open_store(uri, database=database, timeout_seconds=5)
    try:
        assert (await again.prospects.get("p001")).name == "Prospect 1"
    finally:
        await again.close()
    if kind == "sqlite":
        assert (Path(again.location)).name == "fund.sqlite3" and " " in again.location


@pytest.mark.parametrize("uri", ["", "   ", "ftp://example.com/fund", "sqlite://"])
async def test_an_address_that_names_no_store_is_a_configuration_problem(uri: str) -> None:
    with pytest.raises(StorageUnavailable) as caught:
        await open_store(uri)
    assert caught.value.reason == "config"


@pytest.mark.parametrize(("uri", "shown"), [
    ("mongodb+srv://fund:s3cr%40t@cluster0.abc.mongodb.net/fidus?retryWrites=true",
     "mongodb+srv://fund@cluster0.abc.mongodb.net/fidus?retryWrites=true"),
    ("mongodb://fund:p@ss/word@h1:27017,h2:27017/?replicaSet=rs0&tlsCertificateKeyFilePassword=k3y",
     "mongodb://fund@h1:27017,h2:27017/?replicaSet=rs0&tlsCertificateKeyFilePassword=***"),
    ("mongodb://h1/?authMechanismProperties=AWS_SESSION_TOKEN:abc", "mongodb://h1/?authMechanismProperties=***"),
    ("mongodb://reader@h1/", "mongodb://reader@h1/"),
    ("sqlite:////home/me/fund.sqlite3", "sqlite:////home/me/fund.sqlite3"),
    ("/home/me/fund.sqlite3", "/home/me/fund.sqlite3"),
])
def test_an_address_is_shown_without_its_password(uri: str, shown: str) -> None:
    assert describe_uri(uri) == shown


@pytest.mark.parametrize(("uri", "path"), [
    ("sqlite:////home/me/fund.sqlite3", "/home/me/fund.sqlite3"),
    ("sqlite:///C:/Users/Me/FIDUS%20Fund/fund.sqlite3", "C:/Users/Me/FIDUS Fund/fund.sqlite3"),
    (r"C:\Users\Me\fund.sqlite3", r"C:\Users\Me\fund.sqlite3"),
    ("mongodb://h1/", None),
])
def test_sqlite_addresses_name_their_file(uri: str, path: str | None) -> None:
    assert sqlite_path(uri) == (None if path is None else Path(path))
