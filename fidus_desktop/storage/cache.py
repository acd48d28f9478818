"""The local cache: an always-local SQLite file for what belongs to this computer.

It holds data that can be fetched again (MT5 snapshots and deal history, so panels show the
last known values offline; Gmail messages and Calendar events, in ``google_cache``), sync cursors (Gmail ``historyId``, Calendar ``syncToken``), and the
outbox of writes waiting for the fund database. The outbox is the one thing here that cannot be
re-fetched, so this file is never deleted to "repair" it.

It is separate from the fund database on purpose: the fund may live in MongoDB shared with the
web platform, while deal history and cursors are per machine and would only bloat it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..domain.values import read_datetime, utc_now
from . import doc_json
from .google_cache import GoogleCache, create_google_tables
from .sqlite.connection import Database, Step, Transaction, upgrade_schema
from .sqlite.layout import sortable_time

_CHUNK = 2000


@dataclass(frozen=True, slots=True)
class CachedSnapshot:
    kind: str
    key: str
    payload: dict[str, Any]
    #: When the data was fetched from its source (aware UTC), not when it was cached.
    fetched_at: datetime
    source: str = ""

    def age(self, now: datetime) -> timedelta:
        return now - self.fetched_at


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    #: ``None`` once replaying gave up: the item waits for the manager (see ``last_error``).
    next_attempt_at: datetime | None
    last_error: str
    created_at: datetime

    @property
    def needs_attention(self) -> bool:
        return self.next_attempt_at is None


async def _v1_initial_tables(tx: Transaction) -> None:
    await tx.script("""
        CREATE TABLE snapshots (kind TEXT NOT NULL, key TEXT NOT NULL, payload TEXT NOT NULL,
            fetched_at TEXT NOT NULL, source TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (kind, key)) WITHOUT ROWID;
        CREATE TABLE deals (account INTEGER NOT NULL, ticket INTEGER NOT NULL, time TEXT NOT NULL,
            doc TEXT NOT NULL, PRIMARY KEY (account, ticket)) WITHOUT ROWID;
        CREATE INDEX ix_deals_account_time ON deals (account, time, ticket);
        CREATE TABLE sync_state (name TEXT PRIMARY KEY, state TEXT NOT NULL, updated_at TEXT NOT NULL);
        CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL,
            payload TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT,
            last_error TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL);
        CREATE INDEX ix_outbox_due ON outbox (next_attempt_at, id)
    """)


async def _v3_mt5_history_and_alerts(tx: Transaction) -> None:
    # Queried by fidus_desktop/mt5/history.py and alert_history.py. Money as decimal text (exact);
    # times as epoch milliseconds, which the retention buckets divide.
    await tx.script("""
        CREATE TABLE mt5_equity_history (account INTEGER NOT NULL, at_ms INTEGER NOT NULL,
            balance TEXT NOT NULL, equity TEXT NOT NULL, margin TEXT NOT NULL, margin_level TEXT,
            floating TEXT NOT NULL, source TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (account, at_ms)) WITHOUT ROWID;
        CREATE TABLE mt5_alerts (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL,
            rule TEXT NOT NULL, kind TEXT NOT NULL, account INTEGER, fund TEXT NOT NULL DEFAULT '',
            subject TEXT NOT NULL DEFAULT '', message TEXT NOT NULL, value TEXT, threshold TEXT,
            fired_at TEXT NOT NULL, cleared_at TEXT, acknowledged_at TEXT, snoozed_until TEXT);
        CREATE INDEX ix_mt5_alerts_open ON mt5_alerts (cleared_at, key);
        CREATE INDEX ix_mt5_alerts_fired ON mt5_alerts (fired_at, id)
    """)


#: Numbered upgrade steps of this file (same rules as ``sqlite/migrations.py``).
STEPS: tuple[Step, ...] = ((1, "initial tables", _v1_initial_tables),
                          (2, "Gmail and Calendar copies", create_google_tables),
                          (3, "MT5 equity history and alert history", _v3_mt5_history_and_alerts))


def _stamp(moment: datetime) -> str:
    return sortable_time(moment)


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _deal_time(value: Any) -> datetime:
    """MT5 gives epoch seconds; stored deals may hold a datetime (naive = UTC)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    moment = read_datetime(value)
    if moment is None:
        raise ValueError("a deal has no time")
    return moment


def _deal_row(account: int, deal: Mapping[str, Any]) -> tuple[int, int, str, str]:
    if "ticket" not in deal or "time" not in deal:
        raise ValueError(f"a deal of account {account} lacks its ticket or time: {sorted(deal)}")
    return account, int(deal["ticket"]), _stamp(_deal_time(deal["time"])), doc_json.dumps(deal)


class LocalCache:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self._db = Database(self.path, "The local cache")
        #: Gmail messages, Calendar events and remote-content choices (see ``google_cache``).
        self.google = GoogleCache(self._db)

    async def open(self) -> None:
        await self._db.open()
        try:
            await upgrade_schema(self._db, STEPS)
        except BaseException:
            await self._db.close()
            raise

    async def close(self) -> None:
        await self._db.close()

    @property
    def database(self) -> Database:
        """The connection, for modules that keep their own tables here (``fidus_desktop.mt5``)."""
        return self._db

    async def schema_version(self) -> int:
        [(version,)] = await self._db.fetch("PRAGMA user_version")
        return int(version)

    # -- MT5 snapshots (account summaries, positions...) ----------------------------------------

    async def put_snapshot(self, kind: str, key: str, payload: Mapping[str, Any], fetched_at: datetime,
                           source: str = "") -> None:
        await self._db.fetch(
            "INSERT INTO snapshots (kind, key, payload, fetched_at, source) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (kind, key) DO UPDATE SET payload = excluded.payload, "
            "fetched_at = excluded.fetched_at, source = excluded.source",
            (kind, key, doc_json.dumps(payload), _stamp(fetched_at), source))

    async def get_snapshot(self, kind: str, key: str) -> CachedSnapshot | None:
        rows = await self._db.fetch("SELECT kind, key, payload, fetched_at, source FROM snapshots "
                                    "WHERE kind = ? AND key = ?", (kind, key))
        return _snapshot(rows[0]) if rows else None

    async def list_snapshots(self, kind: str) -> list[CachedSnapshot]:
        rows = await self._db.fetch("SELECT kind, key, payload, fetched_at, source FROM snapshots "
                                    "WHERE kind = ? ORDER BY key", (kind,))
        return [_snapshot(row) for row in rows]

    # -- MT5 deal history ---------------------------------------------------------------------

    async def put_deals(self, account: int, deals: Iterable[Mapping[str, Any]]) -> int:
        """Insert or replace deals by ``(account, ticket)``, all in one transaction; returns how
        many were written. Each deal is kept as given, with its ``time`` indexed."""
        written = 0
        async with self._db.transaction() as tx:
            for chunk in itertools.batched(deals, _CHUNK, strict=False):
                # Built in SQLite's thread as it inserts: the event loop stays free.
                rows = (_deal_row(account, deal) for deal in chunk)
                await tx.execute_many(
                    "INSERT INTO deals (account, ticket, time, doc) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (account, ticket) DO UPDATE SET time = excluded.time, doc = excluded.doc",
                    rows)
                written += len(chunk)
        return written

    async def last_deal(self, account: int) -> tuple[datetime, int] | None:
        """``(time, ticket)`` of the newest deal held, where an incremental sync resumes."""
        rows = await self._db.fetch("SELECT time, ticket FROM deals WHERE account = ? "
                                    "ORDER BY time DESC, ticket DESC LIMIT 1", (account,))
        return (_moment(rows[0][0]), int(rows[0][1])) if rows else None

    async def get_deals(self, account: int, date_from: datetime | None = None,
                        date_to: datetime | None = None) -> list[dict[str, Any]]:
        """Deals with ``date_from <= time < date_to`` (either bound optional), oldest first."""
        return [doc_json.loads(doc) for doc in await self.get_deal_docs(account, date_from, date_to)]

    async def get_deal_docs(self, account: int, date_from: datetime | None = None,
                            date_to: datetime | None = None, *, types: Sequence[int] | None = None) -> list[str]:
        """As :meth:`get_deals`, the stored text not yet parsed: a long history is parsed in a
        lane (``doc_json.loads``), not on the loop's thread. ``types``: only deals of these MT5
        deal types (picked by SQLite from the stored text, none of the others parsed)."""
        sql = "SELECT doc FROM deals WHERE account = ?"
        params: list[Any] = [account]
        if types is not None:
            # json_valid first: one damaged row must not fail the whole read (it is left out).
            sql += f" AND json_valid(doc) AND json_extract(doc, '$.type') IN ({', '.join('?' * len(types))})"
            params.extend(int(t) for t in types)
        if date_from is not None:
            sql += " AND time >= ?"
            params.append(_stamp(date_from))
        if date_to is not None:
            sql += " AND time < ?"
            params.append(_stamp(date_to))
        rows = await self._db.fetch(sql + " ORDER BY time, ticket", params)
        return [doc for (doc,) in rows]

    async def count_deals(self, account: int) -> int:
        [(count,)] = await self._db.fetch("SELECT count(*) FROM deals WHERE account = ?", (account,))
        return int(count)

    # -- sync cursors -------------------------------------------------------------------------

    async def get_sync_state(self, name: str) -> dict[str, Any] | None:
        rows = await self._db.fetch("SELECT state FROM sync_state WHERE name = ?", (name,))
        return doc_json.loads(rows[0][0]) if rows else None

    async def put_sync_state(self, name: str, state: Mapping[str, Any]) -> None:
        await self._db.fetch(
            "INSERT INTO sync_state (name, state, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            (name, doc_json.dumps(state), _stamp(utc_now())))

    # -- outbox -------------------------------------------------------------------------------

    async def enqueue(self, kind: str, payload: Mapping[str, Any]) -> int:
        """Keep a write for later; it is due at once. Returns its id (never reused)."""
        now = _stamp(utc_now())
        [(item_id,)] = await self._db.fetch(
            "INSERT INTO outbox (kind, payload, next_attempt_at, created_at) VALUES (?, ?, ?, ?) RETURNING id",
            (kind, doc_json.dumps(payload), now, now))
        return int(item_id)

    async def due(self, now: datetime, limit: int = 50) -> list[OutboxItem]:
        """Items whose next attempt is at or before ``now``, in the order they were queued;
        held items never are."""
        return await self._items("WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ? "
                                 "ORDER BY id LIMIT ?", (_stamp(now), limit))

    async def ack(self, item_id: int) -> None:
        """The write reached the database: forget it."""
        await self._db.fetch("DELETE FROM outbox WHERE id = ?", (item_id,))

    async def fail(self, item_id: int, error: str, next_attempt_at: datetime | None) -> None:
        """Count a failed attempt; ``next_attempt_at=None`` holds the item for the manager."""
        await self._db.fetch(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?",
            (error, None if next_attempt_at is None else _stamp(next_attempt_at), item_id))

    async def retry(self, item_id: int) -> None:
        """Make a held item due again now (the manager fixed what stopped it)."""
        await self._db.fetch("UPDATE outbox SET next_attempt_at = ? WHERE id = ?", (_stamp(utc_now()), item_id))

    async def discard(self, item_id: int) -> None:
        """The manager gave up on an item: it will never be written."""
        await self.ack(item_id)

    async def pending(self) -> list[OutboxItem]:
        """Every item not yet written, held ones included, oldest first."""
        return await self._items("ORDER BY id", ())

    async def pending_count(self) -> int:
        [(count,)] = await self._db.fetch("SELECT count(*) FROM outbox")
        return int(count)

    async def _items(self, clause: str, params: Iterable[Any]) -> list[OutboxItem]:
        rows = await self._db.fetch("SELECT id, kind, payload, attempts, next_attempt_at, last_error, "
                                    f"created_at FROM outbox {clause}", list(params))
        return [OutboxItem(id=row[0], kind=row[1], payload=doc_json.loads(row[2]), attempts=row[3],
                           next_attempt_at=None if row[4] is None else _moment(row[4]),
                           last_error=row[5], created_at=_moment(row[6])) for row in rows]


def _snapshot(row: Any) -> CachedSnapshot:
    kind, key, payload, fetched_at, source = row
    return CachedSnapshot(kind, key, doc_json.loads(payload), _moment(fetched_at), source)
