"""The MT5 accounts a bridge or terminal logs into (``mt5_account_config``, reference §7).

The original kept each account's MT5 password here in plain text. This record has no password:
it lives in the OS keyring (entry ``<mt5.password_secret>-<login>``) of the machine that logs in,
and nothing the app writes to a database ever holds one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from .record import Record, raw_field, stored_field


@dataclass(frozen=True, slots=True)
class Mt5AccountConfig(Record):
    account: int
    name: str = ""
    server: str = ""
    broker_name: str = ""
    #: The original's API allows BALANCE, CORE and SEPARATION here.
    fund_type: str = ""
    target_amount: Decimal | None = None
    #: ``False`` is the original's soft delete: the bridge stops logging in.
    is_active: bool = True
    #: What TRUE P&L starts from (reference §5.3).
    initial_allocation: Decimal | None = None
    created_by: str = ""
    last_modified_by: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    raw: Mapping[str, Any] = raw_field()
    revision: object = stored_field()
