"""On MongoDB (mongoeco, through real PyMongo), the CRM writes documents the web platform reads as
its own: checked field by field, as the web platform's client (not tz-aware) sees them."""

from __future__ import annotations

from datetime import datetime

import pytest
from bson import ObjectId

from fidus_desktop.crm import conversion, prospects
from fidus_desktop.crm.pipeline_service import read_pipeline
from fidus_desktop.domain.leads import LEAD_PREFIX
from fidus_desktop.domain.people import KycStatus
from fidus_desktop.domain.prospects import Stage
from fidus_desktop.errors import ConflictError

from .conftest import draft

pytestmark = pytest.mark.mongo

LEAD = ObjectId("65f1a2b3c4d5e6f708192a55")
PORTAL_LEAD = {"_id": LEAD, "type": "lead", "email": "sofia.marquez@example.com", "phone": "+525512345678",
               "source": "prospects_portal", "status": "new", "created_at": datetime(2026, 1, 10, 9, 30),
               "last_activity": datetime(2026, 1, 10, 9, 45), "engagement_score": 20, "interest_level": "warm",
               "simulator_sessions": [{"fund": "CORE", "amount": 50000, "timestamp": "2026-01-10T09:40:00"}] * 2,
               "converted": False, "converted_date": None, "client_id": None}
REFERRAL_LEAD = {"id": "8d3c…", "name": "Ref Lead", "email": "ref@example.com", "referred_by": "65f1", "crm_status":
                 "pending"}


async def test_the_pipeline_shows_portal_leads_not_referral_ones(mongo_context, web_db):
    await web_db.leads.insert_many([dict(PORTAL_LEAD), dict(REFERRAL_LEAD)])
    _, rows = await read_pipeline(mongo_context.store)
    assert [r[0] for r in rows] == [str(LEAD)]


async def test_migration_and_conversion_write_the_originals_shapes(mongo_context, web_db):
    await web_db.users.insert_one({"id": "admin_001", "type": "admin", "username": "sofiamarqu", "status": "active"})
    await web_db.leads.insert_one(dict(PORTAL_LEAD))

    prospect, _ = await prospects.move_stage(mongo_context, LEAD_PREFIX + str(LEAD), Stage.WON)
    raw = await web_db.crm_prospects.find_one({"prospect_id": prospect.prospect_id})
    assert set(raw) == {"_id", "prospect_id", "name", "email", "phone", "stage", "notes", "created_at", "updated_at",
                        "converted_to_client", "client_id", "google_drive_folder", "source", "_original_lead_id"}
    assert (raw["name"], raw["email"], raw["phone"], raw["stage"], raw["source"], raw["_original_lead_id"]) == (
        "Sofia.Marquez", "sofia.marquez@example.com", "+525512345678", "won", "prospects_portal", str(LEAD))
    assert raw["notes"] == "Migrated from Prospects Portal | Original engagement score: 20"
    assert raw["created_at"] == datetime(2026, 1, 10, 9, 30) and isinstance(raw["updated_at"], datetime)
    assert (raw["converted_to_client"], raw["client_id"], raw["google_drive_folder"]) == (False, "", "")
    lead = await web_db.leads.find_one({"_id": LEAD})
    assert (lead["migrated_to_crm"], lead["crm_prospect_id"]) == (True, prospect.prospect_id)
    assert isinstance(lead["migrated_date"], datetime) and lead["simulator_sessions"] == PORTAL_LEAD["simulator_sessions"]

    with pytest.raises(conversion.ConversionRefused):
        await conversion.convert_prospect(mongo_context, prospect.prospect_id)
    prospect, _ = await prospects.record_kyc(mongo_context, prospect, KycStatus.APPROVED, "documents verified")
    done = await conversion.convert_prospect(mongo_context, prospect.prospect_id)

    user = await web_db.users.find_one({"id": done.client_id})
    assert list(user) == ["_id", "id", "username", "name", "email", "phone", "type", "status", "created_from_prospect",
                          "prospect_id", "source_prospect_id", "source_lead_id", "aml_kyc_status", "aml_kyc_result_id",
                          "createdAt", "user_id", "user_type"]
    assert user["username"] == "sofiamarqu1"  # the admin already has the base name
    assert (user["type"], user["user_type"], user["status"], user["user_id"]) == ("client", "client", "active",
                                                                                   done.client_id)
    assert (user["prospect_id"], user["source_prospect_id"], user["source_lead_id"]) == (
        prospect.prospect_id, prospect.prospect_id, str(LEAD))
    assert (user["aml_kyc_status"], user["aml_kyc_result_id"], user["created_from_prospect"]) == ("approved", None, True)
    assert isinstance(user["createdAt"], str) and datetime.fromisoformat(user["createdAt"])
    after = await web_db.crm_prospects.find_one({"prospect_id": prospect.prospect_id})
    assert (after["converted_to_client"], after["client_id"]) == (True, done.client_id)
    assert isinstance(after["updated_at"], str)  # the original's conversion stamps an ISO string
    lead = await web_db.leads.find_one({"_id": LEAD})
    assert (lead["converted"], lead["client_id"]) == (True, done.client_id)
    assert isinstance(lead["converted_date"], datetime)


async def test_a_new_prospect_on_mongodb_has_a_plain_double_and_no_id(mongo_context, web_db):
    prospect, _ = await prospects.create_prospect(mongo_context, draft(estimated_value="125000"))
    raw = await web_db.crm_prospects.find_one({"prospect_id": prospect.prospect_id})
    assert type(raw["estimated_value"]) is float and raw["estimated_value"] == 125000.0
    assert "id" not in raw and "aml_kyc_status" not in raw


async def test_the_web_platforms_edit_of_the_same_field_is_a_conflict(mongo_context, web_db):
    prospect, _ = await prospects.create_prospect(mongo_context, draft())
    # The web platform's PUT /crm/prospects/{id}: $set the field and an ISO updated_at.
    await web_db.crm_prospects.update_one({"prospect_id": prospect.prospect_id},
                                          {"$set": {"notes": "their note", "updated_at": "2026-03-01T10:00:00+00:00"}})
    with pytest.raises(ConflictError) as conflict:
        await prospects.save_prospect(mongo_context, prospect.evolve(notes="my note"))
    assert set(conflict.value.fields) == {"notes"}
    raw = await web_db.crm_prospects.find_one({"prospect_id": prospect.prospect_id})
    assert raw["notes"] == "their note"
