"""Fixtures of the MT5 core tests: a demo terminal history at a fixed instant."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bridge_link.demo_terminal import DemoTerminal
from bridge_link.direct import DirectSource
from fidus_desktop.storage.cache import LocalCache
from tests.bridge.conftest import FIXED_NOW, Clock

#: The demo's netting account: reversals (INOUT), partial closes, deposits and a withdrawal.
NETTING_LOGIN = 88001002


@pytest.fixture
async def demo_history():
    """``(deals, balance)`` of the demo's netting account, read through the direct source."""
    terminal = DemoTerminal(seed=1, clock=Clock(FIXED_NOW))
    source = DirectSource(terminal, name="demo terminal", zone=terminal.zone)
    try:
        snap = await source.deals(NETTING_LOGIN, FIXED_NOW - timedelta(days=1100), FIXED_NOW + timedelta(days=1))
        account = await source.account(NETTING_LOGIN)
    finally:
        await source.close()
    return list(snap.deals), account.balance


@pytest.fixture
async def cache(tmp_path):
    local = LocalCache(tmp_path / "cache.sqlite3")
    await local.open()
    yield local
    await local.close()
