"""What every MT5 source returns: typed, validated, Decimal money and aware UTC datetimes.

Pydantic models because the same classes are the bridge server's response bodies and the
remote source's strict validation of them: a field missing, a number that is not finite or a
naive datetime is refused in one place for both sides. Field names follow the MetaTrader5
structures (mt5-api.md §4) so nothing is renamed between the terminal and the screen.

Account-scoped answers are *snapshots*: they say when they were read, by which source, and
whether they come from the local cache because no source answered (``stale``).
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from .errors import ErrorReason

UtcDatetime = Annotated[AwareDatetime, AfterValidator(lambda moment: moment.astimezone(UTC))]
Money = Annotated[Decimal, Field(allow_inf_nan=False)]
Login = Annotated[int, Field(gt=0)]


class _Model(BaseModel):
    # Unknown keys are ignored so an older app still reads a newer bridge; wrong types are refused.
    model_config = ConfigDict(frozen=True, extra="ignore")


class Snapshot(_Model):
    fetched_at: UtcDatetime
    #: "demo terminal", "direct terminal", "bridge vps-1" or "cache".
    source: str = ""
    #: True when no source answered and this is the last good copy from the local cache.
    stale: bool = False

    def age_seconds(self, now: datetime) -> float:
        return max(0.0, (now - self.fetched_at).total_seconds())


class AccountSnapshot(Snapshot):
    """``account_info()``: all 28 fields, money as Decimal."""

    login: Login
    trade_mode: int
    leverage: int
    limit_orders: int
    margin_so_mode: int
    trade_allowed: bool
    trade_expert: bool
    margin_mode: int
    currency_digits: int
    fifo_close: bool
    balance: Money
    credit: Money
    profit: Money
    equity: Money
    margin: Money
    margin_free: Money
    #: ``None`` when there is no margin in use: the terminal then reports 0.0, which means "n/a".
    margin_level: Money | None
    margin_so_call: Money
    margin_so_so: Money
    margin_initial: Money
    margin_maintenance: Money
    assets: Money
    liabilities: Money
    commission_blocked: Money
    name: str
    server: str
    currency: str
    company: str


class Position(_Model):
    ticket: int
    time: UtcDatetime
    time_update: UtcDatetime
    type: int
    magic: int
    identifier: int
    reason: int
    volume: Money
    price_open: Money
    sl: Money
    tp: Money
    price_current: Money
    swap: Money
    profit: Money
    symbol: str
    comment: str
    external_id: str

    @property
    def is_buy(self) -> bool:
        return self.type == 0


class Order(_Model):
    ticket: int
    time_setup: UtcDatetime
    #: ``None`` while the order is still working (the terminal says 0).
    time_done: UtcDatetime | None
    time_expiration: UtcDatetime | None
    type: int
    type_time: int
    type_filling: int
    state: int
    magic: int
    position_id: int
    position_by_id: int
    reason: int
    volume_initial: Money
    volume_current: Money
    price_open: Money
    sl: Money
    tp: Money
    price_current: Money
    price_stoplimit: Money
    symbol: str
    comment: str
    external_id: str


DEAL_TYPE_BALANCE = 2


class Deal(_Model):
    ticket: int
    order: int
    time: UtcDatetime
    type: int
    entry: int
    magic: int
    position_id: int
    reason: int
    volume: Money
    price: Money
    commission: Money
    swap: Money
    profit: Money
    fee: Money
    symbol: str
    comment: str
    external_id: str

    @property
    def amount(self) -> Decimal:
        """What the deal adds to the balance (mt5-api.md §10)."""
        return self.profit + self.commission + self.swap + self.fee

    @property
    def is_deposit(self) -> bool:
        return self.type == DEAL_TYPE_BALANCE and self.profit > 0

    @property
    def is_withdrawal(self) -> bool:
        return self.type == DEAL_TYPE_BALANCE and self.profit < 0


class PositionsSnapshot(Snapshot):
    login: Login
    positions: tuple[Position, ...]


class OrdersSnapshot(Snapshot):
    login: Login
    orders: tuple[Order, ...]


class DealsSnapshot(Snapshot):
    login: Login
    date_from: UtcDatetime
    date_to: UtcDatetime
    deals: tuple[Deal, ...]


class SymbolSpec(_Model):
    name: str
    description: str
    path: str
    currency_base: str
    currency_profit: str
    currency_margin: str
    digits: int
    point: Money
    spread: int
    trade_mode: int
    trade_contract_size: Money
    trade_tick_size: Money
    trade_tick_value: Money
    volume_min: Money
    volume_max: Money
    volume_step: Money
    swap_long: Money
    swap_short: Money
    visible: bool
    select: bool
    bid: Money
    ask: Money
    time: UtcDatetime | None


class Tick(_Model):
    symbol: str
    time: UtcDatetime
    bid: Money
    ask: Money
    last: Money
    volume: int
    flags: int
    volume_real: Money


class Timeframe(enum.StrEnum):
    M1 = "M1"
    M5 = "M5"
    M15 = "M15"
    M30 = "M30"
    H1 = "H1"
    H4 = "H4"
    D1 = "D1"
    W1 = "W1"
    MN1 = "MN1"


class Bar(_Model):
    time: UtcDatetime
    open: Money
    high: Money
    low: Money
    close: Money
    tick_volume: int
    spread: int
    real_volume: int


class Rates(_Model):
    symbol: str
    timeframe: Timeframe
    bars: tuple[Bar, ...]


class SourceHealth(_Model):
    """What ``health()`` says: it never raises, a dead source is ``connected=False`` with a reason."""

    source: str
    connected: bool
    checked_at: UtcDatetime
    reason: ErrorReason | None = None
    detail: str = ""
    #: The account the terminal is logged into right now, if known.
    login: int | None = None
    terminal_build: int | None = None
    server_zone: str = ""


class AccountRef(_Model):
    """An account a source can serve, with the fund's labels when the source knows them."""

    login: Login
    name: str = ""
    fund_type: str = ""
    server: str = ""
