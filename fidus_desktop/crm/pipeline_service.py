"""The pipeline as a core service: read once from the store's projections, then kept current
from ``Changes``.

At start (and when the database comes back) it projects every prospect and every open portal
lead (no document decoded) into a :class:`PipelineSnapshot`, and the clients' contact data for
the duplicate checks. Every change afterwards (this window, the command line on the same file,
a replayed outbox item, the web platform) names the prospects, leads or clients it touched:
only those are read again. An operation queued while the database is away is laid over the
snapshot at once and marked pending, so a card moved offline stays where the manager put it.

Views are told by ``EventType.PIPELINE_UPDATED`` when to redraw; they filter and sort the
snapshot in the ``cpu`` lane (:meth:`select`, :meth:`totals`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from ..domain.leads import LEAD_PREFIX, lead_id_of
from ..domain.people import KycStatus
from ..domain.prospects import Stage
from ..errors import FidusError
from ..events import EventType
from ..lanes import shared_lanes
from ..storage.problems import untrusted_rows
from ..runtime.following import ChangeFollower
from ..runtime.heap import settle
from ..services.changes import Changes
from ..storage.query import Eq, In, Query
from ..storage.writes import Insert, Patch
from .duplicates import DuplicateIndex, Party
from .filters import PipelineFilter, Sort
from .index import LEAD_FIELDS, PROSPECT_FIELDS, PipelineSnapshot, build_snapshot, lead_record, prospect_record, \
    records_from_doc_fields

if TYPE_CHECKING:
    from ..app_context import AppContext
    from ..runtime.operations import Operation
    from ..storage.store import FundStore

log = logging.getLogger(__name__)

_WATCHED = ("prospects", "leads", "clients")
CLIENT_FIELDS = ("name", "email", "phone", "status", "kyc_status", "created_at")
#: Keys per ``In`` query when re-reading changed records.
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class ClientRow:
    key: str
    name: str
    email: str
    phone: str
    status: str
    kyc: KycStatus
    created: datetime | None
    #: ``users`` or ``clients`` (the referral module's).
    origin: str

    @property
    def active(self) -> bool:
        return self.status.strip().lower() != "inactive"

    @property
    def kind(self) -> str:
        return "client" if self.origin == "users" else "referral client"


@dataclass(frozen=True, slots=True)
class PipelineUpdate:
    version: int
    #: What was taken in (``None``: everything was read).
    changes: Changes | None
    snapshot: PipelineSnapshot


#: Fewer rows than this are read where they arrive (a lane's round trip costs more).
_ON_THREAD = 200


def _client_rows(rows: Iterable[Sequence[Any]], origin: str) -> list[ClientRow]:
    return [ClientRow(str(k), str(n or ""), str(e or ""), str(p or ""), str(s or "active"),
                      KycStatus.read(kyc), created, origin) for k, n, e, p, s, kyc, created in rows]


def trusted(store: FundStore, rows: list[Sequence[Any]], *, every: bool = False,
            bad: list[Any] | None = None) -> list[Sequence[Any]]:
    """The prospects the codec reads; the others are listed (Health, report) and left off the
    board, as every other reader leaves them out (their ``untrusted`` column, the last).
    ``every``: ``rows`` are all the prospects, so the list is replaced as a whole. ``bad``: the
    refused rows, when they were already picked out (in a lane)."""
    if bad is None:
        bad = untrusted_rows("crm_prospects", rows)
    if every:
        store.problems.replace("crm_prospects", bad)
    else:
        for row in rows:
            store.problems.resolve("crm_prospects", str(row[0]))
        for problem in bad:
            store.problems.record(problem)
    return [row for row in rows if not row[-1]] if bad else rows


async def read_pipeline(store: FundStore) -> tuple[list[Sequence[Any]], list[Sequence[Any]]]:
    """Every prospect's and every open portal lead's pipeline columns (projections only)."""
    rows = await store.prospects.project(PROSPECT_FIELDS)
    # A pass over every row (100,000 at scale): in the cpu lane, not on the window's thread.
    bad = await shared_lanes().cpu.run(lambda: untrusted_rows("crm_prospects", rows), action="pipeline: refused rows")
    prospects = trusted(store, rows, every=True, bad=bad)
    leads = await store.leads.project(LEAD_FIELDS, Query(where=(Eq("converted", False), Eq("migrated_to_crm", False))))
    return prospects, leads


async def read_clients(store: FundStore, keys: Iterable[str] | None = None) -> list[ClientRow]:
    wanted = None if keys is None else tuple(keys)
    users = await store.clients.project(CLIENT_FIELDS, _keyed(store.clients.spec.key.name, wanted))
    referral = await store.referral_clients.project(CLIENT_FIELDS, _keyed("client_id", wanted))
    if len(users) + len(referral) < _ON_THREAD:
        return _client_rows(users, "users") + _client_rows(referral, "clients")
    # 20,000 clients are some 300 ms of Python: in the cpu lane, never on the window's thread.
    return await shared_lanes().cpu.run(lambda: _client_rows(users, "users") + _client_rows(referral, "clients"),
                                        action="pipeline: client rows")


def _keyed(key: str, keys: tuple[str, ...] | None) -> Query:
    return Query() if keys is None else Query(where=(In(key, keys),))


def duplicate_index(snapshot: PipelineSnapshot, clients: Iterable[ClientRow]) -> DuplicateIndex:
    index = DuplicateIndex()
    text = snapshot.text
    for slot in np.flatnonzero(snapshot.alive):
        kind = "lead" if snapshot.is_lead[slot] else "prospect"
        index.add(Party(snapshot.keys[slot], kind, text["name"][slot], text["email"][slot], text["phone"][slot]))
    for client in clients:
        index.add(Party(client.key, client.kind, client.name, client.email, client.phone))
    return index


class PipelineService(ChangeFollower):
    name = "pipeline"
    WHAT = "pipeline"
    WATCHED = _WATCHED

    def __init__(self, context: AppContext) -> None:
        self.snapshot: PipelineSnapshot | None = None
        self.clients: dict[str, ClientRow] = {}
        self._duplicates: DuplicateIndex | None = None
        super().__init__(context)

    async def ready(self) -> PipelineSnapshot:
        await self._ready.wait()
        if self.snapshot is None:
            raise FidusError(self.error or "The pipeline could not be read.")
        return self.snapshot

    # ---- what views ask -------------------------------------------------------------------------

    async def select(self, flt: PipelineFilter, sort: Sort) -> tuple[PipelineSnapshot, np.ndarray]:
        snapshot = await self.ready()
        slots = await shared_lanes().cpu.run(lambda: snapshot.select(flt, sort), action="filter the pipeline")
        return snapshot, slots

    async def totals(self, flt: PipelineFilter) -> dict[Stage, tuple[int, Any]]:
        snapshot = await self.ready()
        return await shared_lanes().cpu.run(lambda: snapshot.totals(flt), action="pipeline totals")

    async def duplicates(self) -> DuplicateIndex:
        """The duplicate index of the current snapshot and clients (built once per version)."""
        snapshot = await self.ready()
        held = self._duplicates
        if held is None or getattr(held, "version", None) != (snapshot.version, len(self.clients)):
            clients = list(self.clients.values())
            held = await shared_lanes().cpu.run(lambda: duplicate_index(snapshot, clients), action="duplicate index")
            held.version = (snapshot.version, len(clients))  # type: ignore[attr-defined]
            self._duplicates = held
        return held

    def client_rows(self) -> list[ClientRow]:
        return list(self.clients.values())

    # ---- keeping current ----------------------------------------------------------------------------

    def needs_load(self) -> bool:
        return self.snapshot is None

    async def load(self) -> None:
        store = self._context.store
        if store is None:
            self.error = "The fund database is not connected."
            self._ready.set()
            return
        prospects, leads = await read_pipeline(store)
        clients = await read_clients(store)
        self.discard_queued()
        version = self.snapshot.version + 1 if self.snapshot is not None else 0

        def build() -> PipelineSnapshot:
            return build_snapshot(prospects, leads, version=version).prepare(("name",))

        snapshot = await shared_lanes().cpu.run(build, action="build the pipeline index")
        self.clients = {c.key: c for c in clients}
        snapshot = self._overlay_pending(snapshot)
        self._publish(snapshot, None)
        settle("the pipeline read whole")

    async def take_in(self, batch: list[Changes], merged: Changes) -> None:
        store = self._context.store
        snapshot = self.snapshot
        assert snapshot is not None
        if merged.names_no_record(*self.WATCHED) and store is not None and not merged.pending:
            await self.load()
            return
        if store is not None and not merged.pending:
            snapshot = await self._reread(store, snapshot, merged)
        snapshot = self._overlay_pending(snapshot)
        self._publish(snapshot, merged)

    async def _reread(self, store: FundStore, snapshot: PipelineSnapshot, changes: Changes) -> PipelineSnapshot:
        prospect_keys = sorted(changes.prospects)
        lead_ids = sorted(changes.leads)
        records, removed = [], []
        for start in range(0, len(prospect_keys), _CHUNK):
            chunk = tuple(prospect_keys[start:start + _CHUNK])
            rows = trusted(store, await store.prospects.project(PROSPECT_FIELDS,
                                                                  Query(where=(In("prospect_id", chunk),))))
            found = {str(r[0]) for r in rows}
            records += [prospect_record(r) for r in rows]
            removed += [k for k in chunk if k not in found]
        for start in range(0, len(lead_ids), _CHUNK):
            chunk = tuple(lead_ids[start:start + _CHUNK])
            rows = await store.leads.project(LEAD_FIELDS, Query(where=(
                In("lead_id", chunk), Eq("converted", False), Eq("migrated_to_crm", False))))
            found = {str(r[0]) for r in rows}
            records += [lead_record(r) for r in rows]
            removed += [LEAD_PREFIX + k for k in chunk if k not in found]
        if changes.clients:
            for key in changes.clients:
                self.clients.pop(key, None)
            self.clients.update({c.key: c for c in await read_clients(store, changes.clients)})
        if not records and not removed:
            return snapshot
        return await shared_lanes().cpu.run(lambda: snapshot.updated_with(records, removed),
                                            action="update the pipeline index")

    def _overlay_pending(self, snapshot: PipelineSnapshot) -> PipelineSnapshot:
        """Lay the operations waiting in the outbox over ``snapshot`` (shown as pending)."""
        pending = self._context.writer.pending()
        keys: set[str] = set()
        records, removed = [], []
        for op in pending:
            r, gone, touched = _effect(snapshot, op)
            records += r
            removed += gone
            keys |= touched
        if not keys and not snapshot.pending:
            return snapshot
        return snapshot.updated_with(records, removed, pending=frozenset(keys))

    def _publish(self, snapshot: PipelineSnapshot, changes: Changes | None) -> None:
        self.snapshot, self.error = snapshot, ""
        self._ready.set()
        self._context.events.publish(EventType.PIPELINE_UPDATED, PipelineUpdate(snapshot.version, changes, snapshot))


def _effect(snapshot: PipelineSnapshot, op: Operation) -> tuple[list[Any], list[str], set[str]]:
    """What a queued operation changes in the pipeline: records to put, keys to remove."""
    from ..storage.store import SPECS

    spec = next(s for s in SPECS if s.name == "crm_prospects")
    records, removed, touched = [], [], set()
    for write in op.writes_to("crm_prospects"):
        if isinstance(write, Insert):
            key = str(spec.key.extract(write.doc))
            records.append(records_from_doc_fields(write.doc, key))
            touched.add(key)
        elif isinstance(write, Patch):
            row = snapshot.find(write.key)
            if row is None:
                continue
            current = _row_fields(snapshot, row.slot)
            current.update(write.set)
            for name in write.unset:
                current.pop(name, None)
            records.append(records_from_doc_fields(current, write.key))
            touched.add(write.key)
        else:
            removed.append(write.key)
    for write in op.writes_to("leads"):
        if isinstance(write, Patch) and (write.set.get("migrated_to_crm") or write.set.get("converted")):
            removed.append(LEAD_PREFIX + write.key)
    return records, removed, touched


def _row_fields(snapshot: PipelineSnapshot, slot: int) -> dict[str, Any]:
    """A prospect row back in its document's field names (for laying a patch over it)."""
    row = snapshot.row(slot)
    return {"name": row.name, "email": row.email, "phone": row.phone, "stage": row.stage.value,
            "source": row.source, "owner": row.owner, "aml_kyc_status": row.kyc.value,
            "estimated_value": float(row.value) if row.value is not None else None,
            "next_action": row.next_action, "next_action_due": row.due, "next_action_remind": row.remind,
            "converted_to_client": row.converted, "created_at": row.created, "updated_at": row.updated,
            "notes": snapshot.notes(slot)}


def is_lead_key(key: str) -> bool:
    return lead_id_of(key) is not None
