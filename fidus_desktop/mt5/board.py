"""What one round of MT5 polling shows: every account's latest view, where it came from, and totals.

An :class:`Mt5AccountView` is one account as last read (summary, positions, pending orders when
watched), with the fund's own record of it (``link``: fund, manager, status from
``mt5_accounts``) and why it may be stale: the source failed and the cache answered, or the poll
is overdue (still running past the account's interval, so the numbers shown are older than they
should be). An :class:`Mt5Board` holds every view, the source's name and state, and the open
alerts; :func:`fund_totals` adds them up per fund and currency. Qt-free, plain data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from bridge_link.models import AccountRef, AccountSnapshot, OrdersSnapshot, PositionsSnapshot

from ..domain.funds import normalize_fund_code
from ..domain.mt5_accounts import Mt5AccountLink
from ..domain.values import utc_now
from ..services.health import ServiceState

if TYPE_CHECKING:
    from .alerts import Alert

ZERO = Decimal(0)
#: The cache is named so on screen ("cache (age 3 min)").
CACHE_SOURCE = "cache"


def describe_age(seconds: float) -> str:
    if seconds < 90:
        return f"{int(seconds)} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    if seconds < 172800:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} days"


@dataclass(frozen=True, slots=True)
class Mt5AccountView:
    ref: AccountRef
    account: AccountSnapshot | None = None
    positions: PositionsSnapshot | None = None
    #: Pending orders, read only for the accounts the manager is looking at.
    orders: OrdersSnapshot | None = None
    #: Why nothing (or only stale data) could be read, for the manager.
    error: str = ""
    #: The poll is running past the account's interval (a hung source): the data is older than it should be.
    overdue: bool = False
    #: The fund's record of the account (``mt5_accounts``), when there is one.
    link: Mt5AccountLink | None = None
    #: Equity at the start of the manager's day (the last sample before local midnight).
    day_start_equity: Decimal | None = None
    #: Deposits minus withdrawals since then (so today's change is trading, not capital moved).
    day_flows: Decimal = ZERO
    #: Grows each time a deal sync brought new deals (charts and statistics reload then).
    deals_revision: int = 0
    #: Seconds between this account's polls.
    interval: float = 0.0
    #: Failed polls in a row (the backoff doubles with each).
    failures: int = 0

    @property
    def login(self) -> int:
        return self.ref.login

    @property
    def stale(self) -> bool:
        return self.overdue or any(s is not None and s.stale for s in (self.account, self.positions))

    @property
    def name(self) -> str:
        return (self.link.name if self.link and self.link.name else "") or self.ref.name or (
            self.account.name if self.account else "")

    @property
    def fund(self) -> str:
        """The fund the fund's records say (else the source's label)."""
        if self.link is not None and self.link.fund_type:
            return self.link.fund_type
        return normalize_fund_code(self.ref.fund_type)

    @property
    def manager(self) -> str:
        return self.link.manager_name if self.link is not None else ""

    @property
    def server(self) -> str:
        return (self.account.server if self.account else "") or self.ref.server or (
            self.link.server if self.link else "")

    @property
    def source(self) -> str:
        if self.account is None:
            return ""
        return CACHE_SOURCE if self.stale else self.account.source

    def age_seconds(self, now: datetime) -> float | None:
        return None if self.account is None else self.account.age_seconds(now)

    @property
    def today_change(self) -> Decimal | None:
        if self.account is None or self.day_start_equity is None:
            return None
        return self.account.equity - self.day_start_equity - self.day_flows

    def as_stale(self, reason: str = "") -> Mt5AccountView:
        """This view with its data marked as the last known values (the poll is overdue)."""

        def aged(snap):  # noqa: ANN001, ANN202 - any snapshot model
            return None if snap is None else snap.model_copy(update={"stale": True, "source": CACHE_SOURCE})

        return replace(self, account=aged(self.account), positions=aged(self.positions), orders=aged(self.orders),
                       overdue=True, error=reason or self.error)


@dataclass(frozen=True, slots=True)
class Mt5Board:
    accounts: tuple[Mt5AccountView, ...]
    #: What the status line says: "bridge vps-1", "cache (age 3 min)"...
    source: str
    state: ServiceState
    polled_at: datetime = field(default_factory=utc_now)
    detail: str = ""
    #: Since when a failover group has been on the bridge that answers (None for a single source).
    source_since: datetime | None = None
    #: Alerts active or not yet acknowledged, newest first.
    alerts: tuple[Alert, ...] = ()

    def view(self, login: int) -> Mt5AccountView | None:
        return next((v for v in self.accounts if v.ref.login == login), None)

    def alerts_of(self, login: int) -> tuple[Alert, ...]:
        return tuple(a for a in self.alerts if a.account == login and a.active)


@dataclass(frozen=True, slots=True)
class FundTotal:
    """One fund's accounts added up (``fund`` "" is the overall line)."""

    fund: str
    currency: str
    accounts: int
    balance: Decimal
    equity: Decimal
    floating: Decimal
    today_change: Decimal | None
    stale: int
    alerting: int
    #: Accounts with no data at all (not counted in the sums).
    missing: int = 0

    @property
    def label(self) -> str:
        return self.fund or "All funds"


def _total(fund: str, currency: str, views: list[Mt5AccountView], alerting: set[int]) -> FundTotal:
    known = [v for v in views if v.account is not None]
    changes = [v.today_change for v in known]
    return FundTotal(
        fund=fund, currency=currency, accounts=len(views),
        balance=sum((v.account.balance for v in known), ZERO),  # type: ignore[union-attr]
        equity=sum((v.account.equity for v in known), ZERO),  # type: ignore[union-attr]
        floating=sum((v.account.profit for v in known), ZERO),  # type: ignore[union-attr]
        today_change=None if not known or any(c is None for c in changes) else sum(changes, ZERO),  # type: ignore[arg-type]
        stale=sum(1 for v in views if v.stale), alerting=sum(1 for v in views if v.login in alerting),
        missing=len(views) - len(known))


def fund_totals(views: Iterable[Mt5AccountView], alerts: Iterable[Alert] = ()) -> list[FundTotal]:
    """Per fund (in fund order), then overall; per currency, since amounts in different
    currencies do not add up. Accounts the fund records leave out of fund maths (inactive,
    ``live_demo``) are not counted."""
    alerting = {a.account for a in alerts if a.active and a.account is not None}
    counted = [v for v in views if v.link is None or v.link.counts_for_fund]
    groups: dict[tuple[str, str], list[Mt5AccountView]] = {}
    overall: dict[str, list[Mt5AccountView]] = {}
    for v in counted:
        currency = v.account.currency if v.account else ""
        groups.setdefault((v.fund, currency), []).append(v)
        overall.setdefault(currency, []).append(v)
    lines = [_total(fund, currency, group, alerting) for (fund, currency), group in sorted(groups.items())]
    lines += [_total("", currency, group, alerting) for currency, group in sorted(overall.items())]
    return lines


def build_board(views: tuple[Mt5AccountView, ...], now: datetime, *, source: str, since: datetime | None = None,
                last_error: str = "", listing_error: str = "") -> Mt5Board:
    """The board of ``views`` with the state the status line shows: ONLINE while any account is
    live, STALE (named "cache (age …)") when only cached copies are left, OFFLINE with the
    reason when nothing could be read, CONNECTING before the first answer."""
    if listing_error and not views:
        return Mt5Board((), source, ServiceState.OFFLINE, now, listing_error)
    if not views:
        return Mt5Board((), source, ServiceState.NOT_CONFIGURED, now, "No MT5 account is configured to watch.")
    live = [v for v in views if v.account is not None and not v.stale]
    stale = [v for v in views if v.account is not None and v.stale]
    errors = [v.error for v in views if v.error and v.account is None]
    if not live and not stale and not errors:
        return Mt5Board(views, source, ServiceState.CONNECTING, now, "Reading the accounts…")
    if live:
        sources = {v.account.source for v in live if v.account is not None}
        label = sources.pop() if len(sources) == 1 else source
        detail = f"{len(errors)} account(s) unreadable: {errors[0]}" if errors else ""
        if stale:
            detail = f"{len(stale)} account(s) from the cache. " + detail
        return Mt5Board(views, label, ServiceState.ONLINE, now, detail.strip(), since)
    if stale:
        oldest = max(v.account.age_seconds(now) for v in stale if v.account is not None)
        reason = last_error or next((v.error for v in stale if v.error), "") or (errors[0] if errors else "")
        return Mt5Board(views, f"{CACHE_SOURCE} (age {describe_age(oldest)})", ServiceState.STALE, now,
                        reason or "No MT5 source answered; showing the last known values.")
    return Mt5Board(views, source, ServiceState.OFFLINE, now, errors[0] if errors else "No MT5 source answered.")
