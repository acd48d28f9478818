"""The codecs read the original's documents as they are and write documents it can read."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from bson import Decimal128, ObjectId

from fidus_desktop.domain.funds import DEFAULT_PRODUCTS, ScheduleReading
from fidus_desktop.domain.investments import InvestmentStatus
from fidus_desktop.domain.people import KycStatus
from fidus_desktop.domain.prospects import Stage, conversion_blockers
from fidus_desktop.storage.codecs import (ClientCodec, InvestmentCodec, Mt5AccountCodec, ProductCodec,
                                          ProspectCodec)

START = datetime(2025, 10, 1, tzinfo=UTC)

SHAPES = {
    "A": {"investment_id": "inv_a", "client_id": "client_1a2b3c4d", "client_name": "Ana", "fund_type": "CORE",
          "product": "FIDUS_CORE", "principal_amount": 10000.0, "amount": 10000.0, "initial_amount": 10000.0,
          "interest_rate": 0.015, "payment_frequency": "monthly", "start_date": datetime(2025, 10, 1),
          "investment_date": datetime(2025, 10, 1), "contract_months": 14, "status": "active",
          "mt5_accounts": [100001, "100002"], "salesperson_id": "sp_1"},
    "B": {"investment_id": "INV-1a2b3c4d", "client_id": ObjectId("64b7f0c2a1b2c3d4e5f60718"),
          "fund_type": "BALANCE", "principal_amount": Decimal128("100000"), "amount": Decimal128("100000"),
          "total_expected_return": Decimal128("30000"), "interest_rate": 0.025, "payment_frequency": "quarterly",
          "start_date": datetime(2025, 10, 1), "status": "active", "referred_by": ObjectId("64b7f0c2a1b2c3d4e5f60719")},
    "C": {"investment_id": "inv_c", "client_id": "client_x", "fund_type": "FIDUS_DYNAMIC", "amount": 250000,
          "initial_amount": 250000, "status": "active", "start_date": "2025-10-01", "interest_rate": 3.5,
          "payment_frequency": "semi-annual"},
    "D": {"investment_id": "5d1e0c1a-0000-4000-8000-000000000001", "client_id": "client_y", "fund_code": "UNLIMITED",
          "principal_amount": 300000.0, "deposit_date": datetime(2025, 10, 1), "status": "pending_mt5_validation",
          "mt5_validation_required": True, "created_at": datetime(2025, 10, 2)},
}


@pytest.mark.parametrize("shape, product, principal, rate, status", [
    ("A", "CORE", Decimal("10000"), Decimal("0.015"), InvestmentStatus.ACTIVE),
    ("B", "BALANCE", Decimal("100000"), Decimal("0.025"), InvestmentStatus.ACTIVE),
    ("C", "DYNAMIC", Decimal("250000"), Decimal("0.035"), InvestmentStatus.ACTIVE),  # 3.5 (percent) read as 0.035
    ("D", "UNLIMITED", Decimal("300000"), None, InvestmentStatus.PENDING_MT5_VALIDATION),
])
def test_every_investment_shape_reads(shape, product, principal, rate, status):
    inv = InvestmentCodec().decode(SHAPES[shape])
    assert (inv.shape.value, inv.product, inv.principal, inv.interest_rate, inv.status) == (
        shape, product, principal, rate, status)
    assert inv.start_date == START


def test_investment_reads_mixed_account_numbers_and_object_id_clients():
    codec = InvestmentCodec()
    assert codec.decode(SHAPES["A"]).mt5_accounts == (100001, 100002)
    assert codec.decode(SHAPES["B"]).client_id == "64b7f0c2a1b2c3d4e5f60718"


@pytest.mark.parametrize("shape", "ABCD")
def test_investment_is_written_back_in_the_shape_it_was_read(shape):
    codec = InvestmentCodec()
    doc = codec.encode(codec.decode(SHAPES[shape]))
    if shape == "B":
        assert isinstance(doc["principal_amount"], Decimal128)  # referral-seed readers expect Decimal128
    if shape == "C":
        assert doc["start_date"] == "2025-10-01" and "principal_amount" not in doc
    if shape == "D":
        assert doc["fund_code"] == "UNLIMITED" and "fund_type" not in doc
    if shape == "A":
        assert doc["fund_type"] == "CORE" and doc["product"] == "FIDUS_CORE"
        assert isinstance(doc["principal_amount"], float)
    assert codec.decode(doc) == codec.decode(SHAPES[shape])


def test_investment_without_principal_is_reported_not_guessed():
    with pytest.raises(ValueError, match="principal"):
        InvestmentCodec().decode({"investment_id": "x", "client_id": "c", "fund_type": "CORE",
                                  "start_date": "2025-10-01"})


def test_prospect_keyed_by_id_only_and_nonstandard_stage():
    doc = {"id": "prospect_20251001_001", "name": "Bea", "email": "b@example.com", "phone": "+1",
           "stage": "qualified_lead", "created_at": "2025-10-01T09:00:00", "google_drive_folder": ""}
    p = ProspectCodec().decode(doc)
    assert p.prospect_id == "prospect_20251001_001"
    assert p.stage is Stage.QUALIFIED
    assert p.aml_kyc_status is KycStatus.PENDING  # missing counts as pending
    assert p.created_at == datetime(2025, 10, 1, 9, tzinfo=UTC)


def test_conversion_rule_needs_won_cleared_and_not_converted():
    codec = ProspectCodec()
    base = {"prospect_id": "p1", "name": "C", "email": "c@example.com", "stage": "won", "aml_kyc_status": "clear"}
    assert conversion_blockers(codec.decode(base)) == []
    assert conversion_blockers(codec.decode({**base, "stage": "negotiation"}))
    assert conversion_blockers(codec.decode({**base, "aml_kyc_status": "manual_review"}))
    assert conversion_blockers(codec.decode({**base, "converted_to_client": True}))
    assert conversion_blockers(codec.decode({k: v for k, v in base.items() if k != "aml_kyc_status"}))


def test_client_created_at_from_either_field_and_kyc_flag():
    codec = ClientCodec()
    converted = codec.decode({"id": "client_1", "name": "D", "email": "d@example.com", "type": "client",
                              "createdAt": "2025-10-01T00:00:00+00:00", "aml_kyc_status": "approved"})
    registered = codec.decode({"id": "client_2", "name": "E", "email": "e@example.com", "type": "client",
                               "created_at": "2025-10-01T00:00:00", "kyc_completed": True})
    assert converted.created_at == registered.created_at == START
    assert converted.kyc_cleared and registered.kyc_cleared


def test_client_document_never_carries_a_password():
    codec = ClientCodec()
    doc = codec.encode(codec.decode({"id": "c", "name": "F", "email": "f@example.com", "password": "x",
                                     "temp_password": "y"}))
    assert not {"password", "temp_password", "password_hash"} & set(doc)
    assert doc["type"] == doc["user_type"] == "client"


def test_products_round_trip_and_keep_the_schedule_reading():
    codec = ProductCodec()
    for product in DEFAULT_PRODUCTS:
        assert codec.decode(codec.encode(product)) == product
    cash_flow = DEFAULT_PRODUCTS[0].evolve(schedule_reading=ScheduleReading.CASH_FLOW_CODE)
    assert codec.decode(codec.encode(cash_flow)).schedule_reading is ScheduleReading.CASH_FLOW_CODE


def test_mt5_account_number_as_string_and_legacy_keys():
    codec = Mt5AccountCodec()
    a = codec.decode({"account": "100001", "fund_type": "FIDUS_BALANCE", "equity": 25140.5, "status": "active",
                      "account_type": "live_demo", "password": "never-read"})
    assert (a.account, a.fund_type, a.equity, a.counts_for_fund) == (100001, "BALANCE", Decimal("25140.5"), False)
    assert "password" not in codec.encode(a)
    assert codec.decode({"mt5_login": 5, "current_equity": 10}).equity == Decimal("10")
