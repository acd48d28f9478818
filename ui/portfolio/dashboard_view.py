"""The Dashboard tab: how much we manage, what we owe and when, and whether trading covers it."""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QFrame, QGridLayout, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QScrollArea, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from fidus_desktop.services.portfolio import Dashboard, DueTotal

from .charts import AumHistoryChart, CashFlowChart, RevenueChart
from .revenue_view import RevenueBox
from ..widgets.format import money, signed_money
from ..widgets.next_turn import in_turns

PRODUCT_COLUMNS = ("Product", "Reading", "Investments", "Clients", "AUM", "Principal owed",
                   "Interest accrued", "MT5 equity", "Fund revenue")
NEGATIVE = "#B00020"


class Kpi(QFrame):
    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kpiCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        self.title = QLabel(title, self)
        self.title.setObjectName("kpiTitle")
        self.value = QLabel("…", self)
        self.value.setObjectName("kpiValue")
        font = self.value.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.value.setFont(font)
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note = QLabel("", self)
        self.note.setObjectName("kpiNote")
        for label in (self.title, self.value, self.note):
            layout.addWidget(label)

    def set(self, value: str, note: str = "", negative: bool = False) -> None:
        self.value.setText(value)
        self.value.setStyleSheet(f"color: {NEGATIVE}" if negative else "")
        self.note.setText(note)


def _due(total: DueTotal) -> tuple[str, str]:
    return money(total.amount), f"{total.count} payment{'s' if total.count != 1 else ''}"


class DashboardView(QScrollArea):
    #: The manager asked to reconcile the past (payments never recorded as paid).
    reconcile_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(16, 12, 16, 12)
        self.as_of = QLabel("", body)
        self.as_of.setObjectName("panelSubheading")
        layout.addWidget(self.as_of)
        #: What the manager's last action on this tab did (a reconciliation).
        self.notice = QLabel("", body)
        self.notice.setWordWrap(True)
        layout.addWidget(self.notice)
        self.unrecorded = QFrame(body)
        self.unrecorded.setObjectName("warningBanner")
        banner = QHBoxLayout(self.unrecorded)
        self.unrecorded_text = QLabel("", self.unrecorded)
        self.unrecorded_text.setObjectName("warningText")
        self.unrecorded_text.setWordWrap(True)
        self.reconcile_button = QPushButton("Reconcile the past…", self.unrecorded)
        self.reconcile_button.clicked.connect(self.reconcile_requested)
        banner.addWidget(self.unrecorded_text, 1)
        banner.addWidget(self.reconcile_button)
        self.unrecorded.hide()
        layout.addWidget(self.unrecorded)

        grid = QGridLayout()
        self.kpis = {key: Kpi(title, body) for key, title in (
            ("aum", "Assets under management"), ("clients", "Clients invested"),
            ("due_30", "Due in the next 30 days"), ("due_90", "Due in the next 90 days"),
            ("overdue", "Overdue, not recorded as paid"), ("equity", "MT5 equity (live accounts)"),
            ("owed", "Owed: principal + accrued interest"), ("revenue", "Fund revenue"))}
        for n, kpi in enumerate(self.kpis.values()):
            grid.addWidget(kpi, n // 4, n % 4)
        layout.addLayout(grid)

        self.products = QTableWidget(0, len(PRODUCT_COLUMNS), body)
        self.products.setHorizontalHeaderLabels(PRODUCT_COLUMNS)
        self.products.verticalHeader().hide()
        self.products.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.products.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.products)
        self.warning = QLabel("", body)
        self.warning.setObjectName("warningText")
        self.warning.setWordWrap(True)
        self.warning.hide()
        layout.addWidget(self.warning)
        self.revenue = RevenueBox(body)
        layout.addWidget(self.revenue)

        # The charts are built one per turn of the event loop once the figures above show: each
        # pyqtgraph plot costs a hundred milliseconds or more to make, and the three at once held
        # the window 0.4 s when the panel opened.
        self._charts = QGridLayout()
        layout.addLayout(self._charts, 1)
        self._body = body
        self.aum_chart: AumHistoryChart | None = None
        self.cash_chart: CashFlowChart | None = None
        self.revenue_chart: RevenueChart | None = None
        self._shown: Dashboard | None = None
        in_turns(self, self._build_charts())
        self.setWidget(body)

    def _build_charts(self) -> Iterator[None]:
        for name, kind, place in (("aum_chart", AumHistoryChart, (0, 0)), ("cash_chart", CashFlowChart, (0, 1)),
                                  ("revenue_chart", RevenueChart, (1, 0, 1, 2))):
            chart = kind(self._body)
            setattr(self, name, chart)
            self._charts.addWidget(chart.widget, *place)
            if self._shown is not None:
                self._update_chart(name, self._shown)
            yield

    def _update_chart(self, name: str, d: Dashboard) -> None:
        chart = getattr(self, name)
        if chart is not None:
            chart.update(d.cash_flow if name == "cash_chart" else d)

    def show_dashboard(self, d: Dashboard) -> None:
        self.as_of.setText(f"As of {d.as_of.isoformat()} (UTC dates). Only investments with status "
                           "'active' count; fund revenue = MT5 equity - principal - accrued unpaid interest.")
        self.kpis["aum"].set(money(d.aum), f"{sum(p.investments for p in d.products)} active investments")
        self.kpis["clients"].set(str(d.invested_clients), f"of {d.all_clients} clients")
        self.kpis["due_30"].set(*_due(d.due_30))
        self.kpis["due_90"].set(*_due(d.due_90))
        self.kpis["overdue"].set(*_due(d.overdue), negative=d.overdue.count > 0)
        self.kpis["equity"].set(money(d.equity))
        self.kpis["owed"].set(money(d.owed))
        revenue = d.equity - d.owed
        self.kpis["revenue"].set(signed_money(revenue), ("trading covers what is owed" if revenue >= 0
                                 else "trading does not cover what is owed") + "; before commissions and fees",
                                 negative=revenue < 0)
        never = d.unrecorded_overdue
        self.unrecorded.setVisible(never.count > 0)
        self.unrecorded_text.setText(
            f"{never.count:,} overdue payment(s), {money(never.amount)}, belong to investments with no payment "
            "ever recorded as paid: the web platform never recorded them. If they were paid, reconcile the past "
            "to record them, so the overdue figure is true.")
        self._fill_products(d)
        self.warning.setVisible(d.unscheduled > 0)
        self.warning.setText(f"{d.unscheduled} active investment(s) name a product that does not exist: they "
                             "count in AUM but have no payment schedule. Fix their product in the Investments tab.")
        self._shown = d
        # The charts redraw one per loop turn too (each is 20-60 ms of pyqtgraph layout); a newer
        # dashboard arriving meanwhile is the one drawn.
        def redraws() -> Iterator[None]:
            for name in ("aum_chart", "cash_chart", "revenue_chart"):
                if self._shown is not d:
                    return
                self._update_chart(name, d)
                yield

        in_turns(self, redraws(), first_now=True)

    def _fill_products(self, d: Dashboard) -> None:
        # While the header sizes columns to their contents, every cell set re-measures them all:
        # refilling the few rows held the window ~100 ms. Measured once, after the fill.
        header = self.products.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        try:
            self._set_product_rows(d)
        finally:
            header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self._fit_products_height()

    def _set_product_rows(self, d: Dashboard) -> None:
        self.products.setRowCount(len(d.products))
        for row, p in enumerate(d.products):
            revenue = p.revenue
            cells = (f"{p.code} - {p.name}", p.schedule_reading, str(p.investments), str(p.clients), money(p.aum),
                     money(p.principal_owed), money(p.interest_accrued), money(p.equity), signed_money(revenue))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if column == len(cells) - 1 and revenue is not None and revenue < 0:
                    item.setForeground(Qt.GlobalColor.darkRed)
                self.products.setItem(row, column, item)

    def _fit_products_height(self) -> None:
        # A handful of products: show every row, never a one-row table with a scroll bar that the
        # charts below squeezed.
        table = self.products
        table.resizeRowsToContents()
        rows = sum(table.rowHeight(r) for r in range(table.rowCount()))
        table.setFixedHeight(table.horizontalHeader().sizeHint().height() + rows + 2 * table.frameWidth() + 2)
