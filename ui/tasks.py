"""The window's adapter over the core's work: progress, cancel, and errors shown in the window.

``TaskRunner.run`` takes either kind of work and always calls back on the GUI thread:

* a coroutine (or an ``async def`` function) runs on the qasync loop: services, HTTP, MongoDB;
* a plain callable runs in one of the core's lanes (:mod:`fidus_desktop.lanes`): ``mt5``,
  ``cpu`` (analytics) or ``io`` (the default: files, PDF writing).

Writes started here name their ``initiator`` (the panel that asked), so its own echo can be
told apart; the services themselves never hear of it.

With no ``on_failure``, errors go to the window's error display (:mod:`ui.errors`). The work
itself must not touch widgets: it returns data and ``on_success`` draws it.

Long work reports progress through ``progress(fraction, message)``, passed as the ``progress``
keyword when ``progress_label`` is set; it is safe to call from any thread, and once the user
presses Cancel it raises :class:`UserCancelled`, which is how a blocking loop gets stopped.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

from fidus_desktop.errors import UserCancelled
from fidus_desktop.lanes import Lane, Lanes, shared_lanes
from fidus_desktop.runtime.actor import acting_for
from fidus_desktop.runtime.watchdog import doing

log = logging.getLogger(__name__)

ErrorHandler = Callable[[BaseException, str], None]
Progress = Callable[[float, str], None]

#: How long work may run before a progress dialog appears (ms).
PROGRESS_DELAY_MS = 400
PROGRESS_MIN_INTERVAL_S = 0.05
_counter = itertools.count(1)


class _ProgressRelay(QObject):
    """Carries progress from any thread to the dialog; Qt queues the signal across threads."""

    changed = Signal(float, str)

    def __init__(self, handle: TaskHandle, dialog: QProgressDialog) -> None:
        super().__init__()
        self._handle = handle
        self._dialog = dialog
        self._last = 0.0
        # A QObject slot (not a lambda) so Qt runs it in this object's thread, the GUI thread.
        self.changed.connect(self._apply)

    @Slot(float, str)
    def _apply(self, fraction: float, message: str) -> None:
        self._dialog.setValue(round(fraction * 1000))
        if message:
            self._dialog.setLabelText(message)

    def report(self, fraction: float, message: str = "") -> None:
        if self._handle.cancel_requested:
            raise UserCancelled()
        now = time.monotonic()
        # A loop may report thousands of times a second; the dialog needs a few updates.
        if now - self._last < PROGRESS_MIN_INTERVAL_S and fraction < 1.0:
            return
        self._last = now
        self.changed.emit(max(0.0, min(1.0, float(fraction))), message)


class TaskHandle:
    """One piece of running work: cancel it, or ask whether it is done."""

    def __init__(self, name: str, lane: str | None) -> None:
        self.name = name
        self.lane = lane
        self._cancel = threading.Event()
        self.task: asyncio.Task[Any] | None = None
        self.dialog: QProgressDialog | None = None

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()
        if self.task is not None:
            self.task.cancel()

    def done(self) -> bool:
        return self.task is None or self.task.done()

    def __repr__(self) -> str:
        return f"<TaskHandle {self.name} lane={self.lane} done={self.done()}>"


class TaskRunner(QObject):
    """Owned by the main window; ``shutdown()`` before the window goes away."""

    def __init__(self, on_error: ErrorHandler, *, parent_widget: QWidget | None = None,
                 loop: asyncio.AbstractEventLoop | None = None, lanes: Lanes | None = None) -> None:
        super().__init__()
        self._on_error = on_error
        self._parent_widget = parent_widget
        self._loop = loop
        self._lanes = lanes or shared_lanes()
        # Strong references: the loop only keeps weak ones to tasks, so an unreferenced task
        # can be garbage-collected mid-flight.
        self._handles: set[TaskHandle] = set()
        self._closing = False

    # ---- starting work -------------------------------------------------------------------

    def run(self, work: Coroutine[Any, Any, Any] | Callable[..., Any], *, lane: str | None = None,
            on_success: Callable[[Any], None] | None = None,
            on_failure: Callable[[BaseException], None] | None = None,
            progress_label: str | None = None, cancellable: bool = True,
            name: str | None = None, initiator: object | None = None) -> TaskHandle:
        """Start ``work`` now; callbacks run later on the GUI thread, never if it is cancelled.

        ``on_success(result)`` / ``on_failure(exc)``: with no ``on_failure``, the error goes to
        the window (``ui.errors`` triage). ``progress_label`` shows a progress dialog after
        :data:`PROGRESS_DELAY_MS` and passes ``progress`` to an ``async def`` or a blocking
        callable; ``cancellable`` adds its Cancel button. ``name`` is what errors and logs call
        this work ("save investment"). ``initiator``: who asked for a write (a panel), named on the
        ``Changes`` it publishes.
        """
        name = name or getattr(work, "__qualname__", None) or f"task-{next(_counter)}"
        is_async = inspect.iscoroutine(work) or inspect.iscoroutinefunction(work)
        if is_async and lane is not None:
            if inspect.iscoroutine(work):
                work.close()
            raise TypeError(f"{name}: coroutines run on the loop; lanes are for blocking callables")
        lane = None if is_async else (lane or "io")
        handle = TaskHandle(name, lane)
        if self._closing:
            if inspect.iscoroutine(work):
                work.close()  # never started; avoids a "was never awaited" warning
            handle._cancel.set()
            return handle

        progress: Progress | None = None
        if progress_label is not None:
            handle.dialog = self._progress_dialog(handle, progress_label, cancellable)
            if inspect.iscoroutine(work):
                handle.dialog.setRange(0, 0)  # it cannot report progress: a busy indicator
            relay = _ProgressRelay(handle, handle.dialog)
            relay.setParent(handle.dialog)  # lives exactly as long as the dialog
            progress = relay.report

        if inspect.iscoroutine(work):
            awaitable: Awaitable[Any] = work
        elif is_async:
            awaitable = work(progress=progress) if progress else work()
        else:
            call = (lambda: work(progress=progress)) if progress else work
            awaitable = self._in_lane(self._lane(lane), call)

        # The work itself is the task (not a wrapper awaiting it): a task cancelled before its
        # first step (the window closing) then closes the work, with no "never awaited" warning.
        coroutine = awaitable if inspect.iscoroutine(awaitable) else self._guard(awaitable)
        with acting_for(initiator):  # the task's context carries it to the write path
            handle.task = self._event_loop().create_task(coroutine, name=name)
        self._handles.add(handle)
        handle.task.add_done_callback(lambda task: self._finished(handle, task, on_success, on_failure))
        return handle

    async def _guard(self, awaitable: Awaitable[Any]) -> Any:
        return await awaitable

    async def _in_lane(self, lane: Lane, call: Callable[[], Any]) -> Any:
        return await asyncio.wrap_future(lane.submit(call))

    def _lane(self, name: str) -> Lane:
        return self._lanes.get(name)

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_event_loop()
        return self._loop

    def _progress_dialog(self, handle: TaskHandle, label: str, cancellable: bool) -> QProgressDialog:
        dialog = QProgressDialog(label, "Cancel" if cancellable else "", 0, 1000, self._parent_widget)
        dialog.setWindowTitle("FIDUS Desktop")
        dialog.setMinimumDuration(PROGRESS_DELAY_MS)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        if not cancellable:
            dialog.setCancelButton(None)
        dialog.canceled.connect(handle.cancel)
        return dialog

    # ---- completion (always on the GUI thread) -------------------------------------------

    def _finished(self, handle: TaskHandle, task: asyncio.Task[Any],
                  on_success: Callable[[Any], None] | None,
                  on_failure: Callable[[BaseException], None] | None) -> None:
        self._handles.discard(handle)
        if handle.dialog is not None:
            handle.dialog.canceled.disconnect()
            handle.dialog.close()
            handle.dialog.deleteLater()
            handle.dialog = None
        if self._closing or task.cancelled():
            log.debug("task %s cancelled", handle.name)
            return
        exc = task.exception()
        try:
            if exc is None:
                if on_success is not None:
                    with doing(handle.name):
                        on_success(task.result())
            elif on_failure is not None:
                on_failure(exc)
            else:
                self._on_error(exc, handle.name)
        except Exception as callback_error:  # a broken callback is shown, never swallowed
            self._on_error(callback_error, handle.name)

    def report(self, exc: BaseException, name: str) -> None:
        """Send an error to the window's one error display (logged with its traceback there)."""
        self._on_error(exc, name)

    # ---- introspection and shutdown ------------------------------------------------------

    def running(self) -> list[TaskHandle]:
        return [h for h in self._handles if not h.done()]

    def lane_threads_alive(self) -> list[threading.Thread]:
        return self._lanes.threads_alive()

    def cancel_all(self) -> None:
        for handle in list(self._handles):
            handle.cancel()

    async def shutdown(self, timeout: float = 3.0) -> bool:
        """Cancel everything and wait (at most ``timeout`` s, without blocking the loop) for the
        tasks to finish; ``True`` when they did. The lanes belong to the runtime, which stops
        them after the services."""
        self._closing = True
        tasks = [h.task for h in self._handles if h.task is not None]
        self.cancel_all()
        if tasks:
            done, _ = await asyncio.wait(tasks, timeout=timeout)
            return len(done) == len(tasks)
        return True

    def shutdown_now(self) -> None:
        """Last resort when the loop no longer runs: cancel without waiting."""
        self._closing = True
        self.cancel_all()
