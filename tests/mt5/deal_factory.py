"""Deals for hand-computed statistics: minutes after T0, amounts as decimal strings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bridge_link.models import Deal

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def deal(ticket: int, minutes: float, type: int, entry: int = 0, position: int = 0, volume: str = "0",
         profit: str = "0", commission: str = "0", swap: str = "0", fee: str = "0", symbol: str = "EURUSD",
         comment: str = "") -> Deal:
    return Deal(ticket=ticket, order=ticket, time=at(minutes), type=type, entry=entry, magic=0,
                position_id=position, reason=3, volume=Decimal(volume), price=Decimal("1.1"),
                commission=Decimal(commission), swap=Decimal(swap), profit=Decimal(profit), fee=Decimal(fee),
                symbol=symbol if type in (0, 1) else "", comment=comment, external_id="")


def deposit(ticket: int, minutes: float, amount: str, comment: str = "Deposit") -> Deal:
    return deal(ticket, minutes, 2, profit=amount, comment=comment)


def entry(ticket: int, minutes: float, position: int, volume: str, commission: str = "0", fee: str = "0",
          buy: bool = True, symbol: str = "EURUSD") -> Deal:
    return deal(ticket, minutes, 0 if buy else 1, 0, position, volume, commission=commission, fee=fee,
                symbol=symbol)


def close(ticket: int, minutes: float, position: int, volume: str, profit: str, commission: str = "0",
          swap: str = "0", fee: str = "0", entry_kind: int = 1, buy: bool = False, symbol: str = "EURUSD") -> Deal:
    return deal(ticket, minutes, 0 if buy else 1, entry_kind, position, volume, profit, commission, swap, fee,
                symbol=symbol)
