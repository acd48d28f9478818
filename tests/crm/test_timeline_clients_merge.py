"""The timeline interface other features write through, clients and their readiness, merges,
reminders, and the pipeline service keeping its index current."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from fidus_desktop.crm import clients, merge, prospects
from fidus_desktop.crm.filters import PipelineFilter
from fidus_desktop.crm.pipeline_service import PipelineService
from fidus_desktop.crm.reminders import due_reminders
from fidus_desktop.crm.timeline import EventKind, Person, TimelineEvent, event_inserts, record_event, timeline
from fidus_desktop.domain.investments import Investment
from fidus_desktop.domain.prospects import Stage
from fidus_desktop.domain.values import utc_now
from fidus_desktop.errors import ValidationError
from fidus_desktop.events import EventType
from fidus_desktop.runtime.operations import Audit, Operation

from .conftest import new_prospect


async def test_another_feature_records_an_email_once_however_often_it_syncs(context, store):
    prospect = await new_prospect(context)
    sent = datetime(2026, 2, 3, 14, 5, tzinfo=UTC)
    event = TimelineEvent(Person.of(prospect.prospect_id), EventKind.EMAIL, "Sent 'Welcome' to ana.castro@example.com",
                          occurred_at=sent, details={"subject": "Welcome"}, source_ref="gmail:18c2f")
    first = await record_event(context, event)
    again = await record_event(context, event)
    assert first.operation.op_id == again.operation.op_id
    items = (await timeline(store, Person.of(prospect.prospect_id))).items
    assert [(i.label, i.at) for i in items if i.kind == EventKind.EMAIL] == [("E-mail", sent)]
    # Many events inside one operation (a sync batch): one entry each, still once each.
    batch = [TimelineEvent(Person.of(prospect.prospect_id), EventKind.MEETING, f"Meeting {n}",
                           occurred_at=sent + timedelta(days=n), source_ref=f"cal:{n}") for n in range(3)]
    for _ in range(2):
        op = Operation("calendar.sync", (), Audit("calendar_sync", "3 meetings synced"))
        await context.writer.submit(Operation(op.kind, tuple(event_inserts(batch, op.audit_id, "manager")), op.audit,
                                              op_id=op.op_id))
    meetings = [i for i in (await timeline(store, Person.of(prospect.prospect_id))).items if i.kind == EventKind.MEETING]
    assert [i.summary for i in meetings] == ["Meeting 2", "Meeting 1", "Meeting 0"]


async def test_a_record_with_a_thousand_entries_opens_on_its_newest_page(context, store):
    prospect = await new_prospect(context)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    events = [TimelineEvent(Person.of(prospect.prospect_id), EventKind.NOTE, f"note {n}",
                            occurred_at=start + timedelta(hours=n), source_ref=f"n{n}") for n in range(1000)]
    op = Operation("bulk", (), Audit("bulk", "notes"))
    await context.writer.submit(Operation("bulk", tuple(event_inserts(events, op.audit_id)), op.audit, op_id=op.op_id))
    page = await timeline(store, Person.of(prospect.prospect_id), 0, 50)
    assert len(page.items) == 50 and page.more
    assert [i.summary for i in page.items[:3]] == ["Prospect Ana Castro created at stage Lead", "note 999", "note 998"]
    last = await timeline(store, Person.of(prospect.prospect_id), 960, 50)
    assert len(last.items) == 41 and last.items[-1].summary == "note 0" and not last.more


async def test_a_client_is_created_as_the_original_writes_it_with_its_readiness(context, store):
    client, result = await clients.create_client(context, clients.ClientDraft(
        "Tom Berg", "tom.berg@example.com", "+46 70 123 45 67", "met at the fair"))
    doc = dict(client.raw)
    assert set(doc) == {"id", "user_id", "username", "name", "email", "phone", "type", "user_type", "status",
                        "created_at", "notes"}
    assert (doc["username"], doc["type"], doc["user_type"], doc["status"]) == ("tomberg", "client", "client",
                                                                                 "active")
    assert isinstance(doc["created_at"], datetime)
    readiness = (await store.readiness.get(client.client_id)).raw
    assert set(readiness) >= {"client_id", "aml_kyc_completed", "agreement_signed", "account_creation_date",
                              "investment_ready", "notes", "updated_at", "updated_by"}
    assert readiness["investment_ready"] is False and readiness["updated_by"] == "manager"
    ready, _ = await clients.save_readiness(context, client.client_id, aml_kyc_completed=True, agreement_signed=True,
                                            known=await store.readiness.get(client.client_id))
    assert ready.investment_ready and (await store.readiness.get(client.client_id)).raw["investment_ready"] is True


async def test_a_client_is_deactivated_and_deleted_only_when_confirmed_and_unused(context, store):
    client, _ = await clients.create_client(context, clients.ClientDraft("Una Vez", "una@example.com"))
    off, _ = await clients.set_active(context, client, False)
    assert off.status == "inactive"
    with pytest.raises(ValidationError, match="exactly"):
        await clients.delete_client(context, off, confirmed_name="una")
    await store.investments.add(Investment("inv-1", client.client_id, "CORE", Decimal("10000"), utc_now()))
    with pytest.raises(ValidationError, match="deactivated, never deleted"):
        await clients.delete_client(context, off, confirmed_name="Una Vez")
    await store.investments.remove(await store.investments.get("inv-1"))
    await clients.delete_client(context, off, confirmed_name="Una Vez")
    assert await store.clients.find_one(client.client_id) is None
    [gone] = [i for i in (await timeline(store, Person.of(client_id=client.client_id))).items if i.kind == "client_deleted"]
    assert gone.details["email"] == "una@example.com"


async def test_merging_two_prospects_keeps_both_timelines(context, store):
    keep = await new_prospect(context, "Ana Castro", "ana@example.com", "+1 305 555 0100")
    other = await new_prospect(context, "Ana C.", "ana.c@example.com", "+1 305 555 0199", owner="Luis")
    await prospects.add_note(context, other.prospect_id, "Met her brother")
    merged, _ = await merge.merge_prospects(context, keep, await store.prospects.get(other.prospect_id),
                                            {"phone": "other", "owner": "other"})
    assert (merged.phone, merged.owner, merged.email, merged.merged_ids) == ("+1 305 555 0199", "Luis",
                                                                              "ana@example.com", (other.prospect_id,))
    assert await store.prospects.find_one(other.prospect_id) is None
    person = Person.of(merged.prospect_id, merged_prospects=merged.merged_ids)
    labels = [i.summary for i in (await timeline(store, person)).items]
    assert "Met her brother" in labels and labels[0].startswith("Ana C. (ana.c@example.com) merged into")


def test_a_conflict_is_only_what_both_changed_differently():
    from fidus_desktop.domain.prospects import Prospect

    base = Prospect("p", "Ana", "a@example.com", phone="+1 305 555 0100", notes="x")
    theirs = base.evolve(name="Ana (web)", notes="y", owner="Luis")
    mine = base.evolve(name="Ana Castro", notes="y", stage=Stage.WON)
    found = merge.conflicts(base, theirs, mine)
    assert [c.name for c in found] == ["name"]
    result = merge.rebased(base, theirs, mine, {"name": "theirs"})
    assert (result.name, result.notes, result.owner, result.stage) == ("Ana (web)", "y", "Luis", Stage.WON)


async def test_a_due_reminder_is_announced_once(context, store):
    prospect = await new_prospect(context)
    due = utc_now() - timedelta(minutes=1)
    await prospects.save_prospect(context, prospect.evolve(next_action="Call back", next_action_due=due, remind=True))
    notices = []
    context.events.subscribe(EventType.NOTICE, notices.append)
    assert await due_reminders(context, utc_now()) == [prospect.prospect_id]
    assert await due_reminders(context, utc_now()) == []
    assert len(notices) == 1 and "Call back" in notices[0].text and notices[0].level == "important"
    assert not (await store.prospects.get(prospect.prospect_id)).remind


async def test_the_pipeline_service_takes_each_change_in(context, store):
    service = context.services.add(PipelineService(context))
    await context.services.start()
    try:
        first = await service.ready()
        assert len(first) == 0
        updates = []
        context.events.subscribe(EventType.PIPELINE_UPDATED, updates.append)
        prospect = await new_prospect(context)
        for _ in range(200):
            if updates:
                break
            await asyncio.sleep(0.01)
        snapshot = service.snapshot
        assert snapshot.find(prospect.prospect_id).name == "Ana Castro"
        await prospects.move_stage(context, prospect.prospect_id, Stage.PROPOSAL)
        for _ in range(200):
            if service.snapshot.find(prospect.prospect_id).stage is Stage.PROPOSAL:
                break
            await asyncio.sleep(0.01)
        assert service.snapshot.find(prospect.prospect_id).stage is Stage.PROPOSAL
        index = await service.duplicates()
        assert index.find("ANA.CASTRO@example.com", "")[0].party.key == prospect.prospect_id
        assert (await service.totals(PipelineFilter()))[Stage.PROPOSAL][0] == 1
    finally:
        await context.services.stop()
