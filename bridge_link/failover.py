"""Failover across an ordered list of sources (primary VPS, secondary VPS...).

A call goes to the active source; if it fails in a way another source might not (anything but
"not found"), the next one is tried in the same call, so the caller sees no error while any
source answers. The app then *sticks* to the source that answered. Each source has a circuit
breaker: after a failure it is skipped for a while (doubling up to ``open_max``) instead of
costing every call a timeout. A background probe checks the sources ranked above the active one
and returns to the best of them after ``recover_probes`` healthy answers in a row, so a primary
that flaps is not chased back and forth.

A source that hangs is the costly case: a dead one refuses at once, a hung one would hold every
call until its own deadline. So a call still unanswered after ``suspect_after`` seconds, while
another source could take over, asks the source's health on a short ``probe_timeout``: a source
that cannot say it is healthy in that time is given up for this call (failover within about
``suspect_after + probe_timeout`` seconds), while one that says so is waited for (a long deal
history is slow, not dead).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from fidus_desktop.domain.values import utc_now

from .errors import BridgeError, ErrorReason
from .models import (
    AccountRef,
    AccountSnapshot,
    DealsSnapshot,
    OrdersSnapshot,
    PositionsSnapshot,
    Rates,
    SourceHealth,
    SymbolSpec,
    Tick,
    Timeframe,
)
from .source import Mt5Source

log = logging.getLogger(__name__)
T = TypeVar("T")


class Breaker:
    """closed -> open after ``threshold`` failures in a row -> half-open when the wait is over."""

    def __init__(self, threshold: int, open_initial: float, open_max: float, clock: Callable[[], float]) -> None:
        self.threshold = threshold
        self.open_initial = open_initial
        self.open_max = open_max
        self._clock = clock
        self.failures = 0
        self.open_until = 0.0
        self._wait = open_initial

    @property
    def state(self) -> str:
        if self.failures < self.threshold:
            return "closed"
        return "open" if self._clock() < self.open_until else "half-open"

    def allows(self) -> bool:
        return self.state != "open"

    def success(self) -> None:
        self.failures = 0
        self._wait = self.open_initial

    def failure(self) -> None:
        self.failures += 1
        if self.failures >= self.threshold:
            self.open_until = self._clock() + self._wait
            self._wait = min(self._wait * 2, self.open_max)


@dataclass(slots=True)
class Member:
    source: Mt5Source
    breaker: Breaker
    good_probes: int = 0
    last_error: str = ""
    last_ok: datetime | None = None


@dataclass(frozen=True, slots=True)
class MemberStatus:
    name: str
    active: bool
    breaker: str
    last_error: str
    last_ok: datetime | None


class FailoverSource:
    def __init__(self, sources: Sequence[Mt5Source], *, name: str = "bridges", probe_interval: float = 5.0,
                 failure_threshold: int = 1, open_initial: float = 5.0, open_max: float = 60.0,
                 recover_probes: int = 2, suspect_after: float = 0.5, probe_timeout: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not sources:
            raise ValueError("at least one source is needed")
        self.name = name
        self._members = [Member(s, Breaker(failure_threshold, open_initial, open_max, clock)) for s in sources]
        self._active = 0
        self.active_since = utc_now()
        self.probe_interval = probe_interval
        self.recover_probes = recover_probes
        self.suspect_after = suspect_after
        self.probe_timeout = probe_timeout
        self._probe_task: asyncio.Task[None] | None = None
        self._closed = False

    # --- what the status line shows --------------------------------------------------------------------
    @property
    def active_name(self) -> str:
        return self._members[self._active].source.name

    def status(self) -> list[MemberStatus]:
        return [MemberStatus(m.source.name, i == self._active, m.breaker.state, m.last_error, m.last_ok)
                for i, m in enumerate(self._members)]

    def _switch(self, index: int, why: str) -> None:
        if index == self._active:
            return
        log.warning("MT5 source: %s -> %s (%s)", self.active_name, self._members[index].source.name, why)
        self._active = index
        self.active_since = utc_now()

    # --- calls ------------------------------------------------------------------------------------------
    async def _call(self, op: Callable[[Mt5Source], Awaitable[T]]) -> T:
        self._ensure_probe()
        order = [self._active] + [i for i in range(len(self._members)) if i != self._active]
        allowed = [i for i in order if self._members[i].breaker.allows()]
        # With every breaker open, trying is still better than answering nothing.
        candidates = allowed or order
        failure: BridgeError | None = None
        for position, index in enumerate(candidates):
            member = self._members[index]
            try:
                if position == len(candidates) - 1:
                    result = await op(member.source)  # the last one: nothing to fail over to
                else:
                    result = await self._watched(member.source, op)
            except BridgeError as exc:
                if not exc.worth_failover:
                    raise
                member.breaker.failure()
                member.good_probes = 0
                member.last_error = exc.message
                failure = exc
                continue
            member.breaker.success()
            member.last_ok = utc_now()
            member.last_error = ""
            self._switch(index, f"{failure.message}" if failure else "recovered")
            return result
        assert failure is not None
        raise BridgeError(failure.reason, f"No MT5 source answered. Last: {failure.message}",
                          detail=failure.detail, source=failure.source)

    async def _watched(self, source: Mt5Source, op: Callable[[Mt5Source], Awaitable[T]]) -> T:
        """``op(source)``, given up early when the source turns out not to answer its health."""
        call = asyncio.ensure_future(op(source))
        try:
            done, _ = await asyncio.wait({call}, timeout=self.suspect_after)
            if done:
                return call.result()
            probe = asyncio.ensure_future(self._probe(source))
            try:
                await asyncio.wait({call, probe}, return_when=asyncio.FIRST_COMPLETED)
                if call.done():
                    return call.result()
                health = probe.result()
            finally:
                if not probe.done():
                    probe.cancel()
                    await asyncio.gather(probe, return_exceptions=True)
            if health.connected:
                return await call
            raise BridgeError(ErrorReason.TIMEOUT, f"{source.name} is not answering ({health.detail}).",
                              detail="health probe failed during a call", source=source.name)
        finally:
            if not call.done():
                call.cancel()
                await asyncio.gather(call, return_exceptions=True)

    async def _probe(self, source: Mt5Source) -> SourceHealth:
        """``source.health()`` within ``probe_timeout``: a source that cannot say it is fine is not."""
        try:
            return await asyncio.wait_for(source.health(), self.probe_timeout)
        except TimeoutError:
            return SourceHealth(source=source.name, connected=False, checked_at=utc_now(),
                                reason=ErrorReason.TIMEOUT,
                                detail=f"{source.name} did not answer a health check within {self.probe_timeout:g} s")

    # --- probing -----------------------------------------------------------------------------------------
    def _ensure_probe(self) -> None:
        if self._probe_task is None and not self._closed and len(self._members) > 1:
            self._probe_task = asyncio.get_running_loop().create_task(self._probe_loop(), name="mt5-failover-probe")

    async def _probe_loop(self) -> None:
        while not self._closed:
            await asyncio.sleep(self.probe_interval)
            try:
                await self.probe_once()
            except Exception:  # a probe bug must not end probing for good
                log.exception("failover probe failed")

    async def probe_once(self) -> None:
        """Check every source ranked above the active one (and any with an open breaker)."""
        for index, member in enumerate(self._members):
            if index >= self._active and member.breaker.state == "closed":
                continue
            health = await self._probe(member.source)
            if health.connected:
                member.good_probes += 1
                member.breaker.success()
                member.last_ok = health.checked_at
            else:
                member.good_probes = 0
                member.last_error = health.detail
            if index < self._active and member.good_probes >= self.recover_probes:
                self._switch(index, "a higher-ranked source is healthy again")
                break

    # --- the source interface --------------------------------------------------------------------------------
    async def health(self) -> SourceHealth:
        active = self._members[self._active]
        first = await self._probe(active.source)
        if first.connected:
            return first
        for index, member in enumerate(self._members):
            if member is active:
                continue
            health = await self._probe(member.source)
            if health.connected:
                self._switch(index, first.detail or "active source unhealthy")
                return health
        return first

    async def accounts(self) -> tuple[AccountRef, ...]:
        return await self._call(lambda s: s.accounts())

    async def account(self, login: int) -> AccountSnapshot:
        return await self._call(lambda s: s.account(login))

    async def positions(self, login: int) -> PositionsSnapshot:
        return await self._call(lambda s: s.positions(login))

    async def open_orders(self, login: int) -> OrdersSnapshot:
        return await self._call(lambda s: s.open_orders(login))

    async def deals(self, login: int, date_from: datetime, date_to: datetime) -> DealsSnapshot:
        return await self._call(lambda s: s.deals(login, date_from, date_to))

    async def history_orders(self, login: int, date_from: datetime, date_to: datetime) -> OrdersSnapshot:
        return await self._call(lambda s: s.history_orders(login, date_from, date_to))

    async def symbol(self, symbol: str) -> SymbolSpec:
        return await self._call(lambda s: s.symbol(symbol))

    async def tick(self, symbol: str) -> Tick:
        return await self._call(lambda s: s.tick(symbol))

    async def rates(self, symbol: str, timeframe: Timeframe, date_from: datetime, date_to: datetime) -> Rates:
        return await self._call(lambda s: s.rates(symbol, timeframe, date_from, date_to))

    async def close(self) -> None:
        self._closed = True
        if self._probe_task is not None:
            self._probe_task.cancel()
            try:
                await self._probe_task
            except (asyncio.CancelledError, Exception):
                pass
        for member in self._members:
            await member.source.close()


__all__ = ["Breaker", "ErrorReason", "FailoverSource", "MemberStatus"]
