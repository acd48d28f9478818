"""The MongoDB backend on a shared database: indexes, concurrent edits, and failures the
manager can read (without ever seeing the password)."""

from __future__ import annotations

import socket
import time
import traceback
from datetime import UTC, datetime
from urllib.parse import quote_plus

import pytest
from bson import ObjectId
from pymongo.errors import (AutoReconnect, ConfigurationError, ExecutionTimeout, NetworkTimeout,
                            OperationFailure)

from fidus_desktop.domain.prospects import Prospect, Stage
from fidus_desktop.errors import ConflictError, NotFoundError, StorageUnavailable
from fidus_desktop.storage.mongo import MongoBackend
from fidus_desktop.storage.mongo.address import MongoAddress
from fidus_desktop.storage.mongo.errors import ErrorGuard
from fidus_desktop.storage.mongo.indexes import wanted_indexes
from fidus_desktop.storage.store import SPECS, FundStore

from .mongo_fixtures import AUTH_PASSWORD, AUTH_USER, auth_uri

pytestmark = pytest.mark.mongo

WRONG_PASSWORD = "N0t-the/r1ght@pass"


def shown(error: BaseException) -> str:
    """Everything a dialog, a "copy details" button or a logged traceback would show."""
    return "\n".join([str(error), getattr(error, "detail", ""), repr(error),
                      "".join(traceback.format_exception(error))])


def assert_hidden(secret: str, text: str) -> None:
    for form in {secret, quote_plus(secret)}:
        assert form not in text


async def index_keys(db, collection: str) -> dict[tuple, dict]:
    return {tuple((k, int(v)) for k, v in ix["key"].items()): ix
            async for ix in await db[collection].list_indexes()}


# --- indexes ---------------------------------------------------------------------------------

async def test_open_creates_the_query_indexes_none_unique_and_a_second_open_adds_nothing(
        mongo_backend, mongo_server, mongo_database_name, web_db):
    await mongo_backend.open(SPECS)
    first = {spec.name: await index_keys(web_db, spec.name) for spec in SPECS}
    for spec in SPECS:
        assert set(wanted_indexes(spec)) <= set(first[spec.name]), spec.name
        assert [ix["name"] for ix in first[spec.name].values() if ix.get("unique")] == ["_id_"]

    again = MongoBackend(mongo_server.uri, database=mongo_database_name, timeout_seconds=5)
    try:
        await again.open(SPECS)
    finally:
        await again.close()
    assert {spec.name: await index_keys(web_db, spec.name) for spec in SPECS} == first


async def test_open_leaves_an_index_the_web_platform_made_on_the_same_keys(mongo_backend, web_db):
    await web_db.crm_prospects.create_index([("email", 1)], unique=True, name="email_unique")

    await mongo_backend.open(SPECS)

    email_indexes = [ix for keys, ix in (await index_keys(web_db, "crm_prospects")).items()
                     if keys == (("email", 1),)]
    assert [(ix["name"], ix.get("unique")) for ix in email_indexes] == [("email_unique", True)]


async def test_the_web_platform_can_still_write_duplicate_keys_after_open(mongo_backend, web_db):
    store = await FundStore.open(mongo_backend)
    await web_db.crm_prospects.insert_one({"prospect_id": "dup", "name": "First", "email": "a@x.io"})
    await web_db.crm_prospects.insert_one({"prospect_id": "dup", "name": "Second", "email": "a@x.io"})

    assert await web_db.crm_prospects.count_documents({"prospect_id": "dup"}) == 2
    # Like the original's find_one, the oldest of the duplicates is the record.
    assert (await store.prospects.get("dup")).name == "First"


# --- concurrent edits with the web platform ----------------------------------------------------

async def test_save_refuses_to_overwrite_a_field_the_web_platform_changed_meanwhile(mongo_backend, web_db):
    store = await FundStore.open(mongo_backend)
    mine = await store.prospects.add(Prospect(prospect_id="p-1", name="Ana Silva", email="ana@example.com"))
    # The React board moves the card after the desktop read it (the API stamps an ISO string).
    await web_db.crm_prospects.update_one({"prospect_id": "p-1"}, {"$set": {
        "stage": "negotiation", "updated_at": datetime.now(UTC).isoformat()}})

    with pytest.raises(ConflictError, match="changed by someone else"):
        await store.prospects.save(mine.evolve(stage=Stage.WON))

    assert (await web_db.crm_prospects.find_one({"prospect_id": "p-1"}))["stage"] == "negotiation"


async def test_a_change_to_the_same_field_conflicts_even_without_a_new_updated_at(mongo_backend, web_db):
    store = await FundStore.open(mongo_backend)
    mine = await store.prospects.add(Prospect(prospect_id="p-2", name="Ana", email="ana@example.com"))
    await web_db.crm_prospects.update_one({"prospect_id": "p-2"}, {"$set": {"phone": "+351 900 000 001"}})

    with pytest.raises(ConflictError):
        await store.prospects.save(mine.evolve(phone="+351 900 000 002"))

    assert (await web_db.crm_prospects.find_one({"prospect_id": "p-2"}))["phone"] == "+351 900 000 001"


async def test_save_keeps_other_fields_the_web_platform_wrote_meanwhile(mongo_backend, web_db):
    store = await FundStore.open(mongo_backend)
    mine = await store.prospects.add(Prospect(prospect_id="p-3", name="Ana", email="ana@example.com"))
    folder = {"folder_id": "1AbC", "folder_name": "Ana - FIDUS Documents"}
    await web_db.crm_prospects.update_one({"prospect_id": "p-3"}, {"$set": {"google_drive_folder": folder}})

    saved = await store.prospects.save(mine.evolve(notes="Called on Monday"))

    raw = await web_db.crm_prospects.find_one({"prospect_id": "p-3"})
    assert (raw["notes"], raw["google_drive_folder"]) == ("Called on Monday", folder)
    assert saved.raw["google_drive_folder"] == folder  # the new snapshot is the stored document


async def test_a_record_just_added_equals_the_record_read_back(mongo_backend):
    store = await FundStore.open(mongo_backend)
    # created_at/updated_at carry microseconds; MongoDB keeps milliseconds.
    added = await store.prospects.add(Prospect(prospect_id="p-8", name="Ana", email="ana@example.com"))

    read = await store.prospects.get("p-8")
    assert (added, dict(added.raw)) == (read, read.raw)


async def test_successive_saves_of_a_record_just_added_need_no_reload(mongo_backend):
    store = await FundStore.open(mongo_backend)
    prospect = await store.prospects.add(Prospect(prospect_id="p-4", name="Ana", email="ana@example.com"))
    prospect = await store.prospects.save(prospect.evolve(stage=Stage.QUALIFIED))
    prospect = await store.prospects.save(prospect.evolve(stage=Stage.PROPOSAL))

    assert (await store.prospects.get("p-4")).stage is Stage.PROPOSAL


async def test_save_of_a_record_the_web_platform_deleted_is_not_found(mongo_backend, web_db):
    store = await FundStore.open(mongo_backend)
    mine = await store.prospects.add(Prospect(prospect_id="p-5", name="Ana", email="ana@example.com"))
    await web_db.crm_prospects.delete_one({"prospect_id": "p-5"})

    with pytest.raises(NotFoundError):
        await store.prospects.save(mine.evolve(notes="too late"))
    assert await web_db.crm_prospects.count_documents({}) == 0


async def test_delete_refuses_a_record_changed_meanwhile_and_removes_an_unchanged_one(mongo_backend, web_db):
    store = await FundStore.open(mongo_backend)
    changed = await store.prospects.add(Prospect(prospect_id="p-6", name="Ana", email="ana@example.com"))
    unchanged = await store.prospects.add(Prospect(prospect_id="p-7", name="Bo", email="bo@example.com"))
    await web_db.crm_prospects.update_one({"prospect_id": "p-6"}, {"$set": {
        "updated_at": datetime.now(UTC).isoformat(), "notes": "new lead info"}})

    with pytest.raises(ConflictError):
        await store.prospects.remove(changed)
    await store.prospects.remove(unchanged)

    assert [d["prospect_id"] async for d in web_db.crm_prospects.find({})] == ["p-6"]


async def test_add_refuses_a_key_the_web_platform_already_uses_under_another_name(mongo_backend, web_db):
    store = await FundStore.open(mongo_backend)
    # Sample data and self-registration write "id" and no "prospect_id".
    await web_db.crm_prospects.insert_one({"id": "prospect_20250115_001", "name": "Old", "email": "o@x.io"})

    with pytest.raises(ConflictError, match="prospect_20250115_001"):
        await store.prospects.add(Prospect(prospect_id="prospect_20250115_001", name="New", email="n@x.io"))
    assert await web_db.crm_prospects.count_documents({}) == 1


async def test_bulk_insert_refuses_the_whole_load_when_a_key_is_taken(mongo_backend, web_db):
    store = await FundStore.open(mongo_backend)
    await web_db.crm_prospects.insert_one({"id": "m-3", "name": "Web", "email": "w@x.io"})
    docs = [{"prospect_id": f"m-{n}", "name": f"P{n}", "email": f"p{n}@x.io"} for n in range(5)]

    with pytest.raises(ConflictError, match="'m-3'"):
        await store.prospects.insert_documents(docs)
    with pytest.raises(ConflictError, match="'m-1' twice"):
        await store.prospects.insert_documents([docs[1], docs[2], docs[1]])
    assert await web_db.crm_prospects.count_documents({}) == 1


async def test_bulk_insert_writes_the_rest_and_reports_a_document_already_stored(mongo_backend, web_db):
    store = await FundStore.open(mongo_backend)
    same_id = ObjectId()
    await web_db.crm_prospects.insert_one({"_id": same_id, "prospect_id": "old", "name": "Old", "email": "o@x.io"})
    docs = [{"_id": same_id, "prospect_id": "renamed", "name": "Old", "email": "o@x.io"},
            *({"_id": ObjectId(), "prospect_id": f"m-{n}", "name": f"P{n}", "email": f"p{n}@x.io"} for n in range(3))]

    with pytest.raises(ConflictError, match="1 records were already in crm_prospects.*3 new"):
        await store.prospects.insert_documents(docs)
    assert await web_db.crm_prospects.count_documents({}) == 4
    assert (await web_db.crm_prospects.find_one({"_id": same_id}))["prospect_id"] == "old"


async def test_scan_returns_every_document_in_scope_across_batches(mongo_backend, web_db):
    store = await FundStore.open(mongo_backend)
    await web_db.users.insert_many([{"id": "admin_001", "type": "admin", "username": "admin"}]
                                   + [{"id": f"client_{n}", "type": "client", "name": f"C{n}"} for n in range(5)])

    scanned = [doc["id"] async for doc in store.clients.scan_documents(batch_size=2)]

    assert scanned == [f"client_{n}" for n in range(5)]


# --- failures the manager sees -----------------------------------------------------------------

def closed_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_an_unreachable_server_is_reported_within_the_timeout_without_the_password():
    port = closed_loopback_port()
    backend = MongoBackend(f"mongodb://{AUTH_USER}:{quote_plus(AUTH_PASSWORD)}@127.0.0.1:{port}/"
                           "?directConnection=true", timeout_seconds=0.5)
    started = time.monotonic()
    with pytest.raises(StorageUnavailable) as caught:
        await backend.open(SPECS)
    elapsed = time.monotonic() - started

    error = caught.value
    assert error.reason == "unreachable"
    assert str(error).startswith(f"Cannot reach the MongoDB server at 127.0.0.1:{port}")
    assert elapsed < 5, "should give up after about the 0.5 s timeout"
    assert_hidden(AUTH_PASSWORD, shown(error))


async def test_a_wrong_password_is_auth_failed_and_never_shown(mongo_auth_server):
    backend = MongoBackend(auth_uri(mongo_auth_server, WRONG_PASSWORD), database="fidus_auth", timeout_seconds=5)

    with pytest.raises(StorageUnavailable) as caught:
        await backend.open(SPECS)

    error = caught.value
    assert error.reason == "auth_failed"
    assert f"refused the user name or password for user '{AUTH_USER}'" in str(error)
    assert_hidden(WRONG_PASSWORD, shown(error))


async def test_the_right_password_opens_and_writes(mongo_auth_server):
    backend = MongoBackend(auth_uri(mongo_auth_server), database="fidus_auth_ok", timeout_seconds=5)
    assert_hidden(AUTH_PASSWORD, backend.location)
    store = await FundStore.open(backend)
    try:
        await store.prospects.add(Prospect(prospect_id="p-auth", name="Ana", email="ana@example.com"))
        assert (await store.prospects.get("p-auth")).name == "Ana"
    finally:
        await store.close()


@pytest.mark.parametrize("uri", [
    f"mongodb://{AUTH_USER}:{AUTH_PASSWORD}@127.0.0.1:27017/",  # unescaped "/" and "@"
    f"mongodb://{AUTH_USER}:{quote_plus(AUTH_PASSWORD)}@127.0.0.1:port/",
    f"{AUTH_USER}:{quote_plus(AUTH_PASSWORD)}@127.0.0.1",  # no scheme: never read as a host name
])
async def test_a_malformed_address_is_a_config_error_without_the_password(uri):
    with pytest.raises(StorageUnavailable) as caught:
        await MongoBackend(uri, timeout_seconds=0.5).open(SPECS)

    assert caught.value.reason == "config"
    assert str(caught.value).startswith("The MongoDB address is not valid")
    assert_hidden(AUTH_PASSWORD, shown(caught.value))


def test_location_names_user_hosts_and_database_but_no_password_or_options():
    backend = MongoBackend(f"mongodb+srv://{AUTH_USER}:{quote_plus(AUTH_PASSWORD)}@cluster0.example.net/"
                           "fidus?retryWrites=true&tlsCertificateKeyFilePassword=pem-S3cret")
    assert backend.location == f"mongodb+srv://{AUTH_USER}@cluster0.example.net/fidus"


def test_address_knows_every_host_and_each_secret_form():
    address = MongoAddress.parse("mongodb://u:p%40ss-word@db1:27017,db2:27017/?replicaSet=rs0"
                                 "&authMechanismProperties=AWS_SESSION_TOKEN:tok-123456")
    assert address.hosts == "db1:27017, db2:27017"
    assert address.redact("p@ss-word p%40ss-word AWS_SESSION_TOKEN:tok-123456") == "*** *** ***"


def raised_through_guard(exc: Exception) -> StorageUnavailable:
    guard = ErrorGuard(MongoAddress.parse(f"mongodb+srv://{AUTH_USER}:{quote_plus(AUTH_PASSWORD)}"
                                          "@cluster0.example.net/"), "fidus_production", 8.0)
    with pytest.raises(StorageUnavailable) as caught, guard:
        raise exc
    return caught.value


@pytest.mark.parametrize(("driver_error", "reason", "says"), [
    (NetworkTimeout("cluster0.example.net:27017: timed out"), "timeout", "did not answer in time"),
    (ExecutionTimeout("operation exceeded time limit", code=50), "timeout", "did not answer in time"),
    (OperationFailure("bad auth : authentication failed", code=8000, details={"codeName": "AtlasError"}),
     "auth_failed", "refused the user name or password"),
    (OperationFailure("not authorized on fidus_production to execute command { insert }", code=13),
     "auth_failed", "not allowed to read and write the database 'fidus_production'"),
    (ConfigurationError("The DNS query name does not exist: _mongodb._tcp.cluster0.example.net."),
     "unreachable", "Cannot find the MongoDB cluster cluster0.example.net"),
    (AutoReconnect("connection closed"), "unreachable", "connection to the MongoDB server"),
    (OperationFailure("Interrupted due to repl state change", code=11602), "unreachable", "nothing was changed"),
])
def test_driver_errors_become_sentences_for_the_manager(driver_error, reason, says):
    error = raised_through_guard(driver_error)
    assert (error.reason, says in str(error)) == (reason, True)
    assert error.__cause__ is driver_error  # kept for diagnosis when it holds no secret


def test_a_driver_error_quoting_the_password_is_replaced_in_the_chain():
    error = raised_through_guard(OperationFailure(f"bad value in 'pwd: {AUTH_PASSWORD}'", code=2))
    assert "OperationFailure (code 2)" in error.detail
    assert_hidden(AUTH_PASSWORD, shown(error))
