"""Google Calendar: the agenda and week views, booking, moving and cancelling, Meet links,
invitations, and the free/busy check before booking.

Times are aware datetimes everywhere; a naive one is refused rather than guessed. New events
carry an IANA time zone when one is known (the setting, or the ``ZoneInfo`` of the times given);
the original hard-coded ``America/New_York``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ..errors import ValidationError
from .apis import Api
from .mime import check_addresses

if TYPE_CHECKING:
    from .client import GoogleClient

SEND_UPDATES = ("all", "externalOnly", "none")


@dataclass(frozen=True, slots=True)
class Attendee:
    email: str
    display_name: str = ""
    response_status: str = "needsAction"
    organizer: bool = False


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    id: str
    status: str
    summary: str
    start: datetime
    end: datetime
    all_day: bool = False
    description: str = ""
    location: str = ""
    attendees: tuple[Attendee, ...] = ()
    html_link: str = ""
    meet_link: str = ""
    #: Google is still creating the Meet conference (poll with :meth:`Calendar.wait_for_meet`).
    conference_pending: bool = False
    updated: datetime | None = None
    time_zone: str = ""

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"


def _moment(point: Any, fallback_zone: tzinfo = UTC) -> tuple[datetime, bool]:
    """An event's start or end: ``(aware datetime, all day)``. All-day dates become local midnight."""
    if isinstance(point, Mapping):
        if isinstance(point.get("dateTime"), str):
            try:
                moment = datetime.fromisoformat(point["dateTime"])
            except ValueError:
                moment = None
            if moment is not None:
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=_zone(point.get("timeZone")) or fallback_zone)
                return moment, False
        if isinstance(point.get("date"), str):
            try:
                return datetime.combine(date.fromisoformat(point["date"]), time(), fallback_zone), True
            except ValueError:
                pass
    return datetime.fromtimestamp(0, UTC), False


def _zone(name: Any) -> tzinfo | None:
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return None


def meet_link_of(data: Mapping[str, Any]) -> str:
    if isinstance(data.get("hangoutLink"), str):
        return data["hangoutLink"]
    for entry in (data.get("conferenceData") or {}).get("entryPoints") or ():
        if isinstance(entry, Mapping) and entry.get("entryPointType") == "video":
            return str(entry.get("uri") or "")
    return ""


def parse_event(data: Mapping[str, Any], fallback_zone: tzinfo = UTC) -> CalendarEvent:
    start, all_day = _moment(data.get("start"), fallback_zone)
    end, _ = _moment(data.get("end"), fallback_zone)
    attendees = tuple(Attendee(str(a.get("email", "")), str(a.get("displayName", "")),
                               str(a.get("responseStatus", "needsAction")), bool(a.get("organizer")))
                      for a in data.get("attendees") or () if isinstance(a, Mapping))
    create = ((data.get("conferenceData") or {}).get("createRequest") or {})
    pending = (create.get("status") or {}).get("statusCode") == "pending"
    updated = None
    if isinstance(data.get("updated"), str):
        try:
            updated = datetime.fromisoformat(data["updated"])
        except ValueError:
            updated = None
    return CalendarEvent(id=str(data.get("id", "")), status=str(data.get("status", "confirmed")),
                         summary=str(data.get("summary", "")), start=start, end=max(end, start), all_day=all_day,
                         description=str(data.get("description", "")), location=str(data.get("location", "")),
                         attendees=attendees, html_link=str(data.get("htmlLink", "")), meet_link=meet_link_of(data),
                         conference_pending=pending, updated=updated,
                         time_zone=str((data.get("start") or {}).get("timeZone", "")))


def _aware(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError(f"The {what} time has no time zone.", {what: "no time zone"})
    return moment


def rfc3339(moment: datetime) -> str:
    return _aware(moment, "given").isoformat()


def week_range(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00 of ``day``'s week, in ``zone``."""
    monday = day - timedelta(days=day.weekday())
    return (datetime.combine(monday, time(), zone), datetime.combine(monday + timedelta(days=7), time(), zone))


def agenda_range(now: datetime, days: int = 14) -> tuple[datetime, datetime]:
    return _aware(now, "start"), now + timedelta(days=days)


class Calendar:
    def __init__(self, client: GoogleClient, *, time_zone: str = "") -> None:
        self.client = client
        self.time_zone = time_zone

    def _point(self, moment: datetime, what: str) -> dict[str, str]:
        moment = _aware(moment, what)
        zone = self.time_zone or (moment.tzinfo.key if isinstance(moment.tzinfo, ZoneInfo) else "")
        return {"dateTime": moment.isoformat(), **({"timeZone": zone} if zone else {})}

    async def events_between(self, start: datetime, end: datetime, *, calendar_id: str = "primary",
                             query: str = "", limit: int = 2500) -> list[CalendarEvent]:
        """The events overlapping ``[start, end)``, recurring ones expanded, in start order."""
        low, high = rfc3339(start), rfc3339(end)

        def build(c: Any, token: str | None) -> Any:
            kwargs: dict[str, Any] = {"calendarId": calendar_id, "timeMin": low, "timeMax": high,
                                      "singleEvents": True, "orderBy": "startTime", "maxResults": 250}
            if query:
                kwargs["q"] = query
            if token:
                kwargs["pageToken"] = token
            return c.events().list(**kwargs)

        items, _ = await self.client.pages(Api.CALENDAR, build, "items", limit=limit)
        return [parse_event(e, start.tzinfo or UTC) for e in items]

    async def week(self, day: date, zone: tzinfo, *, calendar_id: str = "primary") -> list[CalendarEvent]:
        return await self.events_between(*week_range(day, zone), calendar_id=calendar_id)

    async def agenda(self, now: datetime, days: int = 14, *, calendar_id: str = "primary") -> list[CalendarEvent]:
        return await self.events_between(*agenda_range(now, days), calendar_id=calendar_id)

    async def create(self, summary: str, start: datetime, end: datetime, *, description: str = "",
                     location: str = "", attendees: Sequence[str] = (), meet: bool = False,
                     send_updates: str = "all", calendar_id: str = "primary") -> CalendarEvent:
        """Book an event; ``meet=True`` asks Google for a Meet link (a fresh ``requestId`` each
        call, ``conferenceDataVersion=1``); attendees are invited per ``send_updates``."""
        if not summary.strip():
            raise ValidationError("Give the meeting a title.", {"summary": "required"})
        if _aware(end, "end") <= _aware(start, "start"):
            raise ValidationError("The meeting must end after it starts.", {"end": "before start"})
        if send_updates not in SEND_UPDATES:
            raise ValueError(f"send_updates must be one of {SEND_UPDATES}")
        body: dict[str, Any] = {"summary": summary, "start": self._point(start, "start"),
                                "end": self._point(end, "end")}
        if description:
            body["description"] = description
        if location:
            body["location"] = location
        emails = check_addresses(list(attendees), "attendees")
        if emails:
            body["attendees"] = [{"email": e.rpartition("<")[2].rstrip(">")} for e in emails]
        if meet:
            body["conferenceData"] = {"createRequest": {"requestId": uuid.uuid4().hex,
                                                        "conferenceSolutionKey": {"type": "hangoutsMeet"}}}
        answer = await self.client.call(Api.CALENDAR, lambda c: c.events().insert(
            calendarId=calendar_id, body=body, sendUpdates=send_updates, conferenceDataVersion=1 if meet else 0))
        return parse_event(answer, start.tzinfo or UTC)

    async def get(self, event_id: str, *, calendar_id: str = "primary") -> CalendarEvent:
        answer = await self.client.call(Api.CALENDAR, lambda c: c.events().get(calendarId=calendar_id,
                                                                               eventId=event_id))
        return parse_event(answer)

    async def wait_for_meet(self, event: CalendarEvent, *, tries: int = 5, pause: float = 1.0,
                            calendar_id: str = "primary") -> CalendarEvent:
        """While Google says the conference is "pending", look again a few times."""
        for attempt in range(tries):
            if not event.conference_pending:
                return event
            await asyncio.sleep(pause * (attempt + 1))
            event = await self.get(event.id, calendar_id=calendar_id)
        return event

    async def move(self, event_id: str, start: datetime, end: datetime, *, send_updates: str = "all",
                   calendar_id: str = "primary") -> CalendarEvent:
        if _aware(end, "end") <= _aware(start, "start"):
            raise ValidationError("The meeting must end after it starts.", {"end": "before start"})
        body = {"start": self._point(start, "start"), "end": self._point(end, "end")}
        answer = await self.client.call(Api.CALENDAR, lambda c: c.events().patch(
            calendarId=calendar_id, eventId=event_id, body=body, sendUpdates=send_updates))
        return parse_event(answer, start.tzinfo or UTC)

    async def cancel(self, event_id: str, *, send_updates: str = "all", calendar_id: str = "primary") -> None:
        await self.client.call(Api.CALENDAR, lambda c: c.events().delete(
            calendarId=calendar_id, eventId=event_id, sendUpdates=send_updates))

    async def free_busy(self, start: datetime, end: datetime, *,
                        calendars: Sequence[str] = ("primary",)) -> dict[str, list[tuple[datetime, datetime]]]:
        """Busy intervals per calendar in ``[start, end)`` (aware UTC)."""
        body = {"timeMin": rfc3339(start), "timeMax": rfc3339(end), "items": [{"id": c} for c in calendars]}
        answer = await self.client.call(Api.CALENDAR, lambda c: c.freebusy().query(body=body))
        out: dict[str, list[tuple[datetime, datetime]]] = {}
        for calendar_id, entry in (answer.get("calendars") or {}).items():
            if (entry or {}).get("errors"):
                raise ValidationError(f"The calendar {calendar_id} cannot be checked "
                                      f"({entry['errors'][0].get('reason', 'error')}).")
            out[calendar_id] = [(datetime.fromisoformat(b["start"]).astimezone(UTC),
                                 datetime.fromisoformat(b["end"]).astimezone(UTC)) for b in entry.get("busy") or ()]
        return out

    async def is_free(self, start: datetime, end: datetime, *, calendars: Sequence[str] = ("primary",)) -> bool:
        busy = await self.free_busy(start, end, calendars=calendars)
        return not any(intervals for intervals in busy.values())

    async def changes(self, calendar_id: str, *, sync_token: str | None, days_back: int = 90,
                      now: datetime | None = None) -> tuple[list[dict[str, Any]], str]:
        """Events changed since ``sync_token`` (cancelled ones included), and the next token.
        Without a token: everything from ``days_back`` days ago on (a full sync). A 410 from
        Google (token no longer valid) raises ``GoogleGone``: the caller wipes and starts over."""
        since = (now or datetime.now(UTC)) - timedelta(days=days_back)

        def build(c: Any, page: str | None) -> Any:
            kwargs: dict[str, Any] = {"calendarId": calendar_id, "singleEvents": True, "maxResults": 250}
            if sync_token:
                kwargs["syncToken"] = sync_token  # no timeMin/orderBy with a sync token (Google says 400)
                kwargs["showDeleted"] = True
            else:
                kwargs["timeMin"] = since.isoformat()
            if page:
                kwargs["pageToken"] = page
            return c.events().list(**kwargs)

        items, last = await self.client.pages(Api.CALENDAR, build, "items")
        token = last.get("nextSyncToken")
        if not token:
            raise ValidationError("Google Calendar gave no sync token.")
        return items, str(token)
