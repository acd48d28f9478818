"""Other writers' changes on the shared MongoDB: change streams where the server has them, else
a poll of ``updated_at``.

The web platform edits the same collections; an open panel must show its edits within
seconds. A change stream (replica sets and Atlas) tells at once; a standalone server refuses
one, and then each collection is asked for records whose ``updated_at`` moved past the newest
value seen, as a BSON date or as the ISO string some of the original's writers store (both are
ordered; each query is served by the ``updated_at`` index). The newest value seen is the
server's own, so a clock difference between this computer and the web platform never loses a
change. Deletions reach a poller only as a record that is gone when a panel reloads it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure, PyMongoError

from ..spec import ANY_KEY, CollectionSpec

log = logging.getLogger(__name__)

_BATCH = 500

type Touched = dict[str, set[str]]


async def change_stream(db: AsyncDatabase, specs: Iterable[CollectionSpec]) -> AsyncIterator[Touched]:
    """Yields ``{collection: keys}`` as changes happen; raises ``OperationFailure`` at once when
    the server has no change streams."""
    by_name = {spec.name: spec for spec in specs}
    pipeline = [{"$match": {"ns.coll": {"$in": sorted(by_name)}}}]
    async with await db.watch(pipeline, full_document="updateLookup") as stream:
        async for event in stream:
            name = event.get("ns", {}).get("coll", "")
            spec = by_name.get(name)
            if spec is None:
                continue
            doc = event.get("fullDocument")
            key = spec.key.extract(doc) if isinstance(doc, dict) else None
            yield {name: {str(key) if key not in (None, "") else ANY_KEY}}


class UpdatedAtPoller:
    def __init__(self, db: AsyncDatabase, specs: Iterable[CollectionSpec]) -> None:
        self._db = db
        self._specs = list(specs)
        self._seen: dict[str, dict[str, Any]] = {}

    async def prime(self) -> None:
        """Start from the newest ``updated_at`` each collection holds now."""
        for spec in self._specs:
            self._seen[spec.name] = {kind: await self._newest(spec.name, kind) for kind in ("date", "string")}

    async def _newest(self, name: str, kind: str) -> Any:
        doc = await self._db[name].find_one({"updated_at": {"$type": kind}}, projection={"updated_at": 1},
                                            sort=[("updated_at", -1)])
        return None if doc is None else doc["updated_at"]

    async def poll(self) -> Touched:
        touched: Touched = {}
        for spec in self._specs:
            seen = self._seen.setdefault(spec.name, {"date": None, "string": None})
            for kind, floor in (("date", datetime.min), ("string", "")):
                since = seen[kind]
                condition: dict[str, Any] = {"$type": kind}
                condition["$gt"] = since if since is not None else floor
                projection = dict.fromkeys((*spec.key.raw_names, "updated_at"), 1)
                docs = await self._db[spec.name].find({"updated_at": condition}, projection=projection,
                                                      sort=[("updated_at", 1)], limit=_BATCH).to_list()
                for doc in docs:
                    key = spec.key.extract(doc)
                    touched.setdefault(spec.name, set()).add(str(key) if key not in (None, "") else ANY_KEY)
                    seen[kind] = doc["updated_at"]
        return touched


async def watch_changes(db: AsyncDatabase, specs: Iterable[CollectionSpec], *,
                        poll_seconds: float = 5.0) -> AsyncIterator[Touched]:
    """Every change another writer makes, as batches of ``{collection: keys}``, for ever."""
    specs = list(specs)
    try:
        async for touched in change_stream(db, specs):
            yield touched
        return
    except OperationFailure as exc:
        log.info("no change streams on this server (%s): watching updated_at every %.0f s",
                 exc.code, poll_seconds)
    poller = UpdatedAtPoller(db, specs)
    await poller.prime()
    while True:
        await asyncio.sleep(poll_seconds)
        try:
            touched = await poller.poll()
        except PyMongoError as exc:  # the server went away: the database link reports it
            log.debug("watch poll failed: %s", exc)
            continue
        if touched:
            yield touched
