"""Calendar: events (list with sync tokens, insert with Meet, patch, delete), freeBusy, calendars."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .server import Reply, Request

if TYPE_CHECKING:
    from .server import FakeGoogle

_CAL = "/calendar/v3/calendars/(?P<cal>[^/]+)"


def _moment(point: dict[str, Any]) -> datetime:
    if "dateTime" in point:
        return datetime.fromisoformat(point["dateTime"]).astimezone(UTC)
    return datetime.fromisoformat(point["date"]).replace(tzinfo=UTC)


class FakeCalendar:
    def __init__(self, fake: FakeGoogle) -> None:
        self.fake = fake
        self.events: dict[str, dict[str, Any]] = {}
        self.changed: dict[str, int] = {}  # event id -> sequence of its last change
        self.seq = 0
        #: Sync tokens issued before this sequence are refused with 410.
        self.token_floor = 0
        self.inserts: list[Request] = []
        self._ids = itertools.count(1)
        fake.route("GET", f"{_CAL}", "calendar.calendars.get", self.get_calendar)
        fake.route("GET", f"{_CAL}/events", "calendar.events.list", self.list_events)
        fake.route("POST", f"{_CAL}/events", "calendar.events.insert", self.insert)
        fake.route("GET", f"{_CAL}/events/(?P<id>[^/]+)", "calendar.events.get", self.get)
        fake.route("PATCH", f"{_CAL}/events/(?P<id>[^/]+)", "calendar.events.patch", self.patch)
        fake.route("DELETE", f"{_CAL}/events/(?P<id>[^/]+)", "calendar.events.delete", self.delete)
        fake.route("POST", "/calendar/v3/freeBusy", "calendar.freebusy", self.freebusy)

    def _touch(self, event_id: str) -> None:
        self.seq += 1
        self.changed[event_id] = self.seq
        self.events[event_id]["updated"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")

    def add(self, summary: str, start: datetime, end: datetime, **extra: Any) -> str:
        event_id = f"ev{next(self._ids):04d}"
        self.events[event_id] = {"id": event_id, "status": "confirmed", "summary": summary,
                                 "start": {"dateTime": start.isoformat()}, "end": {"dateTime": end.isoformat()},
                                 "htmlLink": f"https://calendar.fake/event?eid={event_id}", **extra}
        self._touch(event_id)
        return event_id

    def invalidate_sync_tokens(self) -> None:
        self.token_floor = self.seq + 1

    def get_calendar(self, request: Request) -> Reply:
        return Reply.json(200, {"id": self.fake.gmail.address, "summary": self.fake.gmail.address,
                                "timeZone": "Europe/Madrid"})

    def list_events(self, request: Request) -> Reply:
        token = request.arg("syncToken")
        if token is not None:
            since = int(token.removeprefix("sync-"))
            if since < self.token_floor:
                return Reply.error(410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required.")
            for forbidden in ("timeMin", "timeMax", "orderBy", "q", "updatedMin"):
                if request.arg(forbidden) is not None:
                    return Reply.error(400, "invalid", "syncTokenWithRequestRestrictions")
            found = [e for e in self.events.values() if self.changed[e["id"]] > since]
        else:
            found = [e for e in self.events.values() if e["status"] != "cancelled"]
            low, high = request.arg("timeMin"), request.arg("timeMax")
            if low:
                found = [e for e in found if _moment(e["end"]) > datetime.fromisoformat(low)]
            if high:
                found = [e for e in found if _moment(e["start"]) < datetime.fromisoformat(high)]
            if request.arg("orderBy") == "startTime":
                found.sort(key=lambda e: _moment(e["start"]))
        start, size = int(request.arg("pageToken") or 0), int(request.arg("maxResults") or 250)
        answer: dict[str, Any] = {"kind": "calendar#events", "items": found[start:start + size],
                                  "timeZone": "Europe/Madrid"}
        if start + size < len(found):
            answer["nextPageToken"] = str(start + size)
        else:
            answer["nextSyncToken"] = f"sync-{self.seq}"
        return Reply.json(200, answer)

    def insert(self, request: Request) -> Reply:
        self.inserts.append(request)
        body = request.json()
        start = body.get("start", {})
        if "dateTime" in start and datetime.fromisoformat(start["dateTime"]).tzinfo is None \
                and not start.get("timeZone"):
            return Reply.error(400, "timeRangeEmpty", "Missing time zone definition for start time.")
        event_id = f"ev{next(self._ids):04d}"
        event = {**body, "id": event_id, "status": "confirmed", "htmlLink": f"https://calendar.fake/event?eid={event_id}",
                 "organizer": {"email": self.fake.gmail.address, "self": True}}
        create = (body.get("conferenceData") or {}).get("createRequest")
        if create and request.arg("conferenceDataVersion") == "1":
            code = f"abc-{event_id[-4:]}-xyz"
            event["conferenceData"] = {
                "createRequest": {**create, "status": {"statusCode": "success"}},
                "entryPoints": [{"entryPointType": "video", "uri": f"https://meet.google.com/{code}", "label": code},
                                {"entryPointType": "phone", "uri": "tel:+1-555-0100"}],
                "conferenceSolution": {"key": {"type": "hangoutsMeet"}, "name": "Google Meet"},
                "conferenceId": code}
            event["hangoutLink"] = f"https://meet.google.com/{code}"
        elif "conferenceData" in event:
            del event["conferenceData"]  # without conferenceDataVersion=1 Google ignores it
        self.events[event_id] = event
        self._touch(event_id)
        return Reply.json(200, event)

    def get(self, request: Request) -> Reply:
        event = self.events.get(request.params["id"])
        return Reply.json(200, event) if event else Reply.error(404, "notFound")

    def patch(self, request: Request) -> Reply:
        event = self.events.get(request.params["id"])
        if event is None or event["status"] == "cancelled":
            return Reply.error(404, "notFound")
        event.update(request.json())
        self._touch(event["id"])
        return Reply.json(200, event)

    def delete(self, request: Request) -> Reply:
        event = self.events.get(request.params["id"])
        if event is None or event["status"] == "cancelled":
            return Reply.error(410, "deleted", "Resource has been deleted")
        event["status"] = "cancelled"
        self._touch(event["id"])
        return Reply(204, b"")

    def freebusy(self, request: Request) -> Reply:
        body = request.json()
        low, high = datetime.fromisoformat(body["timeMin"]), datetime.fromisoformat(body["timeMax"])
        busy = [{"start": _moment(e["start"]).isoformat().replace("+00:00", "Z"),
                 "end": _moment(e["end"]).isoformat().replace("+00:00", "Z")}
                for e in self.events.values()
                if e["status"] != "cancelled" and e.get("transparency") != "transparent"
                and _moment(e["start"]) < high and _moment(e["end"]) > low]
        return Reply.json(200, {"kind": "calendar#freeBusy", "timeMin": body["timeMin"], "timeMax": body["timeMax"],
                                "calendars": {item["id"]: {"busy": busy} for item in body.get("items", [])}})
