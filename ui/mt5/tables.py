"""The MT5 panel's live tables: the overview (one row per account), the totals per fund, an
account's positions and pending orders. Columns over the core's views; display only.

A row's state is said by an icon and words ("Stale: cache, 3 min old", "Alert: Margin level
below 150 %"), never by colour alone; the colour only repeats it.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtWidgets import QApplication, QStyle, QTableView, QWidget

from bridge_link.models import Order, Position
from fidus_desktop.domain.values import utc_now
from fidus_desktop.mt5.alerts import Alert
from fidus_desktop.mt5.board import FundTotal, Mt5AccountView, describe_age

from ..widgets.format import local_moment, money, signed_money
from ..widgets.table_model import Column, KeyedTableModel, TableData, list_data, table_view

NEGATIVE = "#b42318"
STALE = "#8a5a0b"
ALERT = "#b42318"

_ICONS: dict[str, object] = {}


def state_icon(kind: str):  # noqa: ANN201 - a QIcon
    """The icon of a row state (``live``, ``stale``, ``alert``, ``missing``), from the style."""
    if kind not in _ICONS:
        pixmap = {"live": QStyle.StandardPixmap.SP_DialogApplyButton,
                  "stale": QStyle.StandardPixmap.SP_MessageBoxWarning,
                  "alert": QStyle.StandardPixmap.SP_MessageBoxCritical,
                  "missing": QStyle.StandardPixmap.SP_MessageBoxQuestion}[kind]
        _ICONS[kind] = QApplication.style().standardIcon(pixmap)
    return _ICONS[kind]


#: Rows a column's width is fitted to: enough to see the widths of the figures shown.
FIT_ROWS = 40


def mt5_table(parent: QWidget, model: KeyedTableModel, **options) -> QTableView:
    """A table of the MT5 panel: :func:`table_view`, its columns fitted to the first rows it gets
    (the first :data:`FIT_ROWS`)."""
    view = table_view(parent, model, **options)
    # Fitting measures this many rows at most (Qt's default: 1,000 formatted cells per column).
    view.verticalHeader().setResizeContentsPrecision(FIT_ROWS)
    view.horizontalHeader().setResizeContentsPrecision(FIT_ROWS)

    def fit() -> None:
        if model.rowCount() and not view.property("fitted"):
            view.setProperty("fitted", True)
            view.resizeColumnsToContents()

    model.modelReset.connect(fit)
    model.layoutChanged.connect(fit)
    return view


def _volume(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _of(view: Mt5AccountView, name: str) -> Decimal | None:
    return getattr(view.account, name) if view.account else None


def margin_level(view: Mt5AccountView) -> str:
    level = _of(view, "margin_level")
    return "n/a" if level is None else f"{level:,.0f} %"


def data_age(view: Mt5AccountView) -> str:
    age = view.age_seconds(utc_now())
    return "" if age is None else describe_age(age)


class OverviewRow:
    """One account with its open alerts (what the overview's row says)."""

    __slots__ = ("alerts", "view")

    def __init__(self, view: Mt5AccountView, alerts: tuple[Alert, ...]) -> None:
        self.view = view
        self.alerts = alerts

    @property
    def kind(self) -> str:
        if self.alerts:
            return "alert"
        if self.view.account is None:
            return "missing"
        return "stale" if self.view.stale else "live"

    def status(self) -> str:
        view = self.view
        if self.alerts:
            more = f" (+{len(self.alerts) - 1})" if len(self.alerts) > 1 else ""
            text = f"Alert: {self.alerts[0].rule}{more}"
            return text + (" · stale" if view.stale else "")
        if view.account is None:
            return "No data" + (f": {view.error}" if view.error else " yet")
        if view.overdue:
            return f"Stale: not answering, {data_age(view)} old"
        if view.stale:
            return f"Stale: cache, {data_age(view)} old"
        return "Live"

    def details(self) -> str:
        lines = [a.message for a in self.alerts]
        if self.view.error:
            lines.append(self.view.error)
        if self.view.failures:
            lines.append(f"{self.view.failures} failed poll(s) in a row: polled less often until it answers.")
        return "\n".join(lines)


def overview_rows(views: tuple[Mt5AccountView, ...], alerts: tuple[Alert, ...]) -> list[OverviewRow]:
    return [OverviewRow(v, tuple(a for a in alerts if a.account == v.login and a.active)) for v in views]


OVERVIEW_COLUMNS = (
    Column("Status", lambda r: r.status(), sort="status", icon=lambda r: state_icon(r.kind),
           tooltip=lambda r: r.details()),
    Column("Login", lambda r: str(r.view.login), sort="login"),
    Column("Name", lambda r: r.view.name, sort="name"),
    Column("Fund", lambda r: r.view.fund, sort="fund"),
    Column("Manager", lambda r: r.view.manager, sort="manager"),
    Column("Server", lambda r: r.view.server, sort="server"),
    Column("Balance", lambda r: money(_of(r.view, "balance")), sort="balance", numeric=True),
    Column("Equity", lambda r: money(_of(r.view, "equity")), sort="equity", numeric=True),
    Column("Floating P&L", lambda r: signed_money(_of(r.view, "profit")), sort="profit", numeric=True),
    Column("Margin level", lambda r: margin_level(r.view), sort="margin_level", numeric=True,
           tooltip="Equity / margin; n/a while no margin is in use"),
    Column("Today", lambda r: signed_money(r.view.today_change), sort="today", numeric=True,
           tooltip="Equity now against the start of your day, deposits and withdrawals taken out"),
    Column("Positions", lambda r: str(len(r.view.positions.positions)) if r.view.positions else "-",
           sort="positions", numeric=True),
    Column("Source", lambda r: r.view.source, sort="source"),
    Column("Data age", lambda r: data_age(r.view), sort="age", numeric=True,
           tooltip=lambda r: f"Read at {local_moment(r.view.account.fetched_at)}" if r.view.account else ""),
)


def overview_data(rows: list[OverviewRow]) -> TableData:
    def tint(row: OverviewRow) -> str | None:
        return {"alert": ALERT, "missing": NEGATIVE, "stale": STALE}.get(row.kind)

    rank = {"alert": 0, "missing": 1, "stale": 2, "live": 3}
    return list_data(rows, {
        "status": lambda r: rank[r.kind], "login": lambda r: r.view.login, "name": lambda r: r.view.name,
        "fund": lambda r: r.view.fund, "manager": lambda r: r.view.manager, "server": lambda r: r.view.server,
        "balance": lambda r: _of(r.view, "balance"), "equity": lambda r: _of(r.view, "equity"),
        "profit": lambda r: _of(r.view, "profit"), "margin_level": lambda r: _of(r.view, "margin_level"),
        "today": lambda r: r.view.today_change,
        "positions": lambda r: len(r.view.positions.positions) if r.view.positions else -1,
        "source": lambda r: r.view.source, "age": lambda r: r.view.age_seconds(utc_now())}, tint=tint)


TOTAL_COLUMNS = (
    Column("Fund", lambda t: t.label),
    Column("Currency", lambda t: t.currency),
    Column("Accounts", lambda t: str(t.accounts), numeric=True),
    Column("Balance", lambda t: money(t.balance), numeric=True),
    Column("Equity", lambda t: money(t.equity), numeric=True),
    Column("Floating P&L", lambda t: signed_money(t.floating), numeric=True),
    Column("Today", lambda t: signed_money(t.today_change), numeric=True,
           tooltip="Blank when an account's start of day is not known yet"),
    Column("Stale", lambda t: f"{t.stale} stale" if t.stale else "", numeric=True),
    Column("Alerting", lambda t: f"{t.alerting} alerting" if t.alerting else "", numeric=True),
    Column("Not read", lambda t: f"{t.missing} not read" if t.missing else "", numeric=True,
           tooltip="Accounts with no data at all are not in the sums"),
)


def totals_data(totals: list[FundTotal]) -> TableData:
    return list_data(totals, tint=lambda t: STALE if t.stale or t.missing else None)


POSITION_COLUMNS = (
    Column("Ticket", lambda p: str(p.ticket), sort="ticket"),
    Column("Symbol", lambda p: p.symbol, sort="symbol"),
    Column("Side", lambda p: "Buy" if p.is_buy else "Sell", sort="side"),
    Column("Volume", lambda p: _volume(p.volume), sort="volume", numeric=True),
    Column("Open price", lambda p: f"{p.price_open:f}", sort="price_open", numeric=True),
    Column("Current", lambda p: f"{p.price_current:f}", sort="price_current", numeric=True),
    Column("Stop loss", lambda p: f"{p.sl:f}" if p.sl else "none", sort="sl", numeric=True),
    Column("Take profit", lambda p: f"{p.tp:f}" if p.tp else "none", sort="tp", numeric=True),
    Column("Swap", lambda p: money(p.swap), sort="swap", numeric=True),
    Column("Profit", lambda p: signed_money(p.profit), sort="profit", numeric=True),
    Column("Opened", lambda p: local_moment(p.time), sort="time"),
)


def positions_data(positions: tuple[Position, ...]) -> TableData:
    return list_data(positions, {
        "ticket": lambda p: p.ticket, "symbol": lambda p: p.symbol, "side": lambda p: "Buy" if p.is_buy else "Sell",
        "volume": lambda p: p.volume, "price_open": lambda p: p.price_open, "sl": lambda p: p.sl, "tp": lambda p: p.tp,
        "price_current": lambda p: p.price_current, "swap": lambda p: p.swap, "profit": lambda p: p.profit,
        "time": lambda p: p.time}, tint=lambda p: NEGATIVE if p.profit + p.swap < 0 else None)


ORDER_TYPES = {2: "Buy limit", 3: "Sell limit", 4: "Buy stop", 5: "Sell stop", 6: "Buy stop limit",
               7: "Sell stop limit", 0: "Buy", 1: "Sell", 8: "Close by"}

ORDER_COLUMNS = (
    Column("Ticket", lambda o: str(o.ticket), sort="ticket"),
    Column("Symbol", lambda o: o.symbol, sort="symbol"),
    Column("Type", lambda o: ORDER_TYPES.get(o.type, str(o.type)), sort="type"),
    Column("Volume", lambda o: _volume(o.volume_current), sort="volume", numeric=True),
    Column("Price", lambda o: f"{o.price_open:f}", sort="price", numeric=True),
    Column("Stop loss", lambda o: f"{o.sl:f}" if o.sl else "none", sort="sl", numeric=True),
    Column("Take profit", lambda o: f"{o.tp:f}" if o.tp else "none", sort="tp", numeric=True),
    Column("Placed", lambda o: local_moment(o.time_setup), sort="time"),
    Column("Expires", lambda o: local_moment(o.time_expiration) if o.time_expiration else "never", sort="expires"),
)


def orders_data(orders: tuple[Order, ...]) -> TableData:
    return list_data(orders, {
        "ticket": lambda o: o.ticket, "symbol": lambda o: o.symbol, "type": lambda o: ORDER_TYPES.get(o.type, ""),
        "volume": lambda o: o.volume_current, "price": lambda o: o.price_open, "sl": lambda o: o.sl,
        "tp": lambda o: o.tp, "time": lambda o: o.time_setup, "expires": lambda o: o.time_expiration})
