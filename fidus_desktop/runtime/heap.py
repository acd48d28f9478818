"""Keeping the garbage collector's full passes short.

CPython's collector stops every thread, the window's included, while it scans. A full pass
visits every container object the process holds: after start-up (Qt's bindings, NumPy, the
drivers, our modules) that is about 100,000 objects and 50 ms, and with a 100,000-record book
and pipeline several hundred milliseconds. Objects that live as long as the app (imported
modules, a view just read whole) are moved out of the collector's sight with ``gc.freeze``:
they are still freed when unreferenced, only never scanned for cycles again.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def settle(what: str) -> None:
    """``what`` (start-up, a whole load) just made objects that live as long as the app: a young
    pass frees what is already garbage among them, then the survivors are set aside."""
    gc.collect(1)
    gc.freeze()
    log.debug("heap settled after %s: %d objects set aside", what, gc.get_freeze_count())
