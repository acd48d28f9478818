"""The web platform's own documents (reference: fidus-data-model.md), written as it writes them,
read and saved through the repositories, then checked as the web platform would read them.

The ``web_db`` client is not tz-aware, like the original's Motor client: datetimes go in and
come back naive, meaning UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from bson import Decimal128, ObjectId

from fidus_desktop.domain.investments import InvestmentShape, InvestmentStatus
from fidus_desktop.domain.people import KycStatus
from fidus_desktop.domain.prospects import Stage
from fidus_desktop.storage.query import Between, Contains, Eq, Query
from fidus_desktop.storage.store import FundStore

pytestmark = pytest.mark.mongo

BCRYPT = "$2b$12$abcdefghijklmnopqrstuuVwXyZ0123456789abcdefghijklmnopq"
REFERRAL_CLIENT = ObjectId("65f1a2b3c4d5e6f708192a3b")
SALESPERSON = ObjectId("65f1a2b3c4d5e6f708192a00")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def naive(*parts: int) -> datetime:
    """How the original's writers and its Motor client hand datetimes over: naive UTC."""
    return datetime(*parts)


@pytest.fixture
async def store(mongo_backend) -> FundStore:
    return await FundStore.open(mongo_backend)  # the mongo_backend fixture closes it


# --- users ---------------------------------------------------------------------------------

USERS = [
    {"id": "admin_001", "type": "admin", "username": "admin", "password": BCRYPT, "status": "active"},
    # admin-create: datetime created_at, KYC as a status
    {"id": "client_3f9a1c2e", "user_id": "client_3f9a1c2e", "type": "client", "user_type": "client",
     "username": "maria", "name": "Maria Lopez", "email": "maria@example.com", "phone": "+34 600 000 001",
     "status": "active", "password": BCRYPT, "aml_kyc_status": "approved",
     "created_at": naive(2025, 3, 4, 10, 15, 30, 123000), "profile_picture": "https://img.example/m.png"},
    # self-registration: ISO string created_at, KYC as the bare flag
    {"id": "client_7b2e4d10", "type": "client", "username": "tom", "name": "Tom Berg",
     "email": "tom@example.com", "status": "active", "created_at": "2025-05-06T07:08:09.123456+00:00",
     "kyc_completed": True, "onboarding_method": "document_upload_kyc",
     "document_data": {"document_type": "passport", "verified": True}},
    # prospect conversion: only createdAt, no password
    {"id": "client_c0ffee00", "user_id": "client_c0ffee00", "type": "client", "user_type": "client",
     "username": "ana", "name": "Ana Silva", "email": "ana@example.com", "status": "active",
     "createdAt": "2025-06-01T12:00:00.000001+00:00", "created_from_prospect": True,
     "prospect_id": "3c5e7a90-0000-4000-8000-000000000001", "aml_kyc_status": "clear"},
]


async def test_clients_read_from_every_user_writer(store, web_db):
    await web_db.users.insert_many([dict(u) for u in USERS])

    clients = {c.client_id: c for c in await store.clients.find()}

    assert sorted(clients) == ["client_3f9a1c2e", "client_7b2e4d10", "client_c0ffee00"]  # no admin
    assert clients["client_3f9a1c2e"].created_at == utc(2025, 3, 4, 10, 15, 30, 123000)
    assert clients["client_7b2e4d10"].created_at == utc(2025, 5, 6, 7, 8, 9, 123456)
    assert clients["client_c0ffee00"].created_at == utc(2025, 6, 1, 12, 0, 0, 1)
    assert [clients[k].kyc_status for k in sorted(clients)] == [KycStatus.APPROVED, KycStatus.APPROVED,
                                                                 KycStatus.CLEAR]
    assert clients["client_c0ffee00"].source_prospect_id == "3c5e7a90-0000-4000-8000-000000000001"
    assert await store.clients.count(Query((Eq("kyc_status", "clear"),))) == 1


async def test_saving_a_client_changes_only_what_changed_in_the_original_types(store, web_db):
    await web_db.users.insert_many([dict(u) for u in USERS])

    tom = await store.clients.get("client_7b2e4d10")
    await store.clients.save(tom.evolve(phone="+47 900 00 001"))
    maria = await store.clients.get("client_3f9a1c2e")
    await store.clients.save(maria.evolve(notes="Prefers e-mail"))

    raw_tom = await web_db.users.find_one({"id": "client_7b2e4d10"})
    assert raw_tom["phone"] == "+47 900 00 001"
    assert raw_tom["created_at"] == "2025-05-06T07:08:09.123456+00:00"  # still the string it was
    assert raw_tom["document_data"] == {"document_type": "passport", "verified": True}
    assert "aml_kyc_status" not in raw_tom and raw_tom["kyc_completed"] is True
    assert isinstance(raw_tom["updated_at"], datetime)
    raw_maria = await web_db.users.find_one({"id": "client_3f9a1c2e"})
    assert (raw_maria["notes"], raw_maria["password"]) == ("Prefers e-mail", BCRYPT)  # web login intact
    assert raw_maria["created_at"] == naive(2025, 3, 4, 10, 15, 30, 123000)
    admin = await web_db.users.find_one({"id": "admin_001"}, projection={"_id": False})
    assert admin == USERS[0]


# --- crm_prospects ---------------------------------------------------------------------------

PROSPECTS = [
    # CRM API: prospect_id, datetimes, no drive folder, no AML status
    {"prospect_id": "3c5e7a90-0000-4000-8000-000000000002", "name": "Liam O'Brien (Lisbon)",
     "email": "liam@example.com", "phone": "+351 910 000 000", "stage": "lead", "notes": "",
     "created_at": naive(2025, 9, 30, 23, 59, 59), "updated_at": naive(2025, 9, 30, 23, 59, 59),
     "converted_to_client": False, "client_id": "", "google_drive_folder": ""},
    # sample data: id only, ISO strings, a Drive folder, a value as an int
    {"id": "prospect_20251001_001", "name": "Nora Quist", "email": "nora@example.com", "phone": "+46 70 000",
     "stage": "negotiation", "created_at": "2025-10-01T09:00:00+00:00", "updated_at": "2025-10-02T10:00:00+00:00",
     "converted_to_client": False, "client_id": "", "estimated_value": 250000, "source": "website",
     "aml_kyc_status": "clear", "_original_lead_id": "65f1a2b3c4d5e6f708192a99",
     "google_drive_folder": {"folder_id": "1AbCdE", "folder_name": "Nora Quist - FIDUS Documents",
                             "web_view_link": "https://drive.example/1AbCdE",
                             "created_at": "2025-10-01T09:00:01+00:00"}},
    # self-registration: non-standard stage, ISO without offset
    {"id": "prospect_20251015_101530", "name": "Omar Haddad", "email": "omar@example.com", "phone": "+971 5",
     "stage": "qualified_lead", "created_at": "2025-10-15T10:15:30.123456", "source": "user_registration",
     "stage_changed_at": "2025-10-15T10:15:30.123456", "registration_data": {"investment_goal": "income"}},
]


async def test_prospects_read_from_every_writer(store, web_db):
    await web_db.crm_prospects.insert_many([dict(p) for p in PROSPECTS])

    liam = await store.prospects.get("3c5e7a90-0000-4000-8000-000000000002")
    nora = await store.prospects.get("prospect_20251001_001")  # addressed by "id"
    omar = await store.prospects.get("prospect_20251015_101530")

    assert (liam.stage, liam.aml_kyc_status, liam.created_at) == (Stage.LEAD, KycStatus.PENDING,
                                                                   utc(2025, 9, 30, 23, 59, 59))
    assert (nora.stage, nora.aml_kyc_status, nora.estimated_value) == (Stage.NEGOTIATION, KycStatus.CLEAR,
                                                                       Decimal(250000))
    assert (nora.created_at, nora.updated_at) == (utc(2025, 10, 1, 9), utc(2025, 10, 2, 10))
    assert (omar.stage, omar.created_at) == (Stage.QUALIFIED, utc(2025, 10, 15, 10, 15, 30, 123456))


async def test_prospect_queries_find_what_the_normalized_values_say(store, web_db):
    await web_db.crm_prospects.insert_many([dict(p) for p in PROSPECTS])

    async def ids(*where, **kw) -> list[str]:
        return [p.prospect_id for p in await store.prospects.find(Query(where, **kw))]

    assert await ids(Eq("stage", "qualified")) == ["prospect_20251015_101530"]
    # Created in October, whether stored as a datetime, an ISO string or one without offset.
    october = Between("created_at", utc(2025, 10, 1), utc(2025, 11, 1))
    assert await ids(october, order_by=(("name", False),)) == ["prospect_20251001_001", "prospect_20251015_101530"]
    assert await ids(Between("created_at", None, utc(2025, 10, 1))) == ["3c5e7a90-0000-4000-8000-000000000002"]
    # Search box text is literal, not a pattern.
    assert await ids(Contains(("name", "email"), "o'brien (")) == ["3c5e7a90-0000-4000-8000-000000000002"]
    assert await ids(Contains(("name",), ".*")) == []
    assert await ids(Eq("converted_to_client", False), order_by=(("name", False),), limit=2, offset=1) == [
        "prospect_20251001_001", "prospect_20251015_101530"]


async def test_saving_a_prospect_writes_what_the_original_writes_after_an_edit(store, web_db):
    await web_db.crm_prospects.insert_many([dict(p) for p in PROSPECTS])

    nora = await store.prospects.get("prospect_20251001_001")
    await store.prospects.save(nora.evolve(stage=Stage.WON))

    raw = await web_db.crm_prospects.find_one({"id": "prospect_20251001_001"})
    assert raw["stage"] == "won"
    # After an edit the original stamps ISO strings; created_at stays as it was written.
    assert isinstance(raw["updated_at"], str) and raw["updated_at"] > "2025-10-02T10:00:00+00:00"
    assert raw["stage_changed_at"] == raw["updated_at"]
    assert raw["created_at"] == "2025-10-01T09:00:00+00:00"
    assert (raw["estimated_value"], raw["_original_lead_id"]) == (250000, "65f1a2b3c4d5e6f708192a99")
    assert raw["google_drive_folder"] == PROSPECTS[1]["google_drive_folder"]
    assert "prospect_id" not in raw  # the React board still finds it by "id" alone


# --- investments -----------------------------------------------------------------------------

INVESTMENTS = [
    # A: current shape, doubles, rate as a fraction, unknown later fields
    {"investment_id": "inv_1a2b3c4d5e6f7a8b", "client_id": "client_3f9a1c2e", "client_name": "Maria Lopez",
     "fund_type": "CORE", "product": "FIDUS_CORE", "principal_amount": 10000.0, "amount": 10000.0,
     "initial_amount": 10000.0, "interest_rate": 0.015, "payment_frequency": "monthly",
     "start_date": naive(2025, 10, 1), "investment_date": naive(2025, 10, 1),
     "incubation_end_date": naive(2025, 11, 30), "contract_end_date": naive(2026, 12, 1), "contract_months": 14,
     "status": "active", "salesperson_id": "sp_65f1a2b3c4d5e6f708192a00", "mt5_accounts": [886557],
     "created_at": naive(2025, 10, 1, 8), "updated_at": naive(2025, 10, 1, 8), "total_commissions_due": 180.0},
    # B: referral seed, Decimal128 money, ObjectId client, rate written as a percent
    {"_id": ObjectId("65f1a2b3c4d5e6f7081900b1"), "investment_id": "INV-65f1a2b3", "client_id": REFERRAL_CLIENT,
     "fund_type": "BALANCE", "product": "FIDUS_BALANCE", "principal_amount": Decimal128("100000.00"),
     "amount": Decimal128("100000.00"), "initial_amount": Decimal128("100000.00"),
     "total_expected_return": Decimal128("30000.00"), "interest_rate": 2.5, "payment_frequency": "quarterly",
     "start_date": naive(2025, 7, 15), "investment_date": naive(2025, 7, 15), "status": "active",
     "referred_by": SALESPERSON, "created_at": naive(2025, 7, 15), "updated_at": naive(2025, 7, 15)},
    # C: minimal fix-script shape, no principal_amount, date-only string, prefixed fund
    {"investment_id": "inv_maria_dynamic_001", "client_id": "client_3f9a1c2e", "fund_type": "FIDUS_DYNAMIC",
     "amount": 250000.0, "initial_amount": 250000.0, "status": "active", "start_date": "2025-10-01",
     "interest_rate": 0.035, "payment_frequency": "semi-annual"},
    # D: API create, fund_code only, deposit_date, pending validation
    {"investment_id": "0b7e3f7a-1111-4222-8333-444455556666", "client_id": "client_7b2e4d10",
     "fund_code": "UNLIMITED", "principal_amount": 250000.0, "deposit_date": naive(2025, 11, 3, 14, 30),
     "incubation_end_date": naive(2026, 1, 3), "interest_start_date": naive(2026, 1, 3),
     "minimum_hold_end_date": naive(2027, 1, 3), "status": "pending_mt5_validation",
     "mt5_validation_required": True, "created_at": naive(2025, 11, 3, 14, 30)},
]


async def test_investments_read_in_all_four_shapes(store, web_db):
    await web_db.investments.insert_many([dict(i) for i in INVESTMENTS])

    a, b, c, d = [await store.investments.get(i["investment_id"]) for i in INVESTMENTS]

    assert (a.shape, a.product, a.principal, a.interest_rate) == (InvestmentShape.CURRENT, "CORE",
                                                                  Decimal("10000.0"), Decimal("0.015"))
    assert (a.start_date, a.mt5_accounts, a.salesperson_id) == (utc(2025, 10, 1), (886557,),
                                                                "sp_65f1a2b3c4d5e6f708192a00")
    assert (b.shape, b.principal, b.interest_rate) == (InvestmentShape.REFERRAL_SEED, Decimal("100000.00"),
                                                       Decimal("0.025"))
    assert b.client_id == str(REFERRAL_CLIENT)
    assert (c.shape, c.product, c.principal, c.start_date) == (InvestmentShape.MINIMAL, "DYNAMIC",
                                                               Decimal("250000.0"), utc(2025, 10, 1))
    assert (d.shape, d.product, d.start_date, d.status) == (InvestmentShape.API_CREATE, "UNLIMITED",
                                                            utc(2025, 11, 3, 14, 30),
                                                            InvestmentStatus.PENDING_MT5_VALIDATION)
    assert d.interest_rate is None  # the product's rate applies


async def test_investment_queries_across_shapes(store, web_db):
    await web_db.investments.insert_many([dict(i) for i in INVESTMENTS])

    async def ids(*where) -> list[str]:
        return [i.investment_id for i in await store.investments.find(Query(where, order_by=(("principal", False),)))]

    assert await ids(Eq("product", "DYNAMIC")) == ["inv_maria_dynamic_001"]  # stored FIDUS_DYNAMIC
    assert await ids(Eq("product", "UNLIMITED")) == ["0b7e3f7a-1111-4222-8333-444455556666"]  # fund_code
    assert await ids(Eq("client_id", str(REFERRAL_CLIENT))) == ["INV-65f1a2b3"]  # stored as an ObjectId
    # Money compared across doubles and Decimal128.
    assert await ids(Between("principal", Decimal("50000"), Decimal("250000"))) == ["INV-65f1a2b3"]
    # Started in October: a BSON datetime and a date-only string.
    assert sorted(await ids(Between("start_date", utc(2025, 10, 1), utc(2025, 11, 1)))) == [
        "inv_1a2b3c4d5e6f7a8b", "inv_maria_dynamic_001"]
    assert await store.investments.count(Query((Eq("status", "active"),))) == 3


async def test_saving_investments_keeps_each_shape_and_its_money_encoding(store, web_db):
    await web_db.investments.insert_many([dict(i) for i in INVESTMENTS])
    a, b, c, d = [await store.investments.get(i["investment_id"]) for i in INVESTMENTS]

    await store.investments.save(a.evolve(status=InvestmentStatus.COMPLETED))
    await store.investments.save(b.evolve(principal=Decimal("125000.50")))
    await store.investments.save(c.evolve(principal=Decimal("260000.25")))
    await store.investments.save(d.evolve(status=InvestmentStatus.ACTIVE))

    raw_a, raw_b, raw_c, raw_d = [await web_db.investments.find_one({"investment_id": i["investment_id"]})
                                  for i in INVESTMENTS]
    assert (raw_a["status"], raw_a["principal_amount"], raw_a["total_commissions_due"]) == ("completed", 10000.0,
                                                                                           180.0)
    assert isinstance(raw_a["updated_at"], datetime) and raw_a["updated_at"] > naive(2025, 10, 1, 8)
    # The referral module reads Decimal128 (hasattr to_decimal); the rate stays the percent it was.
    assert raw_b["principal_amount"] == raw_b["amount"] == Decimal128("125000.50")
    assert (raw_b["total_expected_return"], raw_b["interest_rate"]) == (Decimal128("30000.00"), 2.5)
    assert (raw_b["client_id"], raw_b["referred_by"]) == (REFERRAL_CLIENT, SALESPERSON)
    # The minimal shape keeps no principal_amount and its date-only start.
    assert (raw_c["amount"], raw_c["initial_amount"]) == (260000.25, 260000.25)
    assert ("principal_amount" not in raw_c, raw_c["start_date"]) == (True, "2025-10-01")
    assert raw_c["fund_type"] == "FIDUS_DYNAMIC"
    # The API shape keeps fund_code without gaining fund_type.
    assert (raw_d["status"], raw_d["fund_code"], "fund_type" in raw_d) == ("active", "UNLIMITED", False)
    assert raw_d["mt5_validation_required"] is True


# --- mt5_accounts and activity_logs ------------------------------------------------------------

MT5_ACCOUNTS = [
    {"account": 886557, "name": "Main CORE", "broker": "MEXAtlantic", "server": "MEXAtlantic-Real",
     "platform": "MT5", "fund_type": "CORE", "manager_name": "TradingHub Gold", "status": "active",
     "account_type": "live", "capital_source": "client", "initial_allocation": 100000.0,
     "balance": 100523.45, "equity": 101000.12, "margin": 512.5, "connection_status": "connected",
     "last_sync_timestamp": naive(2025, 11, 20, 8, 0, 5), "open_positions": []},
    {"account": "891234", "name": "Balance pool", "broker": "MEXAtlantic", "server": "MEXAtlantic-Real",
     "fund_type": "FIDUS_BALANCE", "manager_name": "GoldenTrade", "status": "active", "equity": 250000.0,
     "updated_at": "2025-11-20T08:00:05.123456"},
]


async def test_mt5_accounts_found_by_number_whether_stored_as_int_or_string(store, web_db):
    await web_db.mt5_accounts.insert_many([dict(a) for a in MT5_ACCOUNTS])

    core = await store.mt5_accounts.get("886557")
    pool = await store.mt5_accounts.get("891234")

    assert (core.account, core.balance, core.equity) == (886557, Decimal("100523.45"), Decimal("101000.12"))
    assert core.last_sync == utc(2025, 11, 20, 8, 0, 5)
    assert (pool.account, pool.fund_type, pool.last_sync) == (891234, "BALANCE", utc(2025, 11, 20, 8, 0, 5, 123456))
    assert [a.account for a in await store.mt5_accounts.find(Query((Eq("fund_type", "BALANCE"),)))] == [891234]
    assert [a.account for a in await store.mt5_accounts.find(Query((Eq("account", 891234),)))] == [891234]


async def test_reassigning_an_account_leaves_the_bridge_fields_alone(store, web_db):
    await web_db.mt5_accounts.insert_many([dict(a) for a in MT5_ACCOUNTS])

    pool = await store.mt5_accounts.get("891234")
    await store.mt5_accounts.save(pool.evolve(manager_name="TradingHub Gold"))

    raw = await web_db.mt5_accounts.find_one({"name": "Balance pool"})
    assert (raw["account"], raw["manager_name"], raw["fund_type"]) == ("891234", "TradingHub Gold", "FIDUS_BALANCE")
    assert raw["equity"] == 250000.0


async def test_activity_timeline_newest_first_with_exact_amounts(store, web_db):
    await web_db.activity_logs.insert_many([
        {"log_id": "2d1c0000-0000-4000-8000-000000000001", "client_id": "client_3f9a1c2e",
         "activity_type": "deposit", "amount": 10000.0, "fund_code": "CORE",
         "description": "Deposit to FIDUS Core", "timestamp": naive(2025, 10, 1, 8, 0)},
        {"log_id": "2d1c0000-0000-4000-8000-000000000002", "client_id": "client_3f9a1c2e",
         "activity_type": "interest_payment", "amount": 150.15, "fund_code": "CORE",
         "description": "Interest", "timestamp": naive(2025, 12, 30, 9, 0)},
        {"log_id": "2d1c0000-0000-4000-8000-000000000003", "client_id": "client_7b2e4d10",
         "activity_type": "deposit", "amount": 50000.0, "description": "Other client",
         "timestamp": naive(2025, 11, 3, 14, 30)},
    ])

    timeline = await store.activity.find(Query((Eq("client_id", "client_3f9a1c2e"),),
                                               order_by=(("timestamp", True),)))

    assert [(e.activity_type, e.amount, e.timestamp) for e in timeline] == [
        ("interest_payment", Decimal("150.15"), utc(2025, 12, 30, 9)),
        ("deposit", Decimal("10000.0"), utc(2025, 10, 1, 8))]
