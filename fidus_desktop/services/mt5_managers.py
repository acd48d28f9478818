"""The money managers screen's figures (issue 10 item 6): every manager with its accounts, TRUE
P&L, the performance fee of this month and the broker rebates, from the rules of
:mod:`fidus_desktop.mt5.managers`.

Inputs: the fund's records (``money_managers``, ``mt5_accounts``, ``mt5_account_config``), live
equity from the monitor's latest board (else the last synced equity of the record), every
account's synced deal history from the local cache (transfers out, this month's flows and lots)
and the equity sample at the month's start from the equity history. The work (parsing the
histories, the sums) runs in the cpu lane.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from ..domain.fees import DEFAULT_REBATE_PER_LOT
from ..domain.values import utc_now
from ..lanes import shared_lanes
from ..mt5.managers import ManagerResult, accounts_of, manager_results, month_start
from .investments import _store
from .mt5_monitor import Mt5MonitorService, parse_deals
from .revenue import fee_deal_docs

if TYPE_CHECKING:
    from ..app_context import AppContext

#: An equity sample this close before the month's start stands for it (else: the realized result).
SAMPLE_WITHIN = timedelta(days=2)
#: What the screen says about the fee, as the original computes it.
FEE_NOTE = ("Performance fee = max(0, this month's P&L) x the manager's rate, per account; no high-water "
            "mark (as the original): a month after a losing one owes a fee on its own gain. "
            "\"Fee on TRUE P&L\" is the figure the original stores (its whole result since allocation).")


@dataclass(frozen=True, slots=True)
class ManagersView:
    results: tuple[ManagerResult, ...]
    as_of: datetime
    #: Accounts whose equity is not live (cache, or the record's last sync).
    not_live: frozenset[int]
    per_lot: Decimal = DEFAULT_REBATE_PER_LOT


async def managers_view(context: AppContext, now: datetime | None = None) -> ManagersView:
    now = now or utc_now()
    store = _store(context)
    managers = sorted(await store.money_managers.find(), key=lambda m: (not m.is_active, m.label.casefold()))
    links = await store.mt5_accounts.find()
    configs = await store.mt5_configs.find()
    logins = sorted({n for m in managers for n in accounts_of(m, links)})
    monitor = context.service(Mt5MonitorService)
    board = monitor.latest if monitor is not None else None
    equities: dict[int, Decimal] = {}
    live: set[int] = set()
    if board is not None:
        for view in board.accounts:
            if view.account is not None:
                equities[view.login] = view.account.equity
                if not view.stale:
                    live.add(view.login)
    docs: dict[int, Sequence[str]] = {}
    month_equity: dict[int, Decimal] = {}
    cache = context.cache
    history = monitor.history if monitor is not None else None
    start = month_start(now)
    for login in logins:
        if cache is not None:
            docs[login] = await fee_deal_docs(cache, login, start)
        if history is not None and (held := await history.equity_at(login, start, within=SAMPLE_WITHIN)) is not None:
            month_equity[login] = held

    def compute() -> tuple[ManagerResult, ...]:
        deals = {login: parse_deals(d) for login, d in docs.items()}
        return manager_results(managers, links, configs, now=now, equities=equities, deals=deals,
                               month_start_equity=month_equity)

    results = await shared_lanes().cpu.run(compute, action="compute the managers' fees")
    return ManagersView(results, now, frozenset(set(logins) - live))
