"""The dashboard's product table, refilled as the figures change."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest
from PySide6.QtWidgets import QHeaderView

from fidus_desktop.demo.scale import build_scaled_fund
from fidus_desktop.domain.funds import DEFAULT_PRODUCTS
from fidus_desktop.portfolio.figures import compute_dashboard
from fidus_desktop.portfolio.loader import book_from_records
from ui.portfolio.dashboard_view import DashboardView

pytestmark = pytest.mark.gui


def test_a_refill_with_wider_figures_still_fits_every_column_to_its_contents(qtbot):
    today = date(2026, 3, 1)
    fund = build_scaled_fund(40, as_of=today)
    dashboard = compute_dashboard(book_from_records(DEFAULT_PRODUCTS, fund["investments"], fund["clients"],
                                                    fund["mt5_accounts"], fund["activity"], today))
    view = DashboardView()
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    view.show_dashboard(dashboard)
    table = view.products
    narrow = [table.horizontalHeader().sectionSize(c) for c in range(table.columnCount())]

    bigger = dataclasses.replace(dashboard, products=tuple(
        dataclasses.replace(p, aum=p.aum * 1000 + Decimal("0.01"), principal_owed=p.principal_owed * 1000)
        for p in dashboard.products))
    view.show_dashboard(bigger)

    header = table.horizontalHeader()
    assert table.rowCount() == len(bigger.products)
    assert table.item(0, 4).text() == f"{bigger.products[0].aum:,.2f}"
    assert header.sectionResizeMode(1) is QHeaderView.ResizeMode.ResizeToContents
    assert header.sectionResizeMode(0) is QHeaderView.ResizeMode.Stretch
    for column in range(1, table.columnCount()):
        assert header.sectionSize(column) >= table.sizeHintForColumn(column), table.horizontalHeaderItem(column).text()
    assert header.sectionSize(4) > narrow[4]  # the AUM column grew with its figures
