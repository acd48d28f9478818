"""Money managers (``money_managers``, reference §7) and what they trade for the fund.

A manager is joined to MT5 accounts by name (``mt5_accounts.manager_name``) and by the account
numbers it lists in ``assigned_accounts``. Fee rules live in :mod:`.fees`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from .record import Record, raw_field, stored_field


@dataclass(frozen=True, slots=True)
class MoneyManager(Record):
    manager_id: str
    name: str = ""
    display_name: str = ""
    #: ``copy_trade``, ``mam``, ``HFT Rebate``... (the original's ``execution_type``/``execution_method``)
    execution_type: str = ""
    broker: str = ""
    profile_url: str = ""
    rating_url: str = ""
    strategy_name: str = ""
    strategy_description: str = ""
    risk_profile: str = ""
    start_date: datetime | None = None
    status: str = "active"
    notes: str = ""
    #: A fraction (0.20 = 20 %).
    performance_fee_rate: Decimal | None = None
    fee_calculation_method: str = ""
    #: What the original's fee job last stored; ours are computed, see ``fidus_desktop.mt5.managers``.
    current_month_profit: Decimal | None = None
    current_month_fee_accrued: Decimal | None = None
    assigned_accounts: tuple[int, ...] = ()
    created_at: datetime | None = None
    raw: Mapping[str, Any] = raw_field()
    revision: object = stored_field()

    @property
    def label(self) -> str:
        return self.display_name or self.name or self.manager_id

    @property
    def is_active(self) -> bool:
        return self.status == "active"
