"""The dashboard's three charts (pyqtgraph). Figures arrive as ``Decimal`` and are plotted as floats:
a chart shows shapes, the tables beside it show the cents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time

import pyqtgraph as pg
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QWidget

from fidus_desktop.services.portfolio import CashFlowMonth, Dashboard

from ..widgets.next_turn import next_turn

#: One colour per product, stable across charts (colour-blind friendly palette).
PRODUCT_COLORS = {"CORE": "#0072B2", "BALANCE": "#E69F00", "DYNAMIC": "#009E73", "UNLIMITED": "#CC79A7"}
OTHER_COLOR = "#777777"
INTEREST_COLOR, PRINCIPAL_COLOR = "#56B4E9", "#D55E00"
EQUITY_COLOR, OWED_COLOR = "#009E73", "#D55E00"


class MoneyAxis(pg.AxisItem):
    """Amounts as 250k / 1.5M instead of pyqtgraph's 1.5e+06."""

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph's name)
        out = []
        for v in values:
            size = abs(v)
            out.append(f"{v / 1e6:g}M" if size >= 1e6 else f"{v / 1e3:g}k" if size >= 1e3 else f"{v:g}")
        return out


def _plot(parent: QWidget | None, title: str, bottom: pg.AxisItem | None = None) -> pg.PlotWidget:
    axes = {"left": MoneyAxis(orientation="left")}
    if bottom is not None:
        axes["bottom"] = bottom
    # No context menu: the view's builds dozens of widgets on the GUI thread, and these charts
    # are neither zoomed nor panned.
    plot = pg.PlotWidget(parent, axisItems=axes, enableMenu=False)
    # The theme's colours (light or dark), read when the chart is made.
    palette = QApplication.palette()
    text = palette.color(QPalette.ColorRole.WindowText)
    plot.setBackground(palette.color(QPalette.ColorRole.Base))
    plot.setTitle(title, color=text.name(), size="10pt")
    for name in ("left", "bottom"):
        plot.getAxis(name).setTextPen(text)
        plot.getAxis(name).setPen(palette.color(QPalette.ColorRole.Mid))
    plot.showGrid(x=False, y=True, alpha=0.25)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.setMinimumHeight(200)
    return plot


def _category_ticks(plot: pg.PlotWidget, labels: Sequence[str]) -> None:
    plot.getAxis("bottom").setTicks([[(i, label) for i, label in enumerate(labels)]])


class AumHistoryChart:
    """AUM at each month end, one line per product."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.widget = _plot(parent, "AUM over time by product", pg.DateAxisItem(orientation="bottom"))
        self.widget.addLegend(offset=(10, 10))
        self.curves: dict[str, pg.PlotDataItem] = {}
        self._latest: Dashboard | None = None

    def update(self, dashboard: Dashboard) -> None:
        self._latest = dashboard
        self._apply()

    def _apply(self) -> None:
        dashboard = self._latest
        history = dashboard.aum_history
        xs = [datetime.combine(day, time(12), tzinfo=UTC).timestamp() for day, _ in history]
        made = False
        for p in dashboard.products:
            code = p.code
            curve = self.curves.get(code)
            if curve is None:
                if made:  # one new line (and its legend entry, 20-30 ms) per loop turn
                    next_turn(self.widget, self._apply)
                    return
                color = PRODUCT_COLORS.get(code, OTHER_COLOR)
                # A line without point markers: each marker set is a pyqtgraph scatter item that
                # took 20-30 ms to make, and opening the dashboard drew four of them at once.
                curve = self.widget.plot(name=code, pen=pg.mkPen(color, width=2))
                self.curves[code] = curve
                made = True
            curve.setData(xs, [float(values.get(code, 0)) for _, values in history])


class CashFlowChart:
    """Interest and principal falling due in each of the next 12 months (stacked bars)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.widget = _plot(parent, "Projected payments, next 12 months")
        self.widget.addLegend(offset=(10, 10))
        self.interest = pg.BarGraphItem(x=[], height=[], width=0.6, brush=INTEREST_COLOR, name="Interest")
        self.principal = pg.BarGraphItem(x=[], height=[], y0=[], width=0.6, brush=PRINCIPAL_COLOR,
                                         name="Principal")
        self.widget.addItem(self.interest)
        self.widget.addItem(self.principal)

    def update(self, months: Sequence[CashFlowMonth]) -> None:
        xs = list(range(len(months)))
        interest = [float(m.interest) for m in months]
        self.interest.setOpts(x=xs, height=interest)
        self.principal.setOpts(x=xs, height=[float(m.principal) for m in months], y0=interest)
        _category_ticks(self.widget, [m.month[2:] for m in months])
        self.widget.setXRange(-0.6, len(months) - 0.4, padding=0)


class RevenueChart:
    """Per product: MT5 equity beside what is owed (principal + accrued interest)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.widget = _plot(parent, "MT5 equity vs obligations")
        self.widget.addLegend(offset=(10, 10))
        self.equity = pg.BarGraphItem(x=[], height=[], width=0.35, brush=EQUITY_COLOR, name="MT5 equity")
        self.owed = pg.BarGraphItem(x=[], height=[], width=0.35, brush=OWED_COLOR, name="Owed")
        self.widget.addItem(self.equity)
        self.widget.addItem(self.owed)

    def update(self, dashboard: Dashboard) -> None:
        products = dashboard.products
        xs = list(range(len(products)))
        self.equity.setOpts(x=[x - 0.2 for x in xs], height=[float(p.equity or 0) for p in products])
        self.owed.setOpts(x=[x + 0.2 for x in xs], height=[float(p.owed) for p in products])
        _category_ticks(self.widget, [p.code for p in products])
        self.widget.setXRange(-0.6, len(products) - 0.4, padding=0)
