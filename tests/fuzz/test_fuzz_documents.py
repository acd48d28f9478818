"""Fuzz: documents of every collection the app reads, as another program may have written them,
through the codecs and through real stores (SQLite and MongoDB over the wire).

The property: a document is either refused with a named field (and then left out and listed),
or read as sane values from which every figure can be computed in bounded time and memory, and
written back as a document that reads the same. Never a crash, an overflow, a NaN in a sum.
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import bson
import bson.errors
import pytest
from bson import Decimal128
from hypothesis import given
from hypothesis import strategies as st

from fidus_desktop.commands.report import build_report
from fidus_desktop.domain.activity import ActivityEntry
from fidus_desktop.domain.funds import DEFAULT_PRODUCTS, FundProduct
from fidus_desktop.domain.investments import Investment, InvestmentStatus
from fidus_desktop.domain.mt5_accounts import Mt5AccountLink
from fidus_desktop.domain.people import Client
from fidus_desktop.domain.prospects import Prospect
from fidus_desktop.domain.schedules import payment_schedule
from fidus_desktop.domain.values import TRUSTED_FROM, TRUSTED_UNTIL
from fidus_desktop.storage.base import DECODE_ERRORS
from fidus_desktop.storage.codecs import (ActivityCodec, ClientCodec, InvestmentCodec, Mt5AccountCodec,
                                          ProductCodec, ProspectCodec)
from fidus_desktop.storage.codecs.fields import MAX_AMOUNT
from fidus_desktop.storage.problems import UntrustedValue
from fidus_desktop.storage.sqlite import SqliteBackend
from fidus_desktop.storage.store import FundStore
from tests.storage.mongo_fixtures import mongo_server  # noqa: F401 (fixture)

from .hostile import FUZZ, FUZZ_STORE, bson_values, mutated

START = datetime(2025, 10, 1, tzinfo=UTC)
PRODUCTS = {p.code: p for p in DEFAULT_PRODUCTS}

#: One document per collection the app reads, in the original's shapes (reference §2-§8).
VALID: dict[str, tuple[Any, dict[str, Any]]] = {
    "investments": (InvestmentCodec(), {
        "investment_id": "inv_a", "client_id": "client_1a2b3c4d", "client_name": "Ana", "fund_type": "CORE",
        "product": "FIDUS_CORE", "principal_amount": 10000.0, "amount": 10000.0, "initial_amount": 10000.0,
        "interest_rate": 0.015, "payment_frequency": "monthly", "start_date": START,
        "investment_date": START, "status": "active", "mt5_accounts": [100001, "100002"],
        "salesperson_id": "sp_1", "created_at": START}),
    "users": (ClientCodec(), {
        "id": "client_1a2b3c4d", "user_id": "client_1a2b3c4d", "username": "ana", "name": "Ana Castro",
        "email": "ana@example.com", "phone": "+1 305", "type": "client", "status": "active",
        "aml_kyc_status": "approved", "created_at": START, "notes": ""}),
    "crm_prospects": (ProspectCodec(), {
        "prospect_id": "p-1", "id": "p-1", "name": "Bea", "email": "b@example.com", "phone": "+1",
        "stage": "qualified", "aml_kyc_status": "clear", "converted_to_client": False, "client_id": "",
        "estimated_value": 50000.0, "created_at": START, "updated_at": "2025-10-02T09:00:00+00:00"}),
    "fund_products": (ProductCodec(), ProductCodec().encode(PRODUCTS["BALANCE"])),
    "activity_logs": (ActivityCodec(), {
        "log_id": "log-1", "activity_type": "interest_paid", "description": "paid", "timestamp": START,
        "client_id": "client_1a2b3c4d", "investment_id": "inv_a", "amount": 150.0, "fund_code": "CORE",
        "details": {"due_date": "2025-12-30"}}),
    "mt5_accounts": (Mt5AccountCodec(), {
        "account": 100001, "name": "Core", "broker": "Fidus Broker", "server": "Fidus-Live", "platform": "MT5",
        "fund_type": "CORE", "manager_name": "M", "status": "active", "account_type": "live",
        "initial_allocation": 100000.0, "balance": 101000.0, "equity": 102000.5,
        "last_sync_timestamp": START}),
}


def finite_amount(value: Decimal | None, *, negative: bool = True) -> bool:
    if value is None:
        return True
    return value.is_finite() and abs(value) <= MAX_AMOUNT and (negative or value >= 0)


def in_range(moment: datetime | None) -> bool:
    return moment is None or (moment.tzinfo is not None and TRUSTED_FROM <= moment < TRUSTED_UNTIL)


def assert_sane(entity: Any) -> None:
    """What each figure needs of a record, and that computing from it stays bounded."""
    if isinstance(entity, Investment):
        assert finite_amount(entity.principal, negative=False) and in_range(entity.start_date)
        assert isinstance(entity.status, InvestmentStatus) and entity.product and entity.investment_id
        assert entity.interest_rate is None or 0 < entity.interest_rate <= Decimal("0.2")
        product = PRODUCTS.get(entity.product, PRODUCTS["CORE"])
        schedule = payment_schedule(entity, product)
        assert len(schedule) <= 20 and all(p.amount.is_finite() for p in schedule)
    elif isinstance(entity, FundProduct):
        assert finite_amount(entity.monthly_rate, negative=False) and finite_amount(entity.minimum, negative=False)
        assert entity.regular_payments <= 120 and entity.contract_days <= 36600
        probe = Investment("probe", "c", entity.code, Decimal(100000), START)
        assert len(payment_schedule(probe, entity)) <= 122
    elif isinstance(entity, Mt5AccountLink):
        assert entity.account > 0
        assert all(finite_amount(v) for v in (entity.balance, entity.equity, entity.initial_allocation))
        assert in_range(entity.last_sync)
    elif isinstance(entity, ActivityEntry):
        assert finite_amount(entity.amount) and in_range(entity.timestamp)
    elif isinstance(entity, Prospect):
        assert finite_amount(entity.estimated_value) and in_range(entity.created_at) and in_range(entity.updated_at)
    elif isinstance(entity, Client):
        assert in_range(entity.created_at) and isinstance(entity.client_id, str)
    else:
        raise AssertionError(f"unexpected {type(entity).__name__}")


def decode_or_refuse(codec: Any, doc: dict[str, Any]) -> Any | None:
    try:
        return codec.decode(doc)
    except UntrustedValue as refused:
        assert refused.field and refused.reason
        return None
    except DECODE_ERRORS as refused:
        # Every refusal should name its field; anything else is a reader that forgot to.
        raise AssertionError(f"{type(refused).__name__} without a field: {refused}") from refused


@pytest.mark.parametrize("collection", sorted(VALID))
@FUZZ
@given(data=st.data())
def test_every_document_reads_sanely_or_is_refused_with_its_field(collection: str, data: st.DataObject) -> None:
    codec, valid = VALID[collection]
    doc = data.draw(mutated(valid, bson_values, max_changes=4))
    if not isinstance(doc, dict):
        return
    entity = decode_or_refuse(codec, doc)
    if entity is None:
        return
    assert_sane(entity)
    # Written back (a save rewrites the fields it understands), it reads as the same record, and
    # writing that again changes nothing: no value is corrupted by a round trip.
    rewritten = codec.encode(entity)
    again = codec.decode(rewritten)
    assert_sane(again)
    assert codec.encode(again) == rewritten


def hostile_docs() -> st.SearchStrategy[list[tuple[str, dict[str, Any]]]]:
    def keyed(collection: str) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
        codec, valid = VALID[collection]
        return mutated(valid, bson_values, max_changes=3).filter(lambda d: isinstance(d, dict)).map(
            lambda d: (collection, d))

    return st.lists(st.one_of(*(keyed(c) for c in sorted(VALID))), min_size=1, max_size=8)


def unique_keys(store: FundStore, docs: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """Give every fuzzed document its own key, the way distinct records in a database have them."""
    repos = {r.spec.name: r for r in store.repositories()}
    out = []
    for n, (collection, doc) in enumerate(docs):
        key_names = repos[collection].spec.key.raw_names
        doc = {**doc, key_names[0]: (900_000 + n) if collection == "mt5_accounts" else f"fuzz-{n}"}
        for alias in key_names[1:]:
            doc.pop(alias, None)
        if collection == "users":
            doc["type"] = "client"
        out.append((collection, doc))
    return out


async def small_fund(store: FundStore) -> None:
    codecs = {name: codec for name, (codec, _) in VALID.items()}
    repos = {r.spec.name: r for r in store.repositories()}
    for collection, (_, doc) in VALID.items():
        if collection != "fund_products":  # seeded when the store opened
            await repos[collection].add(codecs[collection].decode(doc))


async def report_survives(store: FundStore, docs: list[tuple[str, dict[str, Any]]]) -> None:
    await small_fund(store)
    as_of = date(2026, 3, 1)
    clean = await build_report(store, as_of, 60)
    repos = {r.spec.name: r for r in store.repositories()}
    refused = set()
    for collection, doc in unique_keys(store, docs):
        await repos[collection].insert_documents([doc])
        if decode_or_refuse(VALID[collection][0], doc) is None:
            refused.add((collection, str(repos[collection].spec.key.extract(doc))))
    report = await build_report(store, as_of, 60)
    for figure in (report["aum"]["total"], *report["aum"]["by_product"].values()):
        assert Decimal(figure).is_finite() and Decimal(figure) >= 0
    if len(refused) == len(docs):  # nothing accepted: every figure is as before
        assert {k: v for k, v in report.items() if k != "skipped"} == {
            k: v for k, v in clean.items() if k != "skipped"}
    # What the report read and refused it lists; reading everything (as doctor does) lists all.
    assert {(s["collection"], s["key"]) for s in report["skipped"]} <= refused
    for repo in repos.values():
        await repo.find()
    assert {(p.collection, p.key) for p in store.problems.all()} == refused


@FUZZ_STORE
@given(hostile_docs())
def test_hostile_documents_in_an_embedded_fund_never_stop_the_report(docs) -> None:
    async def run() -> None:
        with tempfile.TemporaryDirectory() as folder:
            store = await FundStore.open(SqliteBackend(Path(folder) / "fund.sqlite3"))
            try:
                await report_survives(store, docs)
            finally:
                await store.close()

    asyncio.run(run())


def bson_encodable(docs: list[tuple[str, dict[str, Any]]]) -> bool:
    """What MongoDB can hold at all (no int beyond 8 bytes, no key with a NUL)."""
    try:
        for _, doc in docs:
            bson.encode(doc)
    except (OverflowError, bson.errors.InvalidDocument, ValueError):
        return False
    return True


@pytest.mark.mongo
@FUZZ_STORE
@given(docs=hostile_docs().filter(bson_encodable))
def test_hostile_documents_in_mongodb_never_stop_the_report(mongo_server, docs) -> None:  # noqa: F811
    from fidus_desktop.storage.mongo import MongoBackend

    async def run() -> None:
        name = f"fidus_fuzz_{uuid.uuid4().hex[:10]}"
        store = await FundStore.open(MongoBackend(mongo_server.uri, database=name, timeout_seconds=5))
        try:
            await report_survives(store, docs)
        finally:
            client = store.backend._client  # type: ignore[attr-defined]
            if client is not None:
                await client.drop_database(name)
            await store.close()

    asyncio.run(run())


def test_the_decimal128_and_date_extremes_are_refused_by_name() -> None:
    codec, valid = VALID["investments"]
    for field, value in (("principal_amount", Decimal128("NaN")), ("principal_amount", Decimal128("1E+6144")),
                         ("start_date", datetime(9999, 12, 31)), ("start_date", datetime(1, 1, 1))):
        with pytest.raises(UntrustedValue) as refused:
            codec.decode({**valid, field: value, "investment_date": value, "amount": None})
        assert refused.value.field == field
