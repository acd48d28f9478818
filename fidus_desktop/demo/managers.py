"""The demo fund's money managers and the accounts its bridge logs into, from the demo terminal's
accounts (so the managers screen, TRUE P&L and fees have something real to show)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from bridge_link.demo_terminal.accounts import DEMO_ACCOUNTS

from ..domain.money_managers import MoneyManager
from ..domain.mt5_config import Mt5AccountConfig

#: name -> (execution type, fee rate, strategy)
_STYLES = {
    "Atlas Capital": ("copy_trade", "0.20", "FX majors, trend following"),
    "Meridian Trading": ("mam", "0.25", "Gold and indices, swing"),
    "Vega Quant": ("copy_trade", "0.30", "Systematic intraday"),
    "Orion Partners": ("mam", "0.20", "Multi-asset carry"),
}


def _slug(name: str) -> str:
    return "manager_" + "_".join(name.lower().split())


def demo_managers() -> list[MoneyManager]:
    managers = []
    for name, (execution, rate, strategy) in _STYLES.items():
        accounts = tuple(a.login for a in DEMO_ACCOUNTS if a.manager_name == name and a.account_type == "live")
        managers.append(MoneyManager(
            manager_id=_slug(name), name=name, display_name=name, execution_type=execution,
            broker="Fidus Broker", strategy_name=strategy, risk_profile="moderate",
            start_date=datetime(2024, 1, 2, tzinfo=UTC), performance_fee_rate=Decimal(rate),
            fee_calculation_method="monthly", assigned_accounts=accounts))
    return managers


def demo_configs() -> list[Mt5AccountConfig]:
    return [Mt5AccountConfig(account=a.login, name=a.name, server=a.server, broker_name="Fidus Broker",
                             fund_type=a.fund_type, initial_allocation=a.initial_allocation,
                             is_active=a.account_type == "live")
            for a in DEMO_ACCOUNTS]
