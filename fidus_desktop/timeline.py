"""Who a Google action is for, and its entry on the person's timeline.

The timeline itself is :mod:`fidus_desktop.crm.timeline` (its kinds, the one builder of its
audit entries, the reader). An action on a person (a mail sent, a meeting booked, documents
shared) gets its entry from :func:`record_event`, which returns the
:class:`~fidus_desktop.runtime.operations.Audit` (built by the CRM timeline's ``event_audit``)
to put in that action's ``Operation``; the CRM's record pane reads those entries back from
``activity_logs`` by ``client_id`` or ``prospect_id`` (indexed with the timestamp). ``details`` carries the machine ids (Gmail message
and thread ids, the Calendar event id, the Drive folder id) and ``details["links"]`` the links
the record pane shows ("Open in Gmail", "Join with Google Meet"...), so an entry is useful on
its own without asking Google again.

:func:`timeline_operation` wraps an audit with no document writes into the operation that goes
through ``context.writer.submit`` (flag ``timeline``, so the person's record redraws). An action
that also writes a record (the Drive folder stored on the prospect) passes its writes.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .runtime.operations import Audit, Operation
from .services.changes import TIMELINE
from .storage.writes import Write


class PersonKind(enum.StrEnum):
    PROSPECT = "prospect"
    CLIENT = "client"


@dataclass(frozen=True, slots=True)
class TimelineLink:
    label: str
    url: str

    def to_doc(self) -> dict[str, str]:
        return {"label": self.label, "url": self.url}


@dataclass(frozen=True, slots=True)
class Person:
    """Who an action is for, as the CRM record pane knows them."""

    kind: PersonKind
    id: str
    name: str
    email: str

    @property
    def collection(self) -> str:
        """Where the person's document lives (the original's collection names)."""
        return "crm_prospects" if self.kind is PersonKind.PROSPECT else "users"


def record_event(person_kind: PersonKind | str, person_id: str, kind: str, summary: str,
                 details: Mapping[str, Any] | None = None, links: Sequence[TimelineLink] = ()) -> Audit:
    """The audit entry of an action on a person's timeline (``kind``: ``email_sent``,
    ``meeting_scheduled``, ``documents_shared``...)."""
    from .crm.timeline import Person as TimelinePerson
    from .crm.timeline import TimelineEvent, event_audit

    person_kind = PersonKind(person_kind)
    if not person_id:
        raise ValueError("a timeline event needs the person's id")
    doc = dict(details or {})
    if links:
        doc["links"] = [link.to_doc() for link in links]
    doc["person_kind"] = person_kind.value
    whose = (TimelinePerson.of(client_id=person_id) if person_kind is PersonKind.CLIENT
             else TimelinePerson.of(prospect_id=person_id))
    return event_audit(TimelineEvent(whose, kind, summary, details=doc))


def timeline_operation(audit: Audit, *, kind: str, writes: Sequence[Write] = (), key: str = "") -> Operation:
    """The operation recording ``audit``. ``key``: a stable name of the action (a mail's
    Message-ID) so recording it twice (a replayed send) leaves one entry, not two."""
    extra: dict[str, Any] = {}
    if key:
        extra["op_id"] = "tl-" + hashlib.sha256(f"{kind}\x00{key}".encode()).hexdigest()[:32]
    return Operation(kind, tuple(writes), audit, flags=frozenset({TIMELINE}), **extra)


def links_of(details: Mapping[str, Any]) -> list[TimelineLink]:
    """The links an entry carries (for the record pane); malformed ones are skipped."""
    out = []
    for item in details.get("links") or ():
        if isinstance(item, Mapping) and isinstance(item.get("url"), str) and item["url"].startswith("https://"):
            out.append(TimelineLink(str(item.get("label") or item["url"]), item["url"]))
    return out
