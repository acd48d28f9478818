"""Decoding many documents without holding the event loop.

The app's event loop is the Qt loop (qasync): decoding 10,000 investments (JSON, then the codec)
takes most of a second of pure Python, which on the loop's thread is a frozen window. Large
batches go to the ``cpu`` lane instead (:mod:`fidus_desktop.lanes`); the GIL still serializes
the Python work, but the loop gets the interpreter back every switch interval (5 ms) and keeps
painting. Small batches stay on the loop, where a thread hop would cost more than the work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..lanes import shared_lanes

#: Above this many items a batch is decoded in a worker thread.
LARGE_BATCH = 500


async def map_off_loop[A, B](fn: Callable[[A], B], items: Sequence[A]) -> list[B]:
    if len(items) <= LARGE_BATCH:
        return [fn(item) for item in items]
    return await shared_lanes().cpu.run(lambda: [fn(item) for item in items], action="decode records")
