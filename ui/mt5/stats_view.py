"""The Statistics tab: the core's trading statistics of the chosen account over a period, computed
in the cpu lane (:func:`fidus_desktop.mt5.stats.trading_stats`, the same figures as
``fidus-desktop mt5 stats``)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from PySide6.QtWidgets import QComboBox, QDateEdit, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from bridge_link.models import Deal
from fidus_desktop.mt5.deals import opening_balance
from fidus_desktop.mt5.stats import STAT_FIGURES, TradingStats, trading_stats

from ..widgets.format import from_qdate, money, to_qdate

PERIODS = {"This month": "month", "Last 30 days": "30d", "This year": "ytd", "Everything": "all", "Custom": "custom"}
FIGURES = (*STAT_FIGURES, ("Maximum drawdown", "dd_amount", "money"), ("Maximum drawdown %", "dd_pct", "pct"),
           ("Balance at the start", "opening_balance", "money"), ("Balance at the end", "closing_balance", "money"))
HELP = ("A trade is a position closed (fully or partly); its result includes its share of the entry costs. "
        "Gain is time-weighted (Myfxbook's definition): deposits and withdrawals are not profit. "
        "Drawdown % is measured on that growth index; the amount on the cumulative trade result. "
        "Days are your local days.")


def compute(deals: tuple[Deal, ...], balance: Decimal | None, start: datetime | None, end: datetime | None) -> TradingStats:
    """Runs in the cpu lane."""
    opening = opening_balance(balance, deals) if balance is not None else Decimal(0)
    return trading_stats(deals, date_from=start, date_to=end, opening_balance=opening)


def shown(stats: TradingStats, key: str, kind: str) -> str:
    if key == "dd_amount":
        value = stats.max_drawdown.amount
    elif key == "dd_pct":
        value = stats.max_drawdown.pct
    else:
        value = getattr(stats, key)
    if value is None:
        return "n/a"
    if kind == "count":
        return f"{value:,}"
    if kind == "pct":
        return f"{value:,.2f} %"
    if kind == "ratio":
        return f"{value:,.2f}"
    return money(value)


def _midnight(day) -> datetime:  # noqa: ANN001 - a date
    return datetime.combine(day, time(0)).astimezone().astimezone(UTC)


class StatsView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stats: TradingStats | None = None
        self.currency = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        self.heading = QLabel("Choose an account in the overview.", self)
        self.heading.setObjectName("panelSubheading")
        layout.addWidget(self.heading)
        bar = QHBoxLayout()
        self.period = QComboBox(self)
        for label, key in PERIODS.items():
            self.period.addItem(label, key)
        today = datetime.now().date()
        self.date_from = QDateEdit(to_qdate(today.replace(day=1)), self)
        self.date_to = QDateEdit(to_qdate(today), self)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        for label, widget in (("Period", self.period), ("from", self.date_from), ("to", self.date_to)):
            bar.addWidget(QLabel(label, self))
            bar.addWidget(widget)
        bar.addStretch(1)
        layout.addLayout(bar)
        grid = QGridLayout()
        self.values: dict[str, QLabel] = {}
        for i, (label, key, _kind) in enumerate(FIGURES):
            row, col = i % 10, (i // 10) * 2
            grid.addWidget(QLabel(label, self), row, col)
            value = QLabel("…", self)
            value.setObjectName(f"stat_{key}")
            value.setMinimumWidth(160)
            grid.addWidget(value, row, col + 1)
            self.values[key] = value
        layout.addLayout(grid)
        note = QLabel(HELP, self)
        note.setWordWrap(True)
        note.setObjectName("panelNote")
        layout.addWidget(note)
        layout.addStretch(1)
        self.state = QLabel("", self)
        layout.addWidget(self.state)

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """The period chosen, as UTC instants of the manager's local days (end excluded)."""
        key = self.period.currentData()
        today = datetime.now().date()
        if key == "all":
            return None, None
        if key == "month":
            first = today.replace(day=1)
        elif key == "30d":
            first = today - timedelta(days=29)
        elif key == "ytd":
            first = today.replace(month=1, day=1)
        else:
            first = from_qdate(self.date_from.date())
            last = from_qdate(self.date_to.date())
            return _midnight(first), _midnight(last + timedelta(days=1))
        return _midnight(first), _midnight(today + timedelta(days=1))

    def show_stats(self, stats: TradingStats, title: str, currency: str = "") -> None:
        self.stats = stats
        self.currency = currency or self.currency
        self.heading.setText(title)
        for _label, key, kind in FIGURES:
            text = shown(stats, key, kind)
            self.values[key].setText(f"{text} {self.currency}".rstrip() if kind == "money" and text != "n/a" else text)
        self.state.setText("")

    def set_currency(self, currency: str) -> None:
        if currency != self.currency:
            self.currency = currency
            if self.stats is not None:
                self.show_stats(self.stats, self.heading.text(), currency)

    def clear(self, message: str) -> None:
        self.stats = None
        for label in self.values.values():
            label.setText("…")
        self.state.setText(message)
