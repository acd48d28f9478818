"""Portal leads taken into the pipeline on their first change, and the conversion rule: allowed,
refused with each failing condition, and all-or-nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from bson import ObjectId

from fidus_desktop.crm import conversion, leads, prospects
from fidus_desktop.crm.conversion import ConversionRefused, convert_prospect, username_base
from fidus_desktop.crm.pipeline_service import read_pipeline
from fidus_desktop.crm.timeline import Person, timeline
from fidus_desktop.domain.leads import LEAD_PREFIX, PortalLead
from fidus_desktop.domain.people import Client, KycStatus
from fidus_desktop.domain.prospects import Stage
from fidus_desktop.errors import ConflictError

from .conftest import new_prospect

LEAD_ID = "65f1a2b3c4d5e6f708192a99"
SIGNED_UP = datetime(2026, 2, 1, 8, 30, tzinfo=UTC)


async def add_lead(store, lead_id: str = LEAD_ID, email: str = "maria.lopez@example.com") -> PortalLead:
    await store.leads.add(PortalLead(lead_id=lead_id, email=email, phone="+34600111222", engagement_score=30,
                                     created_at=SIGNED_UP))
    return await store.leads.get(lead_id)


async def test_open_portal_leads_are_in_the_pipeline_until_migrated(context, store):
    await add_lead(store)
    await add_lead(store, "65f1a2b3c4d5e6f708192a98", "done@example.com")
    done = await store.leads.get("65f1a2b3c4d5e6f708192a98")
    await store.leads.save(done.evolve(converted=True))
    _, rows = await read_pipeline(store)
    assert [r[0] for r in rows] == [LEAD_ID]


async def test_the_first_move_migrates_a_portal_lead_as_the_original_does(context, store):
    await add_lead(store)
    prospect, result = await prospects.move_stage(context, LEAD_PREFIX + LEAD_ID, Stage.QUALIFIED)

    assert result.saved and result.operation.kind == "lead.migrate"
    doc = dict((await store.prospects.get(prospect.prospect_id)).raw)
    assert doc["name"] == "Maria.Lopez"  # the e-mail's local part, title-cased, as the original names it
    assert (doc["email"], doc["phone"], doc["stage"], doc["source"], doc["_original_lead_id"]) == (
        "maria.lopez@example.com", "+34600111222", "qualified", "prospects_portal", LEAD_ID)
    assert doc["notes"] == "Migrated from Prospects Portal | Original engagement score: 30"
    assert doc["created_at"] == SIGNED_UP and isinstance(doc["updated_at"], datetime)
    assert (doc["converted_to_client"], doc["client_id"], doc["google_drive_folder"]) == (False, "", "")
    assert "aml_kyc_status" not in doc and "id" not in doc
    lead = dict((await store.leads.get(LEAD_ID)).raw)
    assert lead["migrated_to_crm"] is True and lead["crm_prospect_id"] == prospect.prospect_id
    assert isinstance(lead["migrated_date"], datetime) and lead["_id"] == ObjectId(LEAD_ID)
    _, rows = await read_pipeline(store)
    assert rows == []  # no longer shown as a lead
    [entry] = (await timeline(store, Person.of(prospect.prospect_id))).items
    assert entry.summary == "Maria.Lopez: portal lead moved to Qualified"


async def test_an_edit_or_a_note_migrates_too_and_a_migrated_lead_is_not_migrated_twice(context, store):
    lead = await add_lead(store)
    draft = leads.lead_draft(lead)
    prospect, _ = await leads.migrate_lead(context, lead, draft=prospects.ProspectDraft(
        **{**{f: getattr(draft, f) for f in ("email", "phone", "stage", "source", "notes")}, "name": "María López"}))
    assert prospect.name == "María López"
    stale = lead  # as the screen read it, before the migration
    again, result = await leads.migrate_lead(context, await store.leads.get(LEAD_ID), stage=Stage.PROPOSAL)
    assert again.prospect_id == prospect.prospect_id and again.stage is Stage.PROPOSAL
    assert await store.prospects.count() == 1
    with pytest.raises(ConflictError):  # the stale copy cannot migrate it a second time
        await leads.migrate_lead(context, stale, stage=Stage.WON)
    await add_lead(store, "65f1a2b3c4d5e6f708192a97", "noted@example.com")
    result = await prospects.add_note(context, LEAD_PREFIX + "65f1a2b3c4d5e6f708192a97", "Asked for a call")
    noted = await store.prospects.get(result.operation.audit.prospect_id)
    assert noted.original_lead_id == "65f1a2b3c4d5e6f708192a97"
    assert (await timeline(store, Person.of(noted.prospect_id))).items[0].details["text"] == "Asked for a call"


@pytest.mark.parametrize(("stage", "converted", "kyc", "reasons"), [
    (Stage.NEGOTIATION, False, KycStatus.APPROVED, ["at stage 'Negotiation', not 'Won'"]),
    (Stage.WON, True, KycStatus.APPROVED, ["already a client"]),
    (Stage.WON, False, KycStatus.PENDING, ["AML/KYC is 'pending'"]),
    (Stage.WON, False, KycStatus.MANUAL_REVIEW, ["AML/KYC is 'manual_review'"]),
    (Stage.LOST, True, KycStatus.REJECTED, ["not 'Won'", "already a client", "AML/KYC is 'rejected'"]),
])
async def test_conversion_is_refused_with_each_failing_condition(context, store, stage, converted, kyc, reasons):
    prospect = await new_prospect(context)
    await store.prospects.save(prospect.evolve(stage=stage, converted_to_client=converted, aml_kyc_status=kyc))
    before = await store.activity.count()
    with pytest.raises(ConversionRefused) as refused:
        await convert_prospect(context, prospect.prospect_id)
    assert len(refused.value.reasons) == len(reasons)
    for reason, wanted in zip(refused.value.reasons, reasons, strict=True):
        assert wanted in reason
    assert await store.clients.count() == 0 and await store.activity.count() == before


async def test_conversion_creates_the_client_marks_prospect_and_lead_in_one_operation(context, store):
    await add_lead(store)
    prospect, _ = await prospects.move_stage(context, LEAD_PREFIX + LEAD_ID, Stage.WON)
    prospect, _ = await prospects.record_kyc(context, prospect, KycStatus.CLEAR, "")
    done = await convert_prospect(context, prospect.prospect_id)

    user = dict((await store.clients.get(done.client_id)).raw)
    assert done.client_id.startswith("client_") and len(done.client_id) == len("client_") + 8
    assert user["username"] == "marialopez" == done.username
    assert {k: user[k] for k in ("type", "user_type", "status", "created_from_prospect", "prospect_id",
                                 "source_prospect_id", "source_lead_id", "aml_kyc_status")} == {
        "type": "client", "user_type": "client", "status": "active", "created_from_prospect": True,
        "prospect_id": prospect.prospect_id, "source_prospect_id": prospect.prospect_id, "source_lead_id": LEAD_ID,
        "aml_kyc_status": "clear"}
    assert not {"password", "temp_password", "password_hash"} & set(user)
    stored = await store.prospects.get(prospect.prospect_id)
    assert stored.converted_to_client and stored.client_id == done.client_id
    lead = (await store.leads.get(LEAD_ID)).raw
    assert lead["converted"] is True and lead["client_id"] == done.client_id and lead["converted_date"]
    assert [w.collection for w in done.result.operation.writes] == ["users", "crm_prospects", "leads"]
    timeline_items = (await timeline(store, Person.of(prospect.prospect_id, done.client_id))).items
    assert timeline_items[0].label == "Conversion" and len({i.log_id for i in timeline_items}) == len(timeline_items)
    with pytest.raises(ConversionRefused):
        await convert_prospect(context, prospect.prospect_id)  # once only


def test_usernames_follow_the_originals_rule():
    assert username_base("Mary.Jane-Watson@example.com") == "maryjanewa"
    assert username_base("ab@example.com") == "ab"
    assert username_base("@example.com") == "client"


async def test_a_taken_username_gets_digits_appended(context, store):
    await store.clients.add(Client(client_id="client_aaaaaaaa", name="A", email="x@example.com", username="anacastro"))
    await store.clients.add(Client(client_id="client_bbbbbbbb", name="B", email="y@example.com", username="anacastro1"))
    assert await conversion.free_username(store, "ana.castro@example.com") == "anacastro2"


async def test_a_failing_write_inside_the_conversion_leaves_nothing_behind(context, store, monkeypatch):
    prospect = await new_prospect(context)
    await store.prospects.save(prospect.evolve(stage=Stage.WON, aml_kyc_status=KycStatus.APPROVED))
    original = store.prospects.apply

    async def fail_on_prospect(write):
        if write.collection == "crm_prospects":
            raise ConflictError("someone else changed it", fields={"client_id": ("", "x", "y")})
        return await original(write)

    monkeypatch.setattr(store.prospects, "apply", fail_on_prospect)
    with pytest.raises(ConflictError):
        await convert_prospect(context, prospect.prospect_id)
    assert await store.clients.count() == 0  # the users insert was rolled back with the rest
    assert not (await store.prospects.get(prospect.prospect_id)).converted_to_client
