"""What the fund really keeps: MT5 equity - principal - accrued interest - commissions due - fees due.

The original's fund revenue is equity minus principal (reference §5.3). Ours takes off every
other debt as well: interest accrued and not paid (the dashboard's figure), referral
commissions due and not paid, and the money managers' fees accrued this month. Broker rebates
are income that does not sit in the trading accounts' equity: shown beside it.

The fees are the rules in :mod:`fidus_desktop.domain.fees`, given their inputs by
:mod:`fidus_desktop.mt5.managers` (reused, never redefined here). The performance fee due is the
original's figure: each account's TRUE P&L times the manager's rate, accrued daily, charged
monthly, **with no high-water mark** (a manager who lost last month and made it back earns a fee
on the same profit twice); the fee on this month's result alone is shown beside it. Deals come
from the local cache the MT5 monitor fills; without them transfers out and lots traded count 0.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from bridge_link.models import Deal

from ..domain.fees import management_fee
from ..domain.values import ZERO
from ..lanes import shared_lanes
from ..storage import doc_json
from ..mt5.deals import DEAL_BALANCE
from ..mt5.managers import ManagerResult, accounts_of, manager_results, month_start

if TYPE_CHECKING:
    from ..storage.cache import LocalCache
    from ..storage.store import FundStore
    from .portfolio import Dashboard

log = logging.getLogger(__name__)

NO_HIGH_WATER_MARK = ("Performance fees as the original charges them: on each account's TRUE P&L, accrued daily, "
                      "charged monthly, with no high-water mark.")


@dataclass(frozen=True, slots=True)
class ManagerFee:
    manager_id: str
    name: str
    rate: Decimal | None
    accounts: tuple[int, ...]
    true_pnl: Decimal | None
    #: The original's figure (no high-water mark): what "fees due" counts.
    fee_accrued: Decimal | None
    month_pnl: Decimal
    month_fee: Decimal | None
    month_lots: Decimal
    rebate: Decimal


@dataclass(frozen=True, slots=True)
class RevenuePicture:
    as_of: date
    equity: Decimal
    principal_owed: Decimal
    interest_accrued: Decimal
    commissions_due: Decimal
    performance_fees: Decimal
    management_fees: Decimal
    rebates: Decimal
    managers: tuple[ManagerFee, ...] = ()
    note: str = NO_HIGH_WATER_MARK

    @property
    def fees_due(self) -> Decimal:
        return self.performance_fees + self.management_fees

    @property
    def kept(self) -> Decimal:
        """What the fund keeps after paying everything it owes."""
        return self.equity - self.principal_owed - self.interest_accrued - self.commissions_due - self.fees_due

    @property
    def kept_with_rebates(self) -> Decimal:
        return self.kept + self.rebates


def manager_fee(result: ManagerResult) -> ManagerFee:
    m = result.manager
    return ManagerFee(m.manager_id, m.label, m.performance_fee_rate, tuple(a.account for a in result.accounts),
                      result.true_pnl, result.fee_on_true_pnl, result.month_pnl, result.month_fee, result.month_lots,
                      result.month_rebate)


def picture(dashboard: Dashboard, results: tuple[ManagerResult, ...]) -> RevenuePicture:
    """The revenue picture from the dashboard's figures and the managers' results."""
    fees = tuple(manager_fee(r) for r in results)
    principal = sum((p.principal_owed for p in dashboard.products), ZERO)
    interest = sum((p.interest_accrued for p in dashboard.products), ZERO)
    return RevenuePicture(
        as_of=dashboard.as_of, equity=dashboard.equity, principal_owed=principal, interest_accrued=interest,
        commissions_due=dashboard.commissions_due.amount,
        performance_fees=sum((f.fee_accrued for f in fees if f.fee_accrued is not None), ZERO),
        management_fees=management_fee(dashboard.aum), rebates=sum((f.rebate for f in fees), ZERO), managers=fees)


async def fee_deal_docs(cache: LocalCache, account: int, since: datetime) -> list[str]:
    """The cached deals the fees are worked from (:func:`..mt5.managers.manager_results`):
    every deal since ``since`` (the month's P&L, flows and lots) and the balance operations
    before it (transfers out over the whole allocation), as stored text. The rest of a long
    history is neither read nor parsed: the demo fund's 7,500 cached deals took 0.6 s to parse
    and validate, for a few dozen that count."""
    return (await cache.get_deal_docs(account, date_to=since, types=(DEAL_BALANCE,))
            + await cache.get_deal_docs(account, date_from=since))


async def _deals(cache: LocalCache | None, accounts: list[int], since: datetime) -> dict[int, list[Deal]]:
    if cache is None or not accounts:
        return {}
    raw: dict[int, list[str]] = {}
    for account in accounts:
        try:  # the stored text: parsed in the cpu lane, not on the loop's thread
            raw[account] = await fee_deal_docs(cache, account, since)
        except Exception:  # a cache that cannot be read: fees without deals rather than none at all
            log.warning("deals of %s could not be read from the local cache", account, exc_info=True)

    def parse() -> dict[int, list[Deal]]:
        out: dict[int, list[Deal]] = {}
        for account, docs in raw.items():
            deals = []
            for doc in docs:
                try:
                    deals.append(Deal.model_validate(doc_json.loads(doc)))
                except ValueError:
                    continue  # one unreadable cached deal does not hide the others
            out[account] = deals
        return out

    return await shared_lanes().cpu.run(parse, action="manager fees: deals")


async def revenue_picture(store: FundStore, cache: LocalCache | None, dashboard: Dashboard,
                          now: datetime) -> RevenuePicture:
    """Read the managers, their accounts and the month's deals, and work the picture out."""
    managers = [m for m in await store.money_managers.find() if m.is_active]
    links = await store.mt5_accounts.find()
    configs = await store.mt5_configs.find()
    accounts = sorted({n for m in managers for n in accounts_of(m, links)})
    deals = await _deals(cache, accounts, month_start(now))
    start_equity: dict[int, Decimal] = {}
    if cache is not None:
        from ..mt5.history import EquityHistory

        history = EquityHistory(cache)
        for account in accounts:
            try:
                value = await history.equity_at(account, month_start(now))
            except Exception:
                value = None
            if value is not None:
                start_equity[account] = value
    results = manager_results(managers, links, configs, now=now, deals=deals, month_start_equity=start_equity)
    return picture(dashboard, results)
