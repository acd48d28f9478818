"""Closing a qasync loop in tests without leaving Qt objects behind."""

from __future__ import annotations

import asyncio
import gc

import shiboken6


def dispose_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Close ``loop`` and destroy its Qt timer here, on the GUI thread.

    qasync's ``close()`` leaves the Qt timers of pending ``call_later`` handles (a 30 s read
    timeout...) registered. If the loop object were freed later by the cyclic GC running in
    another thread (a uvicorn or lane thread of the next tests), those timers would outlive
    their object and crash Qt's next event pass.
    """
    loop.close()
    asyncio.set_event_loop(None)
    timer = getattr(loop, "_timer", None)
    if timer is not None:
        shiboken6.delete(timer)
    gc.collect()
