"""Tables, columns and indexes derived from the collection specs, kept in step with them.

Whatever can be derived from a :class:`CollectionSpec` is reconciled at every start-up, inside
the upgrade transaction: a new collection gets its table, a new ``IndexedField`` gets its column
(filled from the stored documents) and index, an index nobody declares any more is dropped. So
adding a queryable field needs no numbered migration; ``migrations.py`` is for what cannot be
derived (renames, data fixes).
"""

from __future__ import annotations

import logging

from ...lanes import shared_lanes
from .. import doc_json
from .connection import Transaction
from .layout import TableLayout, quote

log = logging.getLogger(__name__)

_BACKFILL_BATCH = 2000


async def create_table(tx: Transaction, layout: TableLayout) -> None:
    columns = "".join(f", {c.name} {c.sql_type}".rstrip() for c in layout.columns)
    await tx.fetch(f"CREATE TABLE IF NOT EXISTS {layout.table} "
                   f"(key TEXT PRIMARY KEY, version INTEGER NOT NULL, doc TEXT NOT NULL{columns})")


async def reconcile(tx: Transaction, layout: TableLayout) -> None:
    """Bring one table in line with its spec; does nothing when it already is."""
    existing = {row[1] for row in await tx.fetch(f"PRAGMA table_info({layout.table})")}
    if not existing:
        await create_table(tx, layout)
    else:
        missing = [c for c in layout.columns if c.name.strip('"') not in existing]
        for column in missing:
            await tx.fetch(f"ALTER TABLE {layout.table} ADD COLUMN {column.name} {column.sql_type}".rstrip())
        if missing:
            await refill_columns(tx, layout)
    await _reconcile_indexes(tx, layout)


async def refill_columns(tx: Transaction, layout: TableLayout) -> None:
    """Recompute every derived column from the documents (a new field, or a changed reader).

    A migration step that changes how a field is read calls this for its table.
    """
    log.info("Refilling the query columns of %s", layout.spec.name)
    assignments = ", ".join(f"{c.name} = ?" for c in layout.columns)
    last = ""
    while True:
        rows = await tx.fetch(f"SELECT key, doc FROM {layout.table} WHERE key > ? ORDER BY key LIMIT ?",
                              (last, _BACKFILL_BATCH))
        if not rows:
            return
        # Decoding every document is Python work (100,000 investments: seconds): in the cpu lane,
        # so a first start after an upgrade does not freeze the window that opens the fund.
        updates = await shared_lanes().cpu.run(
            lambda rows=rows: [(*layout.derived_values(doc_json.loads(doc)), key) for key, doc in rows],
            action=f"refill the query columns of {layout.spec.name}")
        await tx.execute_many(f"UPDATE {layout.table} SET {assignments} WHERE key = ?", updates)
        last = rows[-1][0]


async def _reconcile_indexes(tx: Transaction, layout: TableLayout) -> None:
    wanted = layout.index_definitions()
    present = {row[1] for row in await tx.fetch(f"PRAGMA index_list({layout.table})")}
    ours = f"ix_{layout.spec.name}__"
    for name in present:
        if name.startswith(ours) and name not in wanted:
            await tx.fetch(f"DROP INDEX {quote(name)}")
    for name, columns in wanted.items():
        if name not in present:
            await tx.fetch(f"CREATE INDEX {quote(name)} ON {layout.table} {columns}")
