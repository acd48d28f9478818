from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bridge_link.demo_terminal import DemoTerminal

#: A Wednesday in winter (server UTC+2), so FX quotes flow and the history spans two DST switches.
FIXED_NOW = datetime(2026, 11, 18, 14, 30, tzinfo=UTC)
API_KEY = "test-key-0123456789abcdef"


class Clock:
    """A settable clock for the demo terminal (epoch seconds)."""

    def __init__(self, moment: datetime = FIXED_NOW) -> None:
        self.now = moment.timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def terminal(clock: Clock) -> DemoTerminal:
    return DemoTerminal(seed=1, clock=clock)
