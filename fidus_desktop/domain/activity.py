"""The activity log: audit entries and the client/prospect timeline (``activity_logs``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from .record import Record, raw_field, stored_field


@dataclass(frozen=True, slots=True)
class ActivityEntry(Record):
    log_id: str
    activity_type: str
    description: str
    timestamp: datetime
    client_id: str = ""
    prospect_id: str = ""
    investment_id: str = ""
    amount: Decimal | None = None
    fund_code: str = ""
    actor: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    raw: Mapping[str, Any] = raw_field()
    revision: object = stored_field()
