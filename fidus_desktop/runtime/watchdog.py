"""The stall watchdog: how long the event loop (in the window: the GUI thread) was held, and by what.

A heartbeat runs on the loop every ``heartbeat_ms``; a watcher thread notices when it is late by
more than the threshold, and at that moment samples the loop thread's stack (what is running
*during* the stall, not after it), the asyncio task being stepped, and the label of the action
the UI said it was doing (:func:`doing`). When the heartbeat resumes, the stall's length is
known and it is logged with that cause; a garbage collection that ran meanwhile (in any thread:
a full collection holds the interpreter for everyone) is named too.

``FIDUS_STALL_MS=N`` turns it on in the app (every stall over N ms is logged); ``--smoke``
prints the worst stall it saw. Qt-free: the heartbeat is an asyncio timer, so it measures the
qasync loop, which is the Qt event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass

log = logging.getLogger(__name__)

STALL_ENV = "FIDUS_STALL_MS"

_action: list[str] = []


@contextlib.contextmanager
def doing(label: str) -> Iterator[None]:
    """Names what the loop's thread is busy with, for the watchdog's report ("open Portfolio")."""
    _action.append(label)
    try:
        yield
    finally:
        _action.pop()


@dataclass(frozen=True, slots=True)
class Stall:
    ms: float
    #: The action label, or the asyncio task, that was running.
    cause: str
    #: The loop thread's innermost frames when the stall crossed the threshold.
    stack: str
    #: Garbage collections that overlapped the stall ("gen 2, 180 ms").
    gc: str = ""
    #: How much of it the loop's thread spent on the CPU: far less than ``ms`` means it was
    #: waiting (for the interpreter lock held by another thread, or for the OS to run it).
    cpu_ms: float | None = None

    def describe(self) -> str:
        where = self.stack.strip().splitlines()[-2:] if self.stack else []
        extra = f"; gc: {self.gc}" if self.gc else ""
        if self.cpu_ms is not None:
            extra += f"; on CPU {self.cpu_ms:.0f} ms"
        return f"{self.ms:.0f} ms during {self.cause or 'unknown work'}{extra}" + (
            f" at {' / '.join(line.strip() for line in where)}" if where else "")


class StallWatchdog:
    def __init__(self, loop: asyncio.AbstractEventLoop, threshold_ms: float, *, heartbeat_ms: float = 10.0,
                 level: int = logging.WARNING) -> None:
        self.loop = loop
        #: WARNING when the manager asked for it (``FIDUS_STALL_MS``), INFO when only measuring.
        self.level = level
        self.threshold = threshold_ms / 1000
        self.heartbeat = heartbeat_ms / 1000
        self.stalls: list[Stall] = []
        self._last_beat = time.monotonic()
        self._last_cpu = 0.0
        self._loop_thread: int | None = None
        self._running = False
        self._thread: threading.Thread | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._sample: tuple[str, list[tuple[str, int, str]]] | None = None
        self._gcs: list[tuple[float, float, int]] = []  # (start, duration, generation)
        self._to_log: list[tuple[float, str, list[tuple[str, int, str]], str, float]] = []
        self._gc_start: float | None = None

    @property
    def worst(self) -> Stall | None:
        return max(self.stalls, key=lambda s: s.ms, default=None)

    def start(self) -> StallWatchdog:
        self._running = True
        self.loop.call_soon_threadsafe(self._first_beat)
        self._thread = threading.Thread(target=self._watch, name="fidus-stall-watchdog", daemon=True)
        self._thread.start()
        gc.callbacks.append(self._on_gc)
        return self

    def stop(self) -> None:
        self._running = False
        if self._handle is not None:
            self._handle.cancel()
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self._on_gc)

    def reset(self) -> None:
        """Forget the stalls seen so far (a benchmark measures one step at a time)."""
        self.stalls.clear()

    # ---- the loop side -------------------------------------------------------------------------

    def _first_beat(self) -> None:
        self._loop_thread = threading.get_ident()
        self._last_cpu = time.thread_time()
        self._beat()

    def _beat(self) -> None:
        now, cpu = time.monotonic(), time.thread_time()
        late = now - self._last_beat - self.heartbeat
        sample, self._sample = self._sample, None  # type: ignore[assignment]
        if late > self.threshold:
            self._record(late, sample, now, cpu - self._last_cpu)
        self._last_beat, self._last_cpu = now, cpu
        if self._running and not self.loop.is_closed():
            self._handle = self.loop.call_later(self.heartbeat, self._beat)

    def _record(self, late: float, sample: tuple[str, list[tuple[str, int, str]]] | None, now: float,
                cpu: float = 0.0) -> None:
        cause, frames = sample or ("", [])
        began = now - late
        gcs = [f"gen {g}, {d * 1000:.0f} ms" for start, d, g in self._gcs if start + d >= began and d > 0.005]
        self._gcs = [entry for entry in self._gcs if entry[0] > now - 5]
        # Formatted and written by the watcher thread: reading source lines and writing the log
        # here would stall the loop a second time.
        self._to_log.append((late * 1000, cause, frames, ", ".join(gcs), cpu * 1000))

    # ---- the watcher thread ------------------------------------------------------------------

    def _watch(self) -> None:
        while self._running:
            time.sleep(min(0.005, self.heartbeat / 2))
            if self._sample is None and time.monotonic() - self._last_beat - self.heartbeat > self.threshold:
                self._sample = self._take_sample()
            while self._to_log:
                ms, cause, frames, gcs, cpu_ms = self._to_log.pop(0)
                summary = [traceback.FrameSummary(name, line, function) for name, line, function in frames]
                stack = "".join(traceback.format_list(summary))
                stall = Stall(ms, cause, stack, gcs, cpu_ms)
                self.stalls.append(stall)
                log.log(self.level, "event loop stalled %s\n%s", stall.describe(), stack)

    def _take_sample(self) -> tuple[str, list[tuple[str, int, str]]]:
        """What runs on the loop's thread now: names only (no source lines are read here, the
        loop is stalled and must not wait for us)."""
        cause = " > ".join(_action)
        if not cause:
            with contextlib.suppress(Exception):  # best effort: read while the loop is busy
                task = asyncio.current_task(self.loop)
                cause = f"task {task.get_name()}" if task is not None else ""
        frame = sys._current_frames().get(self._loop_thread or -1)
        frames = []
        while frame is not None and len(frames) < 12:
            frames.append((frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name))
            frame = frame.f_back
        return cause, frames[::-1]

    def drain(self, timeout: float = 1.0) -> None:
        """Wait until every stall seen has been recorded (tests, the smoke's summary)."""
        deadline = time.monotonic() + timeout
        while self._to_log and time.monotonic() < deadline:
            time.sleep(0.005)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_start = time.monotonic()
        elif self._gc_start is not None:
            self._gcs.append((self._gc_start, time.monotonic() - self._gc_start, info.get("generation", -1)))
            self._gc_start = None


def threshold_from_env() -> float | None:
    """``FIDUS_STALL_MS`` as milliseconds, or ``None`` when unset or unreadable."""
    text = os.environ.get(STALL_ENV, "").strip()
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value > 0 else None
