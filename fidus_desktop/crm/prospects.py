"""Creating and editing prospects, moving them through the pipeline, notes and KYC decisions:
each change is one operation through the write path (the document and its timeline entry).

A portal lead has no prospect document yet: its first edit, stage move or note migrates it
into ``crm_prospects`` exactly as the original's ``PUT /crm/prospects/portal_lead_<id>`` does
(see :mod:`.leads`), in the same operation as the edit.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..domain.contact import (MAX_FIELD, MAX_NOTES, amount_problem, clean_text, email_problem, international_phone,
                              name_problem, parse_amount, phone_problem)
from ..domain.leads import PortalLead, lead_id_of
from ..domain.people import KycStatus
from ..domain.prospects import FIELD_LABELS, Prospect, Stage
from ..domain.values import to_cents, utc_now
from ..errors import NotFoundError, StorageUnavailable, ValidationError
from ..runtime.operations import Audit, Operation
from ..runtime.writer import WriteResult
from ..services.changes import PIPELINE, TIMELINE
from ..storage.writes import Insert
from .duplicates import Duplicate, DuplicateIndex
from .timeline import EventKind

if TYPE_CHECKING:
    from ..app_context import AppContext
    from ..storage.store import FundStore

FLAGS = frozenset({PIPELINE, TIMELINE})


class DuplicatesFound(ValidationError):
    """The record shares an e-mail or phone with others; saved only when the manager says so."""

    code = "duplicate"

    def __init__(self, duplicates: list[Duplicate]) -> None:
        lines = "; ".join(d.describe() for d in duplicates[:5])
        more = f" and {len(duplicates) - 5} more" if len(duplicates) > 5 else ""
        fields = {}
        for d in duplicates:
            for on in d.on:
                fields.setdefault(on, f"Also used by {d.party.kind} {d.party.name or d.party.key}.")
        super().__init__(f"Possible duplicate: {lines}{more}.", fields)
        self.duplicates = duplicates


@dataclass(frozen=True, slots=True)
class ProspectDraft:
    """What the quick-create box, the record pane or a CSV row collects, as typed."""

    name: str
    email: str
    phone: str = ""
    stage: Stage = Stage.LEAD
    source: str = ""
    owner: str = ""
    estimated_value: str | Decimal = ""
    notes: str = ""
    next_action: str = ""
    next_action_due: datetime | None = None
    remind: bool = False
    kyc: KycStatus = KycStatus.PENDING
    #: For an import: where the row came from (kept in the timeline entry).
    origin: dict[str, Any] = field(default_factory=dict)


def draft_problems(draft: ProspectDraft) -> dict[str, str]:
    """Field -> reason for every value the rules refuse (empty: it may be saved)."""
    problems: dict[str, str] = {}
    for name, problem in (("name", name_problem(clean_text(draft.name))),
                          ("email", email_problem(clean_text(draft.email))),
                          ("phone", phone_problem(clean_text(draft.phone))),
                          ("estimated_value", amount_problem(str(draft.estimated_value)))):
        if problem:
            problems[name] = problem
    for name in ("source", "owner", "next_action"):
        if len(clean_text(getattr(draft, name))) > MAX_FIELD:
            problems[name] = f"{FIELD_LABELS[name]} has at most {MAX_FIELD} characters."
    if len(draft.notes) > MAX_NOTES:
        problems["notes"] = f"Notes have at most {MAX_NOTES:,} characters."
    if draft.stage not in {s.value for s in Stage}:
        problems["stage"] = f"Unknown stage '{str(draft.stage)[:30]}'."
    if draft.kyc not in {k.value for k in KycStatus}:
        problems["aml_kyc_status"] = f"Unknown AML/KYC status '{str(draft.kyc)[:30]}'."
    if draft.remind and draft.next_action_due is None:
        problems["next_action_due"] = "A reminder needs a due date."
    if draft.next_action_due is not None and not clean_text(draft.next_action):
        problems["next_action"] = "Say what the next action is."
    return problems


def _value(text: str | Decimal) -> Decimal | None:
    amount = parse_amount(text)
    return None if amount is None else to_cents(amount)


def prospect_from_draft(draft: ProspectDraft, prospect_id: str | None = None) -> Prospect:
    return Prospect(
        prospect_id=prospect_id or str(uuid.uuid4()), name=clean_text(draft.name), email=clean_text(draft.email),
        phone=international_phone(draft.phone), stage=Stage(draft.stage), notes=clean_text(draft.notes),
        source=clean_text(draft.source), owner=clean_text(draft.owner), aml_kyc_status=KycStatus(draft.kyc),
        estimated_value=_value(draft.estimated_value), next_action=clean_text(draft.next_action),
        next_action_due=draft.next_action_due, remind=draft.remind)


def draft_of(prospect: Prospect) -> ProspectDraft:
    return ProspectDraft(
        name=prospect.name, email=prospect.email, phone=prospect.phone, stage=prospect.stage, source=prospect.source,
        owner=prospect.owner, estimated_value=prospect.estimated_value if prospect.estimated_value is not None else "",
        notes=prospect.notes, next_action=prospect.next_action, next_action_due=prospect.next_action_due,
        remind=prospect.remind, kyc=prospect.aml_kyc_status)


def apply_draft(prospect: Prospect, draft: ProspectDraft) -> Prospect:
    """``prospect`` (as read) with the draft's values, keeping what the draft does not hold."""
    fresh = prospect_from_draft(draft, prospect.prospect_id)
    return prospect.evolve(**{name: getattr(fresh, name) for name in (
        "name", "email", "phone", "stage", "notes", "source", "owner", "aml_kyc_status", "estimated_value",
        "next_action", "next_action_due", "remind")})


def check_duplicates(index: DuplicateIndex | None, draft: ProspectDraft, exclude: Iterable[str] = ()) -> None:
    if index is None:
        return
    found = index.find(draft.email, draft.phone, exclude=exclude)
    if found:
        raise DuplicatesFound(found)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Stage | KycStatus):
        return value.value
    return value


def changed_fields(before: Prospect, after: Prospect) -> dict[str, tuple[Any, Any]]:
    names = ("name", "email", "phone", "stage", "source", "owner", "estimated_value", "aml_kyc_status",
             "next_action", "next_action_due", "remind", "notes")
    return {n: (_plain(getattr(before, n)), _plain(getattr(after, n))) for n in names
            if getattr(before, n) != getattr(after, n)}


def edit_audit(prospect: Prospect, changes: dict[str, tuple[Any, Any]], note: str = "") -> Audit:
    """The timeline entry of an edit: a stage move, a KYC decision, a next action or fields."""
    details: dict[str, Any] = {"changes": {k: {"from": a, "to": b} for k, (a, b) in changes.items()}}
    if note:
        details["reason"] = note
    if set(changes) == {"stage"}:
        old, new = changes["stage"]
        kind, text = EventKind.STAGE, f"{prospect.name}: {Stage(old).label} -> {Stage(new).label}"
        details.update({"from": old, "to": new})
    elif set(changes) == {"aml_kyc_status"}:
        kind, text = EventKind.KYC, f"AML/KYC recorded as {changes['aml_kyc_status'][1]}" + (f": {note}" if note else "")
    elif set(changes) <= {"next_action", "next_action_due", "remind"}:
        due = prospect.next_action_due.date().isoformat() if prospect.next_action_due else ""
        kind = EventKind.NEXT_ACTION
        text = (f"Next action: {prospect.next_action}" + (f" (due {due})" if due else "")
                if prospect.next_action else "Next action cleared")
    else:
        kind = EventKind.EDIT
        text = "Edited " + ", ".join(FIELD_LABELS.get(k, k).lower() for k in changes)
        if "stage" in changes:
            text += f" (stage {Stage(changes['stage'][0]).label} -> {Stage(changes['stage'][1]).label})"
    return Audit(activity_type=str(kind), description=text[:500], prospect_id=prospect.prospect_id,
                 client_id=prospect.client_id, details=details)


async def read_or[T](read: Awaitable[T], fallback: T | None) -> T:
    """A fresh read, or (the database away) what the manager's screen read earlier: the change
    is then checked against that and kept in the outbox, instead of refused."""
    try:
        return await read
    except StorageUnavailable:
        if fallback is None:
            raise
        return fallback


def store_of(context: AppContext) -> FundStore:
    if context.store is None:
        raise StorageUnavailable("The fund database is not connected.")
    return context.store


# ---- writing ---------------------------------------------------------------------------------------


async def create_prospect(context: AppContext, draft: ProspectDraft, *, duplicates: DuplicateIndex | None = None,
                          allow_duplicates: bool = False) -> tuple[Prospect, WriteResult]:
    """A new prospect at the draft's stage, with the original's fields (``prospect_id`` uuid)."""
    problems = draft_problems(draft)
    if problems:
        raise ValidationError("The prospect was not saved: " + " ".join(problems.values()), problems)
    if not allow_duplicates:
        check_duplicates(duplicates, draft)
    store = store_of(context)
    prospect = prospect_from_draft(draft).evolve(created_at=utc_now())
    doc = store.prospects.new_document(prospect, utc_now())
    summary = f"Prospect {prospect.name} created at stage {prospect.stage.label}"
    op = Operation("prospect.create", (Insert("crm_prospects", doc),), Audit(
        activity_type=str(EventKind.CREATED), description=summary, prospect_id=prospect.prospect_id,
        details={"stage": prospect.stage.value, "source": prospect.source, **draft.origin}), flags=FLAGS)
    result = await context.writer.submit(op)
    return await _saved(context, result, prospect.prospect_id, prospect), result


async def save_prospect(context: AppContext, edited: Prospect, *, duplicates: DuplicateIndex | None = None,
                        allow_duplicates: bool = False, note: str = "") -> tuple[Prospect, WriteResult | None]:
    """Save the manager's edits of ``edited`` (read from the store, then ``evolve``-d).

    Raises ``ConflictError`` (its ``fields``: read, theirs, mine) when somebody changed the same
    fields since it was read: the window opens a merge view instead of overwriting.
    """
    store = store_of(context)
    before = await read_or(store.prospects.get(edited.prospect_id), store.prospects.as_read(edited))
    problems = draft_problems(draft_of(edited))
    if problems:
        raise ValidationError("The changes were not saved: " + " ".join(problems.values()), problems)
    read = store.prospects.as_read(edited)
    changes = changed_fields(read, edited)
    if not changes:
        return before, None
    if not allow_duplicates and ("email" in changes or "phone" in changes):
        check_duplicates(duplicates, draft_of(edited), exclude=(edited.prospect_id, edited.client_id))
    patch = store.prospects.patch_of(edited, utc_now())
    if patch is None:
        return before, None
    op = Operation("prospect.update", (patch,), edit_audit(edited, changes, note), flags=FLAGS)
    result = await context.writer.submit(op)
    return await _saved(context, result, edited.prospect_id, edited), result


async def move_stage(context: AppContext, key: str, stage: Stage, *, known: Prospect | PortalLead | None = None
                     ) -> tuple[Prospect, WriteResult | None]:
    """Move the prospect (or portal lead: migrated on this first move) ``key`` to ``stage``."""
    if lead_id_of(key) is not None:
        from .leads import migrate_lead, read_lead

        lead = await read_lead(context, key, known if isinstance(known, PortalLead) else None)
        return await migrate_lead(context, lead, stage=stage, why="stage")
    store = store_of(context)
    prospect = await read_or(store.prospects.get(key), known if isinstance(known, Prospect) else None)
    if prospect.stage is stage:
        return prospect, None
    return await save_prospect(context, prospect.evolve(stage=stage), allow_duplicates=True)


async def add_note(context: AppContext, key: str, text: str, *, known: Prospect | PortalLead | None = None
                   ) -> WriteResult:
    """A note on the person's timeline (the prospect's own ``notes`` field stays as it is)."""
    text = clean_text(text)
    if not text:
        raise ValidationError("The note is empty.", {"note": "Write something first."})
    if len(text) > MAX_NOTES:
        raise ValidationError("The note is too long.", {"note": f"At most {MAX_NOTES:,} characters."})
    if lead_id_of(key) is not None:
        from .leads import migrate_lead, read_lead

        lead = await read_lead(context, key, known if isinstance(known, PortalLead) else None)
        _, result = await migrate_lead(context, lead, note=text, why="note")
        assert result is not None
        return result
    store = store_of(context)
    prospect = await read_or(store.prospects.get(key), known if isinstance(known, Prospect) else None)
    first_line = text.splitlines()[0]
    op = Operation("prospect.note", (), Audit(
        activity_type=str(EventKind.NOTE), description=first_line[:200], prospect_id=prospect.prospect_id,
        client_id=prospect.client_id, details={"text": text}), flags=frozenset({TIMELINE}))
    return await context.writer.submit(op)


async def record_kyc(context: AppContext, prospect: Prospect, status: KycStatus, reason: str = ""
                     ) -> tuple[Prospect, WriteResult | None]:
    """The manager's AML/KYC decision (the original's UI had no working approval)."""
    reason = clean_text(reason)
    if status in (KycStatus.APPROVED, KycStatus.REJECTED) and not reason:
        raise ValidationError("Say why (kept in the timeline).", {"reason": "Why approved or rejected."})
    if len(reason) > MAX_FIELD:
        raise ValidationError("The reason is too long.", {"reason": f"At most {MAX_FIELD} characters."})
    return await save_prospect(context, prospect.evolve(aml_kyc_status=status), allow_duplicates=True, note=reason)


async def delete_prospect(context: AppContext, prospect: Prospect, reason: str = "") -> WriteResult:
    """Remove a prospect (after the window's confirmation); its timeline stays in the activity log."""
    from ..storage.writes import Delete

    if prospect.converted_to_client:
        raise ValidationError("A converted prospect is kept: it is the client's history.",
                              {"stage": "Already converted to a client."})
    read = store_of(context).prospects.as_read(prospect)
    # Refused if somebody renamed or moved it meanwhile: they may be working on it.
    expected = {"stage": read.stage.value, "name": read.name}
    op = Operation("prospect.delete", (Delete("crm_prospects", prospect.prospect_id, expected),), Audit(
        activity_type="prospect_deleted", description=f"Prospect {prospect.name} deleted" + (f": {reason}" if reason else ""),
        prospect_id=prospect.prospect_id, details={"email": prospect.email, "stage": prospect.stage.value}),
        flags=FLAGS)
    return await context.writer.submit(op)


async def _saved(context: AppContext, result: WriteResult, key: str, pending: Prospect) -> Prospect:
    store = context.store
    if result.saved and store is not None:
        try:
            return await store.prospects.get(key)
        except (StorageUnavailable, NotFoundError):
            return pending
    return pending
