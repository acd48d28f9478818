"""Money managers' results: TRUE P&L, the performance fee accrued this month, broker rebates.

The rules are :mod:`fidus_desktop.domain.fees` (reference §5.3); this module gives them their
inputs, per account and summed per manager:

- TRUE P&L = equity + transfers out - initial allocation. The allocation comes from
  ``mt5_account_config`` (else ``mt5_accounts``); transfers out are the withdrawals whose deal
  comment says ``Transfer to #<account>`` (profit moved to a separation or another account,
  ``backend/mt5_transfer_classifier.py``). The original's other source of profit withdrawals,
  ``mt5_corrected_data``, is written by no code, so it adds nothing here either.
- ``fee_on_true_pnl``: the original's figure, ``performance_fee(TRUE P&L, rate)``, which it stores
  as ``current_month_fee_accrued`` every day with no high-water mark.
- ``month_fee``: the fee on this month's result, the "monthly reset" the original's rules
  describe: ``performance_fee(month P&L, rate)``, where month P&L = equity now - equity at the
  month's start - deposits + withdrawals of the month (so capital moved is not profit). Without
  an equity sample from the month's start it falls back to the realized result of the month's
  deals (``month_basis`` says which).
- Rebates: lots traded this month (every BUY/SELL deal) x the rebate per lot.

Fees are computed per account and summed: a loss in one account does not cancel the fee earned
in another, as the original computes each account on its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

from bridge_link.models import Deal

from ..domain.fees import DEFAULT_REBATE_PER_LOT, broker_rebate, performance_fee, true_pnl
from ..domain.money_managers import MoneyManager
from ..domain.mt5_accounts import Mt5AccountLink
from ..domain.mt5_config import Mt5AccountConfig
from ..domain.values import to_cents
from .deals import DEAL_BALANCE, DEAL_BUY, DEAL_SELL, ZERO, balance_change

TRANSFER_OUT = re.compile(r"transfer\s+to\s+#?\s*\"?(\d+)", re.IGNORECASE)


def is_transfer_out(deal: Deal) -> bool:
    return deal.type == DEAL_BALANCE and deal.profit < 0 and bool(TRANSFER_OUT.search(deal.comment))


def month_start(now: datetime) -> datetime:
    """00:00 UTC on the first of ``now``'s month (fees are charged per calendar month)."""
    moment = now.astimezone(UTC)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True, slots=True)
class AccountResult:
    account: int
    name: str
    equity: Decimal | None
    initial_allocation: Decimal | None
    transfers_out: Decimal
    #: ``None`` when the equity or the allocation is not known.
    true_pnl: Decimal | None
    fee_on_true_pnl: Decimal | None
    month_pnl: Decimal
    month_basis: Literal["equity", "realized"]
    month_fee: Decimal | None
    month_lots: Decimal
    month_rebate: Decimal


@dataclass(frozen=True, slots=True)
class ManagerResult:
    manager: MoneyManager
    accounts: tuple[AccountResult, ...]

    def _total(self, name: str) -> Decimal | None:
        values = [getattr(a, name) for a in self.accounts if getattr(a, name) is not None]
        return sum(values, ZERO) if values else None

    @property
    def true_pnl(self) -> Decimal | None:
        return self._total("true_pnl")

    @property
    def fee_on_true_pnl(self) -> Decimal | None:
        return self._total("fee_on_true_pnl")

    @property
    def month_pnl(self) -> Decimal:
        return self._total("month_pnl") or ZERO

    @property
    def month_fee(self) -> Decimal | None:
        return self._total("month_fee")

    @property
    def month_lots(self) -> Decimal:
        return self._total("month_lots") or ZERO

    @property
    def month_rebate(self) -> Decimal:
        return self._total("month_rebate") or ZERO


def account_result(account: int, *, rate: Decimal | None, link: Mt5AccountLink | None = None,
                   config: Mt5AccountConfig | None = None, equity: Decimal | None = None,
                   deals: Sequence[Deal] = (), month_start_equity: Decimal | None = None,
                   now: datetime, per_lot: Decimal = DEFAULT_REBATE_PER_LOT) -> AccountResult:
    """One account's figures. ``equity``: live, else the last synced one of ``link``;
    ``deals``: the account's history (at least since the allocation started)."""
    equity = equity if equity is not None else (link.equity if link else None)
    allocation = config.initial_allocation if config and config.initial_allocation is not None else (
        link.initial_allocation if link else None)
    transfers = sum((-d.profit for d in deals if is_transfer_out(d)), ZERO)
    pnl = None if equity is None or allocation is None else to_cents(
        true_pnl(equity, allocation, transfers_out=transfers))
    start = month_start(now)
    month = [d for d in deals if start <= d.time <= now]
    flows = sum((d.profit for d in month if d.type == DEAL_BALANCE), ZERO)
    if month_start_equity is not None and equity is not None:
        month_pnl, basis = equity - month_start_equity - flows, "equity"
    else:
        month_pnl, basis = sum((balance_change(d) for d in month if d.type != DEAL_BALANCE), ZERO), "realized"
    lots = sum((d.volume for d in month if d.type in (DEAL_BUY, DEAL_SELL)), ZERO)
    return AccountResult(
        account=account, name=(link.name if link else "") or (config.name if config else ""),
        equity=equity, initial_allocation=allocation, transfers_out=to_cents(transfers), true_pnl=pnl,
        fee_on_true_pnl=None if pnl is None or rate is None else performance_fee(pnl, rate),
        month_pnl=to_cents(month_pnl), month_basis=basis,  # type: ignore[arg-type]
        month_fee=None if rate is None else performance_fee(month_pnl, rate),
        month_lots=lots, month_rebate=broker_rebate(lots, per_lot))


def accounts_of(manager: MoneyManager, links: Iterable[Mt5AccountLink]) -> list[int]:
    """The accounts a manager trades: those naming it (``manager_name``) that count for the fund,
    then those it lists in ``assigned_accounts``."""
    names = {n.strip().casefold() for n in (manager.name, manager.display_name) if n.strip()}
    named = [a.account for a in links if a.manager_name.strip().casefold() in names and a.counts_for_fund]
    return list(dict.fromkeys([*named, *manager.assigned_accounts]))


def manager_results(managers: Iterable[MoneyManager], links: Iterable[Mt5AccountLink],
                    configs: Iterable[Mt5AccountConfig], *, now: datetime,
                    equities: Mapping[int, Decimal] | None = None,
                    deals: Mapping[int, Sequence[Deal]] | None = None,
                    month_start_equity: Mapping[int, Decimal] | None = None,
                    per_lot: Decimal = DEFAULT_REBATE_PER_LOT) -> tuple[ManagerResult, ...]:
    """Every manager's figures, in the order given. ``equities``: live equity per account (the
    monitor's board); ``month_start_equity``: from :meth:`.history.EquityHistory.equity_at`."""
    links = list(links)
    by_account = {a.account: a for a in links}
    config_of = {c.account: c for c in configs}
    results = []
    for manager in managers:
        accounts = tuple(
            account_result(n, rate=manager.performance_fee_rate, link=by_account.get(n), config=config_of.get(n),
                           equity=(equities or {}).get(n), deals=(deals or {}).get(n, ()),
                           month_start_equity=(month_start_equity or {}).get(n), now=now, per_lot=per_lot)
            for n in accounts_of(manager, links))
        results.append(ManagerResult(manager, accounts))
    return tuple(results)
