"""The MT5 panel's three tables: columns over the monitor's snapshots. Display only."""

from __future__ import annotations

from decimal import Decimal

from bridge_link.models import Deal, Position
from fidus_desktop.domain.values import utc_now
from fidus_desktop.services.mt5_monitor import Mt5AccountView, describe_age

from ..widgets.format import local_moment, money
from ..widgets.table_model import Column, TableData, list_data

DEAL_TYPES = {0: "Buy", 1: "Sell", 2: "Balance", 3: "Credit", 4: "Charge", 5: "Correction", 6: "Bonus",
              7: "Commission", 8: "Commission", 9: "Commission", 10: "Agent commission", 11: "Agent commission",
              12: "Interest", 13: "Buy canceled", 14: "Sell canceled", 15: "Dividend", 16: "Dividend", 17: "Tax"}
ENTRIES = {0: "In", 1: "Out", 2: "In/Out", 3: "Out by"}
NEGATIVE = "#c0392b"
STALE = "#8a6d3b"


def _volume(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _of(view: Mt5AccountView, name: str) -> Decimal | None:
    return getattr(view.account, name) if view.account else None


def margin_level(view: Mt5AccountView) -> str:
    level = _of(view, "margin_level")
    return "n/a" if level is None else f"{level:,.0f} %"


def freshness(view: Mt5AccountView) -> str:
    if view.account is None:
        return view.error or "no data"
    if view.account.stale:
        return f"cached, {describe_age(view.account.age_seconds(utc_now()))} old"
    return "live"


ACCOUNT_COLUMNS = (
    Column("Login", lambda v: str(v.ref.login), sort="login"),
    Column("Name", lambda v: v.ref.name or (v.account.name if v.account else ""), sort="name"),
    Column("Fund", lambda v: v.ref.fund_type, sort="fund"),
    Column("Balance", lambda v: money(_of(v, "balance")), sort="balance", numeric=True),
    Column("Equity", lambda v: money(_of(v, "equity")), sort="equity", numeric=True),
    Column("Floating P&L", lambda v: money(_of(v, "profit")), sort="profit", numeric=True),
    Column("Margin level", margin_level, sort="margin_level", numeric=True,
           tooltip="Equity / margin; n/a while no margin is in use"),
    Column("Positions", lambda v: str(len(v.positions.positions)) if v.positions else "-", sort="positions",
           numeric=True),
    Column("Read at", lambda v: local_moment(v.account.fetched_at) if v.account else "", sort="read_at"),
    Column("Data", freshness, sort="data"),
)


def accounts_data(views: tuple[Mt5AccountView, ...]) -> TableData:
    def tint(view: Mt5AccountView) -> str | None:
        if view.account is None:
            return NEGATIVE
        return STALE if view.stale else None

    return list_data(views, {
        "login": lambda v: v.ref.login, "name": lambda v: v.ref.name or (v.account.name if v.account else ""),
        "fund": lambda v: v.ref.fund_type, "balance": lambda v: _of(v, "balance"),
        "equity": lambda v: _of(v, "equity"), "profit": lambda v: _of(v, "profit"),
        "margin_level": lambda v: _of(v, "margin_level"),
        "positions": lambda v: len(v.positions.positions) if v.positions else -1,
        "read_at": lambda v: v.account.fetched_at if v.account else None, "data": freshness}, tint=tint)


POSITION_COLUMNS = (
    Column("Ticket", lambda p: str(p.ticket), sort="ticket"),
    Column("Symbol", lambda p: p.symbol, sort="symbol"),
    Column("Side", lambda p: "Buy" if p.is_buy else "Sell", sort="side"),
    Column("Volume", lambda p: _volume(p.volume), sort="volume", numeric=True),
    Column("Open price", lambda p: f"{p.price_open:f}", sort="price_open", numeric=True),
    Column("Current", lambda p: f"{p.price_current:f}", sort="price_current", numeric=True),
    Column("Swap", lambda p: money(p.swap), sort="swap", numeric=True),
    Column("Profit", lambda p: money(p.profit), sort="profit", numeric=True),
    Column("Opened", lambda p: local_moment(p.time), sort="time"),
)


def positions_data(positions: tuple[Position, ...]) -> TableData:
    return list_data(positions, {
        "ticket": lambda p: p.ticket, "symbol": lambda p: p.symbol, "side": lambda p: "Buy" if p.is_buy else "Sell",
        "volume": lambda p: p.volume, "price_open": lambda p: p.price_open,
        "price_current": lambda p: p.price_current, "swap": lambda p: p.swap, "profit": lambda p: p.profit,
        "time": lambda p: p.time}, tint=lambda p: NEGATIVE if p.profit + p.swap < 0 else None)


DEAL_COLUMNS = (
    Column("Time", lambda d: local_moment(d.time), sort="time"),
    Column("Ticket", lambda d: str(d.ticket), sort="ticket"),
    Column("Type", lambda d: DEAL_TYPES.get(d.type, str(d.type)), sort="type"),
    Column("Entry", lambda d: "" if d.type == 2 else ENTRIES.get(d.entry, str(d.entry)), sort="entry"),
    Column("Symbol", lambda d: d.symbol, sort="symbol"),
    Column("Volume", lambda d: _volume(d.volume) if d.volume else "", sort="volume", numeric=True),
    Column("Price", lambda d: f"{d.price:f}" if d.price else "", sort="price", numeric=True),
    Column("Profit", lambda d: money(d.profit), sort="profit", numeric=True),
    Column("Costs", lambda d: money(d.commission + d.swap + d.fee), sort="costs", numeric=True,
           tooltip="Commission + swap + fee"),
    Column("Amount", lambda d: money(d.amount), sort="amount", numeric=True, tooltip="What the deal added to the balance"),
    Column("Comment", lambda d: d.comment, sort="comment"),
)


def deals_data(deals: tuple[Deal, ...]) -> TableData:
    return list_data(deals, {
        # Same second: the ticket orders them, as the terminal does.
        "time": lambda d: (d.time, d.ticket), "ticket": lambda d: d.ticket,
        "type": lambda d: DEAL_TYPES.get(d.type, str(d.type)), "entry": lambda d: d.entry, "symbol": lambda d: d.symbol,
        "volume": lambda d: d.volume, "price": lambda d: d.price, "profit": lambda d: d.profit,
        "costs": lambda d: d.commission + d.swap + d.fee, "amount": lambda d: d.amount, "comment": lambda d: d.comment},
        tint=lambda d: NEGATIVE if d.amount < 0 else None)
