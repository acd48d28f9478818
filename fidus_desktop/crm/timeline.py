"""A person's timeline: everything done with a prospect or a client, newest first.

It lives in ``activity_logs`` (the original recorded none of it). Most entries are the audit
entries the write path already writes, one per operation: a stage change, an edit, a note, a
conversion, an investment. Other features add their events through :func:`record_event` (one
event, one operation) or :func:`event_inserts` (many events inside one operation, e.g. a Gmail
sync): e-mails, meetings and shared documents (Google Workspace), statements (Portfolio).
See ``docs/timeline.md``.

An event with a ``source_ref`` (a Gmail message id, a Calendar event id) is recorded once,
however often it is seen: its entry's key is derived from it.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..domain.activity import ActivityEntry
from ..domain.values import utc_now
from ..runtime.operations import Audit, Operation
from ..services.changes import TIMELINE
from ..storage.query import Eq, Query
from ..storage.writes import Insert

if TYPE_CHECKING:
    from ..app_context import AppContext
    from ..runtime.writer import WriteResult
    from ..storage.store import FundStore

_NAMESPACE = uuid.UUID("6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f")
#: Entries read per page; a record with 1,000 entries opens on its newest page.
PAGE = 50


class EventKind(enum.StrEnum):
    """What happened; each kind is an ``activity_type`` in ``activity_logs``."""

    CREATED = "prospect_created"
    STAGE = "stage_changed"
    EDIT = "prospect_updated"
    NOTE = "note"
    KYC = "kyc_decision"
    NEXT_ACTION = "next_action"
    REMINDER = "reminder_due"
    MIGRATED = "lead_migrated"
    CONVERSION = "converted_to_client"
    MERGE = "records_merged"
    IMPORT = "prospects_imported"
    CLIENT_CREATED = "client_created"
    CLIENT_EDIT = "client_updated"
    CLIENT_STATUS = "client_status"
    CLIENT_DELETED = "client_deleted"
    READINESS = "readiness_updated"
    # Written by other features through this module (Google Workspace, statements):
    EMAIL = "email_sent"
    MEETING = "meeting_scheduled"
    DOCUMENT = "documents_shared"
    STATEMENT = "statement_sent"


#: How the timeline names an entry's kind; activity types not listed read as they are
#: (``deposit`` and the other investment entries are "investment").
KIND_LABELS = {
    EventKind.CREATED: "Created", EventKind.STAGE: "Stage", EventKind.EDIT: "Edited", EventKind.NOTE: "Note",
    EventKind.KYC: "AML/KYC", EventKind.NEXT_ACTION: "Next action", EventKind.REMINDER: "Reminder",
    EventKind.MIGRATED: "Portal lead", EventKind.CONVERSION: "Conversion", EventKind.MERGE: "Merge",
    EventKind.IMPORT: "Import", EventKind.CLIENT_CREATED: "Created", EventKind.CLIENT_EDIT: "Edited",
    EventKind.CLIENT_STATUS: "Status", EventKind.CLIENT_DELETED: "Deleted", EventKind.READINESS: "Readiness",
    EventKind.EMAIL: "E-mail", EventKind.MEETING: "Meeting", EventKind.DOCUMENT: "Document",
    EventKind.STATEMENT: "Statement",
}
_INVESTMENT_TYPES = {"deposit", "investment_updated", "investment_status_changed", "interest_paid",
                     "principal_paid", "redemption"}


@dataclass(frozen=True, slots=True)
class Person:
    """Whose timeline: a prospect, a client, or both once converted (and what was merged in)."""

    prospect_ids: tuple[str, ...] = ()
    client_ids: tuple[str, ...] = ()

    @classmethod
    def of(cls, prospect_id: str = "", client_id: str = "", *, merged_prospects: Iterable[str] = (),
           merged_clients: Iterable[str] = ()) -> Person:
        return cls(tuple(dict.fromkeys(p for p in (prospect_id, *merged_prospects) if p)),
                   tuple(dict.fromkeys(c for c in (client_id, *merged_clients) if c)))

    @property
    def prospect_id(self) -> str:
        return self.prospect_ids[0] if self.prospect_ids else ""

    @property
    def client_id(self) -> str:
        return self.client_ids[0] if self.client_ids else ""


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """Something done with a person, as another feature reports it."""

    person: Person
    kind: EventKind | str
    #: One line, shown in the timeline ("Sent 'Quarterly statement' to ana@example.com").
    summary: str
    #: When it happened (an e-mail's date); now when not given.
    occurred_at: datetime | None = None
    #: Shown when the entry is opened; plain JSON values (no secrets: mail bodies stay in Gmail).
    details: Mapping[str, Any] = field(default_factory=dict)
    #: The thing's own id (Gmail message id...): the same event is recorded once.
    source_ref: str = ""


def event_audit(event: TimelineEvent) -> Audit:
    """The audit entry of an operation that records ``event`` (alone, or with its writes)."""
    details = dict(event.details)
    if event.source_ref:
        details["source_ref"] = event.source_ref
    if len(event.person.prospect_ids) > 1 or len(event.person.client_ids) > 1:
        details["also"] = {"prospects": list(event.person.prospect_ids[1:]), "clients": list(event.person.client_ids[1:])}
    return Audit(activity_type=str(event.kind), description=event.summary[:500], client_id=event.person.client_id,
                 prospect_id=event.person.prospect_id, details=details)


def event_operation(event: TimelineEvent, *, writes: Sequence[Any] = (), kind: str = "timeline.record") -> Operation:
    """An operation recording ``event`` (with ``writes``, if the event changes records too).
    With a ``source_ref`` its id is derived from it, so recording it again does nothing."""
    op_id = str(uuid.uuid5(_NAMESPACE, f"{event.kind}:{event.source_ref}")) if event.source_ref else str(uuid.uuid4())
    return Operation(kind, tuple(writes), event_audit(event), flags=frozenset({TIMELINE}), op_id=op_id,
                     created_at=event.occurred_at)


async def record_event(context: AppContext, event: TimelineEvent) -> WriteResult:
    """Put ``event`` on its person's timeline through the one write path."""
    return await context.writer.submit(event_operation(event))


def event_inserts(events: Iterable[TimelineEvent], op_id: str, actor: str = "") -> list[Insert]:
    """Timeline entries for many events inside one operation (its own audit sums them up).
    Each entry's key comes from its ``source_ref`` when it has one (recorded once), else from
    the operation and its position."""
    inserts = []
    now = utc_now()
    for n, event in enumerate(events):
        log_id = (f"tl:{uuid.uuid5(_NAMESPACE, f'{event.kind}:{event.source_ref}')}" if event.source_ref
                  else f"{op_id}:{n}")
        audit = event_audit(event)
        moment = event.occurred_at or now
        doc: dict[str, Any] = {"log_id": log_id, "activity_type": audit.activity_type,
                               "description": audit.description, "timestamp": moment,
                               "client_id": audit.client_id, "created_at": now}
        if audit.prospect_id:
            doc["prospect_id"] = audit.prospect_id
        if actor:
            doc["actor"] = actor
        if audit.details:
            doc["details"] = dict(audit.details)
        inserts.append(Insert("activity_logs", doc, if_exists="skip"))
    return inserts


# ---- reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimelineItem:
    log_id: str
    at: datetime
    actor: str
    kind: str
    label: str
    summary: str
    details: Mapping[str, Any]

    @classmethod
    def of(cls, entry: ActivityEntry) -> TimelineItem:
        kind = entry.activity_type
        label = KIND_LABELS.get(kind, "Investment" if kind in _INVESTMENT_TYPES else kind.replace("_", " ").title())  # type: ignore[call-overload]
        summary = entry.description
        if entry.amount is not None and kind in _INVESTMENT_TYPES and f"{entry.amount:,.2f}" not in summary:
            summary = f"{summary} ({entry.amount:,.2f})"
        return cls(entry.log_id, entry.timestamp, entry.actor, kind, label, summary, entry.details)


@dataclass(frozen=True, slots=True)
class TimelinePage:
    items: tuple[TimelineItem, ...]
    offset: int
    #: More entries are older than the last one shown.
    more: bool


async def timeline(store: FundStore, person: Person, offset: int = 0, limit: int = PAGE) -> TimelinePage:
    """Entries ``offset..offset+limit`` of ``person``'s timeline, newest first.

    One indexed query per id (``(prospect_id, timestamp)`` and ``(client_id, timestamp)``),
    each reading only the first ``offset + limit + 1`` entries, merged by time.
    """
    wanted = offset + limit + 1
    queries = [Eq("prospect_id", p) for p in person.prospect_ids] + [Eq("client_id", c) for c in person.client_ids]
    seen: dict[str, ActivityEntry] = {}
    for condition in queries:
        for entry in await store.activity.find(Query(where=(condition,), order_by=(("timestamp", True),), limit=wanted)):
            seen.setdefault(entry.log_id, entry)  # a conversion names both ids: shown once
    ordered = sorted(seen.values(), key=lambda e: (e.timestamp, e.log_id), reverse=True)
    page = ordered[offset:offset + limit]
    return TimelinePage(tuple(TimelineItem.of(e) for e in page), offset, len(ordered) > offset + limit)
