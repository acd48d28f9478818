"""Linking an account to a fund through the one write path (the Portfolio follows), the accounts a
bridge logs into (passwords only in the keyring), the managers' figures, and the deal list's filters."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal

import keyring.backend
import pytest

from fidus_desktop.app_context import AppContext
from fidus_desktop.demo.fund import load_demo_fund
from fidus_desktop.errors import ValidationError
from fidus_desktop.mt5.ledger import DealFilter, select_deals, symbol_breakdown
from fidus_desktop.mt5.stats import trading_stats
from fidus_desktop.mt5.trades import closed_trades
from fidus_desktop.paths import AppPaths
from fidus_desktop.runtime.writer import WritePath
from fidus_desktop.secrets import SecretStore
from fidus_desktop.services.mt5_accounts import Assignment, ConfigDraft, add_config, assign_account, remove_config
from fidus_desktop.services.mt5_managers import managers_view
from fidus_desktop.services.portfolio_service import PortfolioService
from fidus_desktop.storage.cache import LocalCache
from fidus_desktop.storage.sqlite import SqliteBackend
from fidus_desktop.storage.store import FundStore

from .deal_factory import close, deal, deposit, entry

AS_OF = date(2026, 3, 1)


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.values.get((service, username))

    def set_password(self, service, username, password):
        self.values[(service, username)] = password

    def delete_password(self, service, username):
        self.values.pop((service, username), None)


@pytest.fixture
async def context(tmp_path):
    runtime = AppContext.create(AppPaths.under(tmp_path / "home"))
    runtime.store = await FundStore.open(SqliteBackend(tmp_path / "fund.sqlite3"))
    runtime.cache = LocalCache(tmp_path / "cache.sqlite3")
    await runtime.cache.open()
    runtime.writer = WritePath(runtime, actor=lambda: "manager")
    runtime._secrets = SecretStore(MemoryKeyring())
    await load_demo_fund(runtime.store, seed=7, as_of=AS_OF)
    yield runtime
    await runtime.close()


async def test_moving_an_account_to_another_fund_moves_its_equity_in_the_portfolio(context) -> None:
    portfolio = context.services.add(PortfolioService(context, today=lambda: AS_OF))
    await context.services.start()
    await portfolio.ready()
    before = portfolio.dashboard
    link = await context.store.mt5_accounts.get("88001001")
    assert link.fund_type == "CORE" and "last_allocation_update" not in link.raw
    moved, result = await assign_account(context, Assignment(88001001, "balance", "Meridian Trading", "active"))
    assert result.saved and moved.fund_type == "BALANCE" and moved.manager_name == "Meridian Trading"
    assert moved.raw["last_allocation_update"]  # stamped, as the original's assign endpoint does
    for _ in range(200):
        if portfolio.dashboard is not before:
            break
        await asyncio.sleep(0.01)
    after = portfolio.dashboard
    assert (after.product("CORE").equity or 0) == before.product("CORE").equity - link.equity == 0
    assert after.product("BALANCE").equity == before.product("BALANCE").equity + link.equity
    [audit] = [e for e in await context.store.activity.find() if e.activity_type == "mt5_account_assigned"]
    assert "fund_type CORE -> BALANCE" in audit.description and audit.actor == "manager"
    again, nothing = await assign_account(context, Assignment(88001001, "BALANCE", "Meridian Trading", "active"))
    assert nothing is None and again.fund_type == "BALANCE"


async def test_an_assignment_the_rules_refuse_is_not_written(context) -> None:
    with pytest.raises(ValidationError) as refused:
        await assign_account(context, Assignment(88001001, "GOLD", "", "paused"))
    assert set(refused.value.fields) == {"fund_type", "status"}
    assert (await context.store.mt5_accounts.get("88001001")).fund_type == "CORE"


async def test_an_account_without_a_record_gets_one(context) -> None:
    link, result = await assign_account(context, Assignment(77001, "DYNAMIC", "Vega Quant", "active"),
                                        name="New copy account", server="Broker-Live")
    assert result.saved and link.is_stored and link.name == "New copy account"
    assert (await context.store.mt5_accounts.get("77001")).fund_type == "DYNAMIC"


async def test_adding_an_account_for_the_bridge_keeps_its_password_in_the_keyring_only(context) -> None:
    draft = ConfigDraft(990001, name="CORE - New", server="MEXAtlantic-Real", fund_type="core",
                        initial_allocation="250,000")
    config, result = await add_config(context, draft, password="s3cret-Pa55")
    assert result.saved and config.is_active and config.initial_allocation == Decimal("250000")
    assert context.secrets.get("mt5-password-990001") == "s3cret-Pa55"
    stored = (await context.store.mt5_configs.find_documents())
    assert all("password" not in doc for doc in stored)
    assert "s3cret" not in repr(stored) and "s3cret" not in repr(await context.store.activity.find_documents())
    with pytest.raises(ValidationError):
        await add_config(context, draft)  # already configured
    removed, result = await remove_config(context, config, forget_password=True)
    assert result.saved and not removed.is_active  # the original's soft delete
    assert context.secrets.get("mt5-password-990001") is None
    back, result = await add_config(context, draft)
    assert back.is_active and result.saved
    with pytest.raises(ValidationError) as refused:
        await add_config(context, ConfigDraft("abc", server=""))
    assert set(refused.value.fields) == {"account", "server"}


async def test_the_managers_screen_figures_come_from_the_records_and_the_deals(context) -> None:
    view = await managers_view(context)
    names = [r.manager.name for r in view.results]
    assert names == ["Atlas Capital", "Meridian Trading", "Orion Partners", "Vega Quant"]
    atlas = view.results[0]
    assert [a.account for a in atlas.accounts] == [88001001]  # the sandbox is live_demo: not the fund's
    account = atlas.accounts[0]
    link = await context.store.mt5_accounts.get("88001001")
    # No live board and no synced deals: TRUE P&L from the record's equity and the allocation.
    assert account.true_pnl == link.equity - Decimal("320000") and account.month_basis == "realized"
    assert account.fee_on_true_pnl == (account.true_pnl * Decimal("0.20")).quantize(Decimal("0.01"))
    assert view.not_live == frozenset({88001001, 88001002, 88001003, 88001004})


def test_the_deal_list_filters_and_the_per_symbol_breakdown_add_up() -> None:
    deals = [deposit(1, 0, "10000"), entry(2, 1, 10, "1.0", commission="-3", symbol="EURUSD"),
             close(3, 2, 10, "1.0", "50", commission="-3", symbol="EURUSD"),
             entry(4, 3, 11, "0.5", buy=False, symbol="XAUUSD"), close(5, 4, 11, "0.5", "-20", buy=True, symbol="XAUUSD"),
             deal(6, 5, 4, profit="-5", comment="charge"), deposit(7, 6, "-1000", "Withdrawal")]
    assert [d.ticket for d in select_deals(deals, DealFilter(kind="balance"))] == [1, 6, 7]
    assert [d.ticket for d in select_deals(deals, DealFilter(symbol="eurusd"))] == [2, 3]
    assert [d.ticket for d in select_deals(deals, DealFilter(direction="out"))] == [3, 5]
    assert [d.ticket for d in select_deals(deals, DealFilter(kind="sell", direction="in"))] == [4]
    start = deals[2].time
    assert [d.ticket for d in select_deals(deals, DealFilter(date_from=start, date_to=start + timedelta(minutes=2)))] == [3, 4]
    rows = symbol_breakdown(closed_trades(deals))
    assert [(r.symbol, r.trades, r.net) for r in rows] == [("EURUSD", 1, Decimal("44")), ("XAUUSD", 1, Decimal("-20"))]
    assert sum(r.net for r in rows) == trading_stats(deals).net_profit
