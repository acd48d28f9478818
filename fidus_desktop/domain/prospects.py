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
    raw: Mapping[str, Any] = raw_field()
    revision: object = stored_field()


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
