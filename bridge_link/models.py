"""What every MT5 source returns: typed, validated, Decimal money and aware UTC datetimes.

Pydantic models because the same classes are the bridge server's response bodies and the
remote source's strict validation of them: a field missing, a number that is not finite or a
naive datetime is refused in one place for both sides. Field names follow the MetaTrader5
structures (mt5-api.md §4) so nothing is renamed between the terminal and the screen.

The ranges here are what any account can have (a margin is never negative, a ticket fits the
terminal's 64 bits, an amount is below 10^15 with at most 34 significant digits): a value
outside them is refused, never shown. The remote source validates bridge answers with
``strict=True`` on top, so ``"100"`` is not an int and ``"yes"`` is not a bool there, while the
direct source can still hand over the terminal's own numeric types.

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

#: Instants outside these years are no account's (and years 1 or 9999 overflow once shifted).
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
#: No balance, price or volume reaches 10^15; doubles carry 17 significant digits, Decimal128 34.
AMOUNT_LIMIT = Decimal(10) ** 15
MAX_SIGNIFICANT_DIGITS = 34
INT64_MAX = 2**63 - 1
INT32_MAX = 2**31 - 1


def _to_utc(moment: datetime) -> datetime:
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("date out of range") from None
    if not EARLIEST <= moment < LATEST:
        raise ValueError(f"date outside {EARLIEST.year}-{LATEST.year}")
    return moment


def _bounded(value: Decimal) -> Decimal:
    _sign, digits, exponent = value.as_tuple()
    if abs(value) >= AMOUNT_LIMIT:
        raise ValueError("amount out of range (at most 10^15)")
    if len(digits) > MAX_SIGNIFICANT_DIGITS or (value and -int(exponent) > 2 * MAX_SIGNIFICANT_DIGITS):
        raise ValueError("amount with too many digits")
    return value


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
#: Any amount, price or profit (signed: equity, profit and even some prices can be negative).
Money = Annotated[Decimal, Field(allow_inf_nan=False), AfterValidator(_bounded)]
#: Margins, margin levels, credit, volumes, sizes: never below zero.
NonNegative = Annotated[Decimal, Field(allow_inf_nan=False, ge=0), AfterValidator(_bounded)]
Login = Annotated[int, Field(gt=0, le=INT64_MAX)]
#: Tickets, order and position ids, magic numbers: the terminal's unsigned 64-bit values.
Id = Annotated[int, Field(ge=0, le=INT64_MAX)]
#: The terminal's enumerations and counters (type, reason, state, flags, leverage, bars' volumes).
Code = Annotated[int, Field(ge=0, le=INT64_MAX)]
#: Signed terminal integers (a spread can be negative on some feeds).
Int = Annotated[int, Field(ge=-INT32_MAX, le=INT32_MAX)]
#: Decimal places of a currency or a symbol's price.
Digits = Annotated[int, Field(ge=0, le=15)]
#: Names, comments and labels: the terminal's are at most a few dozen characters.
Label = Annotated[str, Field(max_length=1000)]


class _Model(BaseModel):
    # Unknown keys are ignored so an older app still reads a newer bridge; wrong types are refused.
    # Each model's validator is built when first used, in the lane that reads MT5, not when the
    # module is imported: the sixteen at once were 100 ms of every start.
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)


class Snapshot(_Model):
    fetched_at: UtcDatetime
    #: "demo terminal", "direct terminal", "bridge vps-1" or "cache".
    source: Label = ""
    #: True when no source answered and this is the last good copy from the local cache.
    stale: bool = False

    def age_seconds(self, now: datetime) -> float:
        return max(0.0, (now - self.fetched_at).total_seconds())


class AccountSnapshot(Snapshot):
    """``account_info()``: all 28 fields, money as Decimal."""

    login: Login
    trade_mode: Code
    leverage: Code
    limit_orders: Code
    margin_so_mode: Code
    trade_allowed: bool
    trade_expert: bool
    margin_mode: Code
    currency_digits: Digits
    fifo_close: bool
    balance: Money
    credit: NonNegative
    profit: Money
    equity: Money
    margin: NonNegative
    margin_free: Money
    #: ``None`` when there is no margin in use: the terminal then reports 0.0, which means "n/a".
    margin_level: NonNegative | None
    margin_so_call: NonNegative
    margin_so_so: NonNegative
    margin_initial: NonNegative
    margin_maintenance: NonNegative
    assets: Money
    liabilities: Money
    commission_blocked: Money
    name: Label
    server: Label
    currency: Label
    company: Label


class Position(_Model):
    ticket: Id
    time: UtcDatetime
    time_update: UtcDatetime
    type: Code
    magic: Id
    identifier: Id
    reason: Code
    volume: NonNegative
    price_open: Money
    sl: Money
    tp: Money
    price_current: Money
    swap: Money
    profit: Money
    symbol: Label
    comment: Label
    external_id: Label

    @property
    def is_buy(self) -> bool:
        return self.type == 0


class Order(_Model):
    ticket: Id
    time_setup: UtcDatetime
    #: ``None`` while the order is still working (the terminal says 0).
    time_done: UtcDatetime | None
    time_expiration: UtcDatetime | None
    type: Code
    type_time: Code
    type_filling: Code
    state: Code
    magic: Id
    position_id: Id
    position_by_id: Id
    reason: Code
    volume_initial: NonNegative
    volume_current: NonNegative
    price_open: Money
    sl: Money
    tp: Money
    price_current: Money
    price_stoplimit: Money
    symbol: Label
    comment: Label
    external_id: Label


DEAL_TYPE_BALANCE = 2


class Deal(_Model):
    ticket: Id
    order: Id
    time: UtcDatetime
    type: Code
    entry: Code
    magic: Id
    position_id: Id
    reason: Code
    volume: NonNegative
    price: Money
    commission: Money
    swap: Money
    profit: Money
    fee: Money
    symbol: Label
    comment: Label
    external_id: Label

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
    name: Label
    description: Label
    path: Label
    currency_base: Label
    currency_profit: Label
    currency_margin: Label
    digits: Digits
    point: NonNegative
    spread: Int
    trade_mode: Code
    trade_contract_size: NonNegative
    trade_tick_size: NonNegative
    trade_tick_value: Money
    volume_min: NonNegative
    volume_max: NonNegative
    volume_step: NonNegative
    swap_long: Money
    swap_short: Money
    visible: bool
    select: bool
    bid: Money
    ask: Money
    time: UtcDatetime | None


class Tick(_Model):
    symbol: Label
    time: UtcDatetime
    bid: Money
    ask: Money
    last: Money
    volume: Code
    flags: Code
    volume_real: NonNegative


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
    tick_volume: Code
    spread: Int
    real_volume: Code


class Rates(_Model):
    symbol: Label
    timeframe: Timeframe
    bars: tuple[Bar, ...]


class SourceHealth(_Model):
    """What ``health()`` says: it never raises, a dead source is ``connected=False`` with a reason."""

    source: Label
    connected: bool
    checked_at: UtcDatetime
    reason: ErrorReason | None = None
    detail: Annotated[str, Field(max_length=4000)] = ""
    #: The account the terminal is logged into right now, if known.
    login: Id | None = None
    terminal_build: Code | None = None
    server_zone: Label = ""


class AccountRef(_Model):
    """An account a source can serve, with the fund's labels when the source knows them."""

    login: Login
    name: Label = ""
    fund_type: Label = ""
    server: Label = ""
