"""Field-by-field merges: of a record changed underneath the manager (theirs / mine), and of two
duplicate records (the manager picks each value; both timelines are kept).

Nothing here picks silently: a field both sides changed differently is the manager's choice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..domain.people import CLIENT_EDITABLE_FIELDS, Client
from ..domain.prospects import EDITABLE_FIELDS, FIELD_LABELS, Prospect
from ..domain.values import utc_now
from ..errors import ValidationError
from ..runtime.operations import Audit, Operation
from ..runtime.writer import WriteResult
from ..services.changes import PIPELINE, TIMELINE
from ..storage.writes import Delete
from .clients import collection_of, repository
from .prospects import _plain, store_of
from .timeline import EventKind

if TYPE_CHECKING:
    from ..app_context import AppContext

Side = Literal["theirs", "mine"]


@dataclass(frozen=True, slots=True)
class FieldConflict:
    name: str
    label: str
    base: Any
    theirs: Any
    mine: Any


def fields_of(record: Prospect | Client) -> tuple[str, ...]:
    return EDITABLE_FIELDS if isinstance(record, Prospect) else CLIENT_EDITABLE_FIELDS


def changed(base: Any, other: Any, names: Sequence[str]) -> set[str]:
    return {n for n in names if getattr(base, n) != getattr(other, n)}


def conflicts(base: Prospect | Client, theirs: Prospect | Client, mine: Prospect | Client) -> list[FieldConflict]:
    """Fields both the manager and somebody else changed since ``base``, to different values."""
    names = fields_of(base)
    both = changed(base, theirs, names) & changed(base, mine, names)
    return [FieldConflict(n, FIELD_LABELS.get(n, n.replace("_", " ").capitalize()), getattr(base, n),
                          getattr(theirs, n), getattr(mine, n))
            for n in names if n in both and getattr(theirs, n) != getattr(mine, n)]


def rebased[R: (Prospect, Client)](base: R, theirs: R, mine: R, choices: Mapping[str, Side]) -> R:
    """``theirs`` (as stored now, so the next save is checked against it) with every field the
    manager changed, except those where ``choices`` keeps theirs."""
    names = fields_of(base)
    mine_changed = changed(base, mine, names)
    values = {n: getattr(mine, n) for n in mine_changed if choices.get(n, "mine") == "mine"}
    return theirs.evolve(**values)


# ---- duplicates -------------------------------------------------------------------------------------


def merged_prospect(keep: Prospect, other: Prospect, choices: Mapping[str, Literal["keep", "other"]]) -> Prospect:
    values = {n: getattr(other, n) for n, side in choices.items() if side == "other" and n in EDITABLE_FIELDS}
    merged_ids = tuple(dict.fromkeys((*keep.merged_ids, other.prospect_id, *other.merged_ids)))
    return keep.evolve(**values, merged_ids=merged_ids)


async def merge_prospects(context: AppContext, keep: Prospect, other: Prospect,
                          choices: Mapping[str, Literal["keep", "other"]]) -> tuple[Prospect, WriteResult]:
    """``keep`` takes the chosen values of ``other``; ``other`` is removed and its timeline is
    shown on ``keep``'s (its entries stay in the activity log, now found through ``keep``)."""
    if keep.prospect_id == other.prospect_id:
        raise ValidationError("A record cannot be merged with itself.")
    if other.converted_to_client:
        raise ValidationError(f"{other.name} is already a client: keep that record and merge the other into it.")
    store = store_of(context)
    merged = merged_prospect(keep, other, choices)
    patch = store.prospects.patch_of(merged, utc_now())
    assert patch is not None  # merged_ids always changes
    read_other = store.prospects.as_read(other)
    chosen = {n: _plain(getattr(other, n)) for n, side in choices.items() if side == "other"}
    op = Operation("prospect.merge", (patch, Delete("crm_prospects", other.prospect_id,
                                                    {"stage": read_other.stage.value, "name": read_other.name})),
                   Audit(activity_type=str(EventKind.MERGE), description=f"{other.name} ({other.email}) merged into "
                         f"{merged.name}", prospect_id=keep.prospect_id,
                         details={"merged": other.prospect_id, "from_other": chosen,
                                  "other": {"name": other.name, "email": other.email, "phone": other.phone,
                                            "stage": other.stage.value}}),
                   flags=frozenset({PIPELINE, TIMELINE}))
    result = await context.writer.submit(op)
    stored = await store.prospects.get(keep.prospect_id) if result.saved else merged
    return stored, result


async def merge_clients(context: AppContext, keep: Client, other: Client,
                        choices: Mapping[str, Literal["keep", "other"]]) -> tuple[Client, WriteResult]:
    """``keep`` takes the chosen values; ``other`` is deactivated and points at ``keep`` (a
    client is never deleted by a merge: logins and investments may still name it)."""
    if (keep.origin, keep.client_id) == (other.origin, other.client_id):
        raise ValidationError("A record cannot be merged with itself.")
    store = store_of(context)
    values = {n: getattr(other, n) for n, side in choices.items() if side == "other" and n in CLIENT_EDITABLE_FIELDS}
    merged = keep.evolve(**values, merged_ids=tuple(dict.fromkeys((*keep.merged_ids, other.client_id))))
    now = utc_now()
    keep_patch = repository(store, keep).patch_of(merged, now)
    other_patch = repository(store, other).patch_of(other.evolve(status="inactive", merged_into=keep.client_id), now)
    writes = tuple(p for p in (keep_patch, other_patch) if p is not None)
    chosen = {n: _plain(getattr(other, n)) for n, side in choices.items() if side == "other"}
    op = Operation("client.merge", writes, Audit(
        activity_type=str(EventKind.MERGE), description=f"{other.name} ({other.email}) merged into {merged.name}",
        client_id=keep.client_id, details={"merged": other.client_id, "merged_collection": collection_of(other),
                                           "from_other": chosen}), flags=frozenset({TIMELINE}))
    result = await context.writer.submit(op)
    stored = await repository(store, keep).get(keep.client_id) if result.saved else merged
    return stored, result
