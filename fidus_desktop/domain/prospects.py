"""CRM prospects, their pipeline stages and the conversion rule (reference §3)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from .people import KycStatus
from .record import Record, raw_field, stored_field


class Stage(enum.StrEnum):
    """The six stages the original backend accepts, in pipeline order."""

    LEAD = "lead"
    QUALIFIED = "qualified"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    WON = "won"
    LOST = "lost"

    @property
    def is_open(self) -> bool:
        return self not in (Stage.WON, Stage.LOST)

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @classmethod
    def read(cls, value: object) -> Stage:
        """Self-registration wrote the non-standard ``qualified_lead``: it is a qualified lead."""
        text = str(value or "lead").strip().lower()
        if text == "qualified_lead":
            return cls.QUALIFIED
        try:
            return cls(text)
        except ValueError:
            return cls.LEAD


@dataclass(frozen=True, slots=True)
class Prospect(Record):
    prospect_id: str
    name: str
    email: str
    phone: str = ""
    stage: Stage = Stage.LEAD
    notes: str = ""
    source: str = ""
    aml_kyc_status: KycStatus = KycStatus.PENDING
    converted_to_client: bool = False
    client_id: str = ""
    estimated_value: Decimal | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # What FIDUS Desktop adds to the original's fields (the web platform ignores them):
    #: Who in the fund looks after this prospect.
    owner: str = ""
    #: The next thing to do, when it is due, and whether to be reminded when it falls due.
    next_action: str = ""
    next_action_due: datetime | None = None
    remind: bool = False
    #: The portal lead this prospect was migrated from (``_original_lead_id``, 24 hex).
    original_lead_id: str = ""
    #: Prospects merged into this one: their timelines are this one's too.
    merged_ids: tuple[str, ...] = ()
    raw: Mapping[str, Any] = raw_field()
    revision: object = stored_field()


#: The fields the manager edits on a prospect, in the order the record pane shows them.
EDITABLE_FIELDS = ("name", "email", "phone", "stage", "source", "owner", "estimated_value", "aml_kyc_status",
                   "next_action", "next_action_due", "remind", "notes")

FIELD_LABELS = {"name": "Name", "email": "E-mail", "phone": "Phone", "stage": "Stage", "source": "Source",
                "owner": "Owner", "estimated_value": "Prospective value", "aml_kyc_status": "AML/KYC",
                "next_action": "Next action", "next_action_due": "Due", "remind": "Reminder", "notes": "Notes"}


def conversion_blockers(prospect: Prospect) -> list[str]:
    """Why ``prospect`` cannot become a client yet; empty when it can (reference §3.2)."""
    reasons = []
    if prospect.stage is not Stage.WON:
        reasons.append(f"the prospect is at stage '{prospect.stage.label}', not 'Won'")
    if prospect.converted_to_client:
        reasons.append("the prospect is already a client")
    if not prospect.aml_kyc_status.is_cleared:
        reasons.append(f"AML/KYC is '{prospect.aml_kyc_status.value}', not clear or approved")
    return reasons
