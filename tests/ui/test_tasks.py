"""ui.tasks.TaskRunner: callbacks on the GUI thread, lanes, progress, cancellation, triage."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton

from fidus_desktop.errors import StorageUnavailable, UserCancelled
from ui.tasks import TaskRunner

pytestmark = pytest.mark.gui


@pytest.fixture
def runner(qloop, qtbot):
    errors: list[tuple[BaseException, str]] = []
    runner = TaskRunner(lambda exc, name: errors.append((exc, name)), loop=qloop)
    runner.errors = errors
    yield runner
    task = qloop.create_task(runner.shutdown(timeout=2))
    qtbot.waitUntil(task.done, timeout=5000)


def test_callbacks_run_on_the_gui_thread_for_both_kinds_of_work(qtbot, runner):
    seen = []
    runner.run(lambda: threading.current_thread().name, lane="io",
               on_success=lambda worker: seen.append((worker, threading.current_thread())))
    runner.run(asyncio.sleep(0.01, result="loop"),
               on_success=lambda value: seen.append((value, threading.current_thread())))
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=5000)
    results = dict(seen)
    assert results["loop"] is threading.main_thread()
    worker_name = next(name for name in results if name != "loop")
    assert worker_name.startswith("fidus-io-") and results[worker_name] is threading.main_thread()


def test_mt5_lane_runs_one_call_at_a_time(qtbot, runner):
    active, overlaps, done = [0], [], []
    lock = threading.Lock()

    def mt5_call():
        with lock:
            active[0] += 1
            overlaps.append(active[0])
        time.sleep(0.02)
        with lock:
            active[0] -= 1
        return threading.current_thread().name

    for _ in range(5):
        runner.run(mt5_call, lane="mt5", on_success=done.append)
    qtbot.waitUntil(lambda: len(done) == 5, timeout=5000)
    assert max(overlaps) == 1 and set(done) == {"fidus-mt5-0"}


def test_failures_without_a_handler_go_to_the_window_error_handler(qtbot, runner):
    async def unreachable():
        raise StorageUnavailable("The database cannot be reached.")

    async def backed_out():
        raise UserCancelled()

    handled = []
    runner.run(unreachable(), name="load clients")
    runner.run(backed_out(), name="backed out")
    runner.run(lambda: 1 / 0, lane="cpu", on_failure=handled.append)
    runner.run(asyncio.sleep(0, result=1), on_success=lambda _: [][0], name="draw")  # a broken callback
    qtbot.waitUntil(lambda: len(runner.errors) == 3 and bool(handled), timeout=5000)
    by_name = {name: exc for exc, name in runner.errors}
    assert isinstance(by_name["load clients"], StorageUnavailable)
    assert isinstance(by_name["backed out"], UserCancelled)  # ui.errors keeps it silent
    assert isinstance(by_name["draw"], IndexError)
    assert isinstance(handled[0], ZeroDivisionError)


def test_progress_from_a_worker_reaches_the_dialog_and_cancel_stops_the_loop(qtbot, runner, monkeypatch):
    monkeypatch.setattr("ui.tasks.PROGRESS_DELAY_MS", 0)
    reached, outcome = [], []

    def import_statements(progress):
        for step in range(2000):
            progress(step / 2000, f"statement {step}")
            reached.append(step)
            time.sleep(0.002)
        return "finished"

    handle = runner.run(import_statements, lane="io", progress_label="Importing…",
                        on_success=outcome.append, on_failure=outcome.append)
    dialog = handle.dialog
    qtbot.waitUntil(lambda: dialog.value() > 0 and dialog.labelText().startswith("statement "), timeout=5000)
    cancel = next(b for b in dialog.findChildren(QPushButton) if b.text() == "Cancel")
    QTest.mouseClick(cancel, Qt.MouseButton.LeftButton)  # the user presses Cancel
    qtbot.waitUntil(handle.done, timeout=5000)
    qtbot.wait(50)
    assert handle.cancel_requested and handle.task.cancelled()
    stopped_at = len(reached)
    qtbot.wait(50)
    assert len(reached) == stopped_at < 2000  # the worker stopped at its next progress report
    assert outcome == []  # cancelled work calls nothing back


def test_unknown_lane_is_refused(runner):
    with pytest.raises(ValueError, match="unknown lane 'gpu'"):
        runner.run(lambda: None, lane="gpu")


def test_work_after_shutdown_never_starts(qtbot, qloop, runner):
    task = qloop.create_task(runner.shutdown(timeout=1))
    qtbot.waitUntil(task.done, timeout=5000)
    started = []

    async def late():
        started.append(1)

    handle = runner.run(late())  # closed, not left "never awaited"
    qtbot.wait(20)
    assert handle.cancel_requested and handle.done() and started == []


def test_a_coroutine_cannot_be_sent_to_a_lane(runner):
    async def fetch():
        return 1

    with pytest.raises(TypeError, match="lanes are for blocking callables"):
        runner.run(fetch(), lane="mt5")


def test_work_cancelled_before_it_starts_is_closed_without_a_warning(qtbot, runner):
    """The window closing right after a panel asked for a redraw: the work never runs, and
    leaves no "coroutine was never awaited" behind."""
    import gc
    import warnings

    started = []

    async def redraw() -> None:
        started.append(True)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        handle = runner.run(redraw(), name="redraw")
        handle.cancel()  # before the loop gave it a first step
        qtbot.waitUntil(handle.task.done, timeout=5000)
        del handle
        gc.collect()
    assert started == []
    assert not [w for w in caught if "never awaited" in str(w.message)]
