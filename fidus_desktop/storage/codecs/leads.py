"""``leads`` from the public prospects portal (reference §3): keyed by their ``_id``.

Only portal sign-ups (``type: "lead"``) are in scope; referral-link leads in the same collection
have no ``type`` and never reach the pipeline, in the original or here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId

from ...domain.leads import PortalLead
from ..spec import CollectionSpec
from .fields import Doc, flag, indexed, moment, text


def _count(value: object) -> int:
    return len(value) if isinstance(value, list) else 0


def _score(doc: Doc) -> int:
    value = doc.get("engagement_score")
    try:
        return int(value) if value is not None and not isinstance(value, bool) else 0
    except (TypeError, ValueError):
        return 0


class LeadCodec:
    spec = CollectionSpec(
        name="leads",
        key=indexed("lead_id", "text", "_id"),
        fields=(
            indexed("email", "text"),
            indexed("converted", "bool"),
            indexed("migrated_to_crm", "bool"),
            indexed("created_at", "datetime"),
            indexed("phone", "text", index=False),
            indexed("name", "text", index=False),
            indexed("source", "text", index=False),
            indexed("engagement_score", "int", index=False),
            indexed("last_activity", "datetime", index=False),
        ),
        scope=(("type", "lead"),),
    )

    def decode(self, doc: Doc) -> PortalLead:
        return PortalLead(
            lead_id=text(doc, "_id"),
            email=text(doc, "email"),
            phone=text(doc, "phone"),
            name=text(doc, "name"),
            source=text(doc, "source") or "prospects_portal",
            status=text(doc, "status") or "new",
            interest_level=text(doc, "interest_level"),
            engagement_score=_score(doc),
            simulator_sessions=_count(doc.get("simulator_sessions")),
            created_at=moment(doc, "created_at"),
            last_activity=moment(doc, "last_activity"),
            converted=flag(doc, "converted"),
            client_id=text(doc, "client_id"),
            migrated_to_crm=flag(doc, "migrated_to_crm"),
            crm_prospect_id=text(doc, "crm_prospect_id"),
        )

    def encode(self, lead: PortalLead) -> dict[str, Any]:
        """A portal sign-up as ``POST /prospects/lead`` writes it (the demo fund's leads)."""
        doc: dict[str, Any] = {
            "_id": ObjectId(lead.lead_id) if ObjectId.is_valid(lead.lead_id) else lead.lead_id,
            "type": "lead",
            "email": lead.email,
            "phone": lead.phone,
            "source": lead.source,
            "status": lead.status,
            "engagement_score": lead.engagement_score,
            "interest_level": lead.interest_level or "warm",
            "converted": lead.converted,
            "converted_date": None,
            "client_id": lead.client_id or None,
        }
        if lead.name:
            doc["name"] = lead.name
        if lead.created_at:
            doc["created_at"] = lead.created_at
        if lead.last_activity:
            doc["last_activity"] = lead.last_activity
        if lead.migrated_to_crm:
            doc["migrated_to_crm"] = True
            doc["crm_prospect_id"] = lead.crm_prospect_id
        return doc

    def key_of(self, lead: PortalLead) -> str:
        return lead.lead_id

    def stamp_update(self, changes: dict[str, Any], now: datetime) -> None:
        # The portal's writers keep no "last modified" field of leads; neither do we.
        return None

    def stamp_create(self, doc: dict[str, Any], now: datetime) -> None:
        doc.setdefault("created_at", now)
        doc.setdefault("last_activity", doc["created_at"])
        doc.setdefault("simulator_sessions", [])
