"""The one interface every way to reach MT5 implements (direct, demo, remote bridge, failover, cache).

All methods are coroutines and raise only :class:`bridge_link.errors.BridgeError`, except
``health()``, which never raises and tells the truth in its answer instead. Times passed in are
aware UTC; conversion to the broker's server clock is the source's business.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from .models import (
    AccountRef,
    AccountSnapshot,
    DealsSnapshot,
    OrdersSnapshot,
    PositionsSnapshot,
    Rates,
    SourceHealth,
    SymbolSpec,
    Tick,
    Timeframe,
)


@runtime_checkable
class Mt5Source(Protocol):
    #: Shown to the manager: "demo terminal", "direct terminal", "bridge vps-1"...
    name: str

    async def health(self) -> SourceHealth: ...

    async def accounts(self) -> tuple[AccountRef, ...]:
        """The accounts this source can serve (configured logins, or what a bridge manages)."""
        ...

    async def account(self, login: int) -> AccountSnapshot: ...

    async def positions(self, login: int) -> PositionsSnapshot: ...

    async def open_orders(self, login: int) -> OrdersSnapshot: ...

    async def deals(self, login: int, date_from: datetime, date_to: datetime) -> DealsSnapshot: ...

    async def history_orders(self, login: int, date_from: datetime, date_to: datetime) -> OrdersSnapshot: ...

    async def symbol(self, symbol: str) -> SymbolSpec: ...

    async def tick(self, symbol: str) -> Tick: ...

    async def rates(self, symbol: str, timeframe: Timeframe, date_from: datetime, date_to: datetime) -> Rates: ...

    async def close(self) -> None: ...


def active_source_name(source: Mt5Source) -> str:
    """Which source is really answering: a failover group names its current bridge."""
    return getattr(source, "active_name", None) or source.name


def active_source_since(source: Mt5Source) -> datetime | None:
    """Since when that source has been the one answering (failover groups know; others say None)."""
    return getattr(source, "active_since", None)
