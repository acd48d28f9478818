"""The MT5 panel's three tables: columns over the monitor's snapshots. Display only."""

from __future__ import annotations

from decimal import Decimal

from bridge_link.models import Deal, Position
from fidus_desktop.domain.values import utc_now
from fidus_desktop.services.mt5_monitor import Mt5AccountView, describe_age

from ..portfolio.format import local_moment, money
from ..portfolio.table_model import Column, RowsModel

DEAL_TYPES = {0: "Buy", 1: "Sell", 2: "Balance", 3: "Credit", 4: "Charge", 5: "Correction", 6: "Bonus",
              7: "Commission", 8: "Commission", 9: "Commission", 10: "Agent commission", 11: "Agent commission",
              12: "Interest", 13: "Buy canceled", 14: "Sell canceled", 15: "Dividend", 16: "Dividend", 17: "Tax"}
ENTRIES = {0: "In", 1: "Out", 2: "In/Out", 3: "Out by"}
NEGATIVE = "#c0392b"
STALE = "#8a6d3b"


def _num(value: Decimal | None) -> Decimal:
    return value if value is not None else Decimal("-Infinity")


def _volume(value: Decimal) -> str:
    return f"{value.normalize():f}"


def margin_level(view: Mt5AccountView) -> str:
    level = view.account.margin_level if view.account else None
    return "n/a" if level is None else f"{level:,.0f} %"


def freshness(view: Mt5AccountView) -> str:
    if view.account is None:
        return view.error or "no data"
    if view.account.stale:
        return f"cached, {describe_age(view.account.age_seconds(utc_now()))} old"
    return "live"


def accounts_model(parent=None) -> RowsModel[Mt5AccountView]:
    def acc(name: str):
        return lambda v: getattr(v.account, name) if v.account else None

    columns = [
        Column("Login", lambda v: str(v.ref.login), key=lambda v: v.ref.login),
        Column("Name", lambda v: v.ref.name or (v.account.name if v.account else "")),
        Column("Fund", lambda v: v.ref.fund_type),
        Column("Balance", lambda v: money(acc("balance")(v)), key=lambda v: _num(acc("balance")(v)), numeric=True),
        Column("Equity", lambda v: money(acc("equity")(v)), key=lambda v: _num(acc("equity")(v)), numeric=True),
        Column("Floating P&L", lambda v: money(acc("profit")(v)), key=lambda v: _num(acc("profit")(v)), numeric=True),
        Column("Margin level", margin_level, key=lambda v: _num(acc("margin_level")(v)), numeric=True,
               tooltip="Equity / margin; n/a while no margin is in use"),
        Column("Positions", lambda v: str(len(v.positions.positions)) if v.positions else "-",
               key=lambda v: len(v.positions.positions) if v.positions else -1, numeric=True),
        Column("Read at", lambda v: local_moment(v.account.fetched_at) if v.account else ""),
        Column("Data", freshness),
    ]

    def tint(view: Mt5AccountView) -> str | None:
        if view.account is None:
            return NEGATIVE
        return STALE if view.stale else None

    return RowsModel(columns, parent, tint=tint)


def positions_model(parent=None) -> RowsModel[Position]:
    columns = [
        Column("Ticket", lambda p: str(p.ticket), key=lambda p: p.ticket),
        Column("Symbol", lambda p: p.symbol),
        Column("Side", lambda p: "Buy" if p.is_buy else "Sell"),
        Column("Volume", lambda p: _volume(p.volume), key=lambda p: p.volume, numeric=True),
        Column("Open price", lambda p: f"{p.price_open:f}", key=lambda p: p.price_open, numeric=True),
        Column("Current", lambda p: f"{p.price_current:f}", key=lambda p: p.price_current, numeric=True),
        Column("Swap", lambda p: money(p.swap), key=lambda p: p.swap, numeric=True),
        Column("Profit", lambda p: money(p.profit), key=lambda p: p.profit, numeric=True),
        Column("Opened", lambda p: local_moment(p.time), key=lambda p: p.time),
    ]
    return RowsModel(columns, parent, tint=lambda p: NEGATIVE if p.profit + p.swap < 0 else None)


def deals_model(parent=None) -> RowsModel[Deal]:
    columns = [
        Column("Time", lambda d: local_moment(d.time), key=lambda d: (d.time, d.ticket)),
        Column("Ticket", lambda d: str(d.ticket), key=lambda d: d.ticket),
        Column("Type", lambda d: DEAL_TYPES.get(d.type, str(d.type))),
        Column("Entry", lambda d: "" if d.type == 2 else ENTRIES.get(d.entry, str(d.entry))),
        Column("Symbol", lambda d: d.symbol),
        Column("Volume", lambda d: _volume(d.volume) if d.volume else "", key=lambda d: d.volume, numeric=True),
        Column("Price", lambda d: f"{d.price:f}" if d.price else "", key=lambda d: d.price, numeric=True),
        Column("Profit", lambda d: money(d.profit), key=lambda d: d.profit, numeric=True),
        Column("Costs", lambda d: money(d.commission + d.swap + d.fee), key=lambda d: d.commission + d.swap + d.fee,
               numeric=True, tooltip="Commission + swap + fee"),
        Column("Amount", lambda d: money(d.amount), key=lambda d: d.amount, numeric=True,
               tooltip="What the deal added to the balance"),
        Column("Comment", lambda d: d.comment),
    ]
    return RowsModel(columns, parent, tint=lambda d: NEGATIVE if d.amount < 0 else None)
