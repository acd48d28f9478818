"""Calendar and Drive through the real client library against the fake."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fidus_desktop.errors import UserCancelled, ValidationError
from fidus_desktop.google.calendar import Calendar, week_range
from fidus_desktop.google.drive import Drive, client_folder_name, q_literal
from fidus_desktop.google.media import CHUNK_UNIT, CancelToken

MADRID = ZoneInfo("Europe/Madrid")


@pytest.fixture
def calendar(connected):
    return Calendar(connected.api())


@pytest.fixture
def drive(connected):
    return Drive(connected.api())


async def test_a_meeting_with_a_meet_link_and_invitations(calendar, fake):
    start = datetime(2026, 3, 10, 15, 0, tzinfo=MADRID)
    event = await calendar.create("Investment Consultation - Ana Client", start, start + timedelta(minutes=60),
                                  attendees=["Ana Client <ana@example.com>"], meet=True, description="Agenda")
    assert event.meet_link.startswith("https://meet.google.com/")
    assert event.start == start and event.start.tzinfo is not None
    [insert] = fake.calendar.inserts
    assert insert.arg("conferenceDataVersion") == "1" and insert.arg("sendUpdates") == "all"
    body = insert.json()
    request_id = body["conferenceData"]["createRequest"]["requestId"]
    assert body["conferenceData"]["createRequest"]["conferenceSolutionKey"] == {"type": "hangoutsMeet"}
    assert body["start"] == {"dateTime": "2026-03-10T15:00:00+01:00", "timeZone": "Europe/Madrid"}
    assert body["attendees"] == [{"email": "ana@example.com"}]
    again = await calendar.create("Follow-up Meeting - Ana Client", start + timedelta(days=7),
                                  start + timedelta(days=7, minutes=30), meet=True)
    assert fake.calendar.inserts[-1].json()["conferenceData"]["createRequest"]["requestId"] != request_id
    assert again.meet_link and again.meet_link != event.meet_link


async def test_without_meet_no_conference_is_asked(calendar, fake):
    start = datetime(2026, 3, 10, 9, tzinfo=UTC)
    event = await calendar.create("Call", start, start + timedelta(minutes=15))
    assert event.meet_link == "" and fake.calendar.inserts[-1].arg("conferenceDataVersion") == "0"


async def test_naive_times_are_refused(calendar):
    with pytest.raises(ValidationError, match="time zone"):
        await calendar.create("Call", datetime(2026, 3, 10, 9), datetime(2026, 3, 10, 10))


async def test_week_view_move_cancel_and_free_busy(calendar, fake):
    monday, sunday_end = week_range(date(2026, 3, 11), MADRID)
    assert monday == datetime(2026, 3, 9, tzinfo=MADRID) and sunday_end == datetime(2026, 3, 16, tzinfo=MADRID)
    inside = fake.calendar.add("Board", datetime(2026, 3, 12, 9, tzinfo=UTC), datetime(2026, 3, 12, 10, tzinfo=UTC))
    fake.calendar.add("Next week", datetime(2026, 3, 17, 9, tzinfo=UTC), datetime(2026, 3, 17, 10, tzinfo=UTC))
    events = await calendar.week(date(2026, 3, 11), MADRID)
    assert [e.summary for e in events] == ["Board"]

    slot = (datetime(2026, 3, 12, 9, 30, tzinfo=UTC), datetime(2026, 3, 12, 10, 30, tzinfo=UTC))
    assert not await calendar.is_free(*slot)
    assert fake.received("calendar.freebusy")[-1].json()["items"] == [{"id": "primary"}]
    moved = await calendar.move(inside, datetime(2026, 3, 12, 14, tzinfo=UTC), datetime(2026, 3, 12, 15, tzinfo=UTC))
    assert moved.start == datetime(2026, 3, 12, 14, tzinfo=UTC)
    assert fake.received("calendar.events.patch")[-1].arg("sendUpdates") == "all"
    assert await calendar.is_free(*slot)
    await calendar.cancel(inside)
    assert fake.calendar.events[inside]["status"] == "cancelled"
    assert await calendar.week(date(2026, 3, 11), MADRID) == []


async def test_the_client_folder_is_created_once_and_named_as_the_original(drive, fake):
    folder = await drive.client_folder("  Ana  O'Brien ")
    assert folder.folder_name == "Ana O'Brien - FIDUS Documents" == client_folder_name("Ana O'Brien")
    again = await drive.client_folder("Ana O'Brien")
    assert again.folder_id == folder.folder_id
    assert len([f for f in fake.drive.files.values() if f["mimeType"].endswith("folder")]) == 1
    assert set(folder.to_record()) == {"folder_id", "folder_name", "web_view_link", "created_at"}
    assert q_literal("a'b\\c") == "'a\\'b\\\\c'"


async def test_resumable_upload_reports_progress_and_lands_in_the_folder(drive, fake, tmp_path):
    folder = await drive.client_folder("Ana Client")
    path = tmp_path / "KYC passport.pdf"
    data = bytes(range(256)) * (CHUNK_UNIT * 3 // 256 + 10)  # a bit over three chunks
    path.write_bytes(data)
    seen: list[tuple[int, int | None]] = []
    uploaded = await drive.upload(path, folder.folder_id, progress=lambda done, total: seen.append((done, total)),
                                  chunk_size=CHUNK_UNIT)
    assert fake.drive.contents[uploaded.id] == data
    assert fake.drive.files[uploaded.id]["parents"] == [folder.folder_id]
    assert [done for done, _ in seen] == [CHUNK_UNIT, 2 * CHUNK_UNIT, 3 * CHUNK_UNIT, len(data)]
    assert all(total == len(data) for _, total in seen)
    listed = await drive.list(folder.folder_id)
    assert [f.name for f in listed] == ["KYC passport.pdf"] and listed[0].size == len(data)
    target = await drive.download(uploaded.id, tmp_path / "back" / "copy.pdf")
    assert target.read_bytes() == data


async def test_cancelling_an_upload_stops_sending(drive, fake, tmp_path):
    folder = await drive.client_folder("Ana Client")
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * (CHUNK_UNIT * 8))
    cancel = CancelToken()

    def progress(done: int, total: int | None) -> None:
        if done >= 2 * CHUNK_UNIT:
            cancel.cancel()

    with pytest.raises(UserCancelled):
        await drive.upload(path, folder.folder_id, progress=progress, cancel=cancel, chunk_size=CHUNK_UNIT)
    assert fake.drive.chunk_puts == 2
    assert [f for f in fake.drive.files.values() if f["name"] == "big.bin"] == []
    path.unlink()  # our handle is closed: Windows would refuse this otherwise


async def test_an_upload_survives_a_failed_chunk(drive, fake, tmp_path):
    folder = await drive.client_folder("Ana Client")
    path = tmp_path / "doc.bin"
    data = b"y" * (CHUNK_UNIT * 2 + 5)
    path.write_bytes(data)
    fake.fail("drive.upload.chunk", 503, times=1, match=lambda r: "bytes 262144-" in r.headers.get("content-range", ""))
    uploaded = await drive.upload(path, folder.folder_id, chunk_size=CHUNK_UNIT)
    assert fake.drive.contents[uploaded.id] == data


async def test_share_with_the_client_at_a_role_and_web_link(drive, fake):
    folder = await drive.client_folder("Ana Client")
    permission = await drive.share(folder.folder_id, "Ana Client <ana@example.com>", "commenter",
                                   message="Your documents")
    assert permission.role == "commenter" and permission.email == "ana@example.com"
    [stored] = fake.drive.permissions[folder.folder_id]
    assert stored == {"id": permission.id, "type": "user", "role": "commenter", "emailAddress": "ana@example.com"}
    assert fake.drive.permission_queries[-1]["emailMessage"] == ["Your documents"]
    assert await drive.web_link(folder.folder_id) == folder.web_view_link
    with pytest.raises(ValidationError):
        await drive.share(folder.folder_id, "ana@example.com", "owner")
