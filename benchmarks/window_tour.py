"""The manager's tour of the window that ``bench_ui_stalls.py`` times (runs inside the app's process).

Each step acts through the widgets (key presses, clicks, the dialogs' Save buttons), waits until
its result is on screen (the data arrived and the widget painted after it), then stays idle a
moment so the stalls of what follows (a chart's first paint) count too. The watchdog's stalls
seen meanwhile are the step's.
"""

from __future__ import annotations

import asyncio
import inspect
import linecache
import re
import resource
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox, QWidget

ROOT = Path(__file__).resolve().parents[1]
TYPED = "rojas"
KEY_INTERVAL_S = 0.12
SETTLE_S = 0.4
STEP_TIMEOUT_S = 180.0
_FRAME = re.compile(r'File "([^"]+)", line (\d+), in (\S+)')

EXTERNAL_WRITE = r'''
import asyncio, sys
from decimal import Decimal
from fidus_desktop.storage.query import Query
from fidus_desktop.storage.sqlite import SqliteBackend
from fidus_desktop.storage.store import FundStore

async def main():
    store = await FundStore.open(SqliteBackend(sys.argv[1]))
    try:
        [inv] = await store.investments.find(Query(limit=1))
        await store.investments.save(inv.evolve(principal=inv.principal + Decimal(1000)))
    finally:
        await store.close()

asyncio.run(main())
'''


class Paints(QObject):
    """When each watched widget, or any widget inside it when the watch began, last painted
    (a filter on those widgets only: an application-wide one would put a Python call on every
    event of the window and inflate what is measured)."""

    def __init__(self) -> None:
        super().__init__()
        self.last: dict[int, float] = {}
        self._root: dict[int, list[int]] = {}

    def watch(self, widget: QWidget) -> QWidget:
        for part in (widget, *widget.findChildren(QWidget)):
            roots = self._root.setdefault(id(part), [])
            if id(widget) not in roots:
                roots.append(id(widget))
                part.installEventFilter(self)
        return widget

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        if event.type() == QEvent.Type.Paint:
            now = time.perf_counter()
            for root in self._root.get(id(watched), ()):
                self.last[root] = now
        return False

    def since(self, widget: QWidget, moment: float) -> bool:
        return self.last.get(id(widget), 0.0) >= moment


_BOTTOM = ("run_gui", "_main", "run_smoke")  # on every stack: not where the time went


def _is_app(path: str, function: str = "") -> bool:
    """A frame of the app's own code (not the standard library, a dependency, this benchmark, or
    the start-up frames every stack has)."""
    if function in _BOTTOM:
        return False
    try:
        first = Path(path).relative_to(ROOT).parts[0]
    except (ValueError, IndexError):
        return False
    return first in ("fidus_desktop", "ui", "bridge_link")


def _short(path: str) -> str:
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1]
    try:
        return str(Path(path).relative_to(ROOT))
    except ValueError:
        return Path(path).name


def describe(stall: Any) -> str:
    """What ran (the watchdog's cause), the innermost frame of this app's code, the innermost frame."""
    frames = _FRAME.findall(stall.stack or "")
    ours = [f for f in frames if _is_app(f[0], f[2])]
    parts = [stall.cause or "unknown work"]
    if ours:
        parts.append(f"{_short(ours[-1][0])}:{ours[-1][1]} {ours[-1][2]}")
    if frames and (not ours or frames[-1] != ours[-1]):
        parts.append(f"in {_short(frames[-1][0])}:{frames[-1][1]} {frames[-1][2]}")
    if stall.gc:
        parts.append(f"gc {stall.gc}")
    return "; ".join(parts)


def _frame_text(frame: Any) -> str:
    return f"{_short(frame.f_code.co_filename)}:{frame.f_lineno} {frame.f_code.co_name}"


_IDLE = frozenset({"wait", "_wait_for_tstate_lock", "get", "select", "poll", "accept", "recv", "recv_into",
                   "readinto", "_watch"})


_WAITING = re.compile(r"\.(get|wait|acquire|select|poll|recv|recv_into|accept|join)\(|sleep\(")


def _running_python(frame: Any) -> bool:
    """Whether a thread is executing Python now rather than blocked in a wait (a heuristic: the
    innermost frame's function, or its current line, is a wait)."""
    if frame is None or frame.f_code.co_name in _IDLE:
        return False
    return not _WAITING.search(linecache.getline(frame.f_code.co_filename, frame.f_lineno))


class StallSampler(threading.Thread):
    """``--profile``: while the loop is late (a stall over 20 ms in progress), sample the loop
    thread's stack every 2 ms; a step reports where those samples fell (about 2 ms each). Off by
    default: sampling takes the interpreter lock and so adds a little to what it measures."""

    def __init__(self, watchdog: Any) -> None:
        super().__init__(name="stall-sampler", daemon=True)
        self.watchdog = watchdog
        self.samples: Counter[str] = Counter()
        self.running = True

    def run(self) -> None:
        wd = self.watchdog
        me = threading.get_ident()
        while self.running:
            time.sleep(0.002)
            if time.monotonic() - wd._last_beat - wd.heartbeat < 0.02:
                continue
            frames = sys._current_frames()
            frame = frames.get(wd._loop_thread or -1)
            ours, inner = None, frame
            while frame is not None:
                if ours is None and _is_app(frame.f_code.co_filename, frame.f_code.co_name):
                    ours = frame
                frame = frame.f_back
            if inner is None:
                continue
            key = _frame_text(ours) if ours is not None else "(Qt, no Python frame)"
            if ours is not inner and inner.f_code.co_name != "run_forever":
                key += f" > {_frame_text(inner)}"
            if ours is None:  # Qt's own work, or waiting for the interpreter lock another thread holds
                busy = [_frame_text(f) for ident, f in frames.items()
                        if ident not in (me, wd._loop_thread) and _running_python(f)]
                if busy:
                    key += " while " + ", ".join(sorted(busy)[:2]) + " ran"
            self.samples[key] += 1

    def top(self, n: int = 4) -> list[str]:
        return [f"{count * 2} ms {where}" for where, count in self.samples.most_common(n)]


class CpuBeat:
    """A second heartbeat on the loop (10 ms) that also reads the GUI thread's own CPU clock: for
    each gap over 20 ms, how much of it the GUI thread spent computing. Wall time minus that is
    time it waited (for a core on a loaded machine, or for the interpreter lock), so the CPU part
    is the figure that does not depend on what else the machine runs."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.gaps: list[tuple[float, float]] = []  # (wall ms, GUI thread CPU ms)
        self._last = (time.monotonic(), time.thread_time())
        self._handle = loop.call_later(0.01, self._beat)

    def _beat(self) -> None:
        now = (time.monotonic(), time.thread_time())
        wall = (now[0] - self._last[0]) * 1000 - 10
        if wall > 20:
            self.gaps.append((wall, (now[1] - self._last[1]) * 1000))
        self._last = now
        self._handle = self.loop.call_later(0.01, self._beat)

    def stop(self) -> None:
        self._handle.cancel()


class WindowTour:
    def __init__(self, window: Any, watchdog: Any, results: dict[str, Any], *, profile: bool = False) -> None:
        self.window = window
        self.sampler = StallSampler(watchdog) if profile else None
        if self.sampler is not None:
            self.sampler.start()
        self.watchdog = watchdog
        self.results = results
        self.paints = Paints()
        self.beat = CpuBeat(asyncio.get_event_loop())
        self.opened_at: float | None = None
        self.marks: dict[str, float] = {}

    # ---- plumbing --------------------------------------------------------------------------------

    def idle(self) -> bool:
        return not self.window.tasks.running()

    async def until(self, condition: Callable[[], bool], timeout: float = STEP_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout:.0f} s; running: {[h.name for h in self.window.tasks.running()]}")
            await asyncio.sleep(0.005)

    async def step(self, name: str, act: Callable[[], Any], done: Callable[[float], bool],
                   painted: QWidget | None = None) -> None:
        """``act()`` (it may return the moment the result is timed from), then wait for
        ``done(start)`` and, with ``painted``, for that widget (or one inside it) to paint after
        ``done`` first held; record the time to the result and the worst stall."""
        await asyncio.sleep(0.06)  # the watcher thread records what came before
        self.watchdog.reset()
        if self.sampler is not None:
            self.sampler.samples.clear()
        self.beat.gaps.clear()
        start = time.perf_counter()
        outcome = act()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if isinstance(outcome, float):
            start = outcome
        await self.until(lambda: done(start))
        took = time.perf_counter() - start
        if painted is not None:
            # The paint that showed the result: the next one if it comes soon, else the last
            # one since the step began (the result was drawn before the check saw it ready).
            ready = time.perf_counter()
            try:
                await self.until(lambda: self.paints.since(painted, ready), timeout=0.1)
            except TimeoutError:
                await self.until(lambda: self.paints.since(painted, start))
            took = self.paints.last[id(painted)] - start
        await asyncio.sleep(SETTLE_S)
        self.record(name, took)

    def record(self, name: str, took: float) -> None:
        stalls = list(self.watchdog.stalls)
        worst = max(stalls, key=lambda s: s.ms, default=None)
        self.results["steps"].append({
            "name": name, "ms": took * 1000, "cpu_of_worst_ms": max(self.beat.gaps, default=(0, 0))[1],
            "max_cpu_ms": max((cpu for _, cpu in self.beat.gaps), default=0.0), "rss_mb": rss_mb(), "peak_mb": peak_mb(), "worst_ms": worst.ms if worst else 0.0,
            "cause": describe(worst) if worst else "", "stalls": len(stalls),
            "all": [f"{s.ms:.0f} ms: {describe(s)}" for s in sorted(stalls, key=lambda s: -s.ms)[:6]],
            "profile": self.sampler.top() if self.sampler is not None else []})
        print(f"step {name}: {took * 1000:.0f} ms, GUI CPU in the longest gap "
              f"{self.results['steps'][-1]['cpu_of_worst_ms']:.0f} ms, rss {rss_mb():.0f} MB, worst stall {worst.ms if worst else 0:.0f} ms "
              f"{describe(worst) if worst else ''}", flush=True)
        for line in self.results["steps"][-1]["profile"]:
            print(f"    {line}", flush=True)

    # ---- the tour ------------------------------------------------------------------------------

    async def run(self, painted: asyncio.Future[float], clock: Any) -> None:
        window = self.window
        window.fund_opened.connect(lambda: setattr(self, "opened_at", time.perf_counter()))
        await painted
        await self.until(lambda: window.is_open)
        self.opened_at = self.opened_at or time.perf_counter()
        first = window.current_slot()
        await self.until(lambda: first.panel is not None and first.panel.ready and self.idle())
        self.results["usable_at"] = time.perf_counter()
        clock.mark("usable")
        self.results["clock"] = {k: clock.marks[k] for k in ("imports", "first_paint", "store_open", "usable")
                                 if k in clock.marks}
        await asyncio.sleep(SETTLE_S)
        self.record(f"launch to usable ({first.entry.title} panel)", clock.marks["usable"])

        from fidus_desktop.services.portfolio_service import PortfolioService

        service = window.context.service(PortfolioService)
        await self.until(lambda: service.book is not None or bool(service.error))
        self.results["book_ready_s"] = time.perf_counter() - self.opened_at
        await self.open_panel("portfolio")
        panel = window.slot("portfolio").panel
        await self.tabs(panel)
        for name in ("mt5", "workspace", "health"):
            await self.open_panel(name)
        await self.open_panel("portfolio", again=True)
        await self.typing(panel, panel.calendar, panel.calendar.search, "calendar")
        await self.typing(panel, panel.investments, panel.investments.search, "investments")
        await self.sorting(panel)
        await self.mark_paid(panel, service)
        await self.edit_product(panel, service)
        await self.external_change(panel, service)
        self.results["peak_mb"] = peak_mb()
        self.beat.stop()

    async def open_panel(self, name: str, *, again: bool = False) -> None:
        window, slot = self.window, self.window.slot(name)

        def done(start: float) -> bool:  # built and showing its data (its first paint follows)
            panel = slot.panel
            return panel is not None and panel.ready and self.idle()

        await self.step(f"{'back to' if again else 'open'} {slot.entry.title}", lambda: window.show_panel(name), done)

    async def tabs(self, panel: Any) -> None:
        for index in (1, 2, 3, 4, 0):
            widget = panel.tabs.widget(index)
            self.paints.watch(widget)
            await self.step(f"Portfolio tab {panel.tabs.tabText(index)}", lambda i=index: panel.tabs.setCurrentIndex(i),
                            lambda start, i=index: i not in panel._stale_tabs and self.idle(), widget)

    def _resets(self, model: Any) -> list[float]:
        times: list[float] = []
        model.modelReset.connect(lambda: times.append(time.perf_counter()))
        model.layoutChanged.connect(lambda: times.append(time.perf_counter()))
        return times

    def _shown_after(self, view: Any, times: list[float], start: float) -> bool:
        return any(t >= start for t in times) and self.idle() and self.paints.since(view.table.viewport(), max(times))

    async def typing(self, panel: Any, view: Any, box: Any, what: str) -> None:
        panel.tabs.setCurrentWidget(view)
        await self.until(lambda: self.idle() and panel.ready)
        self.paints.watch(view.table.viewport())
        resets = self._resets(view.model)

        async def type_keys() -> float:
            box.setFocus()
            for ch in TYPED:
                QTest.keyClick(box, ch)
                await asyncio.sleep(KEY_INTERVAL_S)
            return time.perf_counter() - KEY_INTERVAL_S  # from the last key

        def done(start: float) -> bool:
            return not view._timer.isActive() and self._shown_after(view, resets, start)

        await self.step(f"{what}: type '{TYPED}' (from the last key)", type_keys, done)
        await self.step(f"{what}: clear the search", box.clear, done)

    async def sorting(self, panel: Any) -> None:
        for view, column in ((panel.investments, 2), (panel.calendar, 4)):
            panel.tabs.setCurrentWidget(view)
            await self.until(lambda: self.idle() and panel.ready)
            resets = self._resets(view.model)
            title = view.model.columns[column].title
            await self.step(f"{'investments' if view is panel.investments else 'calendar'}: sort by {title}",
                            lambda v=view, c=column: v.table.sortByColumn(c, Qt.SortOrder.DescendingOrder),
                            lambda start, v=view: self._shown_after(v, resets, start))

    async def mark_paid(self, panel: Any, service: Any) -> None:
        from fidus_desktop.services.payment_calendar import PaymentState

        view = panel.calendar
        panel.tabs.setCurrentWidget(view)
        view.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        await self.until(lambda: self.idle() and panel.ready)
        # The first unpaid client payment (commissions are paid on their own tab)
        row = next((i for i in range(view.model.rowCount()) if view.model.row(i).state is not PaymentState.PAID
                    and view.model.row(i).is_client_payment), 0)
        view.table.selectRow(row)
        view.mark_button.click()
        await self.until(lambda: panel._dialog is not None)
        dialog = panel._dialog
        resets = self._resets(view.model)
        version = service.book.version

        def submit() -> float:
            start = time.perf_counter()
            dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
            return start

        await self.step("mark paid: submit to calendar redrawn", submit,
                        lambda start: panel._dialog is None and service.book.version > version
                        and self._shown_after(view, resets, start))
        for widget, title in ((panel.dashboard, "dashboard"), (panel.investments, "investments")):
            self.paints.watch(widget)
            await self.step(f"mark paid: then the {title} tab", lambda w=widget: panel.tabs.setCurrentWidget(w),
                            lambda start: panel.ready and self.idle(), widget)

    async def edit_product(self, panel: Any, service: Any) -> None:
        view = panel.products
        panel.tabs.setCurrentWidget(view)
        await self.until(lambda: self.idle() and panel.ready)
        view.table.selectRow(0)
        view.edit_button.click()
        await self.until(lambda: panel._dialog is not None)
        dialog = panel._dialog
        dialog.name.setText(dialog.name.text() + " (edited)")
        version = service.book.version
        self.paints.watch(view.table.viewport())

        def submit() -> float:
            start = time.perf_counter()
            dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
            return start

        await self.step("product edit: submit to products redrawn", submit,
                        lambda start: panel._dialog is None and service.book.version > version and panel.ready
                        and self.idle(), view.table.viewport())

    async def external_change(self, panel: Any, service: Any) -> None:
        panel.tabs.setCurrentWidget(panel.dashboard)
        await self.until(lambda: self.idle() and panel.ready)
        self.paints.watch(panel.dashboard)
        book, version = service.book, service.book.version
        path = self.window.context.storage_target_embedded().embedded_path

        async def write() -> float:
            process = await asyncio.create_subprocess_exec(sys.executable, "-c", EXTERNAL_WRITE, str(path))
            await process.wait()
            return time.perf_counter()

        await self.step("external change: written to dashboard redrawn", write,
                        lambda start: (service.book is not book or book.version > version) and panel.ready and self.idle(), panel.dashboard)


def rss_mb() -> float:
    """The process's resident memory now (Linux; elsewhere the peak)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize() / (1024 * 1024)
    except OSError:
        return peak_mb()


def peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
