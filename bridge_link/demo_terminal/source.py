"""The embedded demo as an MT5 source: the direct source, unchanged, on a demo terminal."""

from __future__ import annotations

from ..direct import DirectSource
from ..models import AccountRef
from .accounts import DEMO_ACCOUNTS
from .terminal import DemoTerminal

DEMO_NAME = "demo terminal"


def build_demo_source(seed: int = 1) -> DirectSource:
    """Builds the terminal's deterministic history (a few tenths of a second): call it off the
    event loop's thread."""
    terminal = DemoTerminal(seed=seed)
    refs = [AccountRef(login=a.login, name=a.name, fund_type=a.fund_type, server=a.server) for a in DEMO_ACCOUNTS]
    return DirectSource(terminal, name=DEMO_NAME, zone=terminal.zone, accounts=refs)
