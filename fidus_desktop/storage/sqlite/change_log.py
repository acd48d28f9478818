"""Which records another program changed in the fund file: a log every writer of ours appends to.

SQLite's ``data_version`` says only *that* another connection committed (a second window, the
command line). With nothing more, every panel reloaded everything: at 100,000 investments one
edit made elsewhere cost a ten-second reload and twice the book's memory. So each write adds
``(writer, collection, key)`` rows to ``change_log`` in the same transaction as the change, and a
watcher reads the rows other writers added since it last looked.

- A load of more than one chunk of records logs one ``spec.ANY_KEY`` (``"*"``) row for its
  collection (its readers reload it anyway; 100,000 key rows would have made the import 10-30%
  slower).
- A writer that keeps no log (an older version, an SQLite tool) still moves ``data_version``:
  the watcher then names every collection with ``"*"``, as before.
- The log keeps the newest :data:`KEPT` rows (pruned when the file is opened). A watcher that
  finds the rows after its last one gone says ``"*"`` for everything: nothing is missed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .connection import Database, Transaction

#: Rows kept when the file is opened; far more than any watcher falls behind by in practice.
KEPT = 20_000
#: Rows a watcher reads at a time; more than this since its last look: everything is reloaded.
READ_LIMIT = 5_000
CREATE = ("CREATE TABLE IF NOT EXISTS change_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
          "writer TEXT NOT NULL, collection TEXT NOT NULL, key TEXT NOT NULL)")
_INSERT = "INSERT INTO change_log (writer, collection, key) VALUES (?, ?, ?)"

type Touched = dict[str, set[str]]


class ChangeLog:
    """This process's side of the log: what it writes, and what it reads of the others'."""

    def __init__(self, db: Database) -> None:
        self._db = db
        #: Tells this process's rows from the others' (a new value per open backend).
        self.writer = uuid.uuid4().hex
        self._last = 0

    @staticmethod
    async def prepare(tx: Transaction) -> None:
        """The table (every start-up: older files gain it), pruned to the newest rows."""
        await tx.fetch(CREATE)
        await tx.fetch("DELETE FROM change_log WHERE seq <= (SELECT max(seq) FROM change_log) - ?", (KEPT,))

    async def record(self, tx: Transaction, collection: str, keys: Iterable[str]) -> None:
        """Inside the write's own transaction ``tx``."""
        await tx.execute_many(_INSERT, ((self.writer, collection, key) for key in dict.fromkeys(keys)))

    async def start_reading(self) -> None:
        """From now on: what was written before is in what the reader already read."""
        [(newest,)] = await self._db.fetch("SELECT coalesce(max(seq), 0) FROM change_log")
        self._last = int(newest)

    async def read_new(self, names: Sequence[str]) -> NewRows:
        """The records other writers logged since the last call, in ``names``' collections."""
        rows: list[Any] = await self._db.fetch(
            "SELECT seq, writer, collection, key FROM change_log WHERE seq > ? ORDER BY seq LIMIT ?",
            (self._last, READ_LIMIT + 1))
        if not rows:
            return NewRows({}, foreign=False, lost=False)
        if len(rows) > READ_LIMIT or rows[0][0] != self._last + 1:
            await self.start_reading()  # too far behind, or rows pruned before they were read
            return NewRows({}, foreign=True, lost=True)
        self._last = rows[-1][0]
        wanted = set(names)
        touched: Touched = {}
        foreign = False
        for _seq, writer, collection, key in rows:
            if writer != self.writer:
                foreign = True
                if collection in wanted:
                    touched.setdefault(collection, set()).add(key)
        return NewRows(touched, foreign=foreign, lost=False)


@dataclass(frozen=True, slots=True)
class NewRows:
    #: Keys per collection other writers changed.
    touched: Touched
    #: Another writer logged something (whichever collection).
    foreign: bool
    #: Rows were missed (pruned, or too many): every collection must be read again.
    lost: bool
