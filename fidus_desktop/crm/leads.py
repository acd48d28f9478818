"""Portal leads in the pipeline, and their migration into ``crm_prospects``.

The original's ``PUT /crm/prospects/portal_lead_<id>`` (and ``mark-won``) migrates a lead on
its first edit: a new prospect document with ``prospect_id`` (uuid), the lead's e-mail and
phone, its name (or the e-mail's local part, title-cased), ``source: "prospects_portal"``,
``_original_lead_id``, the lead's own ``created_at`` and a datetime ``updated_at``; and the
lead gets ``migrated_to_crm: true``, ``crm_prospect_id`` and ``migrated_date`` (a datetime).
Here both happen in one operation, with the edit that caused them and its timeline entry.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import TYPE_CHECKING

from ..domain.leads import PortalLead, lead_id_of
from ..domain.prospects import Prospect, Stage
from ..domain.values import utc_now
from ..errors import NotFoundError, ValidationError
from ..runtime.operations import Audit, Operation
from ..runtime.writer import WriteResult
from ..storage.writes import Insert
from .prospects import FLAGS, ProspectDraft, _saved, draft_problems, prospect_from_draft, read_or, save_prospect, \
    store_of
from .timeline import EventKind

if TYPE_CHECKING:
    from ..app_context import AppContext


async def read_lead(context: AppContext, key: str, known: PortalLead | None = None) -> PortalLead:
    lead_id = lead_id_of(key) or key
    store = store_of(context)
    lead = await read_or(store.leads.find_one(lead_id), known)
    if lead is None:
        raise NotFoundError(f"The portal lead {lead_id} is no longer in the database.")
    return lead


def lead_draft(lead: PortalLead) -> ProspectDraft:
    """What the record pane shows for a portal lead before it is migrated."""
    return ProspectDraft(name=lead.display_name, email=lead.email, phone=lead.phone, stage=Stage.LEAD,
                         source="prospects_portal", notes=migration_notes(lead))


def migration_notes(lead: PortalLead) -> str:
    return f"Migrated from Prospects Portal | Original engagement score: {lead.engagement_score}"


async def migrate_lead(context: AppContext, lead: PortalLead, *, stage: Stage | None = None,
                       draft: ProspectDraft | None = None, note: str = "", why: str = "edit",
                       allow_duplicates: bool = True) -> tuple[Prospect, WriteResult]:
    """Migrate ``lead`` with the change that caused it: a stage move, the record pane's draft,
    or a note. A lead somebody already migrated is not migrated twice: the change goes to its
    prospect, as the original does."""
    store = store_of(context)
    if lead.migrated_to_crm and lead.crm_prospect_id:
        prospect = await store.prospects.get(lead.crm_prospect_id)
        from .prospects import add_note, apply_draft

        if note:
            return prospect, await add_note(context, prospect.prospect_id, note, known=prospect)
        edited = apply_draft(prospect, draft) if draft else prospect.evolve(stage=stage or prospect.stage)
        saved, result = await save_prospect(context, edited, allow_duplicates=allow_duplicates)
        if result is None:
            raise ValidationError("Nothing changed.")
        return saved, result
    base = draft or lead_draft(lead)
    if stage is not None:
        base = replace(base, stage=stage)
    problems = draft_problems(base) if draft is not None else {}
    if problems:
        raise ValidationError("The prospect was not saved: " + " ".join(problems.values()), problems)
    now = utc_now()
    prospect = prospect_from_draft(base, str(uuid.uuid4())).evolve(
        source="prospects_portal", original_lead_id=lead.lead_id, aml_kyc_status=base.kyc)
    if not prospect.phone:
        prospect = prospect.evolve(phone=lead.phone)
    doc = store.prospects.new_document(prospect, now)
    # The lead's creation time, as the portal stored it (the original copies it over).
    doc["created_at"] = lead.raw.get("created_at") or now
    lead_patch = store.leads.patch_of(lead.evolve(migrated_to_crm=True, crm_prospect_id=prospect.prospect_id), now,
                                      derived={"migrated_date": now})
    assert lead_patch is not None
    if why == "note":
        audit = Audit(activity_type=str(EventKind.NOTE), description=note.splitlines()[0][:200],
                      prospect_id=prospect.prospect_id, details={"text": note, "migrated_from_lead": lead.lead_id})
    elif why == "stage":
        audit = Audit(activity_type=str(EventKind.STAGE),
                      description=f"{prospect.name}: portal lead moved to {prospect.stage.label}",
                      prospect_id=prospect.prospect_id,
                      details={"from": "lead", "to": prospect.stage.value, "migrated_from_lead": lead.lead_id})
    else:
        audit = Audit(activity_type=str(EventKind.MIGRATED),
                      description=f"Portal lead {lead.email} taken into the pipeline as {prospect.name}",
                      prospect_id=prospect.prospect_id, details={"migrated_from_lead": lead.lead_id})
    op = Operation("lead.migrate", (Insert("crm_prospects", doc), lead_patch), audit, flags=FLAGS)
    result = await context.writer.submit(op)
    return await _saved(context, result, prospect.prospect_id, prospect), result
