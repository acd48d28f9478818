"""An operation: one change the manager (or a background job) makes, as data.

A service checks the rules against what it read, then describes the change as an
:class:`Operation`: the document writes (insert, patch, delete), one audit entry (what, who,
when), and the meaning-level flags of its :class:`~fidus_desktop.services.changes.Changes`.
The write path (:mod:`.writer`) applies it as one unit, or keeps it in the outbox while the
database is away; replaying it later applies the very same writes, exactly once: the audit
entry's key is derived from the operation's id, so an operation whose audit entry exists has
taken effect.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..domain.activity import ActivityEntry
from ..domain.values import read_datetime, utc_now
from ..services.changes import Changes
from ..storage.writes import Delete, Insert, Patch, Write, write_from_payload, write_payload

#: The outbox kind of a queued operation.
OUTBOX_KIND = "operation"
AUDIT_PREFIX = "op:"


@dataclass(frozen=True, slots=True)
class Audit:
    """The audit entry of an operation (``activity_logs``), without who and when."""

    activity_type: str
    description: str
    client_id: str = ""
    prospect_id: str = ""
    investment_id: str = ""
    amount: Decimal | None = None
    fund_code: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Operation:
    #: What kind of change ("investment.update"), for logs and the pending list.
    kind: str
    writes: tuple[Write, ...]
    audit: Audit
    #: Meaning-level flags beyond those the touched aggregates imply (see ``Changes``).
    flags: frozenset[str] = frozenset()
    op_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    #: Filled by the write path when the operation is submitted.
    actor: str = ""
    created_at: datetime | None = None

    @property
    def summary(self) -> str:
        return self.audit.description

    @property
    def audit_id(self) -> str:
        return AUDIT_PREFIX + self.op_id

    def stamped(self, actor: str, now: datetime | None = None) -> Operation:
        moment = self.created_at or now or utc_now()
        # Milliseconds, as both databases keep datetimes: the audit entry reads back equal.
        moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
        return replace(self, actor=self.actor or actor, created_at=moment)

    def audit_entry(self) -> ActivityEntry:
        a = self.audit
        details = {**a.details, "operation": self.kind, "op_id": self.op_id}
        return ActivityEntry(log_id=self.audit_id, activity_type=a.activity_type, description=a.description,
                             timestamp=self.created_at or utc_now(), client_id=a.client_id,
                             prospect_id=a.prospect_id, investment_id=a.investment_id, amount=a.amount,
                             fund_code=a.fund_code, actor=self.actor, details=details)

    def touched(self) -> dict[str, set[str]]:
        """``{collection: keys}`` of every record the operation writes, its audit entry included."""
        out: dict[str, set[str]] = {}
        for write in self.writes:
            out.setdefault(write.collection, set()).add(_key_of(write))
        out.setdefault("activity_logs", set()).add(self.audit_id)
        return out

    def changes(self, *, initiator: object | None = None, origin: str = "local", pending: bool = False) -> Changes:
        return Changes.of_collections(self.touched(), flags=self.flags, initiator=initiator,  # type: ignore[arg-type]
                                      origin=origin, pending=pending)

    def writes_to(self, collection: str) -> Iterable[Write]:
        return (w for w in self.writes if w.collection == collection)

    # ---- the outbox form ------------------------------------------------------------------

    def to_payload(self) -> dict[str, Any]:
        a = self.audit
        return {
            "kind": self.kind, "op_id": self.op_id, "actor": self.actor, "created_at": self.created_at,
            "flags": sorted(self.flags), "writes": [write_payload(w) for w in self.writes],
            "audit": {"activity_type": a.activity_type, "description": a.description, "client_id": a.client_id,
                      "prospect_id": a.prospect_id, "investment_id": a.investment_id,
                      "amount": None if a.amount is None else str(a.amount), "fund_code": a.fund_code,
                      "details": dict(a.details)},
        }

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> Operation:
        a = data["audit"]
        audit = Audit(activity_type=a["activity_type"], description=a["description"], client_id=a.get("client_id", ""),
                      prospect_id=a.get("prospect_id", ""), investment_id=a.get("investment_id", ""),
                      amount=None if a.get("amount") is None else Decimal(a["amount"]),
                      fund_code=a.get("fund_code", ""), details=dict(a.get("details") or {}))
        return cls(kind=str(data["kind"]), writes=tuple(write_from_payload(w) for w in data["writes"]), audit=audit,
                   flags=frozenset(data.get("flags", ())), op_id=str(data["op_id"]), actor=str(data.get("actor", "")),
                   created_at=read_datetime(data.get("created_at")))


def _key_of(write: Write) -> str:
    if isinstance(write, Insert):
        from ..storage.store import SPECS

        spec = next((s for s in SPECS if s.name == write.collection), None)
        key = spec.key.extract(write.doc) if spec is not None else write.doc.get("_id")
        return str(key)
    assert isinstance(write, Patch | Delete)
    return write.key
