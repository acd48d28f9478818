"""The one write path: every change the manager or a background job makes goes through here.

:meth:`WritePath.submit` stamps the operation (actor: the OS user; time: now), then

* applies its writes and its audit entry as one unit: a SQLite transaction, or a MongoDB
  transaction where the server offers one (Atlas does). On a MongoDB without transactions the
  operation is first written to the outbox in the local cache, then applied; if the app or the
  network dies half way, the outbox replays it and the replay completes what is missing (every
  write is idempotent, see ``storage/writes.py``), so the audit entry can never be lost;
* when the database cannot be reached (Atlas down, the network gone, the file locked), keeps the
  operation in the outbox and answers "queued": the window shows it as pending, and the outbox
  service replays it, in order, when the database is back;
* publishes the :class:`Changes` from the core, whoever asked, so every panel (and the
  portfolio service) sees the same change once.

Services build operations and submit them; they never write to a repository directly.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import StorageUnavailable
from ..services.changes import Changes, publish_changes
from ..storage.writes import Insert, Write
from .actor import current_actor, current_initiator
from .operations import OUTBOX_KIND, Operation

if TYPE_CHECKING:
    from ..app_context import AppContext
    from ..storage.store import FundStore

log = logging.getLogger(__name__)

#: How long a key this app wrote counts as its own echo for the external-change watcher (s).
ECHO_SECONDS = 30.0


class WriteStatus(enum.StrEnum):
    SAVED = "saved"
    #: Kept in the outbox: the database is away; it is saved when it is back.
    QUEUED = "queued"


@dataclass(frozen=True, slots=True)
class WriteResult:
    operation: Operation
    status: WriteStatus
    changes: Changes
    #: Why the change was queued (the database's error, for the manager).
    reason: str = ""

    @property
    def saved(self) -> bool:
        return self.status is WriteStatus.SAVED

    @property
    def queued(self) -> bool:
        return self.status is WriteStatus.QUEUED


class WritePath:
    def __init__(self, context: AppContext, *, actor: Callable[[], str] = current_actor) -> None:
        self._context = context
        self._actor = actor
        #: Operations kept in the outbox, by op id (loaded at start, so a restart still shows them).
        self._pending: dict[str, Operation] = {}
        self._recent: dict[tuple[str, str], float] = {}
        #: Called with the error when a write finds the database gone (the database link reconnects).
        self.on_database_lost: Callable[[StorageUnavailable], None] | None = None
        #: Called when an operation was queued (the outbox service replays when it can).
        self.on_queued: Callable[[], None] | None = None

    @property
    def actor(self) -> str:
        """Who the audit trail names for a change made now."""
        return self._actor()

    # ---- pending operations -----------------------------------------------------------------

    async def load_pending(self) -> None:
        cache = self._context.cache
        if cache is None:
            return
        for item in await cache.pending():
            if item.kind == OUTBOX_KIND:
                try:
                    op = Operation.from_payload(item.payload)
                except (KeyError, ValueError, TypeError):
                    log.warning("outbox item %d is not a readable operation", item.id)
                    continue
                self._pending[op.op_id] = op

    def pending(self) -> list[Operation]:
        """Operations waiting for the database, oldest first."""
        return sorted(self._pending.values(), key=lambda op: op.created_at or 0)  # type: ignore[arg-type,return-value]

    def pending_for(self, collection: str, key: str) -> list[Operation]:
        return [op for op in self.pending() if key in op.touched().get(collection, ())]

    def is_own_echo(self, collection: str, key: str) -> bool:
        """Whether this app wrote ``key`` moments ago (the watcher then stays quiet)."""
        written = self._recent.get((collection, key))
        return written is not None and time.monotonic() - written < ECHO_SECONDS

    # ---- writing ------------------------------------------------------------------------------

    async def submit(self, op: Operation) -> WriteResult:
        """Apply ``op`` now, or keep it for later when the database is away (never lost).

        Raises what the rules or the database refuse (``ConflictError``, ``NotFoundError``,
        ``ValidationError``): those are not retried, the manager is told. Raises
        ``StorageUnavailable`` only when the database is away *and* the local cache cannot keep
        the change either.
        """
        op = op.stamped(self._actor())
        initiator = current_initiator()
        store = self._context.store
        if store is None:
            return await self._queue(op, initiator, "The fund database is not connected.")
        cache = self._context.cache
        ahead = None
        if not store.atomic and cache is not None:
            # No transactions: the outbox holds the operation first, so a crash half way
            # through is completed by a replay instead of leaving a change without its audit.
            ahead = await cache.enqueue(OUTBOX_KIND, op.to_payload())
        try:
            await self.apply(store, op)
        except StorageUnavailable as exc:
            self._lost(exc)
            if ahead is not None:
                self._pending[op.op_id] = op
                return self._queued(op, initiator, exc.message)
            return await self._queue(op, initiator, exc.message)
        except BaseException:
            if ahead is not None:
                await cache.ack(ahead)  # type: ignore[union-attr]  (refused: nothing to replay)
            raise
        if ahead is not None:
            await cache.ack(ahead)  # type: ignore[union-attr]
        changes = op.changes(initiator=initiator)
        publish_changes(self._context.events, changes)
        return WriteResult(op, WriteStatus.SAVED, changes)

    async def apply(self, store: FundStore, op: Operation) -> bool:
        """Apply ``op``'s writes and its audit entry as one unit; ``False`` when it had already
        taken effect (its audit entry exists). The audit entry is written last: on a backend
        without transactions it is the mark that the whole operation is done."""
        async with store.unit():
            if await store.activity.find_one(op.audit_id) is not None:
                return False
            for batch in _batches(op.writes):
                if len(batch) > 1:  # consecutive inserts into one collection: one bulk write
                    await store.repository(batch[0].collection).apply_inserts(batch)  # type: ignore[arg-type]
                else:
                    await store.repository(batch[0].collection).apply(batch[0])
            entry = op.audit_entry()
            await store.activity.apply(Insert("activity_logs", store.activity.new_document(entry, entry.timestamp)))
        now = time.monotonic()
        for collection, keys in op.touched().items():
            for key in keys:
                self._recent[(collection, key)] = now
        if len(self._recent) > 5000:
            self._recent = {k: t for k, t in self._recent.items() if now - t < ECHO_SECONDS}
        return True

    async def replay(self, payload: dict[str, Any]) -> None:
        """The outbox's handler: apply a queued operation once the database is back."""
        op = Operation.from_payload(payload)
        store = self._context.store
        if store is None:
            raise StorageUnavailable("The fund database is not connected.")
        try:
            await self.apply(store, op)
        except StorageUnavailable as exc:
            self._lost(exc)
            raise
        self._pending.pop(op.op_id, None)
        publish_changes(self._context.events, op.changes(origin="replay"))

    def forget(self, op_id: str) -> None:
        """The manager discarded a held operation: it is no longer shown as pending."""
        op = self._pending.pop(op_id, None)
        if op is not None:
            # Views showed it as pending: they redraw from the database's values.
            publish_changes(self._context.events, op.changes(origin="replay"))

    # ---- the database away --------------------------------------------------------------------

    async def _queue(self, op: Operation, initiator: object | None, reason: str) -> WriteResult:
        cache = self._context.cache
        if cache is None:
            raise StorageUnavailable(f"{reason} The local cache is unavailable too, so the change could not be "
                                     "kept: it was not saved.")
        await cache.enqueue(OUTBOX_KIND, op.to_payload())
        self._pending[op.op_id] = op
        return self._queued(op, initiator, reason)

    def _queued(self, op: Operation, initiator: object | None, reason: str) -> WriteResult:
        log.info("operation %s (%s) queued: %s", op.op_id, op.kind, reason)
        changes = op.changes(initiator=initiator, pending=True)
        publish_changes(self._context.events, changes)
        if self.on_queued is not None:
            self.on_queued()
        return WriteResult(op, WriteStatus.QUEUED, changes, reason)

    def _lost(self, exc: StorageUnavailable) -> None:
        log.warning("database unavailable during a write: %s", exc.message)
        if self.on_database_lost is not None:
            self.on_database_lost(exc)


def _batches(writes: tuple[Write, ...]) -> list[list[Write]]:
    """The writes in order, runs of inserts into the same collection (same ``if_exists``) grouped."""
    out: list[list[Write]] = []
    for write in writes:
        last = out[-1][-1] if out else None
        if (isinstance(write, Insert) and isinstance(last, Insert) and last.collection == write.collection
                and last.if_exists == write.if_exists):
            out[-1].append(write)
        else:
            out.append([write])
    return out
