"""How money, rates and dates read on screen. Display only: figures stay ``Decimal`` underneath."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from PySide6.QtCore import QDate

from fidus_desktop.domain.values import to_cents


def money(amount: Decimal | None) -> str:
    return "-" if amount is None else f"{to_cents(amount):,.2f}"


def signed_money(amount: Decimal | None) -> str:
    return "-" if amount is None else f"{to_cents(amount):+,.2f}"


def percent(rate: Decimal | None, per: str = " / month") -> str:
    return "-" if rate is None else f"{rate * 100:.2f} %{per}"


def day(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def local_moment(moment: datetime | None) -> str:
    """A stored UTC moment on the manager's clock."""
    return "" if moment is None else moment.astimezone().strftime("%Y-%m-%d %H:%M")


def to_qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def from_qdate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())
