"""The demo terminal's MT5 accounts. The demo fund takes its MT5 account records from here (the terminal
serves them), so the embedded demo's fund records and its "live" MT5 data describe the same accounts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class DemoAccount:
    login: int
    name: str
    fund_type: str
    manager_name: str
    server: str
    initial_allocation: Decimal
    #: ``live`` accounts count toward fund equity; ``live_demo`` ones never do.
    account_type: str = "live"
    currency: str = "USD"
    leverage: int = 100


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(88001001, "CORE - Atlas FX", "CORE", "Atlas Capital", "FidusBroker-Live", Decimal("320000")),
    DemoAccount(88001002, "BALANCE - Meridian", "BALANCE", "Meridian Trading", "FidusBroker-Live", Decimal("1350000")),
    DemoAccount(88001003, "DYNAMIC - Vega", "DYNAMIC", "Vega Quant", "FidusBroker-Live", Decimal("760000")),
    DemoAccount(88001004, "UNLIMITED - Orion", "UNLIMITED", "Orion Partners", "FidusBroker-Live", Decimal("1650000")),
    DemoAccount(88001005, "SEPARATION - Interest", "SEPARATION", "", "FidusBroker-Live", Decimal("150000")),
    DemoAccount(88001006, "Sandbox - strategy test", "CORE", "Atlas Capital", "FidusBroker-Demo",
                Decimal("10000"), account_type="live_demo"),
)
