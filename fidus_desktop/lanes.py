"""The worker lanes: the one way blocking work leaves the event loop's thread.

Three named lanes, each a fixed set of daemon threads fed by a queue:

* ``mt5`` (one thread): the ``MetaTrader5`` module keeps one global IPC client and promises no
  thread safety, so every call to it is serialized by construction, not by locks in adapters;
* ``io`` (four threads): files, the Google client (httplib2 is not thread-safe: one HTTP object
  per lane thread), keyring look-ups, SQLite dumps;
* ``cpu`` (two threads): analytics and big decodes. The GIL still serializes pure Python, but
  the loop's thread gets the interpreter back every switch interval (5 ms) and keeps painting.

Why not ``ThreadPoolExecutor`` or ``asyncio.to_thread``: their threads are joined at interpreter
exit, so one MetaTrader5 call hung on a dead terminal would keep the closed app alive for ever.
A lane's threads are daemons: :meth:`Lane.stop` asks them to finish, and the process can always
exit.

Foundation module: standard library only, so ``bridge_link`` (on the bridge VPS) uses the same
lanes as the desktop without shipping the desktop core.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

log = logging.getLogger(__name__)

#: Lane name -> worker threads.
LANE_SIZES: dict[str, int] = {"mt5": 1, "io": 4, "cpu": 2}

_STOP = object()


class LaneStopped(RuntimeError):
    """Work was offered to a lane that has been stopped (the app is closing)."""


class Lane:
    def __init__(self, name: str, workers: int = 1) -> None:
        self.name = name
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._work, name=f"fidus-{name}-{i}", daemon=True)
                         for i in range(workers)]
        self._idents: set[int] = set()
        self._busy: dict[int, tuple[float, str]] = {}
        self._stopped = False
        for thread in self._threads:
            thread.start()
            if thread.ident is not None:
                self._idents.add(thread.ident)

    # ---- introspection ---------------------------------------------------------------------

    def on_lane(self) -> bool:
        """True when called from one of this lane's threads."""
        return threading.get_ident() in self._idents

    def busy_for(self) -> float:
        """Seconds the longest-running current call has been running (0 when idle)."""
        now = time.monotonic()
        return max((now - started for started, _ in list(self._busy.values())), default=0.0)

    def busy_with(self) -> list[str]:
        """What each busy thread is doing (the action names given to :meth:`run`)."""
        return [action for _, action in list(self._busy.values())]

    def alive(self) -> list[threading.Thread]:
        return [t for t in self._threads if t.is_alive()]

    @property
    def stopped(self) -> bool:
        return self._stopped

    # ---- work ------------------------------------------------------------------------------

    def submit(self, fn: Callable[[], Any], action: str = "") -> Future[Any]:
        """Run ``fn`` on the lane from any thread; the future holds its result or exception."""
        if self._stopped:
            raise LaneStopped(f"lane {self.name} is stopped")
        future: Future[Any] = Future()
        self._queue.put((fn, future, action or getattr(fn, "__qualname__", "work")))
        return future

    async def run[T](self, fn: Callable[[], T], *, timeout: float | None = None, action: str = "") -> T:
        """Run ``fn`` on the lane and await its result without blocking the loop.

        ``timeout`` bounds the call once it runs (:class:`TimeoutError`), not its wait in the
        queue behind other calls: a busy lane is not a hung one. A call that never returns keeps
        its thread busy (``busy_for`` tells health) and its late answer is dropped. A caller
        bounds the whole wait by cancelling (``asyncio.timeout``): a still-queued call then
        skips; a running one finishes.
        """
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[T] = loop.create_future()
        started: asyncio.Future[None] = loop.create_future()

        def deliver(ok: bool, value: Any) -> None:
            if not waiter.done():
                waiter.set_result(value) if ok else waiter.set_exception(value)

        def begin() -> None:
            if not started.done():
                started.set_result(None)

        def job() -> None:
            if waiter.cancelled():
                return  # the caller gave up while this waited in the queue
            if timeout is not None and not loop.is_closed():
                try:
                    loop.call_soon_threadsafe(begin)
                except RuntimeError:
                    pass
            try:
                outcome = (True, fn())
            except BaseException as exc:  # the caller decides what it means
                outcome = (False, exc)
            # An answer arriving after the app closed its loop, or after the lanes were stopped for
            # the exit (a hung terminal answering late, the window already gone), must not touch
            # that loop: it is dropped.
            if not loop.is_closed() and not self._stopped:
                try:
                    loop.call_soon_threadsafe(deliver, *outcome)
                except RuntimeError:
                    pass

        if self._stopped:
            raise LaneStopped(f"lane {self.name} is stopped")
        self._queue.put((job, None, action or getattr(fn, "__qualname__", "work")))
        if timeout is None:
            return await waiter
        try:
            await asyncio.wait([started, waiter], return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            waiter.cancel()  # cancelled while queued: the call is skipped
            raise
        if waiter.done():
            return waiter.result()
        return await asyncio.wait_for(waiter, timeout)

    def _work(self) -> None:
        ident = threading.get_ident()
        self._idents.add(ident)
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            fn, future, action = item
            if future is not None and not future.set_running_or_notify_cancel():
                continue  # cancelled while queued
            self._busy[ident] = (time.monotonic(), action)
            try:
                result = fn()
            except BaseException as exc:  # handed to the caller, who decides how to show it
                if future is not None and not self._stopped:
                    future.set_exception(exc)
                elif future is None:
                    log.exception("lane %s: %s failed", self.name, action)
            else:
                # After the exit stopped the lanes nobody waits: a late answer (a hung terminal
                # answering) is dropped, so no callback reaches a loop that is gone.
                if future is not None and not self._stopped:
                    future.set_result(result)
            finally:
                self._busy.pop(ident, None)

    def stop(self) -> None:
        """Drop queued work and tell the workers to finish after their current call."""
        if self._stopped:
            return
        self._stopped = True
        try:
            while True:
                item = self._queue.get_nowait()
                if item is not _STOP and item[1] is not None:
                    item[1].cancel()
        except queue.Empty:
            pass
        for _ in self._threads:
            self._queue.put(_STOP)

    def join(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds in total; ``True`` when every worker has finished."""
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread.ident != threading.get_ident():
                thread.join(max(0.0, deadline - time.monotonic()))
        return not self.alive()


class Lanes:
    """The three lanes of one process, created on first use."""

    def __init__(self, sizes: dict[str, int] | None = None) -> None:
        self._sizes = dict(sizes or LANE_SIZES)
        self._lanes: dict[str, Lane] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> Lane:
        with self._lock:
            lane = self._lanes.get(name)
            if lane is None or lane.stopped:
                if name not in self._sizes:
                    raise ValueError(f"unknown lane {name!r}; known lanes: {', '.join(self._sizes)}")
                lane = self._lanes[name] = Lane(name, self._sizes[name])
            return lane

    @property
    def mt5(self) -> Lane:
        return self.get("mt5")

    @property
    def io(self) -> Lane:
        return self.get("io")

    @property
    def cpu(self) -> Lane:
        return self.get("cpu")

    def started(self) -> list[Lane]:
        with self._lock:
            return [lane for lane in self._lanes.values() if not lane.stopped]

    def threads_alive(self) -> list[threading.Thread]:
        with self._lock:
            return [t for lane in self._lanes.values() for t in lane.alive()]

    def stop(self) -> None:
        for lane in self.started():
            lane.stop()

    async def shutdown(self, timeout: float = 3.0) -> bool:
        """Stop every lane and wait (without blocking the loop) for its threads; ``True`` when
        all finished in time. Stuck ones are daemons: named in the log, never waited for."""
        self.stop()
        deadline = time.monotonic() + timeout
        while self.threads_alive() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        stuck = self.threads_alive()
        if stuck:
            log.warning("still running at shutdown: %s", ", ".join(t.name for t in stuck))
        return not stuck


_shared: Lanes | None = None
_shared_lock = threading.Lock()


def shared_lanes() -> Lanes:
    """The process's lanes. Every part of the app (storage decodes, the MT5 source, the Google
    client, the UI's task runner) uses these, so a closing app stops them all in one place."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Lanes()
        return _shared
