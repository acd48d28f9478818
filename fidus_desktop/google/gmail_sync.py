"""Keeping the local copy of the mailbox current: a full sync once, then history id increments.

Full sync: note the mailbox's ``historyId`` first (so nothing that happens during the sync is
missed), list the newest messages (``gmail_sync_limit``), fetch them in batches, replace the
cached copy. Incremental sync: ``users.history.list`` from the saved id; new messages are fetched
(batched), deleted ones dropped, label changes applied. A 404 means the id is too old (Gmail
keeps about a week of history): full sync. Messages that could not be fetched stay in the cursor
as pending and are tried again next time, so a hiccup never loses a message.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ..domain.values import utc_now
from ..storage.cache import LocalCache
from ..storage.google_cache import CachedMessage, MessageRow
from .errors import GoogleError, GoogleNotFound
from .gmail import Gmail
from .mail_parse import MailMessage

log = logging.getLogger(__name__)

_EPOCH = datetime.fromtimestamp(0, UTC)


@dataclass(frozen=True, slots=True)
class MailSyncResult:
    full: bool
    added: int = 0
    relabelled: int = 0
    deleted: int = 0
    #: Messages that could not be fetched this time (kept as pending for the next sync).
    pending: int = 0
    history_id: str = ""
    reason: str = ""


def message_row(message: MailMessage) -> MessageRow:
    return MessageRow(message.id, message.thread_id, message.internal_date or _EPOCH, message.history_id,
                      message.sender, message.subject, message.snippet, message.unread,
                      any(not a.inline for a in message.attachments), message.label_ids, message.to_doc())


class GmailSync:
    def __init__(self, gmail: Gmail, cache: LocalCache, account: str, *, limit: int = 500) -> None:
        self.gmail = gmail
        self.cache = cache
        self.account = account
        self.limit = limit

    @property
    def cursor_name(self) -> str:
        return f"gmail:{self.account}"

    # -- reading the copy (instant, offline) --------------------------------------------------

    async def cached_list(self, *, label: str | None = "INBOX", limit: int = 100,
                          before: tuple[datetime, str] | None = None) -> list[CachedMessage]:
        return await self.cache.google.list_messages(self.account, label=label, limit=limit, before=before)

    async def cached_message(self, message_id: str) -> MailMessage | None:
        doc = await self.cache.google.message_doc(self.account, message_id)
        return MailMessage.from_doc(doc) if doc else None

    async def message(self, message_id: str) -> MailMessage:
        """From the copy, else from Gmail (and then kept)."""
        cached = await self.cached_message(message_id)
        if cached is not None:
            return cached
        message = await self.gmail.message(message_id)
        await self.cache.google.put_messages(self.account, [message_row(message)])
        return message

    # -- syncing -------------------------------------------------------------------------------

    async def sync(self) -> MailSyncResult:
        state = await self.cache.get_sync_state(self.cursor_name) or {}
        history_id = str(state.get("history_id") or "")
        if not history_id:
            return await self.full_sync("first sync")
        try:
            return await self._incremental(history_id, [str(i) for i in state.get("pending") or ()])
        except GoogleNotFound:
            log.info("Gmail history %s is too old: full sync", history_id)
            return await self.full_sync("history too old")

    async def full_sync(self, reason: str = "") -> MailSyncResult:
        profile = await self.gmail.profile()
        history_id = str(profile.get("historyId") or "")
        ids: list[str] = []
        token: str | None = None
        while len(ids) < self.limit:
            page = await self.gmail.search(max_results=min(500, self.limit - len(ids)), page_token=token)
            ids.extend(page.ids)
            token = page.next_page_token
            if not token:
                break
        fetched, pending = await self._fetch(ids)
        await self.cache.google.clear_mail(self.account)
        await self.cache.google.put_messages(self.account, (message_row(m) for m in fetched))
        await self._save(history_id, pending)
        return MailSyncResult(True, added=len(fetched), pending=len(pending), history_id=history_id, reason=reason)

    async def _incremental(self, start: str, pending: Sequence[str]) -> MailSyncResult:
        added: dict[str, None] = dict.fromkeys(pending)
        deleted: set[str] = set()
        labels: dict[str, list[str]] = {}
        latest = start
        token: str | None = None
        while True:
            answer = await self.gmail.history(start, page_token=token)
            latest = str(answer.get("historyId") or latest)
            for record in answer.get("history") or ():
                for item in record.get("messagesAdded") or ():
                    message_id = str((item.get("message") or {}).get("id") or "")
                    if message_id:
                        added[message_id] = None
                        deleted.discard(message_id)
                for item in record.get("messagesDeleted") or ():
                    message_id = str((item.get("message") or {}).get("id") or "")
                    if message_id:
                        deleted.add(message_id)
                        added.pop(message_id, None)
                for kind in ("labelsAdded", "labelsRemoved"):
                    for item in record.get(kind) or ():
                        message = item.get("message") or {}
                        if message.get("id") and isinstance(message.get("labelIds"), list):
                            labels[str(message["id"])] = [str(x) for x in message["labelIds"]]
            token = answer.get("nextPageToken")
            if not token:
                break
        fetched, still_pending = await self._fetch(list(added))
        await self.cache.google.put_messages(self.account, (message_row(m) for m in fetched))
        if deleted:
            await self.cache.google.delete_messages(self.account, sorted(deleted))
        fetched_ids = {m.id for m in fetched}
        relabelled = 0
        for message_id, current in labels.items():
            if message_id not in fetched_ids and message_id not in deleted:
                relabelled += await self.cache.google.set_labels(self.account, message_id, current)
        await self._save(latest, still_pending)
        return MailSyncResult(False, added=len(fetched), relabelled=relabelled, deleted=len(deleted),
                              pending=len(still_pending), history_id=latest)

    async def _fetch(self, ids: Sequence[str]) -> tuple[list[MailMessage], list[str]]:
        fetched: list[MailMessage] = []
        pending: list[str] = []
        for message_id, result in zip(ids, await self.gmail.messages(ids), strict=True):
            if isinstance(result, GoogleNotFound):
                continue  # deleted since: nothing to keep
            if isinstance(result, GoogleError):
                pending.append(message_id)
                continue
            fetched.append(result)
        return fetched, pending

    async def _save(self, history_id: str, pending: Sequence[str]) -> None:
        await self.cache.put_sync_state(self.cursor_name, {"history_id": history_id, "pending": list(pending),
                                                           "synced_at": utc_now().isoformat()})

    async def forget(self) -> None:
        """Drop the copy and the cursor (the account was disconnected)."""
        await self.cache.google.clear_mail(self.account)
        await self.cache.put_sync_state(self.cursor_name, {})
