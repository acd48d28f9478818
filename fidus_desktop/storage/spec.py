"""What a backend must know about a collection: its name, key and queryable fields."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

#: The key a backend reports for "some record of this collection changed, not known which" (a
#: change stream's deletion, a bulk load, a writer that logged nothing): whoever holds those
#: records reads them all again (``services.changes.ANY_RECORD`` is this same key).
ANY_KEY = "*"

#: ``decimal``: exact money or a rate (``Decimal``), kept as text in SQLite and sorted numerically.
FieldKind = Literal["text", "int", "real", "datetime", "bool", "decimal"]


@dataclass(frozen=True, slots=True)
class IndexedField:
    #: Logical name used in queries and as the SQLite column.
    name: str
    #: Where the original keeps the value in a MongoDB document, in order of preference. Queries
    #: on MongoDB match any of them, because the original writes the same concept under several
    #: names (``fund_type``/``fund_code``, ``prospect_id``/``id``...).
    raw_names: tuple[str, ...]
    kind: FieldKind
    #: The normalized value from a raw document (``None`` when absent); fills the SQLite column.
    extract: Callable[[Mapping[str, Any]], Any]
    #: For a normalized value, every raw value that ``extract`` reads as it (``qualified_lead``
    #: for ``qualified``, ``None`` where a missing field reads as the default). Backends that
    #: filter raw documents (MongoDB) use it so they find what SQLite's normalized column finds;
    #: ``None`` means the value is stored as it is.
    raw_values: Callable[[Any], tuple[Any, ...]] | None = None
    #: ``False``: a column to read in projections and to search (notes, phone) without an index
    #: of its own; an index on every such field would slow each write for queries nobody runs.
    index: bool = True


@dataclass(frozen=True, slots=True)
class CollectionSpec:
    #: The original's collection name (also the SQLite table name).
    name: str
    key: IndexedField
    fields: tuple[IndexedField, ...] = ()
    #: Conditions every read and write of this repository adds (``users`` holding only clients
    #: for the client repository). Pairs of raw field name and value.
    scope: tuple[tuple[str, Any], ...] = ()
    #: Extra MongoDB indexes as lists of ``(path, direction)``, beyond one per field.
    compound_indexes: tuple[tuple[tuple[str, int], ...], ...] = ()
    #: Raw fields where the original kept secrets in plain text (``mt5_account_config.password``):
    #: the codec never writes them and a copy between databases leaves them behind.
    secret_fields: tuple[str, ...] = ()

    def field(self, name: str) -> IndexedField:
        if name == self.key.name:
            return self.key
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no queryable field {name!r}")

    @property
    def all_fields(self) -> tuple[IndexedField, ...]:
        return (self.key, *self.fields)
