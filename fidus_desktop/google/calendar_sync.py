"""Keeping the local copy of a calendar current with Google's sync tokens.

The first sync lists events from ``calendar_sync_days_back`` days ago on and keeps the
``nextSyncToken`` of the last page; later syncs send only the token and get what changed
(cancelled events included, which are dropped from the copy). A 410 Gone means Google no longer
honours the token: the copy is wiped and a full sync runs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from ..domain.values import utc_now
from ..storage.cache import LocalCache
from .calendar import Calendar, CalendarEvent, parse_event
from .errors import GoogleGone

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CalendarSyncResult:
    full: bool
    changed: int
    removed: int
    reason: str = ""


class CalendarSync:
    def __init__(self, calendar: Calendar, cache: LocalCache, account: str, *, calendar_id: str = "primary",
                 days_back: int = 90) -> None:
        self.calendar = calendar
        self.cache = cache
        self.account = account
        self.calendar_id = calendar_id
        self.days_back = days_back

    @property
    def cursor_name(self) -> str:
        return f"calendar:{self.account}:{self.calendar_id}"

    async def cached_between(self, start: datetime, end: datetime, zone: tzinfo = UTC) -> list[CalendarEvent]:
        docs = await self.cache.google.events_between(self.account, self.calendar_id, start, end)
        return [parse_event(doc, zone) for doc in docs]

    async def sync(self) -> CalendarSyncResult:
        state = await self.cache.get_sync_state(self.cursor_name) or {}
        token = str(state.get("sync_token") or "") or None
        full, reason = token is None, "first sync" if token is None else ""
        try:
            items, next_token = await self.calendar.changes(self.calendar_id, sync_token=token,
                                                            days_back=self.days_back)
        except GoogleGone:
            log.info("Calendar sync token refused (410): full sync")
            full, reason = True, "sync token expired"
            items, next_token = await self.calendar.changes(self.calendar_id, sync_token=None,
                                                            days_back=self.days_back)
        if full:
            await self.cache.google.clear_events(self.account, self.calendar_id)
        events = [parse_event(item) for item in items]
        await self.cache.google.put_events(self.account, self.calendar_id, (
            (e.id, e.start.astimezone(UTC), e.end.astimezone(UTC), e.status, item) for e, item in zip(events, items,
                                                                                                    strict=True)))
        await self.cache.put_sync_state(self.cursor_name, {"sync_token": next_token,
                                                           "synced_at": utc_now().isoformat()})
        removed = sum(e.cancelled for e in events)
        return CalendarSyncResult(full, len(events) - removed, removed, reason)

    async def forget(self) -> None:
        await self.cache.google.clear_events(self.account, self.calendar_id)
        await self.cache.put_sync_state(self.cursor_name, {})
