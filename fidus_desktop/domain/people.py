"""Clients: the ``users`` documents of type ``client`` (login accounts of investors)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .record import Record, raw_field, stored_field


class KycStatus(enum.StrEnum):
    PENDING = "pending"
    CLEAR = "clear"
    HIT = "hit"
    MANUAL_REVIEW = "manual_review"
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def is_cleared(self) -> bool:
        return self in (KycStatus.CLEAR, KycStatus.APPROVED)

    @classmethod
    def read(cls, value: object) -> KycStatus:
        """Missing counts as pending (the original's rule); unknown values too, to stay safe."""
        try:
            return cls(str(value).strip().lower()) if value else cls.PENDING
        except ValueError:
            return cls.PENDING


@dataclass(frozen=True, slots=True)
class Client(Record):
    client_id: str
    name: str
    email: str
    username: str = ""
    phone: str = ""
    status: str = "active"
    kyc_status: KycStatus = KycStatus.PENDING
    created_at: datetime | None = None
    source_prospect_id: str = ""
    notes: str = ""
    #: Where the record lives: ``users`` (login accounts) or ``clients`` (the referral module's).
    origin: str = "users"
    #: Referral clients: the salesperson who brought them.
    referred_by_name: str = ""
    #: Clients merged into this one (their records are kept, deactivated, pointing here).
    merged_ids: tuple[str, ...] = ()
    merged_into: str = ""
    raw: Mapping[str, Any] = raw_field()
    revision: object = stored_field()

    @property
    def kyc_cleared(self) -> bool:
        return self.kyc_status.is_cleared

    @property
    def active(self) -> bool:
        return self.status.strip().lower() != "inactive"


#: Client fields the manager edits, in the order the record pane shows them.
CLIENT_EDITABLE_FIELDS = ("name", "email", "phone", "status", "kyc_status", "notes")
