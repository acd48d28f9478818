"""``money_managers`` and ``mt5_account_config`` on both backends, as the original writes them;
and the plaintext MT5 passwords of the original never written, logged or copied by the app."""

from __future__ import annotations

import copy
import logging
from datetime import UTC, datetime
from decimal import Decimal

from fidus_desktop.domain.mt5_config import Mt5AccountConfig
from fidus_desktop.logs import RedactingFormatter, redact
from fidus_desktop.storage.migrate import copy_fund
from fidus_desktop.storage.query import Eq, Query
from fidus_desktop.storage.store import FundStore
from tests.storage.conftest import StoreFactory

PASSWORD = "Plaintext-Mt5-Pass!9"

MANAGERS = [
    {"manager_id": "manager_tradinghub_gold", "name": "TradingHub Gold", "display_name": "TradingHub Gold Provider",
     "execution_type": "copy_trade", "broker": "MEXAtlantic", "status": "active", "performance_fee_rate": 0.30,
     "assigned_accounts": [886557, "891234"], "strategy_name": "Gold scalping",
     "created_at": "2025-10-01 09:30:00.123456", "current_month_fee_accrued": 848.91},
    # An older writer: the bare flag instead of a status, the rate typed as a percent.
    {"manager_id": "manager_uno14", "name": "UNO14 Manager", "is_active": False, "performance_fee_rate": 15,
     "execution_method": "mam", "start_date": datetime(2025, 9, 1)},
]

CONFIGS = [
    {"account": 886557, "password": PASSWORD, "name": "CORE gold", "server": "MEXAtlantic-Real",
     "broker_name": "MEXAtlantic", "fund_type": "CORE", "target_amount": 100000, "is_active": True,
     "initial_allocation": 100000.0, "created_at": "2025-10-01T09:30:00+00:00", "created_by": "admin"},
    {"account": "891234", "password": PASSWORD, "name": "Separation", "fund_type": "SEPARATION", "is_active": False},
]


async def seed(store: FundStore) -> None:
    await store.money_managers.insert_documents(copy.deepcopy(MANAGERS))
    await store.mt5_configs.insert_documents(copy.deepcopy(CONFIGS))


async def test_money_managers_read_as_the_original_wrote_them(fund_store: FundStore) -> None:
    await seed(fund_store)
    gold = await fund_store.money_managers.get("manager_tradinghub_gold")
    assert (gold.label, gold.execution_type, gold.performance_fee_rate) == (
        "TradingHub Gold Provider", "copy_trade", Decimal("0.3"))
    assert gold.assigned_accounts == (886557, 891234)
    assert gold.created_at == datetime(2025, 10, 1, 9, 30, 0, 123456, tzinfo=UTC)
    assert gold.current_month_fee_accrued == Decimal("848.91")
    uno = await fund_store.money_managers.get("manager_uno14")
    assert (uno.status, uno.performance_fee_rate, uno.execution_type) == ("inactive", Decimal("0.15"), "mam")
    found = await fund_store.money_managers.find(Query((Eq("status", "active"),)))
    assert [m.manager_id for m in found] == ["manager_tradinghub_gold"]


async def test_account_config_ignores_the_password_it_reads_and_never_writes_one(
        fund_store: FundStore, caplog) -> None:
    await seed(fund_store)
    caplog.set_level(logging.DEBUG)
    config = await fund_store.mt5_configs.get("886557")
    assert (config.account, config.initial_allocation, config.fund_type, config.is_active) == (
        886557, Decimal("100000.0"), "CORE", True)
    assert PASSWORD not in repr(config) and not hasattr(config, "password")
    assert redact(f"login failed with {PASSWORD}") == "login failed with ***"  # registered with the redactor
    # Whatever was logged meanwhile (the MongoDB driver logs replies at DEBUG) reaches no log
    # file with the password: every handler of the app formats through the redactor.
    assert PASSWORD not in "\n".join(RedactingFormatter().format(r) for r in caplog.records)
    assert [c.account for c in await fund_store.mt5_configs.find(Query((Eq("is_active", False),)))] == [891234]

    saved = await fund_store.mt5_configs.save(config.evolve(initial_allocation=Decimal("120000")))
    raw = await fund_store.mt5_configs.find_documents(Query((Eq("account", 886557),)))
    # The original's bridge still finds its password; the app wrote only what changed.
    assert raw[0]["password"] == PASSWORD and raw[0]["initial_allocation"] == 120000.0
    assert raw[0]["last_modified_by"] == "fidus-desktop" and isinstance(raw[0]["updated_at"], str)
    assert saved.initial_allocation == Decimal("120000")

    await fund_store.mt5_configs.add(Mt5AccountConfig(account=88001001, name="New", fund_type="BALANCE"))
    [new] = await fund_store.mt5_configs.find_documents(Query((Eq("account", 88001001),)))
    assert "password" not in new and new["created_by"] == "fidus-desktop" and new["is_active"] is True


async def test_a_copy_between_databases_leaves_the_passwords_behind(
        fund_store: FundStore, new_sqlite_store: StoreFactory) -> None:
    await seed(fund_store)
    await fund_store.mt5_accounts.insert_documents([{"account": 886557, "manager_name": "TradingHub Gold",
                                                     "password": PASSWORD, "status": "active"}])
    target = await new_sqlite_store()
    counts = await copy_fund(fund_store, target)
    assert counts["mt5_account_config"] == 2 and counts["money_managers"] == 2
    configs = await target.mt5_configs.find_documents()
    assert configs and all("password" not in doc for doc in configs)
    assert all("password" not in doc for doc in await target.mt5_accounts.find_documents())
    assert {doc["name"] for doc in configs} == {"CORE gold", "Separation"}
