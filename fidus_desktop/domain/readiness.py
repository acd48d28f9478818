"""Whether a client may invest: ``client_readiness`` (reference §2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .record import Record, raw_field, stored_field


@dataclass(frozen=True, slots=True)
class ClientReadiness(Record):
    client_id: str
    aml_kyc_completed: bool = False
    agreement_signed: bool = False
    account_creation_date: datetime | None = None
    notes: str = ""
    updated_at: datetime | None = None
    updated_by: str = ""
    raw: Mapping[str, Any] = raw_field()
    revision: object = stored_field()

    @property
    def investment_ready(self) -> bool:
        """The original's rule: ready when AML/KYC is completed and the agreement signed."""
        return self.aml_kyc_completed and self.agreement_signed
