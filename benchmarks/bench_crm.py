"""The CRM at scale: 100,000 prospects on the embedded store, against fair baselines measured in
the same run, with the GUI's worst stall (the runtime's watchdog) for each step.

    uv run python benchmarks/bench_crm.py [--prospects N] [--runs R] [--csv-rows M]

1. Table, text filter and column sort (goal < 100 ms each): the CRM table (the core's pipeline
   index in the cpu lane, then the shared keyed table model) vs ``QSortFilterProxyModel`` over a
   plain ``QAbstractTableModel`` holding the same rows as display strings (what Qt's
   documentation teaches: ``setFilterFixedString`` over every column, case-insensitive, and
   ``sort``). Both measured from the request to the first screen of rows painted.
2. Kanban open (goal < 200 ms): the CRM panel built and shown until its board is drawn, on an
   index already loaded (the service loads it once at start; that load is printed too).
3. A record with 1,000 timeline entries (goal < 100 ms): the record pane opened with its first
   page, vs reading all 1,000 entries and filling a ``QTableWidget``.
4. CSV of M rows (default 10,000): preview (goal < 1 s) vs ``csv.DictReader`` with the same
   rules and one duplicate query per row against the store; commit (goal < 2 s) vs one
   operation per row through the same write path (measured on 500 rows, scaled to M).
5. Peak memory (resident set) of the process.

Times are medians of R runs. The worst stall is the longest the GUI thread was held during the
step (heartbeat every 5 ms), whatever held it.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import random
import re
import resource
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("FIDUS_HOME", tempfile.mkdtemp(prefix="fidus-bench-crm-"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import qasync  # noqa: E402
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QTableView, QTableWidget, QTableWidgetItem  # noqa: E402

from fidus_desktop.app_context import AppContext  # noqa: E402
from fidus_desktop.crm import csv_import  # noqa: E402
from fidus_desktop.crm.filters import PipelineFilter, Sort  # noqa: E402
from fidus_desktop.crm.pipeline_service import PipelineService  # noqa: E402
from fidus_desktop.crm.prospects import ProspectDraft, create_prospect, draft_problems  # noqa: E402
from fidus_desktop.crm.timeline import EventKind, Person, TimelineEvent, event_inserts  # noqa: E402
from fidus_desktop.domain.leads import PortalLead  # noqa: E402
from fidus_desktop.domain.people import Client, KycStatus  # noqa: E402
from fidus_desktop.domain.prospects import Prospect, Stage  # noqa: E402
from fidus_desktop.paths import AppPaths  # noqa: E402
from fidus_desktop.runtime.operations import Audit, Operation  # noqa: E402
from fidus_desktop.runtime.watchdog import StallWatchdog  # noqa: E402
from fidus_desktop.runtime.writer import WritePath  # noqa: E402
from fidus_desktop.storage.cache import LocalCache  # noqa: E402
from fidus_desktop.storage.query import Contains, Query  # noqa: E402
from fidus_desktop.storage.sqlite import SqliteBackend  # noqa: E402
from fidus_desktop.storage.store import FundStore  # noqa: E402
from ui.crm.panel import CrmPanel  # noqa: E402
from ui.crm.table import COLUMNS  # noqa: E402
from ui.event_bridge import EventBridge  # noqa: E402
from ui.tasks import TaskRunner  # noqa: E402

FIRST = ("Ana", "Bruno", "Carla", "Diego", "Elena", "Felipe", "Gabriela", "Hector", "Isabel", "Javier", "Élodie")
LAST = ("Alvarez", "Castro", "Duarte", "Fuentes", "Herrera", "Morales", "Núñez", "Ortega", "Rojas", "Zamora")
NOW = datetime.now(UTC)


def fund(n: int, seed: int = 5) -> tuple[list[Prospect], list[PortalLead], list[Client]]:
    rng = random.Random(seed)
    stages = [Stage.LEAD] * 6 + [Stage.QUALIFIED] * 4 + [Stage.PROPOSAL] * 3 + [Stage.NEGOTIATION] * 3 + \
        [Stage.WON, Stage.LOST]
    prospects = [Prospect(
        prospect_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        name=f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}", email=f"prospect{i}@example.com",
        phone=f"+1 786 555 {i % 10000:04d}", stage=rng.choice(stages), source=rng.choice(("web", "referral", "event")),
        owner=rng.choice(("Ana", "Luis", "")), estimated_value=Decimal(rng.randint(10, 500) * 1000),
        notes=rng.choice(("", "Interested in CORE.", "Call after the summer", "Met at the Miami fair")),
        next_action="Call back" if i % 3 == 0 else "",
        next_action_due=NOW + timedelta(days=rng.randint(-20, 20)) if i % 3 == 0 else None,
        created_at=NOW - timedelta(days=rng.randint(1, 700))) for i in range(n)]
    leads = [PortalLead(lead_id=f"{i:024x}", email=f"portal{i}@example.com", phone=f"+1305555{i % 10000:04d}",
                        created_at=NOW - timedelta(days=i % 60)) for i in range(max(1, n // 200))]
    clients = [Client(client_id=f"client_{i:08x}", name=f"Client {i}", email=f"client{i}@example.com",
                      phone=f"+1 305 444 {i % 10000:04d}", kyc_status=KycStatus.APPROVED) for i in range(n // 5)]
    return prospects, leads, clients


class PlainModel(QAbstractTableModel):
    """What Qt's documentation teaches: rows of display strings, ``data()`` returns a cell."""

    def __init__(self, rows: list[tuple[str, ...]], headers: list[str]) -> None:
        super().__init__()
        self.rows, self.headers = rows, headers

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802, ANN001
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802, ANN001
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):  # noqa: ANN001
        if role == Qt.ItemDataRole.DisplayRole:
            return self.rows[index.row()][index.column()]
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802, ANN001
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None


class Bench:
    """Runs on the app's own kind of loop (``qasync.run``): the loop always turns, as in the window."""

    def __init__(self, loop: asyncio.AbstractEventLoop, runs: int) -> None:
        self.loop = loop
        self.runs = runs
        self.watchdog = StallWatchdog(loop, 20.0, heartbeat_ms=5.0, level=10).start()

    async def wait(self, predicate, timeout: float = 120.0) -> None:  # noqa: ANN001
        async def poll() -> None:
            while not predicate():
                await asyncio.sleep(0.001)
        await asyncio.wait_for(poll(), timeout)

    async def stall(self) -> float:
        # A step that held the thread without turning the loop (the baseline's synchronous Qt
        # calls) shows as a late heartbeat once the loop turns again.
        await asyncio.sleep(0.03)
        self.watchdog.drain(0.5)
        worst = self.watchdog.worst
        return worst.ms if worst else 0.0

    async def measure(self, step, runs: int | None = None) -> tuple[float, float]:  # noqa: ANN001
        """Median ms of ``step`` (a coroutine function, or a blocking function) and the worst stall."""
        times, stalls = [], []
        for _ in range(runs or self.runs):
            await asyncio.sleep(0.05)  # whatever ran before is over and recorded
            self.watchdog.drain(0.5)
            self.watchdog.reset()
            started = time.perf_counter()
            result = step()
            if asyncio.iscoroutine(result):
                await result
            times.append((time.perf_counter() - started) * 1000)
            stalls.append(await self.stall())
        return statistics.median(times), max(stalls)

    def report(self, name: str, ours: tuple[float, float], base: tuple[float, float] | None, goal: float) -> None:
        ratio = f"{base[0] / ours[0]:8.1f}x" if base else "       -"
        base_ms = f"{base[0]:10.1f}" if base else "         -"
        base_stall = f"{base[1]:8.0f}" if base else "       -"
        verdict = "ok" if ours[0] < goal else "OVER GOAL"
        print(f"{name:<38} {ours[0]:9.1f} {base_ms} {ratio}   goal {goal:6.0f}  stall {ours[1]:5.0f} / {base_stall}  "
              f"{verdict}", flush=True)


async def open_fund(home: Path, n: int) -> AppContext:
    context = AppContext.create(AppPaths.under(home))
    path = home / "fund.sqlite3"
    fresh = not path.exists()
    context.store = await FundStore.open(SqliteBackend(path))
    context.cache = LocalCache(home / "cache.sqlite3")
    await context.cache.open()
    context.writer = WritePath(context, actor=lambda: "bench")
    if fresh:
        prospects, leads, clients = fund(n)
        await context.store.prospects.add_many(prospects)
        await context.store.leads.add_many(leads)
        await context.store.clients.add_many(clients)
    return context


def csv_bytes(rows: int, existing: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["Name", "E-mail", "Phone", "Stage", "Estimated value", "Notes"])
    for i in range(rows):
        if i % 50 == 7:  # some duplicates of stored prospects, some bad rows
            writer.writerow([f"Dup {i}", f"prospect{i % existing}@example.com", "+44 20 7946 0000", "", "", ""])
        elif i % 50 == 9:
            writer.writerow([f"Bad {i}", "not-an-email", "12", "", "", ""])
        else:
            writer.writerow([f"Imported Person {i}", f"import{i}@example.com", f"+34 600 {i % 1000:03d} {i % 997:03d}",
                             "qualified", "250,000.00", "=1+1" if i % 10 == 0 else "from the fair"])
    return codecs_bom() + out.getvalue().encode("utf-8")


def codecs_bom() -> bytes:
    import codecs

    return codecs.BOM_UTF8


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.I)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prospects", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--csv-rows", type=int, default=10_000)
    args = parser.parse_args()
    from ui.app import GIL_SWITCH_INTERVAL_S
    from ui.theme import apply_theme

    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)  # as the app runs
    app = QApplication.instance() or QApplication(sys.argv)
    apply_theme(app)
    qasync.run(run(args))


async def run(args: argparse.Namespace) -> None:
    bench = Bench(asyncio.get_running_loop(), args.runs)
    home = Path(tempfile.mkdtemp(prefix="fidus-bench-crm-"))
    t = time.perf_counter()
    context = await open_fund(home, args.prospects)
    print(f"{args.prospects:,} prospects, {args.prospects // 200:,} portal leads, {args.prospects // 5:,} clients "
          f"written in {time.perf_counter() - t:.1f} s (not measured)", flush=True)
    tasks = TaskRunner(lambda exc, name: print("ERROR", name, repr(exc)))
    bridge = EventBridge(context.events)
    service = context.services.add(PipelineService(context))
    await asyncio.sleep(0.05)
    bench.watchdog.reset()
    t = time.perf_counter()
    await context.services.start()
    await service.ready()
    print(f"pipeline index built from the store's projections in {(time.perf_counter() - t) * 1000:.0f} ms "
          f"(once, at start, in the background; worst stall meanwhile {await bench.stall():.0f} ms)\n", flush=True)
    print(f"{'step':<38} {'ours ms':>9} {'baseline':>10} {'ratio':>9}   {'goal ms':>11}  {'stall ours / base':>17}")

    # -- 2. kanban open ------------------------------------------------------------------------------------
    panels: list[CrmPanel] = []

    async def open_kanban() -> None:
        panel = CrmPanel(context, tasks, bridge=bridge)
        panel.resize(1600, 950)
        panel.show()
        panel.on_shown()
        await bench.wait(lambda: panel.ready)
        panel.repaint()
        panels.append(panel)

    kanban = await bench.measure(open_kanban)
    panel = panels[-1]
    for old in panels[:-1]:
        old.close()
        old.deleteLater()
    bench.report("kanban open (board drawn and painted)", kanban, None, 200)
    await asyncio.sleep(0.2)  # the record pane is built in a turn of its own

    # -- 1. table filter and sort vs QSortFilterProxyModel -----------------------------------------------------
    panel.show_view("table")
    await bench.wait(lambda: panel.table.model.rowCount() > 1000)
    snapshot = service.snapshot
    slots = snapshot.select(PipelineFilter(), Sort())
    plain_rows = [tuple(c.text(snapshot.row(int(s))) for c in COLUMNS) for s in slots]
    plain = PlainModel(plain_rows, [c.title for c in COLUMNS])
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(plain)
    proxy.setFilterKeyColumn(-1)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    view = QTableView()
    view.setModel(proxy)
    view.resize(panel.table.view.size())
    view.show()
    base_runs = 1  # a baseline step takes tens of seconds at 100,000 rows

    def ours_filter(needle: str):  # noqa: ANN202
        async def step() -> None:
            panel.set_filter(PipelineFilter(text=needle))
            panel._refresh_now()  # the typing pause and the redraw coalescing are not measured
            await bench.wait(lambda: not tasks.running())
            panel.table.view.viewport().repaint()
        return step

    def base_filter(needle: str):  # noqa: ANN202
        def step() -> None:
            proxy.setFilterFixedString(needle)
            view.viewport().repaint()
        return step

    for needle in ("castro 12", "prospect4711@"):
        ours = await bench.measure(ours_filter(needle))
        base = await bench.measure(base_filter(needle), runs=base_runs)
        bench.report(f"table filter '{needle}'", ours, base, 100)
    panel.set_filter(PipelineFilter())
    proxy.setFilterFixedString("")

    flip = [False]

    def ours_sort(field: str):  # noqa: ANN202
        async def step() -> None:
            flip[0] = not flip[0]
            panel.set_sort(Sort(field, flip[0]))
            panel._refresh_now()
            await bench.wait(lambda: not tasks.running())
            panel.table.view.viewport().repaint()
        return step

    def base_sort(column: int):  # noqa: ANN202
        def step() -> None:
            flip[0] = not flip[0]
            proxy.sort(column, Qt.SortOrder.DescendingOrder if flip[0] else Qt.SortOrder.AscendingOrder)
            view.viewport().repaint()
        return step

    for field in ("name", "estimated_value"):
        column = next(i for i, c in enumerate(COLUMNS) if c.sort == field)
        ours = await bench.measure(ours_sort(field))
        base = await bench.measure(base_sort(column), runs=base_runs)
        bench.report(f"table sort by {field}", ours, base, 100)
    view.close()
    panel.show_view("kanban")
    await bench.wait(lambda: not tasks.running())

    # -- 3. a record with 1,000 timeline entries ----------------------------------------------------------------
    prospects_only = [snapshot.keys[int(s)] for s in slots if not snapshot.is_lead[int(s)]]
    key, other = prospects_only[0], prospects_only[1]
    events = [TimelineEvent(Person.of(key), EventKind.NOTE, f"note {n}", occurred_at=NOW - timedelta(hours=n),
                            source_ref=f"bench-{n}") for n in range(1000)]
    op = Operation("bench", (), Audit("bench", "timeline entries"))
    await context.writer.submit(Operation("bench", tuple(event_inserts(events, op.audit_id, "bench")), op.audit,
                                          op_id=op.op_id))
    panel.open_record(other)
    await bench.wait(lambda: panel.pane.key == other and not tasks.running())

    async def open_record() -> None:
        target = key if panel.pane.key != key else other
        panel.open_record(target)
        wanted = 50 if target == key else 0  # the other record has no entries of its own
        await bench.wait(lambda: panel.pane.key == target and len(panel.pane.timeline.items) >= wanted
                         and not tasks.running())
        panel.pane.repaint()

    async def naive_record() -> None:
        from fidus_desktop.storage.query import Eq

        entries = await context.store.activity.find(Query(where=(Eq("prospect_id", key),)))
        entries.sort(key=lambda e: e.timestamp, reverse=True)
        table = QTableWidget(len(entries), 4)
        for r, e in enumerate(entries):
            for c, text in enumerate((e.timestamp.isoformat(), e.actor, e.activity_type, e.description)):
                table.setItem(r, c, QTableWidgetItem(text))
        table.show()
        table.repaint()
        table.close()

    ours = await bench.measure(open_record, runs=args.runs * 2)  # alternately the 1,000-entry one and another
    base = await bench.measure(naive_record)
    bench.report("open a record (1,000 entries / another)", ours, base, 100)

    # -- 4. CSV preview and commit ------------------------------------------------------------------------------
    data = csv_bytes(args.csv_rows, args.prospects)
    index = await service.duplicates()
    previews: list[csv_import.ImportPreview] = []

    async def preview_step() -> None:
        def work() -> csv_import.ImportPreview:
            file = csv_import.read_csv(data, "bench.csv")
            return csv_import.preview(file, csv_import.guess_mapping(file.header), index)

        previews.append(await context.lanes.cpu.run(work, action="check the CSV rows"))

    ours = await bench.measure(preview_step, runs=3)
    sample = data[: data.index(b"\n", len(data) // 100) + 1]  # a hundredth: the naive preview is slow

    async def naive() -> None:
        reader = csv.DictReader(io.StringIO(sample.decode("utf-8-sig")), delimiter=";")
        for row in reader:
            draft = ProspectDraft(name=row["Name"], email=row["E-mail"], phone=row["Phone"],
                                  estimated_value=row["Estimated value"], notes=row["Notes"])
            if draft_problems(draft) or not _EMAIL.match(draft.email):
                continue
            await context.store.prospects.count(Query(where=(Contains(("email",), draft.email),)))

    base = await bench.measure(naive, runs=1)
    base = (base[0] * (len(data) / len(sample)), base[1])
    preview = previews[-1]
    print(f"  preview of {len(preview.rows):,} rows: {preview.count('ok'):,} ok, {preview.count('refused'):,} refused, "
          f"{preview.count('duplicate'):,} duplicates (baseline measured on 1/100 of the rows, scaled)", flush=True)
    bench.report(f"CSV preview {args.csv_rows:,} rows", ours, base, 1000)

    ours = await bench.measure(lambda: csv_import.commit(context, preview), runs=1)
    few = preview.to_import()[:300]

    async def naive_commit() -> None:
        for row in few:
            await create_prospect(context, row.draft, allow_duplicates=True)

    base = await bench.measure(naive_commit, runs=1)
    base = (base[0] * (len(preview.to_import()) / len(few)), base[1])
    bench.report(f"CSV commit {preview.count('ok'):,} rows (1 unit)", ours, base, 2000)
    print("  (baseline: one operation per row through the same write path, measured on 300 rows, scaled)")
    await bench.wait(lambda: not tasks.running())
    await asyncio.sleep(0.5)  # the pipeline takes the import in

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory (resident) {peak:,.0f} MB, {len(service.snapshot):,} records in the index", flush=True)
    await tasks.shutdown()
    await context.close()
    bench.watchdog.stop()


if __name__ == "__main__":
    main()
