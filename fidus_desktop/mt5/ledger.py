"""An account's deal history as the account view lists it (issue 10 item 2), Qt-free.

- :func:`select_deals`: the deals of a date range, filtered by symbol, type and direction;
- balance operations (deposits, withdrawals, credit, charges, corrections, bonuses) are listed
  apart from trading results (:func:`is_balance_operation`);
- :func:`symbol_breakdown`: per symbol, the trades of :mod:`.trades` closed in the range and
  their results (the same definition as the statistics, so the rows add up to net profit).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from bridge_link.models import Deal

from .deals import DEAL_BUY, DEAL_SELL, ENTRY_IN, ZERO, in_time_order, round_half_up
from .trades import ClosedTrade

#: BALANCE, CREDIT, CHARGE, CORRECTION, BONUS (mt5-api.md §6): money moved, not traded.
BALANCE_OPERATION_TYPES = frozenset({2, 3, 4, 5, 6})
DealKind = Literal["all", "buy", "sell", "balance", "other"]
Direction = Literal["all", "in", "out"]
KINDS: tuple[DealKind, ...] = ("all", "buy", "sell", "balance", "other")
DIRECTIONS: tuple[Direction, ...] = ("all", "in", "out")


def is_balance_operation(deal: Deal) -> bool:
    return deal.type in BALANCE_OPERATION_TYPES


@dataclass(frozen=True, slots=True)
class DealFilter:
    date_from: datetime | None = None
    date_to: datetime | None = None
    #: Exact symbol (case-insensitive); "" = every symbol.
    symbol: str = ""
    kind: DealKind = "all"
    #: ``in`` opens, ``out`` closes (out, in/out and out-by); only trades have a direction.
    direction: Direction = "all"

    def keeps(self, deal: Deal) -> bool:
        if self.date_from is not None and deal.time < self.date_from:
            return False
        if self.date_to is not None and deal.time >= self.date_to:
            return False
        if self.symbol and deal.symbol.casefold() != self.symbol.casefold():
            return False
        kind = self.kind
        if kind == "buy" and deal.type != DEAL_BUY or kind == "sell" and deal.type != DEAL_SELL:
            return False
        if kind == "balance" and not is_balance_operation(deal):
            return False
        if kind == "other" and (deal.type in (DEAL_BUY, DEAL_SELL) or is_balance_operation(deal)):
            return False
        if self.direction != "all":
            if deal.type not in (DEAL_BUY, DEAL_SELL):
                return False
            opening = deal.entry == ENTRY_IN
            if opening != (self.direction == "in"):
                return False
        return True


def select_deals(deals: Sequence[Deal], what: DealFilter) -> tuple[Deal, ...]:
    """The deals ``what`` keeps, oldest first."""
    return tuple(d for d in in_time_order(deals) if what.keeps(d))


def symbols_of(deals: Iterable[Deal]) -> list[str]:
    return sorted({d.symbol for d in deals if d.symbol}, key=str.casefold)


@dataclass(frozen=True, slots=True)
class SymbolRow:
    symbol: str
    trades: int
    wins: int
    losses: int
    lots: Decimal
    gross_profit: Decimal
    gross_loss: Decimal
    net: Decimal

    @property
    def win_rate_pct(self) -> Decimal | None:
        return round_half_up(Decimal(100) * self.wins / self.trades) if self.trades else None


def symbol_breakdown(trades: Sequence[ClosedTrade]) -> list[SymbolRow]:
    """Per symbol (largest net result first), the trades closed and what they made, rounded to
    the cent once per row."""
    groups: dict[str, list[ClosedTrade]] = {}
    for trade in trades:
        groups.setdefault(trade.symbol or "(none)", []).append(trade)
    rows = []
    for symbol, group in groups.items():
        wins = [t.result for t in group if t.result > 0]
        losses = [t.result for t in group if t.result < 0]
        gross_profit, gross_loss = sum(wins, ZERO), sum(losses, ZERO)
        lots = sum((t.deal.volume for t in group), ZERO)  # volume of the closing deals
        rows.append(SymbolRow(symbol, len(group), len(wins), len(losses), lots, round_half_up(gross_profit),
                              round_half_up(gross_loss), round_half_up(gross_profit + gross_loss)))
    return sorted(rows, key=lambda r: (-r.net, r.symbol))
