"""Account snapshots, positions and monitor boards for the MT5 core tests."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from bridge_link.models import AccountRef, AccountSnapshot, Position, PositionsSnapshot
from fidus_desktop.services.health import ServiceState
from fidus_desktop.services.mt5_monitor import Mt5AccountView, Mt5Board


def snapshot(at: datetime, equity: str = "1000.50", login: int = 7, stale: bool = False,
             margin: str = "100", level: str | None = "1000.5") -> AccountSnapshot:
    money = Decimal
    return AccountSnapshot(
        login=login, trade_mode=0, leverage=100, limit_orders=0, margin_so_mode=0, trade_allowed=True,
        trade_expert=True, margin_mode=2, currency_digits=2, fifo_close=False, balance=money("1000.00"),
        credit=money(0), profit=money(equity) - money("1000.00"), equity=money(equity), margin=money(margin),
        margin_free=money(equity) - money(margin), margin_level=None if level is None else money(level),
        margin_so_call=money(50), margin_so_so=money(30), margin_initial=money(0), margin_maintenance=money(0),
        assets=money(0), liabilities=money(0), commission_blocked=money(0), name="Test", server="Demo",
        currency="USD", company="Broker", fetched_at=at, source="demo terminal", stale=stale)


def position(ticket: int, opened: datetime, sl: str = "0", symbol: str = "EURUSD", volume: str = "0.5") -> Position:
    return Position(ticket=ticket, time=opened, time_update=opened, type=0, magic=0, identifier=ticket, reason=3,
                    volume=Decimal(volume), price_open=Decimal("1.1"), sl=Decimal(sl), tp=Decimal(0),
                    price_current=Decimal("1.1"), swap=Decimal(0), profit=Decimal(0), symbol=symbol, comment="",
                    external_id="")


def view(login: int, at: datetime, equity: str = "1000.00", *, level: str | None = "500", fund: str = "CORE",
         stale: bool = False, positions: tuple[Position, ...] | None = (), name: str = "") -> Mt5AccountView:
    ref = AccountRef(login=login, name=name or f"Account {login}", fund_type=fund)
    account = snapshot(at, equity, login=login, stale=stale, level=level)
    held = None if positions is None else PositionsSnapshot(login=login, positions=positions, fetched_at=at,
                                                           stale=stale)
    return Mt5AccountView(ref, account, held)


def board(at: datetime, *views: Mt5AccountView) -> Mt5Board:
    return Mt5Board(tuple(views), "demo terminal", ServiceState.ONLINE, at)
