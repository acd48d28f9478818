"""The last good answer of every account, kept in the local cache, served when no source answers.

Wraps any source. Every successful read is written to the local cache (SQLite on this computer,
even when the fund database is Atlas) with the time it was fetched; when the source fails with
anything but "not found", the cached copy comes back marked ``stale`` with its original
``fetched_at``, so the app keeps showing data offline and says how old it is. Deal history is
synced incrementally: only what is newer than the last deal held is asked for.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from fidus_desktop.domain.values import utc_now

from .errors import BridgeError
from .models import (
    AccountRef,
    AccountSnapshot,
    Deal,
    DealsSnapshot,
    OrdersSnapshot,
    PositionsSnapshot,
    Rates,
    SourceHealth,
    SymbolSpec,
    Tick,
    Timeframe,
)
from .source import Mt5Source, active_source_name, active_source_since

log = logging.getLogger(__name__)
S = TypeVar("S", bound=BaseModel)

KIND_ACCOUNT = "mt5.account"
KIND_POSITIONS = "mt5.positions"
KIND_ORDERS = "mt5.orders"
KIND_DEALS_SYNC = "mt5.deals_sync"
KIND_ACCOUNT_LIST = "mt5.accounts"
CACHE_SOURCE = "cache"
#: A sync re-reads this much before the newest deal held: deals of one second may arrive apart.
SYNC_OVERLAP = timedelta(hours=1)
FIRST_SYNC_SPAN = timedelta(days=1100)


class HeldSnapshot(Protocol):
    payload: dict[str, Any]
    fetched_at: datetime


class SnapshotStore(Protocol):
    """Where the last good answers are kept: the desktop's local cache implements it
    (``fidus_desktop.storage.cache.LocalCache``); ``bridge_link`` needs no more than this."""

    async def put_snapshot(self, kind: str, key: str, payload: Mapping[str, Any], fetched_at: datetime,
                           source: str = "") -> None: ...

    async def get_snapshot(self, kind: str, key: str) -> HeldSnapshot | None: ...

    async def put_deals(self, account: int, deals: Iterable[Mapping[str, Any]]) -> int: ...

    async def get_deals(self, account: int, date_from: datetime | None = None,
                        date_to: datetime | None = None) -> list[dict[str, Any]]: ...

    async def last_deal(self, account: int) -> tuple[datetime, int] | None: ...

    async def count_deals(self, account: int) -> int: ...


class CachedSource:
    def __init__(self, inner: Mt5Source, cache: SnapshotStore, *, clock: Callable[[], datetime] = utc_now,
                 first_sync_span: timedelta = FIRST_SYNC_SPAN) -> None:
        self.inner = inner
        self.cache = cache
        self.name = inner.name
        self._clock = clock
        self._first_sync_span = first_sync_span
        #: The last failure that made us answer from the cache (for the status line).
        self.last_error: BridgeError | None = None

    @property
    def active_name(self) -> str:
        return active_source_name(self.inner)

    @property
    def active_since(self) -> datetime | None:
        return active_source_since(self.inner)

    # --- plumbing -------------------------------------------------------------------------------------
    async def _keep(self, kind: str, key: str, snap: Any) -> None:
        try:
            await self.cache.put_snapshot(kind, key, snap.model_dump(mode="python"), snap.fetched_at, snap.source)
        except Exception:  # a full disk must not turn a good live answer into an error
            log.exception("could not cache %s %s", kind, key)

    async def _held(self, kind: str, key: str, model: type[S]) -> S | None:
        held = await self.cache.get_snapshot(kind, key)
        if held is None:
            return None
        try:
            return model.model_validate({**held.payload, "fetched_at": held.fetched_at, "stale": True,
                                         "source": CACHE_SOURCE})
        except ValidationError:
            log.warning("cached %s %s no longer readable; ignored", kind, key)
            return None

    async def _stale(self, kind: str, key: str, model: type[S], failure: BridgeError) -> S:
        held = await self._held(kind, key, model)
        if held is None:
            raise failure
        return held

    async def _read(self, kind: str, key: str, model: type[S], fetch: Callable[[], Awaitable[S]]) -> S:
        try:
            snap = await fetch()
        except BridgeError as exc:
            if not exc.worth_failover:
                raise
            self.last_error = exc
            return await self._stale(kind, key, model, exc)
        self.last_error = None
        await self._keep(kind, key, snap)
        return snap

    # --- account reads ---------------------------------------------------------------------------------
    async def health(self) -> SourceHealth:
        return await self.inner.health()

    async def accounts(self) -> tuple[AccountRef, ...]:
        try:
            refs = await self.inner.accounts()
        except BridgeError as exc:
            held = await self.cache.get_snapshot(KIND_ACCOUNT_LIST, "all")
            if held is None or not exc.worth_failover:
                raise
            return tuple(AccountRef.model_validate(r) for r in held.payload.get("accounts", []))
        try:
            await self.cache.put_snapshot(KIND_ACCOUNT_LIST, "all",
                                          {"accounts": [r.model_dump(mode="python") for r in refs]}, self._clock(),
                                          active_source_name(self.inner))
        except Exception:
            log.exception("could not cache the account list")
        return refs

    async def account(self, login: int) -> AccountSnapshot:
        return await self._read(KIND_ACCOUNT, str(login), AccountSnapshot, lambda: self.inner.account(login))

    async def positions(self, login: int) -> PositionsSnapshot:
        return await self._read(KIND_POSITIONS, str(login), PositionsSnapshot, lambda: self.inner.positions(login))

    async def open_orders(self, login: int) -> OrdersSnapshot:
        return await self._read(KIND_ORDERS, str(login), OrdersSnapshot, lambda: self.inner.open_orders(login))

    # --- the cache alone (a poll abandoned past its deadline shows these) ---------------------------------
    async def cached_account(self, login: int) -> AccountSnapshot | None:
        return await self._held(KIND_ACCOUNT, str(login), AccountSnapshot)

    async def cached_positions(self, login: int) -> PositionsSnapshot | None:
        return await self._held(KIND_POSITIONS, str(login), PositionsSnapshot)

    async def cached_orders(self, login: int) -> OrdersSnapshot | None:
        return await self._held(KIND_ORDERS, str(login), OrdersSnapshot)

    # --- deals --------------------------------------------------------------------------------------------
    async def _store_deals(self, login: int, deals: tuple[Deal, ...]) -> None:
        await self.cache.put_deals(login, (d.model_dump(mode="python") for d in deals))

    async def deals(self, login: int, date_from: datetime, date_to: datetime) -> DealsSnapshot:
        try:
            snap = await self.inner.deals(login, date_from, date_to)
        except BridgeError as exc:
            if not exc.worth_failover:
                raise
            self.last_error = exc
            return await self.cached_deals(login, date_from, date_to)
        try:
            await self._store_deals(login, snap.deals)
        except Exception:
            log.exception("could not cache deals of %s", login)
        return snap

    async def cached_deals(self, login: int, date_from: datetime, date_to: datetime) -> DealsSnapshot:
        """What the cache holds for the range, marked stale, as of the last successful sync."""
        sync = await self.cache.get_snapshot(KIND_DEALS_SYNC, str(login))
        rows = await self.cache.get_deals(login, date_from, date_to + timedelta(microseconds=1))
        fetched = sync.fetched_at if sync else (rows[-1]["time"] if rows else date_from)
        return DealsSnapshot(login=login, date_from=date_from, date_to=date_to,
                             deals=tuple(Deal.model_validate(r) for r in rows), fetched_at=fetched,
                             source=CACHE_SOURCE, stale=True)

    async def sync_deals(self, login: int, *, max_span: timedelta | None = None) -> int:
        """Fetch only deals newer than the last one held; returns how many were new.

        ``max_span``: read at most that much history in one call (a first sync of years would
        hold a terminal that serves one request at a time): the sync then resumes where it
        stopped on the next call; :meth:`deals_synced` says when it has caught up."""
        now = self._clock()
        last = await self.cache.last_deal(login)
        start = last[0] - SYNC_OVERLAP if last else now - self._first_sync_span
        held = await self.cache.get_snapshot(KIND_DEALS_SYNC, str(login))
        resume = held.payload.get("resume_at") if held is not None else None
        if isinstance(resume, datetime):
            start = max(start, resume - SYNC_OVERLAP)
        # Up to a day ahead: the broker's clock may run ahead of what we believe (mt5-api.md §8).
        end = now + timedelta(days=1)
        partial = max_span is not None and end - start > max_span
        if partial:
            end = start + max_span  # type: ignore[operator]
        before = await self.cache.count_deals(login)
        snap = await self.inner.deals(login, start, end)
        await self._store_deals(login, snap.deals)
        await self.cache.put_snapshot(KIND_DEALS_SYNC, str(login),
                                      {"date_from": start, "date_to": snap.date_to, "received": len(snap.deals),
                                       "resume_at": end if partial else None},
                                      snap.fetched_at, snap.source)
        return await self.cache.count_deals(login) - before

    async def deals_synced(self, login: int) -> bool:
        """Whether the deal history held is complete up to the last sync (no sync left halfway)."""
        held = await self.cache.get_snapshot(KIND_DEALS_SYNC, str(login))
        return held is not None and held.payload.get("resume_at") is None

    # --- market data: live only (a stale quote is worse than none) ---------------------------------------
    async def symbol(self, symbol: str) -> SymbolSpec:
        return await self.inner.symbol(symbol)

    async def tick(self, symbol: str) -> Tick:
        return await self.inner.tick(symbol)

    async def rates(self, symbol: str, timeframe: Timeframe, date_from: datetime, date_to: datetime) -> Rates:
        return await self.inner.rates(symbol, timeframe, date_from, date_to)

    async def close(self) -> None:
        await self.inner.close()
