"""The direct source running unchanged on the demo terminal."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bridge_link.demo_terminal import DemoTerminal
from bridge_link.direct import DirectSource
from bridge_link.errors import BridgeError, ErrorReason
from bridge_link.models import Timeframe
from bridge_link.direct import LaneBoundModule
from fidus_desktop.lanes import Lane


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def source(terminal: DemoTerminal):
    src = DirectSource(terminal, name="demo terminal", zone=terminal.zone, call_timeout=2.0)
    yield src
    await src.close()


async def test_answers_are_typed_with_decimal_money_and_utc_times(source: DirectSource, terminal, clock) -> None:
    account = await source.account(88001002)
    assert account.login == 88001002 and account.source == "demo terminal" and not account.stale
    assert isinstance(account.balance, Decimal) and account.fetched_at.tzinfo is UTC
    terminal.login(88001002)
    raw = terminal.account_info()
    assert account.balance == Decimal(repr(raw.balance)) and account.equity == Decimal(repr(raw.equity))
    positions = await source.positions(88001002)
    assert all(isinstance(p.profit, Decimal) and p.time.tzinfo is UTC for p in positions.positions)


async def test_server_times_come_back_as_true_utc(source: DirectSource, terminal, clock) -> None:
    now = datetime.fromtimestamp(clock.now, UTC)
    snap = await source.deals(88001003, now - timedelta(days=400), now)
    terminal.login(88001003)
    raw = {d.ticket: d for d in terminal.history_deals_get(datetime(2020, 1, 1, tzinfo=UTC), now + timedelta(days=2))}
    summer = winter = 0
    for deal in snap.deals:
        shift = raw[deal.ticket].time_msc / 1000 - deal.time.timestamp()
        assert shift == terminal.zone.offset_at(deal.time).total_seconds()
        summer += shift == 10800
        winter += shift == 7200
        assert now - timedelta(days=400) <= deal.time <= now
    assert summer and winter  # the window spans a DST switch
    tick = await source.tick("EURUSD")
    assert abs((tick.time - now).total_seconds()) < 5  # the server's +2 h is gone


async def test_each_read_is_for_the_account_asked(source: DirectSource, terminal) -> None:
    logins = terminal.demo_logins()
    results = await asyncio.gather(*(source.account(login) for login in logins * 3),
                                   *(source.positions(login) for login in logins))
    for snap, login in zip(results, list(logins * 3) + list(logins), strict=True):
        assert snap.login == login
    balances = {r.login: r.balance for r in results[: len(logins)]}
    assert len(set(balances.values())) == len(logins)


async def test_answer_discarded_when_the_terminal_switches_account_mid_read(terminal) -> None:
    class Meddling(DemoTerminal):
        def positions_get(self, *args, **kwargs):
            result = super().positions_get(*args, **kwargs)
            self.login(88001004)  # someone clicks another account in the terminal window
            return result

    mt5 = Meddling(seed=1, clock=terminal.clock)
    src = DirectSource(mt5, name="demo terminal", zone=mt5.zone)
    try:
        with pytest.raises(BridgeError) as caught:
            await src.positions(88001001)
        assert caught.value.reason is ErrorReason.BAD_DATA and "88001004" in caught.value.message
    finally:
        await src.close()


async def test_all_calls_run_on_one_worker_thread(source: DirectSource, terminal) -> None:
    now = datetime.fromtimestamp(terminal.clock(), UTC)
    work = [source.account(login) for login in terminal.demo_logins()]
    work += [source.tick("XAUUSD"), source.symbol("EURUSD"), source.open_orders(88001001),
             source.deals(88001002, now - timedelta(days=30), now),
             source.rates("EURUSD", Timeframe.H1, now - timedelta(days=2), now), source.health()]
    await asyncio.gather(*work, asyncio.to_thread(lambda: None))
    assert len(terminal.threads_seen) == 1  # one thread, and it is the MT5 lane's
    assert source._lane.submit(threading.get_ident).result(timeout=5) in terminal.threads_seen
    assert threading.get_ident() not in terminal.threads_seen


def test_the_lane_guard_refuses_other_threads(terminal) -> None:
    lane = Lane("test")
    try:
        guarded = LaneBoundModule(terminal, lane)
        with pytest.raises(RuntimeError, match="outside the MT5 lane"):
            guarded.initialize()
        assert lane.submit(guarded.initialize).result(timeout=5) is True
        assert guarded.ORDER_TYPE_BUY == 0  # constants pass through
    finally:
        lane.stop()


async def test_reconnects_with_backoff_after_the_terminal_dies(terminal) -> None:
    monotonic = FakeMonotonic()
    src = DirectSource(terminal, name="demo terminal", zone=terminal.zone, backoff_initial=1.0, backoff_max=8.0,
                       monotonic=monotonic)
    try:
        assert (await src.account(88001001)).login == 88001001
        assert src.connect_attempts == 1
        terminal.kill()
        with pytest.raises(BridgeError) as lost:
            await src.account(88001001)
        assert lost.value.reason is ErrorReason.NOT_CONNECTED
        # While dead: one initialize per backoff window, not one per call.
        for _ in range(5):
            with pytest.raises(BridgeError):
                await src.account(88001001)
        attempts = src.connect_attempts
        assert attempts == 2
        monotonic.now += 1.3
        with pytest.raises(BridgeError):
            await src.account(88001001)
        assert src.connect_attempts == attempts + 1
        health = await src.health()
        assert not health.connected and health.reason is ErrorReason.NOT_CONNECTED
        terminal.revive()
        monotonic.now += 2.5  # the doubled wait
        assert (await src.account(88001003)).login == 88001003
        assert (await src.health()).connected
    finally:
        await src.close()


async def test_errors_carry_reasons(source: DirectSource, terminal) -> None:
    with pytest.raises(BridgeError) as missing:
        await source.symbol("NOPE")
    assert missing.value.reason is ErrorReason.NOT_FOUND and not missing.value.worth_failover
    with pytest.raises(BridgeError) as refused:
        await source.account(12345678)
    assert refused.value.reason is ErrorReason.AUTH_FAILED and refused.value.source == "demo terminal"


async def test_a_hung_terminal_times_out(terminal) -> None:
    src = DirectSource(terminal, name="demo terminal", zone=terminal.zone, call_timeout=0.2)
    try:
        terminal.call_delay = 0.3
        with pytest.raises(BridgeError) as slow:
            await src.account(88001001)
        assert slow.value.reason is ErrorReason.TIMEOUT
    finally:
        terminal.call_delay = 0.0
        await src.close()


async def test_wrong_password_from_the_keyring_is_auth_failed(terminal) -> None:
    src = DirectSource(terminal, name="direct terminal", zone=terminal.zone, login=88001002,
                       password_for=lambda login: "not-the-password")
    try:
        with pytest.raises(BridgeError) as refused:
            await src.account(88001002)
        assert refused.value.reason is ErrorReason.AUTH_FAILED
        assert "not-the-password" not in str(refused.value) + refused.value.detail
    finally:
        await src.close()
