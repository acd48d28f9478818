"""Named worker lanes for blocking work, used only through :mod:`ui.tasks`.

Why not ``ThreadPoolExecutor``: its threads are joined at interpreter exit, so one MetaTrader5
call hung on a dead terminal would keep the closed app alive forever. A lane's threads are
daemons: ``stop()`` asks them to finish, waits a bounded time, and the process can always exit.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

log = logging.getLogger(__name__)

#: Lane name -> worker threads. ``mt5`` has one: the MetaTrader5 module promises no thread safety,
#: so serializing by construction beats locks in every adapter.
LANE_SIZES: dict[str, int] = {"mt5": 1, "cpu": 2, "io": 4}

_STOP = object()


class Lane:
    def __init__(self, name: str, workers: int) -> None:
        self.name = name
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._work, name=f"fidus-{name}-{i}", daemon=True)
                         for i in range(workers)]
        self._stopped = False
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable[[], Any]) -> Future[Any]:
        if self._stopped:
            raise RuntimeError(f"lane {self.name} is stopped")
        future: Future[Any] = Future()
        self._queue.put((fn, future))
        return future

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            fn, future = item
            if not future.set_running_or_notify_cancel():
                continue  # cancelled while queued
            try:
                result = fn()
            except BaseException as exc:  # handed to the caller, who decides how to show it
                future.set_exception(exc)
            else:
                future.set_result(result)

    def stop(self) -> None:
        """Cancel queued work and tell the workers to finish after their current call."""
        if self._stopped:
            return
        self._stopped = True
        pending = []
        try:
            while True:
                pending.append(self._queue.get_nowait())
        except queue.Empty:
            pass
        for item in pending:
            if item is not _STOP:
                item[1].cancel()
        for _ in self._threads:
            self._queue.put(_STOP)

    def alive(self) -> list[threading.Thread]:
        return [t for t in self._threads if t.is_alive()]

    def join(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds in total; ``True`` when every worker has finished."""
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not self.alive()
