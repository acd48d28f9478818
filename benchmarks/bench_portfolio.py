"""Portfolio hot paths on 10,000 investments (goal < 300 ms each), against naive baselines
measured in the same run.

    uv run python benchmarks/bench_portfolio.py [--investments N] [--runs R]

1. Schedules of every investment (``build_portfolio``) vs a naive schedule function that works
   out every date and amount per payment (no per-product template, one Decimal product and
   rounding per payment, a dataclass per row).
2. Dashboard aggregates (``compute_dashboard``: AUM per product, due in 30/90 days, overdue,
   principal and accrued interest owed, fund revenue, 12-month cash flow, AUM history) vs
   composing the domain functions one figure at a time (one pass per figure and per month).
3. The dashboard opening with those figures: ``DashboardView`` built, filled and painted
   (offscreen), vs the same view plus a naive investments table (a ``QTableWidget`` item per
   cell) that a straightforward panel would fill at the same time.
4. The investments table alone: ``RowsModel`` (precomputed rows) vs ``QTableWidget`` items.
5. For information: reading the 10,000 investments (and paid records) from the embedded store.

Times are medians of R runs, garbage collector on (as in the app).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fidus_desktop.domain.funds import DEFAULT_PRODUCTS, FundProduct, ScheduleReading  # noqa: E402
from fidus_desktop.domain.investments import Investment, InvestmentStatus  # noqa: E402
from fidus_desktop.domain.mt5_accounts import Mt5AccountLink  # noqa: E402
from fidus_desktop.domain.obligations import amount_owed  # noqa: E402
from fidus_desktop.domain.people import Client, KycStatus  # noqa: E402
from fidus_desktop.domain.values import ZERO, to_cents  # noqa: E402
from fidus_desktop.services.payment_calendar import CalendarRow, PaymentState, paid_entry  # noqa: E402
from fidus_desktop.services.portfolio import (PortfolioData, build_portfolio, compute_dashboard,  # noqa: E402
                                              due_between, load_records, product_codes)

GOAL_MS = 300.0
AS_OF = date(2026, 3, 1)
CODES = ("CORE", "CORE", "BALANCE", "BALANCE", "DYNAMIC", "UNLIMITED")


def fund(n: int, seed: int = 11) -> tuple[list, list, list, list, list]:
    rng = random.Random(seed)
    products = list(DEFAULT_PRODUCTS)
    clients = [Client(client_id=f"client_{k:05}", name=f"Client {k}", email=f"c{k}@example.com",
                      kyc_status=KycStatus.APPROVED) for k in range(max(1, n // 5))]
    investments = []
    for k in range(n):
        status = InvestmentStatus.ACTIVE if rng.random() > 0.05 else InvestmentStatus.COMPLETED
        investments.append(Investment(
            investment_id=f"inv_{k:06}", client_id=clients[k % len(clients)].client_id,
            product=rng.choice(CODES), principal=Decimal(rng.randint(10, 500) * 1000),
            start_date=datetime.combine(AS_OF - timedelta(days=rng.randint(0, 420)), datetime.min.time(), UTC),
            status=status))
    accounts = [Mt5AccountLink(account=88_000_000 + i, fund_type=code, equity=Decimal(5_000_000 + i))
                for i, code in enumerate(("CORE", "BALANCE", "DYNAMIC", "UNLIMITED"))]
    # A third of the investments have their past payments recorded as paid.
    data = build_portfolio(products, investments, clients, accounts, [], AS_OF)
    paid = []
    for k, (inv_id, schedule) in enumerate(data.schedules.items()):
        if k % 3 == 0:
            for p in schedule:
                if p.due < AS_OF:
                    row = CalendarRow(p.due, p.kind, p.amount, inv_id, p.number, "", "", "", PaymentState.DUE, None)
                    paid.append(paid_entry(row, actor="bench", paid_on=p.due))
    return products, investments, clients, accounts, paid


# ---- naive baselines --------------------------------------------------------------------------


@dataclass
class NaivePayment:
    investment_id: str
    number: int
    due: date
    kind: str
    amount: Decimal
    accrues_from: date


def naive_schedule(inv: Investment, product: FundProduct) -> list[NaivePayment]:
    rows = []
    rate = inv.interest_rate or product.monthly_rate
    months = product.payment_frequency.months
    start = inv.start_date.date()
    if rate and months and product.first_payment_days is not None and product.interval_days is not None:
        previous = start + timedelta(days=product.incubation_days)
        count = product.regular_payments + (1 if product.schedule_reading is ScheduleReading.CASH_FLOW_CODE else 0)
        for k in range(1, count + 1):
            due = start + timedelta(days=product.first_payment_days + (k - 1) * product.interval_days)
            if k > product.regular_payments:
                due = start + timedelta(days=product.contract_days)
            rows.append(NaivePayment(inv.investment_id, k, due, "interest", to_cents(inv.principal * rate * months),
                                     previous))
            previous = due
    end = start + timedelta(days=product.contract_days)
    rows.append(NaivePayment(inv.investment_id, 0, end, "principal", inv.principal, end))
    return rows


def naive_schedules(investments: list[Investment], products: list[FundProduct]) -> dict[str, list[NaivePayment]]:
    by_code = {p.code: p for p in products}
    return {i.investment_id: naive_schedule(i, by_code[i.product]) for i in investments if i.is_active}


def naive_dashboard(data: PortfolioData) -> dict[str, object]:
    """The same figures, each computed on its own from the domain functions."""
    as_of, codes, paid = data.as_of, product_codes(data), data.paid
    every = [p for s in data.schedules.values() for p in s]
    out: dict[str, object] = {}
    out["aum"] = {c: sum((i.principal for i in data.active if i.product == c), ZERO) for c in codes}
    for days in (30, 90):
        out[f"due_{days}"] = sum((p.amount for p in due_between(data, as_of, as_of + timedelta(days=days))), ZERO)
    out["overdue"] = sum((p.amount for p in every if p.due < as_of and p.key not in paid), ZERO)
    out["owed"] = {c: sum((amount_owed(data.schedules[i.investment_id], as_of, paid) for i in data.active
                           if i.product == c and i.investment_id in data.schedules), ZERO) for c in codes}
    months = []
    y, m = as_of.year, as_of.month
    for _ in range(12):
        months.append(sum((p.amount for p in every if (p.due.year, p.due.month) == (y, m) and p.due >= as_of
                           and p.key not in paid), ZERO))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    out["cash_flow"] = months
    ends = [as_of - timedelta(days=30 * k) for k in range(12)]
    out["history"] = [{c: sum((i.principal for i in data.active if i.product == c and i.start_date.date() <= e),
                              ZERO) for c in codes} for e in ends]
    out["equity"] = {c: sum((a.equity for a in data.accounts if a.fund_type == c and a.counts_for_fund), ZERO)
                     for c in codes}
    return out


# ---- timing ----------------------------------------------------------------------------------


def median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def line(name: str, ours: float, naive: float | None, goal: bool = True) -> None:
    ratio = f"{naive / ours:5.1f}x faster" if naive else ""
    verdict = ("OK " if ours < GOAL_MS else "SLOW") if goal else "info"
    naive_text = f"{naive:9.1f} ms" if naive is not None else " " * 12
    print(f"  {verdict}  {name:<46} ours {ours:8.1f} ms   naive {naive_text}  {ratio}")


def gui_benchmarks(data: PortfolioData, runs: int) -> None:
    from PySide6.QtWidgets import QApplication, QTableWidget, QTableWidgetItem

    from ui.portfolio.dashboard_view import DashboardView
    from ui.portfolio.investments_view import INVESTMENT_COLUMNS, InvestmentsView, investment_rows

    app = QApplication.instance() or QApplication([])
    dashboard = compute_dashboard(data)
    DashboardView().show_dashboard(dashboard)  # pyqtgraph's first-use setup, not per opening

    def open_dashboard(extra: Callable[[], object] | None = None) -> None:
        view = DashboardView()
        view.resize(1400, 900)
        view.show_dashboard(dashboard)
        if extra is not None:
            extra()
        view.show()
        view.grab()  # forces layout and a full paint
        view.close()
        view.deleteLater()
        app.processEvents()

    def naive_table() -> None:
        rows = investment_rows(data)
        table = QTableWidget(len(rows), len(INVESTMENT_COLUMNS))
        for r, row in enumerate(rows):
            for c, column in enumerate(INVESTMENT_COLUMNS):
                table.setItem(r, c, QTableWidgetItem(column.text(row)))
        table.setSortingEnabled(True)
        table.deleteLater()

    def model_table() -> None:
        view = InvestmentsView()
        view.set_data(data)
        view.deleteLater()

    line("dashboard opens (built, filled, painted)", median_ms(open_dashboard, runs),
         median_ms(lambda: open_dashboard(naive_table), max(1, runs // 2)))

    from types import SimpleNamespace

    from fidus_desktop.config import Settings
    from ui.portfolio.operations import PortfolioView
    from ui.portfolio.panel import PortfolioPanel

    def open_panel(every_tab: bool = False) -> None:
        panel = PortfolioPanel(SimpleNamespace(settings=Settings(), store=None), None)  # type: ignore[arg-type]
        panel.resize(1400, 900)
        panel.show_view(PortfolioView(data, dashboard))
        if every_tab:  # what a panel filling all its tabs at once would cost (calendar excluded)
            for widget in (panel.investments, panel.products, panel.statements):
                panel.tabs.setCurrentWidget(widget)
            panel.tabs.setCurrentWidget(panel.dashboard)
        panel.show()
        panel.grab()
        panel.close()
        panel.deleteLater()
        app.processEvents()

    line("portfolio panel opens on its dashboard", median_ms(open_panel, runs),
         median_ms(lambda: open_panel(True), max(1, runs // 2)))
    line("investments table, 10k rows", median_ms(model_table, runs), median_ms(naive_table, max(1, runs // 2)))
    app.processEvents()


async def store_load(products, investments, clients, accounts, paid) -> float:
    from fidus_desktop.storage.sqlite import SqliteBackend
    from fidus_desktop.storage.store import FundStore

    with tempfile.TemporaryDirectory() as folder:
        store = await FundStore.open(SqliteBackend(Path(folder) / "fund.sqlite3"))
        try:
            await store.clients.add_many(clients)
            await store.investments.add_many(investments)
            await store.mt5_accounts.add_many(accounts)
            await store.activity.add_many(paid)
            start = time.perf_counter()
            await load_records(store)
            return (time.perf_counter() - start) * 1000
        finally:
            await store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--investments", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    products, investments, clients, accounts, paid = fund(args.investments)
    data = build_portfolio(products, investments, clients, accounts, paid, AS_OF)
    payments = sum(len(s) for s in data.schedules.values())
    print(f"{len(investments):,} investments ({len(data.active):,} active), {payments:,} scheduled payments, "
          f"{len(paid):,} recorded as paid; goal < {GOAL_MS:.0f} ms")
    line("schedules of every investment", median_ms(
        lambda: build_portfolio(products, investments, clients, accounts, paid, AS_OF), args.runs),
        median_ms(lambda: naive_schedules(investments, products), args.runs))
    line("dashboard aggregates", median_ms(lambda: compute_dashboard(data), args.runs),
         median_ms(lambda: naive_dashboard(data), max(1, args.runs // 2)))
    both = median_ms(lambda: compute_dashboard(build_portfolio(products, investments, clients, accounts, paid,
                                                               AS_OF)), args.runs)
    line("schedules + aggregates together", both, None)
    gui_benchmarks(data, args.runs)
    line("read 10k investments + paid records (SQLite)",
         asyncio.run(store_load(products, investments, clients, accounts, paid)), None, goal=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
