"""Portal leads: sign-ups from the public prospects portal (``leads``, reference §3).

The original's pipeline shows the portal leads that are neither converted nor migrated next to
the CRM prospects; the first edit or stage move migrates one into ``crm_prospects``. Referral-link
leads share the collection but carry no ``type: "lead"`` and no ``converted`` field, so the
original's pipeline never shows them; neither does ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .record import Record, raw_field, stored_field

#: Pipeline keys of portal leads carry this prefix, as the original's board addresses them.
LEAD_PREFIX = "portal_lead_"


@dataclass(frozen=True, slots=True)
class PortalLead(Record):
    #: The lead's ``_id`` as 24 hex.
    lead_id: str
    email: str
    phone: str = ""
    name: str = ""
    source: str = "prospects_portal"
    status: str = "new"
    interest_level: str = ""
    engagement_score: int = 0
    simulator_sessions: int = 0
    created_at: datetime | None = None
    last_activity: datetime | None = None
    converted: bool = False
    client_id: str = ""
    migrated_to_crm: bool = False
    crm_prospect_id: str = ""
    raw: Mapping[str, Any] = raw_field()
    revision: object = stored_field()

    @property
    def pipeline_key(self) -> str:
        return LEAD_PREFIX + self.lead_id

    @property
    def display_name(self) -> str:
        """The original shows a portal lead by its e-mail's local part, title-cased."""
        return self.name or self.email.split("@")[0].title()

    @property
    def in_pipeline(self) -> bool:
        return not self.converted and not self.migrated_to_crm


def lead_id_of(pipeline_key: str) -> str | None:
    """The lead id of a pipeline key, or ``None`` for a CRM prospect's key."""
    return pipeline_key[len(LEAD_PREFIX):] if pipeline_key.startswith(LEAD_PREFIX) else None
