"""The Gmail and Calendar copies in the local cache, so the panels open at once and read offline.

Rows are per Google account (the e-mail), so connecting another account never mixes mailboxes.
A message row keeps the list columns (date, sender, subject, snippet, unread, attachments) apart
from the full message document, so the list of 10,000 messages reads only what it shows.
Sync cursors (Gmail ``historyId``, Calendar ``syncToken``) are in ``sync_state`` as
``gmail:<account>`` and ``calendar:<account>:<calendar id>``.

Drafts being written (autosaved, so a crash loses nothing) and the review queue of workflow
mails are small JSON documents in the cache's generic ``snapshots`` table, kinds
``gmail.draft`` (key: account and draft id) and ``gmail.review`` (key: the rule's key).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..domain.values import utc_now
from . import doc_json
from .sqlite.connection import Database, Transaction
from .sqlite.layout import sortable_time


async def create_google_tables(tx: Transaction) -> None:
    """The cache step that adds these tables (listed in ``cache.STEPS``)."""
    await tx.script("""
        CREATE TABLE gmail_messages (account TEXT NOT NULL, id TEXT NOT NULL, thread_id TEXT NOT NULL,
            internal_date TEXT NOT NULL, history_id TEXT NOT NULL DEFAULT '', sender TEXT NOT NULL DEFAULT '',
            subject TEXT NOT NULL DEFAULT '', snippet TEXT NOT NULL DEFAULT '', unread INTEGER NOT NULL DEFAULT 0,
            has_attachments INTEGER NOT NULL DEFAULT 0, labels TEXT NOT NULL DEFAULT '[]', doc TEXT NOT NULL,
            UNIQUE (account, id));
        CREATE INDEX ix_gmail_messages_date ON gmail_messages (account, internal_date DESC, id);
        CREATE INDEX ix_gmail_messages_thread ON gmail_messages (account, thread_id, internal_date);
        CREATE TABLE gmail_labels (account TEXT NOT NULL, label TEXT NOT NULL, id TEXT NOT NULL,
            internal_date TEXT NOT NULL, PRIMARY KEY (account, label, internal_date, id)) WITHOUT ROWID;
        CREATE TABLE calendar_events (account TEXT NOT NULL, calendar_id TEXT NOT NULL, id TEXT NOT NULL,
            starts_at TEXT NOT NULL, ends_at TEXT NOT NULL, status TEXT NOT NULL, doc TEXT NOT NULL,
            UNIQUE (account, calendar_id, id));
        CREATE INDEX ix_calendar_events_start ON calendar_events (account, calendar_id, starts_at);
        CREATE TABLE google_remote_content (account TEXT NOT NULL, sender TEXT NOT NULL, allowed_at TEXT NOT NULL,
            PRIMARY KEY (account, sender)) WITHOUT ROWID
    """)


@dataclass(frozen=True, slots=True)
class CachedMessage:
    """A line of the message list."""

    id: str
    thread_id: str
    internal_date: datetime
    sender: str
    subject: str
    snippet: str
    unread: bool
    has_attachments: bool
    labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MessageRow:
    """What the sync writes for one message (``doc`` is the full message, JSON-ready)."""

    id: str
    thread_id: str
    internal_date: datetime
    history_id: str
    sender: str
    subject: str
    snippet: str
    unread: bool
    has_attachments: bool
    labels: tuple[str, ...]
    doc: Mapping[str, Any]


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _summary(row: Sequence[Any]) -> CachedMessage:
    return CachedMessage(row[0], row[1], _moment(row[2]), row[3], row[4], row[5], bool(row[6]), bool(row[7]),
                         tuple(json.loads(row[8])))


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_LIST = "m.id, m.thread_id, m.internal_date, m.sender, m.subject, m.snippet, m.unread, m.has_attachments, m.labels"


class GoogleCache:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- Gmail ------------------------------------------------------------------------------------

    async def put_messages(self, account: str, rows: Iterable[MessageRow]) -> int:
        written = 0
        async with self._db.transaction() as tx:
            for row in rows:
                stamp = sortable_time(row.internal_date)
                await tx.fetch(
                    "INSERT INTO gmail_messages (account, id, thread_id, internal_date, history_id, sender, subject, "
                    "snippet, unread, has_attachments, labels, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (account, id) DO UPDATE SET thread_id = excluded.thread_id, "
                    "internal_date = excluded.internal_date, history_id = excluded.history_id, "
                    "sender = excluded.sender, subject = excluded.subject, snippet = excluded.snippet, "
                    "unread = excluded.unread, has_attachments = excluded.has_attachments, "
                    "labels = excluded.labels, doc = excluded.doc",
                    (account, row.id, row.thread_id, stamp, row.history_id, row.sender, row.subject, row.snippet,
                     int(row.unread), int(row.has_attachments), json.dumps(list(row.labels)),
                     json.dumps(row.doc, ensure_ascii=False)))
                await self._set_labels(tx, account, row.id, stamp, row.labels)
                written += 1
        return written

    async def _set_labels(self, tx: Transaction, account: str, message_id: str, stamp: str,
                          labels: Sequence[str]) -> None:
        await tx.fetch("DELETE FROM gmail_labels WHERE account = ? AND id = ?", (account, message_id))
        await tx.execute_many("INSERT OR IGNORE INTO gmail_labels (account, label, id, internal_date) "
                              "VALUES (?, ?, ?, ?)", [(account, label, message_id, stamp) for label in labels])

    async def set_labels(self, account: str, message_id: str, labels: Sequence[str]) -> bool:
        """Replace a cached message's labels; ``False`` when the message is not cached."""
        async with self._db.transaction() as tx:
            rows = await tx.fetch("SELECT internal_date, doc FROM gmail_messages WHERE account = ? AND id = ?",
                                  (account, message_id))
            if not rows:
                return False
            doc = json.loads(rows[0][1])
            doc["label_ids"] = list(labels)
            await tx.fetch("UPDATE gmail_messages SET labels = ?, unread = ?, doc = ? WHERE account = ? AND id = ?",
                           (json.dumps(list(labels)), int("UNREAD" in labels), json.dumps(doc, ensure_ascii=False),
                            account, message_id))
            await self._set_labels(tx, account, message_id, rows[0][0], labels)
        return True

    async def delete_messages(self, account: str, ids: Sequence[str]) -> None:
        async with self._db.transaction() as tx:
            for message_id in ids:
                await tx.fetch("DELETE FROM gmail_messages WHERE account = ? AND id = ?", (account, message_id))
                await tx.fetch("DELETE FROM gmail_labels WHERE account = ? AND id = ?", (account, message_id))

    async def clear_mail(self, account: str) -> None:
        async with self._db.transaction() as tx:
            await tx.fetch("DELETE FROM gmail_messages WHERE account = ?", (account,))
            await tx.fetch("DELETE FROM gmail_labels WHERE account = ?", (account,))

    async def message_ids(self, account: str) -> set[str]:
        return {row[0] for row in await self._db.fetch("SELECT id FROM gmail_messages WHERE account = ?", (account,))}

    async def list_messages(self, account: str, *, label: str | None = None, limit: int = 100,
                            before: tuple[datetime, str] | None = None) -> list[CachedMessage]:
        """Newest first; ``before`` = the (date, id) of the last line shown, for the next page."""
        params: list[Any] = [account]
        if label:
            sql = (f"SELECT {_LIST} FROM gmail_labels l JOIN gmail_messages m ON m.account = l.account "
                   "AND m.id = l.id WHERE l.account = ? AND l.label = ?")
            params.append(label)
            column = "l.internal_date"
        else:
            sql, column = f"SELECT {_LIST} FROM gmail_messages m WHERE m.account = ?", "m.internal_date"
        if before is not None:
            sql += f" AND ({column} < ? OR ({column} = ? AND m.id < ?))"
            stamp = sortable_time(before[0])
            params += [stamp, stamp, before[1]]
        rows = await self._db.fetch(sql + f" ORDER BY {column} DESC, m.id DESC LIMIT ?", [*params, limit])
        return [_summary(row) for row in rows]

    async def message_doc(self, account: str, message_id: str) -> dict[str, Any] | None:
        rows = await self._db.fetch("SELECT doc FROM gmail_messages WHERE account = ? AND id = ?",
                                    (account, message_id))
        return json.loads(rows[0][0]) if rows else None

    async def thread_docs(self, account: str, thread_id: str) -> list[dict[str, Any]]:
        rows = await self._db.fetch("SELECT doc FROM gmail_messages WHERE account = ? AND thread_id = ? "
                                    "ORDER BY internal_date, id", (account, thread_id))
        return [json.loads(doc) for (doc,) in rows]

    async def count_messages(self, account: str) -> int:
        [(count,)] = await self._db.fetch("SELECT count(*) FROM gmail_messages WHERE account = ?", (account,))
        return int(count)

    async def messages_by_ids(self, account: str, ids: Sequence[str]) -> list[CachedMessage]:
        """List lines of the cached messages among ``ids``, in the order given (search results)."""
        found: dict[str, CachedMessage] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start:start + 500])
            marks = ", ".join("?" * len(chunk))
            rows = await self._db.fetch(f"SELECT {_LIST} FROM gmail_messages m WHERE m.account = ? AND m.id IN "
                                        f"({marks})", [account, *chunk])
            found.update((row[0], _summary(row)) for row in rows)
        return [found[i] for i in ids if i in found]

    async def search_messages(self, account: str, text: str, *, limit: int = 200) -> list[CachedMessage]:
        """Offline search of the copy: ``text`` in the sender, subject or snippet, newest first."""
        pattern = _like(text)
        rows = await self._db.fetch(
            f"SELECT {_LIST} FROM gmail_messages m WHERE m.account = ? AND (m.sender LIKE ? ESCAPE '\\' OR "
            "m.subject LIKE ? ESCAPE '\\' OR m.snippet LIKE ? ESCAPE '\\') ORDER BY m.internal_date DESC, m.id DESC "
            "LIMIT ?", (account, pattern, pattern, pattern, limit))
        return [_summary(row) for row in rows]

    async def messages_with(self, account: str, address: str, *, limit: int = 100) -> list[CachedMessage]:
        """Mail from or to ``address`` (a person's record), newest first."""
        pattern = _like(address.strip().lower())
        rows = await self._db.fetch(
            f"SELECT {_LIST} FROM gmail_messages m WHERE m.account = ? AND (lower(m.sender) LIKE ? ESCAPE '\\' OR "
            "lower(json_extract(m.doc, '$.to')) LIKE ? ESCAPE '\\' OR lower(json_extract(m.doc, '$.cc')) LIKE ? "
            "ESCAPE '\\') ORDER BY m.internal_date DESC, m.id DESC LIMIT ?",
            (account, pattern, pattern, pattern, limit))
        return [_summary(row) for row in rows]

    # -- drafts and the review queue (in ``snapshots``) --------------------------------------------

    async def put_note(self, kind: str, key: str, payload: Mapping[str, Any]) -> None:
        await self._db.fetch(
            "INSERT INTO snapshots (kind, key, payload, fetched_at, source) VALUES (?, ?, ?, ?, '') "
            "ON CONFLICT (kind, key) DO UPDATE SET payload = excluded.payload, fetched_at = excluded.fetched_at",
            (kind, key, doc_json.dumps(payload), sortable_time(utc_now())))

    async def get_note(self, kind: str, key: str) -> dict[str, Any] | None:
        rows = await self._db.fetch("SELECT payload FROM snapshots WHERE kind = ? AND key = ?", (kind, key))
        return doc_json.loads(rows[0][0]) if rows else None

    async def notes(self, kind: str, prefix: str = "") -> list[tuple[str, dict[str, Any], datetime]]:
        """``(key, payload, saved at)`` of every note of ``kind`` whose key starts with ``prefix``,
        newest first."""
        rows = await self._db.fetch("SELECT key, payload, fetched_at FROM snapshots WHERE kind = ? AND "
                                    "substr(key, 1, ?) = ? ORDER BY fetched_at DESC, key",
                                    (kind, len(prefix), prefix))
        return [(key, doc_json.loads(payload), _moment(saved)) for key, payload, saved in rows]

    async def delete_note(self, kind: str, key: str) -> None:
        await self._db.fetch("DELETE FROM snapshots WHERE kind = ? AND key = ?", (kind, key))

    # -- remote content allowed per sender --------------------------------------------------------

    async def allow_remote_content(self, account: str, sender: str) -> None:
        await self._db.fetch("INSERT OR REPLACE INTO google_remote_content (account, sender, allowed_at) "
                             "VALUES (?, ?, ?)", (account, sender.lower(), sortable_time(utc_now())))

    async def forbid_remote_content(self, account: str, sender: str) -> None:
        await self._db.fetch("DELETE FROM google_remote_content WHERE account = ? AND sender = ?",
                             (account, sender.lower()))

    async def remote_content_allowed(self, account: str, sender: str) -> bool:
        rows = await self._db.fetch("SELECT 1 FROM google_remote_content WHERE account = ? AND sender = ?",
                                    (account, sender.lower()))
        return bool(rows)

    # -- Calendar ---------------------------------------------------------------------------------

    async def put_events(self, account: str, calendar_id: str,
                         events: Iterable[tuple[str, datetime, datetime, str, Mapping[str, Any]]]) -> None:
        """``(id, start, end, status, doc)`` each; cancelled events are removed instead."""
        async with self._db.transaction() as tx:
            for event_id, start, end, status, doc in events:
                if status == "cancelled":
                    await tx.fetch("DELETE FROM calendar_events WHERE account = ? AND calendar_id = ? AND id = ?",
                                   (account, calendar_id, event_id))
                    continue
                await tx.fetch(
                    "INSERT INTO calendar_events (account, calendar_id, id, starts_at, ends_at, status, doc) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account, calendar_id, id) DO UPDATE SET "
                    "starts_at = excluded.starts_at, ends_at = excluded.ends_at, status = excluded.status, "
                    "doc = excluded.doc",
                    (account, calendar_id, event_id, sortable_time(start), sortable_time(end), status,
                     json.dumps(doc, ensure_ascii=False)))

    async def clear_events(self, account: str, calendar_id: str) -> None:
        await self._db.fetch("DELETE FROM calendar_events WHERE account = ? AND calendar_id = ?",
                             (account, calendar_id))

    async def events_between(self, account: str, calendar_id: str, start: datetime,
                             end: datetime) -> list[dict[str, Any]]:
        """Event documents overlapping ``[start, end)``, by start."""
        rows = await self._db.fetch(
            "SELECT doc FROM calendar_events WHERE account = ? AND calendar_id = ? AND starts_at < ? AND ends_at > ? "
            "ORDER BY starts_at, id", (account, calendar_id, sortable_time(end), sortable_time(start)))
        return [json.loads(doc) for (doc,) in rows]

    async def count_events(self, account: str, calendar_id: str) -> int:
        [(count,)] = await self._db.fetch("SELECT count(*) FROM calendar_events WHERE account = ? AND calendar_id = ?",
                                          (account, calendar_id))
        return int(count)
