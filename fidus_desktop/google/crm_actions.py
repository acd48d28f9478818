"""What the CRM record's buttons do for a person: e-mail, schedule a meeting, share documents.

Each action calls Google through the running Google service and writes one entry on the
person's timeline (:mod:`fidus_desktop.timeline`) with the Google ids and links: the Calendar
event and its Meet link, the Drive folder and the files shared. E-mail goes through the mail
outbox (:meth:`GoogleService.send`), which records the entry once Gmail has the mail.

The client's Drive folder is the original's (``<name> - FIDUS Documents``), found before it is
created, and stored on the prospect or client document (``google_drive_folder``; clients also
``google_drive_folder_id``, as the original's users carry) in the same operation as the entry.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..crm.timeline import EventKind
from ..errors import ValidationError
from ..storage.writes import MISSING, Patch
from ..timeline import (
    Person,
    PersonKind,
    TimelineLink,
    record_event,
    timeline_operation,
)
from .templates import FilledTemplate, Template

if TYPE_CHECKING:
    from ..app_context import AppContext
    from ..services.google_service import GoogleService
    from .calendar import CalendarEvent
    from .drive import DriveFile, DriveFolder
    from .media import CancelToken, Progress

log = logging.getLogger(__name__)


class SlotBusy(ValidationError):
    """The free/busy check found the slot taken: the manager books anyway or picks another."""

    code = "slot_busy"

    def __init__(self, busy: Sequence[tuple[datetime, datetime]]) -> None:
        spans = ", ".join(f"{a.astimezone():%H:%M}-{b.astimezone():%H:%M}" for a, b in busy[:5])
        super().__init__(f"The calendar is busy then ({spans}). Pick another time, or book anyway.",
                         {"start": "busy"})
        self.busy = tuple(busy)


@dataclass(frozen=True, slots=True)
class SharedDocuments:
    folder: DriveFolder
    uploaded: tuple[DriveFile, ...]
    role: str


async def email_template(context: AppContext, person: Person, template: Template | str) -> FilledTemplate:
    """The template filled from the person's record, for the compose window to edit and send."""
    from .person_context import filled

    return await filled(context, person, template)


async def busy_during(service: GoogleService, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    busy = await service.do(lambda g: g.calendar.free_busy(start, end))
    return [span for spans in busy.values() for span in spans]


async def schedule_meeting(context: AppContext, service: GoogleService, person: Person, *, title: str,
                           start: datetime, end: datetime, description: str = "", meet: bool = True,
                           attendees: Sequence[str] = (), check_free: bool = True) -> CalendarEvent:
    """Check the slot (unless told not to), book it with the person (and ``attendees``) invited,
    a Meet link on request, and write it on the person's timeline."""
    if check_free:
        busy = await busy_during(service, start, end)
        if busy:
            raise SlotBusy(busy)
    guests = [person.email, *(a for a in attendees if a and a != person.email)]

    async def book(g: Any) -> CalendarEvent:
        event = await g.calendar.create(title, start, end, description=description, attendees=guests, meet=meet)
        return await g.calendar.wait_for_meet(event) if meet else event

    event = await service.do(book)
    links = [TimelineLink("Open in Google Calendar", event.html_link)] if event.html_link else []
    if event.meet_link:
        links.append(TimelineLink("Join with Google Meet", event.meet_link))
    audit = record_event(person.kind, person.id, EventKind.MEETING,
                         f"Meeting booked: {title}, {start.astimezone():%Y-%m-%d %H:%M}",
                         {"calendar_event_id": event.id, "start": start.isoformat(), "end": end.isoformat(),
                          "meet_link": event.meet_link, "attendees": guests, "title": title}, links)
    await context.writer.submit(timeline_operation(audit, kind="google.meeting", key=event.id))
    service.sync_now()
    return event


async def client_folder(service: GoogleService, person: Person) -> DriveFolder:
    return await service.do(lambda g: g.drive.client_folder(person.name))


def _folder_patch(context: AppContext, person: Person, raw: Any, folder: DriveFolder) -> Patch | None:
    record = folder.to_record()
    current = raw.get("google_drive_folder", MISSING) if raw else MISSING
    if isinstance(current, dict) and current.get("folder_id") == folder.folder_id:
        return None
    values: dict[str, Any] = {"google_drive_folder": record}
    expected: dict[str, Any] = {"google_drive_folder": current}
    if person.kind is PersonKind.CLIENT:
        values["google_drive_folder_id"] = folder.folder_id
        expected["google_drive_folder_id"] = raw.get("google_drive_folder_id", MISSING) if raw else MISSING
    return Patch(person.collection, person.id, values, expected=expected)


async def share_documents(context: AppContext, service: GoogleService, person: Person, *,
                          files: Sequence[Path] = (), role: str = "reader", notify: bool = True, message: str = "",
                          progress: Progress | None = None, cancel: CancelToken | None = None) -> SharedDocuments:
    """The person's folder (found or made), the files uploaded into it, the folder shared with
    the person at ``role``; the folder stored on their record and the whole on their timeline."""
    if not person.email:
        raise ValidationError(f"{person.name} has no e-mail address to share with.", {"email": "required"})
    folder = await client_folder(service, person)
    uploaded = []
    for path in files:
        uploaded.append(await service.do(lambda g, p=path: g.drive.upload(Path(p), folder.folder_id,
                                                                         progress=progress, cancel=cancel)))
    permission = await service.do(lambda g: g.drive.share(folder.folder_id, person.email, role, notify=notify,
                                                           message=message))
    writes = []
    store = context.store
    if store is not None:
        repo = store.prospects if person.kind is PersonKind.PROSPECT else store.clients
        try:
            record = await repo.find_one(person.id)
        except Exception as exc:  # noqa: BLE001 (the database away: the folder is noted next time)
            log.info("folder not stored on %s now: %s", person.id, exc)
            record = None
        patch = _folder_patch(context, person, getattr(record, "raw", None), folder) if record else None
        if patch is not None:
            writes.append(patch)
    names = [f.name for f in uploaded]
    summary = (f"Documents shared ({role}): {', '.join(names)}" if names else
               f"Drive folder shared ({role}): {folder.folder_name}")
    audit = record_event(person.kind, person.id, EventKind.DOCUMENT, summary,
                         {"drive_folder_id": folder.folder_id, "folder_name": folder.folder_name,
                          "drive_file_ids": [f.id for f in uploaded], "files": names, "role": role,
                          "permission_id": permission.id, "shared_with": permission.email},
                         [TimelineLink("Open the Drive folder", folder.web_view_link)] if folder.web_view_link else [])
    key = f"{folder.folder_id}:{permission.id}:{','.join(f.id for f in uploaded)}"
    await context.writer.submit(timeline_operation(audit, kind="google.share", writes=writes, key=key))
    return SharedDocuments(folder, tuple(uploaded), role)
