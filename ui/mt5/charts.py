"""The Charts tab (pyqtgraph): balance and equity, drawdown under water, daily P&L, growth %.

The arrays come from the core (:func:`fidus_desktop.mt5.charts.account_charts`, built in the cpu
lane); nothing here loops over deals. Curves use ``setDownsampling(auto=True, method="peak")``
and ``setClipToView(True)``, so a history of a million points draws only the few thousand the
screen can show, peaks kept. The four plots share one time axis in the manager's local time
(``DateAxisItem``); a crosshair follows the mouse with every value at that time; the mouse zooms
and pans the time axis (the value axes follow what is in view); the range buttons show the last
week, month, three months, the year so far, or everything.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from fidus_desktop.domain.values import utc_now
from fidus_desktop.mt5.charts import RANGES, AccountCharts, RangeName, Series, chart_range

from ..portfolio.charts import MoneyAxis
from ..widgets.next_turn import in_turns

BALANCE_COLOR, EQUITY_COLOR = "#0072B2", "#009E73"
DRAWDOWN_COLOR, GROWTH_COLOR = "#D55E00", "#CC79A7"
PROFIT_COLOR, LOSS_COLOR = "#009E73", "#D55E00"
DAY = 86400.0


def smooth_curve(plot: pg.PlotItem, color: str, name: str, *, fast: bool = True, **kw) -> pg.PlotDataItem:
    """A line that stays smooth with a million points: peak downsampling and clipping to the view
    (``fast=False`` is the same curve without them, for the benchmark's comparison). A one-pixel
    pen: Qt draws wider ones several times slower; the arrays hold no NaN (the core's series), so
    the finite check is skipped."""
    curve = plot.plot(pen=pg.mkPen(color, width=1), name=name, skipFiniteCheck=True, **kw)
    if fast:
        curve.setDownsampling(auto=True, method="peak")
        curve.setClipToView(True)
    return curve


def value_at(series: Series, x: float) -> float | None:
    """The series' value at time ``x`` (the last point at or before it)."""
    if not len(series) or x < series.t[0]:
        return None
    return float(series.v[int(np.searchsorted(series.t, x, "right")) - 1])


class ChartsView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.charts: AccountCharts | None = None
        self.range_name: RangeName = "3M"
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        bar = QHBoxLayout()
        self.heading = QLabel("Choose an account in the overview.", self)
        self.heading.setObjectName("panelSubheading")
        bar.addWidget(self.heading, 1)
        self.range_buttons: dict[str, QPushButton] = {}
        group = QButtonGroup(self)
        for name in RANGES:
            button = QPushButton(name, self)
            button.setCheckable(True)
            button.setToolTip({"1W": "The last 7 days", "1M": "The last month", "3M": "The last 3 months",
                               "YTD": "Since 1 January", "All": "The whole history"}[name])
            button.clicked.connect(lambda _checked=False, n=name: self.show_range(n))
            group.addButton(button)
            bar.addWidget(button)
            self.range_buttons[name] = button
        self.range_buttons[self.range_name].setChecked(True)
        layout.addLayout(bar)

        self.canvas = pg.GraphicsLayoutWidget(self)
        self.canvas.setBackground("w")
        self.plots: list[pg.PlotItem] = []
        self.readout = QLabel("", self)
        self.readout.setObjectName("chartReadout")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.readout)
        # The four plots are built one per turn of the event loop (each is some 30 ms of pyqtgraph
        # items; the four at once held the window 140 ms). Charts that arrive meanwhile wait in
        # _pending and are drawn when the last plot is built.
        self.built = False
        self._pending: tuple[AccountCharts, str] | None = None
        in_turns(self, self._build_stages(), self._built)

    TITLES = ("Balance and equity", "Drawdown under water (%)", "Daily P&L", "Growth (%)")

    def _built(self) -> None:
        self.built = True
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self.show_charts(*pending)

    def _build_stages(self) -> Iterator[None]:
        for row, title in enumerate(self.TITLES):
            axes = {"bottom": pg.DateAxisItem(orientation="bottom")}
            if row in (0, 2):
                axes["left"] = MoneyAxis(orientation="left")
            # No context menus: each builds dozens of widgets on the GUI thread (the panel froze
            # 0.4 s opening); ranges, zoom, pan and the crosshair are on the view itself.
            plot = self.canvas.addPlot(row=row, col=0, title=title, axisItems=axes, enableMenu=False)
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setMouseEnabled(x=True, y=False)  # zoom and pan in time; values follow what is shown
            plot.getViewBox().setAutoVisible(y=True)
            plot.enableAutoRange(axis="y")
            if self.plots:
                plot.setXLink(self.plots[0])
            if row < len(self.TITLES) - 1:
                plot.hideAxis("bottom")  # one time axis, under the last plot: date ticks cost a lot to lay out
            self.plots.append(plot)
            yield
        self.plots[0].addLegend(offset=(10, 5))
        self.balance = smooth_curve(self.plots[0], BALANCE_COLOR, "Balance")
        self.equity = smooth_curve(self.plots[0], EQUITY_COLOR, "Equity")
        self.underwater = smooth_curve(self.plots[1], DRAWDOWN_COLOR, "Drawdown", fillLevel=0.0,
                                       brush=pg.mkBrush(213, 94, 0, 60))
        self.daily = pg.BarGraphItem(x=[], height=[], width=DAY * 0.8, brushes=[])
        self.plots[2].addItem(self.daily)
        self.growth = smooth_curve(self.plots[3], GROWTH_COLOR, "Growth")
        self.crosshair = [pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#888", style=Qt.PenStyle.DashLine))
                          for _ in self.plots]
        for plot, line in zip(self.plots, self.crosshair, strict=True):
            plot.addItem(line, ignoreBounds=True)
            line.hide()
        self._proxy = pg.SignalProxy(self.canvas.scene().sigMouseMoved, rateLimit=60, slot=self._mouse_moved)

    # ---- data ----------------------------------------------------------------------------------

    def show_charts(self, charts: AccountCharts, title: str) -> None:
        if not self.built:
            self._pending = (charts, title)
            self.heading.setText(title)
            return
        self.charts = charts
        self.heading.setText(title)
        self.balance.setData(charts.balance.t, charts.balance.v)
        self.equity.setData(charts.equity.t, charts.equity.v)
        self.underwater.setData(charts.underwater.t, charts.underwater.v)
        self.growth.setData(charts.growth.t, charts.growth.v)
        heights = charts.daily.v
        self.daily.setOpts(x=charts.daily.t + DAY / 2, height=heights, width=DAY * 0.8,
                           brushes=[PROFIT_COLOR if h >= 0 else LOSS_COLOR for h in heights.tolist()])
        self.show_range(self.range_name)

    def clear(self, message: str) -> None:
        self.charts = None
        self.heading.setText(message)
        if not self.built:
            self._pending = None  # nothing drawn yet: nothing to clear
            return
        for curve in (self.balance, self.equity, self.underwater, self.growth):
            curve.setData([], [])
        self.daily.setOpts(x=[], height=[], brushes=[])
        self.readout.setText("")

    def show_range(self, name: RangeName, now: datetime | None = None) -> None:
        self.range_name = name
        self.range_buttons[name].setChecked(True)
        if not self.built:
            return  # applied to the plots when they are built (show_charts calls this)
        start, end = chart_range(name, now or utc_now())
        first = self.charts.first if self.charts is not None else None
        lo = start.timestamp() if start is not None else (first if first is not None else end.timestamp() - DAY)
        self.plots[0].setXRange(lo, end.timestamp(), padding=0.01)
        for plot in self.plots:
            plot.enableAutoRange(axis="y")

    def x_range(self) -> tuple[float, float]:
        (lo, hi), _ = self.plots[0].getViewBox().viewRange()
        return lo, hi

    # ---- crosshair -------------------------------------------------------------------------------

    def _mouse_moved(self, event: tuple) -> None:
        position = event[0]
        plot = next((p for p in self.plots if p.sceneBoundingRect().contains(position)), None)
        if plot is None or self.charts is None:
            return
        x = plot.getViewBox().mapSceneToView(position).x()
        self.point_at(x)

    def point_at(self, x: float) -> str:
        """Move the crosshair to time ``x`` and say every value there (also what the mouse does)."""
        for line in self.crosshair:
            line.setPos(x)
            line.show()
        c = self.charts
        if c is None:
            return ""
        when = datetime.fromtimestamp(x).strftime("%Y-%m-%d %H:%M")
        parts = [when]
        for label, series, unit in (("balance", c.balance, ""), ("equity", c.equity, ""),
                                    ("drawdown", c.underwater, " %"), ("growth", c.growth, " %")):
            value = value_at(series, x)
            if value is not None:
                parts.append(f"{label} {value:,.2f}{unit}")
        day = value_at(c.daily, x)
        if day is not None and x - c.daily.t[int(np.searchsorted(c.daily.t, x, 'right')) - 1] < DAY:
            parts.append(f"day's P&L {day:+,.2f}")
        text = " · ".join(parts)
        self.readout.setText(text)
        return text
