"""MT5 accounts as the fund sees them (``mt5_accounts``, reference §7): which fund and manager
an account serves, and its last synced balances. Live data comes from ``bridge_link``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from .record import Record, raw_field, stored_field


@dataclass(frozen=True, slots=True)
class Mt5AccountLink(Record):
    account: int
    name: str = ""
    broker: str = ""
    server: str = ""
    platform: str = "MT5"
    #: CORE, BALANCE, DYNAMIC, UNLIMITED or SEPARATION.
    fund_type: str = ""
    manager_name: str = ""
    status: str = "active"
    #: ``live_demo`` accounts are excluded from fund maths (reference §5.3).
    account_type: str = "live"
    capital_source: str = ""
    initial_allocation: Decimal | None = None
    balance: Decimal | None = None
    equity: Decimal | None = None
    last_sync: datetime | None = None
    raw: Mapping[str, Any] = raw_field()
    revision: object = stored_field()

    @property
    def counts_for_fund(self) -> bool:
        return self.status == "active" and self.account_type != "live_demo"
