"""The CRM record's actions, in the runtime against the fake: each on the person's timeline with
the Google ids and links; templates filled from the record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from fidus_desktop.google.crm_actions import SlotBusy, email_template, schedule_meeting, share_documents
from fidus_desktop.google.templates import Holding, Template, TemplateContext, fill
from fidus_desktop.services.google_service import GoogleService
from fidus_desktop.storage.query import Eq, Query
from fidus_desktop.timeline import Person, PersonKind, links_of, record_event, timeline_operation

from .conftest import wait_for


async def _prospect(app) -> Person:
    prospect = next(p for p in await app.store.prospects.find() if p.email and not p.converted_to_client)
    return Person(PersonKind.PROSPECT, prospect.prospect_id, prospect.name, prospect.email)


async def _entries(app, person: Person, kind: str):
    field = "prospect_id" if person.kind is PersonKind.PROSPECT else "client_id"
    return [e for e in await app.store.activity.find(Query(where=(Eq(field, person.id),))) if e.activity_type == kind]


@pytest.fixture
async def service(app):
    google = app.service(GoogleService)
    await wait_for(lambda: google.apis is not None)
    return google


async def test_a_meeting_is_checked_against_free_busy_then_booked_with_meet_and_on_the_timeline(app, fake, service):
    person = await _prospect(app)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    fake.calendar.add("Already busy", start - timedelta(minutes=30), start + timedelta(minutes=30))
    with pytest.raises(SlotBusy):
        await schedule_meeting(app, service, person, title="Investment Consultation", start=start,
                               end=start + timedelta(hours=1))
    assert fake.calendar.inserts == []  # nothing booked over a busy slot unless asked

    event = await schedule_meeting(app, service, person, title="Investment Consultation", start=start,
                                   end=start + timedelta(hours=1), check_free=False)
    [insert] = fake.calendar.inserts
    assert insert.arg("sendUpdates") == "all" and insert.json()["attendees"] == [{"email": person.email}]
    assert event.meet_link.startswith("https://meet.google.com/")
    [entry] = await _entries(app, person, "meeting_scheduled")
    assert entry.details["calendar_event_id"] == event.id and entry.details["meet_link"] == event.meet_link
    assert [link.label for link in links_of(entry.details)] == ["Open in Google Calendar", "Join with Google Meet"]


async def test_sharing_documents_makes_the_folder_once_stores_it_and_records_it(app, fake, service, tmp_path):
    person = await _prospect(app)
    statement = tmp_path / "statement.pdf"
    statement.write_bytes(b"%PDF-1.4 " + b"x" * 1000)
    shared = await share_documents(app, service, person, files=[statement], role="commenter")
    assert shared.folder.folder_name == f"{person.name} - FIDUS Documents"
    [permission] = fake.drive.permissions[shared.folder.folder_id]
    assert (permission["role"], permission["emailAddress"]) == ("commenter", person.email)
    assert [f.name for f in shared.uploaded] == ["statement.pdf"]
    stored = await app.store.prospects.get(person.id)
    assert stored.raw["google_drive_folder"]["folder_id"] == shared.folder.folder_id
    [entry] = await _entries(app, person, "documents_shared")
    assert entry.details["drive_folder_id"] == shared.folder.folder_id and entry.details["files"] == ["statement.pdf"]

    again = await share_documents(app, service, person, role="reader")
    assert again.folder.folder_id == shared.folder.folder_id  # found, not made twice
    folders = [f for f in fake.drive.files.values() if f["mimeType"] == "application/vnd.google-apps.folder"]
    assert len(folders) == 1


async def test_templates_are_filled_from_the_record_with_escaped_html(app):
    ctx = TemplateContext("Ana <b>Client</b>", "FIDUS Investment Management",
                          (Holding("CORE", Decimal("25000.5")), Holding("BALANCE", Decimal("100000"))))
    report = fill(Template.INVESTMENT_REPORT, ctx)
    assert "USD 125,000.50" in report.text and "CORE: USD 25,000.50" in report.text
    assert "<b>Client</b>" not in report.html and "&lt;b&gt;Client&lt;/b&gt;" in report.html
    assert fill("document_request", ctx).subject == "Document Request - Ana <b>Client</b>"
    for template in Template:
        assert "FIDUS Investment Management" in fill(template, ctx).text

    client = next(c for c in await app.store.clients.find() if c.email)
    filled = await email_template(app, Person(PersonKind.CLIENT, client.client_id, client.name, client.email),
                                  Template.WELCOME)
    assert client.name in filled.text and filled.subject.startswith("Welcome to FIDUS Investment Management")
    investments = [i for i in await app.store.investments.find(Query(where=(Eq("client_id", client.client_id),)))
                   if i.is_active]
    for inv in investments:
        assert inv.product in filled.text


async def test_a_timeline_event_recorded_twice_under_one_key_is_one_entry(app):
    person = await _prospect(app)
    audit = record_event(person.kind, person.id, "email_sent", "E-mail sent: hello", {"gmail_message_id": "m1"})
    for _ in range(2):
        await app.writer.submit(timeline_operation(audit, kind="google.email", key="<id@fidus.test>"))
    assert len(await _entries(app, person, "email_sent")) == 1
