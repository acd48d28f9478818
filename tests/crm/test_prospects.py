"""Prospects through the one write path: what is stored, what the timeline shows, what is refused,
and what happens while the database is away."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from fidus_desktop.crm import prospects
from fidus_desktop.crm.duplicates import DuplicateIndex, Party
from fidus_desktop.crm.prospects import DuplicatesFound, ProspectDraft
from fidus_desktop.crm.timeline import Person, timeline
from fidus_desktop.domain.people import KycStatus
from fidus_desktop.domain.prospects import Stage
from fidus_desktop.errors import ConflictError, StorageUnavailable, ValidationError
from fidus_desktop.storage.query import Eq, Query

from .conftest import draft, new_prospect


async def test_a_new_prospect_is_stored_with_the_originals_fields(context, store):
    prospect = await new_prospect(context, estimated_value="250,000.50", source="referral", owner="Luis")

    doc = dict((await store.prospects.get(prospect.prospect_id)).raw)
    assert set(doc) == {"prospect_id", "name", "email", "phone", "stage", "notes", "created_at", "updated_at",
                        "converted_to_client", "client_id", "google_drive_folder", "estimated_value", "source",
                        "owner"}
    assert len(doc["prospect_id"]) == 36 and doc["prospect_id"].count("-") == 4  # a uuid4
    assert (doc["stage"], doc["converted_to_client"], doc["client_id"], doc["google_drive_folder"]) == (
        "lead", False, "", "")
    assert isinstance(doc["created_at"], datetime) and isinstance(doc["updated_at"], datetime)
    assert type(doc["estimated_value"]) is float and doc["estimated_value"] == 250000.5  # never Decimal128
    [entry] = await store.activity.find(Query(where=(Eq("prospect_id", prospect.prospect_id),)))
    assert entry.activity_type == "prospect_created" and entry.actor == "manager"


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("email", "ana@", "not an e-mail address"),
    ("email", "", "required"),
    ("phone", "305 555 0100", "international form"),
    ("phone", "+1 55", "7 to 15 digits"),
    ("name", "  ", "A name is required"),
    ("estimated_value", "lots", "not an amount"),
    ("estimated_value", "-5", "cannot be negative"),
    ("estimated_value", "10.0001", "whole cents"),
    ("estimated_value", "10.001", "read two ways"),
])
async def test_invalid_fields_are_refused_with_the_reason_and_nothing_is_written(context, store, field, value,
                                                                                 reason):
    values = {"name": "Ana Castro", "email": "ana@example.com", "phone": "+1 305 555 0100", field: value}
    with pytest.raises(ValidationError) as refused:
        await prospects.create_prospect(context, ProspectDraft(**values))
    assert reason in refused.value.fields[field]
    assert await store.prospects.count() == 0 and await store.activity.count() == 0


async def test_duplicates_are_flagged_before_saving_and_saved_only_when_asked(context, store):
    index = DuplicateIndex.of([Party("p1", "prospect", "Ana Castro", "Ana.Castro@Example.com", "+1 (305) 555-0100")])
    with pytest.raises(DuplicatesFound) as found:
        await prospects.create_prospect(context, draft(email="ANA.castro@example.com", phone="+44 20 7946 0000"),
                                        duplicates=index)
    assert [d.on for d in found.value.duplicates] == [("email",)]
    with pytest.raises(DuplicatesFound) as found:
        await prospects.create_prospect(context, draft(email="other@example.com", phone="+13055550100"),
                                        duplicates=index)
    assert found.value.duplicates[0].on == ("phone",) and "p1" in found.value.message
    assert await store.prospects.count() == 0
    await prospects.create_prospect(context, draft(), duplicates=index, allow_duplicates=True)
    assert await store.prospects.count() == 1


async def test_a_stage_move_is_saved_audited_and_on_the_timeline(context, store):
    prospect = await new_prospect(context)
    moved, result = await prospects.move_stage(context, prospect.prospect_id, Stage.NEGOTIATION)

    assert result.saved and moved.stage is Stage.NEGOTIATION
    raw = (await store.prospects.get(prospect.prospect_id)).raw
    assert raw["stage"] == "negotiation" and isinstance(raw["updated_at"], str)  # ISO after an edit
    page = await timeline(store, Person.of(prospect.prospect_id))
    assert [(i.label, i.actor) for i in page.items] == [("Stage", "manager"), ("Created", "manager")]
    assert page.items[0].summary == "Ana Castro: Lead -> Negotiation"
    assert page.items[0].details["from"] == "lead" and page.items[0].details["to"] == "negotiation"
    # Moving to where it is writes nothing.
    assert (await prospects.move_stage(context, prospect.prospect_id, Stage.NEGOTIATION))[1] is None


async def test_edits_record_each_field_changed(context, store):
    prospect = await new_prospect(context)
    due = datetime(2030, 1, 2, 9, tzinfo=UTC)
    edited = prospect.evolve(phone="+34 600 000 001", estimated_value=Decimal("1000"), next_action="Call",
                             next_action_due=due, remind=True)
    saved, result = await prospects.save_prospect(context, edited)
    assert (saved.phone, saved.estimated_value, saved.next_action_due, saved.remind) == (
        "+34 600 000 001", Decimal("1000"), due, True)
    latest = (await timeline(store, Person.of(prospect.prospect_id))).items[0]
    assert latest.kind == "prospect_updated"
    assert set(latest.details["changes"]) == {"phone", "estimated_value", "next_action", "next_action_due", "remind"}
    raw = saved.raw
    assert raw["next_action_remind"] is True and raw["next_action_due"] == due


async def test_a_concurrent_edit_of_the_same_field_is_a_conflict_not_an_overwrite(context, store, tmp_path):
    from fidus_desktop.storage.sqlite import SqliteBackend
    from fidus_desktop.storage.store import FundStore

    prospect = await new_prospect(context)
    other = await FundStore.open(SqliteBackend(tmp_path / "fund.sqlite3"))  # another window on the same file
    try:
        theirs = await other.prospects.get(prospect.prospect_id)
        await other.prospects.save(theirs.evolve(name="Ana C. (web)", notes="from the web"))
    finally:
        await other.close()
    with pytest.raises(ConflictError) as conflict:
        await prospects.save_prospect(context, prospect.evolve(name="Ana Castro-Lopez"))
    assert set(conflict.value.fields) == {"name"}
    # A field they did not touch saves fine over their other change.
    saved, _ = await prospects.save_prospect(context, prospect.evolve(owner="Luis"))
    assert (saved.owner, saved.name, saved.notes) == ("Luis", "Ana C. (web)", "from the web")


async def test_a_note_and_a_kyc_decision_are_on_the_timeline(context, store):
    prospect = await new_prospect(context)
    await prospects.add_note(context, prospect.prospect_id, "Called.\nWants the BALANCE brochure.")
    with pytest.raises(ValidationError):
        await prospects.record_kyc(context, prospect, KycStatus.APPROVED, "")  # a reason is needed
    await prospects.record_kyc(context, prospect, KycStatus.APPROVED, "passport and proof of address seen")
    items = (await timeline(store, Person.of(prospect.prospect_id))).items
    assert [i.label for i in items] == ["AML/KYC", "Note", "Created"]
    assert items[1].summary == "Called." and items[1].details["text"].endswith("brochure.")
    assert "passport" in items[0].summary
    assert (await store.prospects.get(prospect.prospect_id)).aml_kyc_status is KycStatus.APPROVED


@pytest.fixture
def short_busy_timeout(monkeypatch):
    from fidus_desktop.storage.sqlite import connection

    monkeypatch.setattr(connection, "BUSY_TIMEOUT_MS", 100)  # a locked file fails at once


async def test_while_the_database_is_away_a_move_is_kept_and_shown_pending(context, store, tmp_path,
                                                                           short_busy_timeout):
    import sqlite3

    prospect = await new_prospect(context)
    other = sqlite3.connect(tmp_path / "fund.sqlite3")  # another program holds the file: reads fail too
    other.execute("BEGIN EXCLUSIVE")
    try:
        moved, result = await prospects.move_stage(context, prospect.prospect_id, Stage.WON, known=prospect)
    finally:
        other.rollback()
        other.close()
    assert result.queued and moved.stage is Stage.WON
    assert [op.kind for op in context.writer.pending()] == ["prospect.update"]
    await context.writer.replay(context.writer.pending()[0].to_payload())
    assert (await store.prospects.get(prospect.prospect_id)).stage is Stage.WON and not context.writer.pending()


async def test_reading_while_the_database_is_away_without_a_copy_says_so(context):
    context.store = None
    with pytest.raises(StorageUnavailable):
        await prospects.move_stage(context, "some-prospect", Stage.WON)


async def test_a_prospect_is_deleted_only_unconverted_and_leaves_an_audit_entry(context, store):
    prospect = await new_prospect(context)
    await prospects.delete_prospect(context, prospect, "entered twice")
    assert await store.prospects.find_one(prospect.prospect_id) is None
    [entry] = await store.activity.find(Query(where=(Eq("activity_type", "prospect_deleted"),)))
    assert "entered twice" in entry.description
    with pytest.raises(ValidationError):
        await prospects.delete_prospect(context, prospect.evolve(converted_to_client=True))
