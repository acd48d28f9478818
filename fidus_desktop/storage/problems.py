"""Documents the app cannot trust, and the registry that lists them.

The shared MongoDB is written by other programs (the web platform, its scripts, people in a
shell). A document whose value could corrupt a figure (an amount that is not a finite number,
a negative principal, a date in year 9999, a fund code that is an operator such as
``{"$gt": ""}``, a status nobody defined) is refused by its codec with :class:`UntrustedValue`.
:meth:`~fidus_desktop.storage.base.Repository.find` then leaves it out, so every other figure
stays right, and records it here: ``fidus-desktop report`` lists them, the Health panel shows
them, ``fidus-desktop doctor`` finds them all.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: A key or value is shown at most this long (a hostile document may hold a megabyte there).
SHOWN_CHARS = 80
#: A reason at most this long.
REASON_CHARS = 240


class UntrustedValue(ValueError):
    """A value a codec refuses to turn into a figure; ``field`` is the document's field name."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True, order=True)
class DocumentProblem:
    collection: str
    #: The document's key (or ``_id``), as text.
    key: str
    #: The field the app could not trust ("" when the codec did not say).
    field: str
    reason: str

    def as_json(self) -> dict[str, str]:
        return {"collection": self.collection, "key": self.key, "field": self.field, "reason": self.reason}

    def sentence(self) -> str:
        where = f" field {self.field}" if self.field else ""
        return f"{self.collection} {self.key}{where}: {self.reason}"


def shown(value: Any, limit: int = SHOWN_CHARS) -> str:
    """``value`` as a short piece of text fit for a report line."""
    text = value if isinstance(value, str) else repr(value)
    text = "".join(c if c.isprintable() else "?" for c in text[:limit + 1])
    return text if len(text) <= limit else text[:limit - 3] + "..."


def problem_of(collection: str, key: Any, exc: BaseException) -> DocumentProblem:
    if isinstance(exc, UntrustedValue):
        return DocumentProblem(collection, shown(key), shown(exc.field), shown(exc.reason, REASON_CHARS))
    reason = str(exc) or type(exc).__name__
    return DocumentProblem(collection, shown(key), "", shown(reason, REASON_CHARS))


class DocumentProblems:
    """The documents left out, by collection and key; safe to use from decoding threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_collection: dict[str, dict[str, DocumentProblem]] = {}

    def record(self, problem: DocumentProblem) -> None:
        with self._lock:
            self._by_collection.setdefault(problem.collection, {})[problem.key] = problem

    def resolve(self, collection: str, key: Any) -> None:
        """The document at ``key`` was read fine: it is not a problem (any more)."""
        with self._lock:
            held = self._by_collection.get(collection)
            if held:
                held.pop(shown(key), None)

    def holds(self, collection: str) -> bool:
        return bool(self._by_collection.get(collection))

    def replace(self, collection: str, problems: Iterable[DocumentProblem]) -> None:
        """What a read of the whole collection found: the only problems it has now."""
        with self._lock:
            self._by_collection[collection] = {p.key: p for p in problems}

    def all(self) -> list[DocumentProblem]:
        with self._lock:
            return sorted(p for held in self._by_collection.values() for p in held.values())

    def __len__(self) -> int:
        with self._lock:
            return sum(len(held) for held in self._by_collection.values())

    def counts(self) -> Mapping[str, int]:
        with self._lock:
            return {name: len(held) for name, held in sorted(self._by_collection.items()) if held}


def untrusted_rows(collection: str, rows: Iterable[Sequence[Any]]) -> list[DocumentProblem]:
    """The problems named by the ``untrusted`` column (the last one) of projected rows."""
    found = []
    for row in rows:
        if row[-1]:
            field, _, reason = str(row[-1]).partition("\t")
            found.append(DocumentProblem(collection, shown(row[0]), field, shown(reason, REASON_CHARS)))
    return found
