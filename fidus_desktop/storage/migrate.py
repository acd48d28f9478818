"""Copying a fund from one store to another (SQLite <-> MongoDB), document by document.

Behind ``fidus-desktop migrate --to URI`` (this computer's store -> URI) and
``fidus-desktop migrate --from URI`` (URI -> this computer's store).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from ..errors import ConflictError, ValidationError
from .base import Repository
from .query import In, Query
from .store import FundStore

log = logging.getLogger(__name__)

type Progress = Callable[[float, str], None]

BATCH_SIZE = 500


def fund_data(store: FundStore) -> dict[str, Repository[Any]]:
    """The repositories whose records make a store "hold a fund" (products are seeded on open)."""
    return {"clients": store.clients, "prospects": store.prospects, "investments": store.investments,
            "activity entries": store.activity, "MT5 accounts": store.mt5_accounts}


async def copy_fund(source: FundStore, target: FundStore, *, progress: Progress | None = None,
                    merge: bool = False) -> dict[str, int]:
    """Copy every record of ``source`` into ``target``; returns documents written per collection.

    Contract:

    - Documents are copied as stored, not through the domain model: fields the app does not
      know, ``_id`` and value types (Decimal128 vs double, datetime vs ISO string) arrive as
      they left, except a spec's ``secret_fields`` (the original's plaintext MT5 passwords),
      which are never copied. Only each repository's scope is copied (``users`` of type ``client``, not the
      web platform's admin accounts and their passwords).
    - ``merge=False`` (the default) refuses, with a :class:`ValidationError` and before writing
      anything, a target that already holds clients, prospects, investments, activity or MT5
      accounts. The products the target seeded when it was opened are replaced by the source's.
    - ``merge=True`` adds what the target lacks: a document whose key the target already holds is
      skipped (the target's version is kept), products included. Running a copy again with
      ``merge=True`` completes one that was interrupted.
    - Two source documents with one key (the original has no unique indexes) are copied once;
      every skipped document is logged and reported through ``progress``.
    - ``progress(fraction, message)`` is called per batch, ``fraction`` from 0 to 1. Cancel by
      cancelling the task: batches already written stay written.
    - Storage errors propagate (:class:`StorageUnavailable`, :class:`StorageCorrupt`).
    """
    if source.kind == target.kind and source.location == target.location:
        raise ValidationError("The source and the target are the same database.")
    if not merge:
        await _refuse_if_holding_fund(target)
    report = progress or (lambda fraction, message: None)
    targets = {repo.spec.name: repo for repo in target.repositories()}
    total = sum([await repo.count() for repo in source.repositories()]) or 1
    done = 0
    written: dict[str, int] = {}
    for repo in source.repositories():
        name = repo.spec.name
        into = targets[name]
        if into is target.products and not merge and await repo.count():
            await _remove_all(into)
        # Counted, not summed per batch: a backend may write part of a batch before refusing
        # one document, and the count is exact whatever it does.
        before = await into.count()
        async for batch in _batches(repo.scan_documents(BATCH_SIZE), BATCH_SIZE):
            if repo.spec.secret_fields:  # plaintext passwords stay where they were
                batch = [{k: v for k, v in doc.items() if k not in repo.spec.secret_fields} for doc in batch]
            skipped = await _insert(into, batch)
            done += len(batch)
            report(min(done / total, 1.0), f"Copying {name}: {done} of {total} records")
            if skipped:
                log.warning("Copy to %s skipped %d %s records whose key it already holds: %s",
                            target.location, len(skipped), name, ", ".join(skipped[:20]))
                report(min(done / total, 1.0), f"{name}: {len(skipped)} records already there, skipped")
        written[name] = await into.count() - before
    report(1.0, "Copy finished")
    return written


async def _refuse_if_holding_fund(target: FundStore) -> None:
    held = {label: await repo.count() for label, repo in fund_data(target).items()}
    found = [f"{count} {label}" for label, count in held.items() if count]
    if found:
        raise ValidationError(
            f"The target database already holds fund data ({', '.join(found)}). Copy into an empty "
            "database, or merge to add only the records it does not have.")


async def _remove_all(repo: Repository[Any]) -> None:
    for entity in await repo.find():
        await repo.remove(entity)


async def _insert(repo: Repository[Any], batch: list[dict[str, Any]]) -> list[str]:
    """Write the documents of ``batch`` whose key ``repo`` does not hold yet; returns the keys
    skipped. Keys are checked here rather than left to the backend: MongoDB has no unique index
    on the original's keys, so an insert alone would duplicate them."""
    keys = [_key(repo, doc) for doc in batch]
    held = await _held_keys(repo, keys)
    fresh, skipped = [], []
    for key, doc in zip(keys, batch, strict=True):
        if key is not None and key in held:
            skipped.append(key)
        else:
            fresh.append(doc)
            held.add(key)
    if not fresh:
        return skipped
    try:
        await repo.insert_documents(fresh)
    except ConflictError:
        # A backend may have written part of the batch (MongoDB) or none of it (SQLite): look
        # again, then add the rest one by one so only the document that collides is skipped.
        held = await _held_keys(repo, [_key(repo, doc) for doc in fresh])
        for doc in fresh:
            if _key(repo, doc) in held:
                continue
            try:
                await repo.insert_documents([doc])
            except ConflictError:
                skipped.append(str(_key(repo, doc) or doc.get("_id")))
    return skipped


async def _held_keys(repo: Repository[Any], keys: list[str | None]) -> set[str | None]:
    wanted = tuple({k for k in keys if k is not None})
    if not wanted:
        return set()
    found = await repo.find_documents(Query(where=(In(repo.spec.key.name, wanted),)))
    return {_key(repo, doc) for doc in found}


def _key(repo: Repository[Any], doc: dict[str, Any]) -> str | None:
    key = repo.spec.key.extract(doc)
    return None if key is None or key == "" else str(key)


async def _batches(docs: AsyncIterator[dict[str, Any]], size: int) -> AsyncIterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    async for doc in docs:
        batch.append(doc)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
