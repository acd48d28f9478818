"""The one-thread lane every MetaTrader5 call goes through.

The module keeps one global IPC client and promises no thread safety, so serialization is by
construction: one daemon thread, a queue, and a guard that refuses any call from elsewhere.
Daemon, not ``ThreadPoolExecutor``: a call hung on a dead terminal must never keep the process
from exiting. A timed-out call keeps the lane busy until the terminal answers; ``busy_for`` lets
health report that instead of queueing more work blindly.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from .errors import BridgeError, ErrorReason

T = TypeVar("T")
_STOP = object()


class Mt5Lane:
    def __init__(self, name: str = "mt5") -> None:
        self.name = name
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, name=f"fidus-{name}", daemon=True)
        self._busy_since: float | None = None
        self._stopped = False
        self._thread.start()

    @property
    def thread_ident(self) -> int | None:
        return self._thread.ident

    def on_lane(self) -> bool:
        return threading.get_ident() == self._thread.ident

    def busy_for(self) -> float:
        """Seconds the current call has been running (0 when idle)."""
        started = self._busy_since
        return 0.0 if started is None else time.monotonic() - started

    def _put(self, job: Callable[[], None]) -> None:
        if self._stopped:
            raise BridgeError(ErrorReason.NOT_CONNECTED, "The MT5 connection is closed.")
        self._queue.put(job)

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        """Run ``fn`` on the lane from plain threads (tests, tools); coroutines use :meth:`run`."""
        future: Future[T] = Future()

        def job() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)

        self._put(job)
        return future

    async def run(self, fn: Callable[[], T], *, timeout: float, action: str = "MT5 call") -> T:
        """Run ``fn`` on the lane; :class:`BridgeError` ``timeout`` if it takes longer than ``timeout``."""
        loop = asyncio.get_event_loop()  # the running loop; also right where qasync steps tasks between runs
        waiter: asyncio.Future[T] = loop.create_future()

        def deliver(ok: bool, value: Any) -> None:
            if not waiter.done():
                waiter.set_result(value) if ok else waiter.set_exception(value)

        def job() -> None:
            if waiter.cancelled():
                return  # the caller gave up while this waited in the queue
            try:
                outcome = (True, fn())
            except BaseException as exc:  # the caller decides what it means
                outcome = (False, exc)
            # A call that returns after the app closed its loop (a hung terminal answering late)
            # must not touch that loop: the answer is dropped.
            if not loop.is_closed():
                try:
                    loop.call_soon_threadsafe(deliver, *outcome)
                except RuntimeError:
                    pass

        self._put(job)
        try:
            return await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            raise BridgeError(ErrorReason.TIMEOUT, f"The MT5 terminal did not answer in time ({action}).",
                              detail=f"timeout={timeout}s") from None

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is _STOP:
                return
            self._busy_since = time.monotonic()
            try:
                job()
            finally:
                self._busy_since = None

    def stop(self, wait: float = 1.0) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._queue.put(_STOP)
        if not self.on_lane():
            self._thread.join(wait)


class LaneBoundModule:
    """Wraps the MetaTrader5 module so a call from any thread but the lane's raises at once.

    Serialization then holds by construction, not by every adapter remembering to use the lane.
    """

    def __init__(self, module: Any, lane: Mt5Lane) -> None:
        self._module = module
        self._lane = lane

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        if not callable(value) or isinstance(value, type):
            return value
        lane = self._lane

        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not lane.on_lane():
                raise RuntimeError(f"MetaTrader5.{name} called outside the MT5 lane")
            return value(*args, **kwargs)

        return guarded
