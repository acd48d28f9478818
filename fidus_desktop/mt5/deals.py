"""The deal vocabulary the statistics and charts share (mt5-api.md §6 and §10).

A deal's *amount* (profit + commission + swap + fee) is what it adds to the balance, except a
CREDIT deal, which moves ``AccountInfo.credit`` instead. BALANCE deals with a positive profit are
deposits, with a negative profit withdrawals; every other type is trading, a cost or income.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import islice
from operator import attrgetter, le

from bridge_link.models import Deal

DEAL_BUY = 0
DEAL_SELL = 1
DEAL_BALANCE = 2
DEAL_CREDIT = 3

ENTRY_IN = 0
ENTRY_OUT = 1
ENTRY_INOUT = 2
ENTRY_OUT_BY = 3
#: Entries of a deal that closes a position, fully or partly: each one is a *trade*.
CLOSING_ENTRIES = frozenset({ENTRY_OUT, ENTRY_INOUT, ENTRY_OUT_BY})

ZERO = Decimal(0)

#: Working precision of the statistics: far beyond what money needs, so that the error of an
#: entry-cost share (a cost times a ratio of volumes, which a Decimal cannot always hold exactly)
#: stays below ``SNAP``. Figures are snapped to ``SNAP`` before the rounding to the cent, so a
#: result that is exactly half a cent rounds up whatever order the shares were added in.
PRECISION = 40
SNAP = Decimal("1e-18")
CENT = Decimal("0.01")


def working_precision() -> decimal.localcontext:
    """The decimal context the statistics compute in (per task and thread: contextvars)."""
    return decimal.localcontext(prec=PRECISION)


def round_half_up(value: Decimal) -> Decimal:
    """Money or a percentage as shown: to 2 decimals, half-up, never ``-0.00``."""
    try:
        rounded = value.quantize(SNAP).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ValueError(f"a figure of the deal history is out of range ({value:.3e})") from None
    return rounded if rounded else abs(rounded)

_TIME = attrgetter("time")
_ORDER = attrgetter("time", "ticket")


def balance_change(deal: Deal) -> Decimal:
    """What ``deal`` adds to the balance (CREDIT deals add nothing to it)."""
    if deal.type == DEAL_CREDIT:
        return ZERO
    return deal.profit + deal.commission + deal.swap + deal.fee


def in_time_order(deals: Sequence[Deal]) -> Sequence[Deal]:
    """``deals`` sorted by ``(time, ticket)``; already sorted sequences come back as they are
    (sources return ascending time, mt5-api.md §3.5, so the check is what usually runs)."""
    return ordered_with_times(deals)[0]


def ordered_with_times(deals: Sequence[Deal]) -> tuple[Sequence[Deal], list]:
    """:func:`in_time_order` and the deals' times, in that order."""
    times = list(map(_TIME, deals))
    if all(map(le, times, islice(times, 1, None))):
        return deals, times
    ordered = sorted(deals, key=_ORDER)
    return ordered, list(map(_TIME, ordered))


def opening_balance(final_balance: Decimal, deals: Sequence[Deal]) -> Decimal:
    """The balance before the first of ``deals``, walking back from the balance after the last
    (``account_info().balance``): right even when the history starts after the first deposit."""
    return final_balance - sum(map(balance_change, deals), ZERO)
