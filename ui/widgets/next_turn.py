"""Run a piece of work on a later turn of the event loop, after what is waiting (paints, input,
the watchdog's heartbeat).

``QTimer.singleShot(0, f)`` is a posted event, and Qt delivers the events posted while it
delivers others in the same pass: a chain of zero-delay steps (build one chart, then the next)
ran back to back and held the window as long as all of them together. A 1 ms timer is a real
timer: each step waits for the next pass, so input and paints get in between.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from PySide6.QtCore import QObject, QTimer


def next_turn(owner: QObject, call: Callable[[], object]) -> None:
    """``call`` on a later pass, unless ``owner`` (the widget it works on) is gone by then."""
    QTimer.singleShot(1, owner, call)


def in_turns(owner: QObject, steps: Iterator[object], then: Callable[[], object] | None = None, *,
             first_now: bool = False) -> None:
    """One step of ``steps`` (each ``next``) per pass of the loop, then ``then``: work too long
    for one turn, cut where the generator yields. The first step runs on the next pass, or at
    once with ``first_now``; nothing more runs once ``owner`` is gone."""
    def step() -> None:
        try:
            next(steps)
        except StopIteration:
            if then is not None:
                then()
            return
        next_turn(owner, step)

    if first_now:
        step()
    else:
        next_turn(owner, step)
