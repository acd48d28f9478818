"""The account view's history tables: deals, balance operations and the per-symbol breakdown."""

from __future__ import annotations

from bridge_link.models import Deal
from fidus_desktop.mt5.ledger import SymbolRow

from ..widgets.format import local_moment, money, signed_money
from ..widgets.table_model import Column, TableData, list_data

DEAL_TYPES = {0: "Buy", 1: "Sell", 2: "Balance", 3: "Credit", 4: "Charge", 5: "Correction", 6: "Bonus",
              7: "Commission", 8: "Commission", 9: "Commission", 10: "Agent commission", 11: "Agent commission",
              12: "Interest", 13: "Buy canceled", 14: "Sell canceled", 15: "Dividend", 16: "Dividend", 17: "Tax"}
ENTRIES = {0: "In", 1: "Out", 2: "In/Out", 3: "Out by"}
NEGATIVE = "#b42318"


def _volume(deal: Deal) -> str:
    return f"{deal.volume.normalize():f}" if deal.volume else ""


def deal_type(deal: Deal) -> str:
    if deal.type == 2:
        return "Deposit" if deal.profit > 0 else "Withdrawal" if deal.profit < 0 else "Balance"
    return DEAL_TYPES.get(deal.type, str(deal.type))


DEAL_COLUMNS = (
    Column("Time", lambda d: local_moment(d.time), sort="time"),
    Column("Ticket", lambda d: str(d.ticket), sort="ticket"),
    Column("Type", deal_type, sort="type"),
    Column("Entry", lambda d: ENTRIES.get(d.entry, str(d.entry)) if d.type in (0, 1) else "", sort="entry"),
    Column("Symbol", lambda d: d.symbol, sort="symbol"),
    Column("Volume", _volume, sort="volume", numeric=True),
    Column("Price", lambda d: f"{d.price:f}" if d.price else "", sort="price", numeric=True),
    Column("Profit", lambda d: signed_money(d.profit), sort="profit", numeric=True),
    Column("Costs", lambda d: money(d.commission + d.swap + d.fee), sort="costs", numeric=True,
           tooltip="Commission + swap + fee"),
    Column("Amount", lambda d: signed_money(d.amount), sort="amount", numeric=True,
           tooltip="What the deal added to the balance"),
    Column("Comment", lambda d: d.comment, sort="comment"),
)


def deals_data(deals: tuple[Deal, ...]) -> TableData:
    return list_data(deals, {
        # Same second: the ticket orders them, as the terminal does.
        "time": lambda d: (d.time, d.ticket), "ticket": lambda d: d.ticket, "type": deal_type,
        "entry": lambda d: d.entry, "symbol": lambda d: d.symbol, "volume": lambda d: d.volume,
        "price": lambda d: d.price, "profit": lambda d: d.profit, "costs": lambda d: d.commission + d.swap + d.fee,
        "amount": lambda d: d.amount, "comment": lambda d: d.comment},
        tint=lambda d: NEGATIVE if d.amount < 0 else None)


SYMBOL_COLUMNS = (
    Column("Symbol", lambda r: r.symbol, sort="symbol"),
    Column("Trades", lambda r: str(r.trades), sort="trades", numeric=True),
    Column("Won", lambda r: str(r.wins), sort="wins", numeric=True),
    Column("Lost", lambda r: str(r.losses), sort="losses", numeric=True),
    Column("Win rate", lambda r: "-" if r.win_rate_pct is None else f"{r.win_rate_pct} %", sort="rate", numeric=True),
    Column("Lots closed", lambda r: f"{r.lots.normalize():f}", sort="lots", numeric=True),
    Column("Gross profit", lambda r: money(r.gross_profit), sort="gross_profit", numeric=True),
    Column("Gross loss", lambda r: money(r.gross_loss), sort="gross_loss", numeric=True),
    Column("Net result", lambda r: signed_money(r.net), sort="net", numeric=True,
           tooltip="Trade results as the statistics define them (entry costs shared by volume closed)"),
)


def symbols_data(rows: list[SymbolRow]) -> TableData:
    return list_data(rows, {
        "symbol": lambda r: r.symbol, "trades": lambda r: r.trades, "wins": lambda r: r.wins,
        "losses": lambda r: r.losses, "rate": lambda r: r.win_rate_pct, "lots": lambda r: r.lots,
        "gross_profit": lambda r: r.gross_profit, "gross_loss": lambda r: r.gross_loss, "net": lambda r: r.net},
        tint=lambda r: NEGATIVE if r.net < 0 else None)
