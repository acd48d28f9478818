"""Run a piece of work on a later turn of the event loop, after what is waiting (paints, input,
the watchdog's heartbeat).

``QTimer.singleShot(0, f)`` is a posted event, and Qt delivers the events posted while it
delivers others in the same pass: a chain of zero-delay steps (build one chart, then the next)
ran back to back and held the window as long as all of them together. A 1 ms timer is a real
timer: each step waits for the next pass, so input and paints get in between.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


def next_turn(owner: QObject, call: Callable[[], object]) -> None:
    """``call`` on a later pass, unless ``owner`` (the widget it works on) is gone by then."""
    QTimer.singleShot(1, owner, call)
