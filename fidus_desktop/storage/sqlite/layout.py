"""How one :class:`CollectionSpec` maps onto one SQLite table.

A table holds the original-shaped document as JSON (``doc``), its application key (``key``), an
optimistic-concurrency ``version``, and one column per declared field and scope field, filled
from the document on every write. Columns exist only to filter, sort and index: the document
stays the single source of truth, so a column can always be recomputed from it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ...domain.values import read_datetime
from ...errors import ValidationError
from .. import doc_json
from ..spec import CollectionSpec, FieldKind, IndexedField

log = logging.getLogger(__name__)

_SQL_TYPES: dict[FieldKind, str] = {
    "text": "TEXT", "int": "INTEGER", "real": "REAL", "datetime": "TEXT", "bool": "INTEGER", "decimal": "TEXT",
}


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def sortable_time(moment: datetime) -> str:
    """ISO UTC text with fixed width, so text order is time order (``2026-03-01T09:30:00.000``);
    milliseconds, like the datetimes in the documents (see ``doc_json``)."""
    return doc_json.utc_iso_millis(moment)


def column_value(kind: FieldKind, value: Any) -> Any:
    """A field's value (from a document or from a query) as its column holds it."""
    if value is None:
        return None
    if kind == "text":
        return value if type(value) is str else str(value)
    if kind == "datetime":
        moment = value if isinstance(value, datetime) else read_datetime(value)
        return None if moment is None else sortable_time(moment)
    if kind == "real":
        # REAL sorts and compares numerically; the exact amount stays in the document.
        return float(value) if isinstance(value, int | float | Decimal) else float(str(value))
    if kind == "bool":
        return 1 if value else 0
    if kind == "decimal":
        # Text keeps every digit; a REAL column would round a Decimal128 amount to a double.
        return str(value if isinstance(value, Decimal) else Decimal(str(value)))
    if kind == "int":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return int(value)
        return value if isinstance(value, str) else str(value)
    raise ValueError(f"unknown field kind {kind!r}")


def read_column(kind: FieldKind, value: Any) -> Any:
    """A column's value as the field's reader gives it (the inverse of :func:`column_value`)."""
    if value is None:
        return None
    if kind == "datetime":
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    if kind == "decimal":
        return Decimal(value)
    if kind == "bool":
        return bool(value)
    return value


def _scope_value(value: Any) -> Any:
    return value if value is None or isinstance(value, str | int | float) else str(value)


#: ``(column, value)`` pairs every statement of a scoped collection adds to its WHERE.
type Scope = tuple[tuple[str, Any], ...]


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    sql_type: str


class TableLayout:
    """Column names, row building and index definitions for one collection."""

    def __init__(self, spec: CollectionSpec) -> None:
        self.spec = spec
        self.table = quote(spec.name)
        self._fields = {f.name: ("f_" + f.name) for f in spec.fields}
        #: The table's scope columns, with the values of the spec it was opened with.
        self.scope: Scope = tuple((quote("s_" + raw), _scope_value(value)) for raw, value in spec.scope)
        # (extract, kind) pairs bound once: derived_values runs for every row of a bulk load.
        self._derive = tuple((f.extract, f.kind) for f in spec.fields)
        self._scope_names = tuple(raw for raw, _ in spec.scope)
        #: Data columns after ``key``, ``version``, ``doc``, in row order.
        self.columns = tuple(Column(quote(self._fields[f.name]), _SQL_TYPES[f.kind]) for f in spec.fields) + tuple(
            Column(name, "") for name, _ in self.scope)

    # -- columns ------------------------------------------------------------------------------

    def column(self, field_name: str) -> str:
        """The SQL expression that holds ``field_name``; raises ``KeyError`` for an unknown one."""
        field = self.spec.field(field_name)
        if field is self.spec.key:
            return "CAST(key AS INTEGER)" if field.kind == "int" else "key"
        return quote(self._fields[field.name])

    def kind(self, field_name: str) -> FieldKind:
        return self.spec.field(field_name).kind

    def key_value(self, value: Any) -> str:
        """A key as the ``key`` column holds it (MT5 logins are ints in documents)."""
        return str(int(value)) if self.spec.key.kind == "int" and not isinstance(value, str) else str(value)

    def scope_of(self, spec: CollectionSpec) -> Scope:
        """The WHERE pairs for ``spec`` over this table: another view of the same table (admins
        in ``users``) may scope on another value, but only on a field the table has a column for."""
        columns = {column for column, _ in self.scope}
        scope = tuple((quote("s_" + raw), _scope_value(value)) for raw, value in spec.scope)
        for (column, _), (raw, _) in zip(scope, spec.scope, strict=True):
            if column not in columns:
                raise ValueError(f"SQLite keeps no column for '{raw}' in {self.spec.name}: "
                                 "only the opened spec's scope fields can scope a collection")
        return scope

    # -- rows ---------------------------------------------------------------------------------

    def key_of(self, doc: Mapping[str, Any]) -> str:
        key = self.spec.key.extract(doc)
        if key is None or key == "":
            # A record the app cannot address by its application key is still kept (migration
            # must not drop what the web platform wrote): it is filed under its ObjectId.
            if doc.get("_id") is not None:
                return str(doc["_id"])
            raise ValidationError(f"A record for '{self.spec.name}' has no "
                                  f"{' or '.join(self.spec.key.raw_names)}, so it cannot be stored.")
        return self.key_value(key)

    def derived_values(self, doc: Mapping[str, Any]) -> tuple[Any, ...]:
        """The field and scope column values of ``doc``, in :attr:`columns` order."""
        values = [column_value(kind, extract(doc)) for extract, kind in self._derive]
        values.extend(_scope_value(doc.get(raw)) for raw in self._scope_names)
        return tuple(values)

    def row(self, doc: Mapping[str, Any]) -> tuple[Any, ...]:
        """``(key, doc_text, *derived)`` for an INSERT."""
        return (self.key_of(doc), doc_json.dumps(doc), *self.derived_values(doc))

    # -- indexes ------------------------------------------------------------------------------

    def index_definitions(self) -> dict[str, str]:
        """``{index name: "(col, col DESC)"}``: one per field and per compound index.

        Scoped tables lead every index with the scope columns, because every read of a scoped
        collection filters on them. An index that is a prefix of another is left out: the
        longer one serves its queries, and each index slows every write.
        """
        prefix = [name for name, _ in self.scope]
        wanted: list[tuple[str, ...]] = [(*prefix, self.column(f.name)) for f in self.spec.fields if f.index]
        for compound in self.spec.compound_indexes:
            columns = [self._index_column(path, direction) for path, direction in compound]
            if None in columns:
                log.warning("SQLite skips index %s of %s: not every path is a declared field",
                            compound, self.spec.name)
                continue
            wanted.append((*prefix, *columns))  # type: ignore[arg-type]
        if prefix:
            wanted.append(tuple(prefix))
        kept = [c for c in wanted if not any(len(o) > len(c) and o[:len(c)] == c for o in wanted)]
        return {self._index_name(columns): "(" + ", ".join(columns) + ")" for columns in kept}

    def _index_name(self, columns: tuple[str, ...]) -> str:
        slug = "_".join(c.replace('"', "").replace(" ", "_").lower() for c in columns)
        return f"ix_{self.spec.name}__{slug}"

    def _index_column(self, path: str, direction: int) -> str | None:
        field = self._field_for_path(path)
        if field is None:
            scoped = [name for name, (raw, _) in zip(self.scope, self.spec.scope, strict=True) if raw == path]
            return scoped[0] if scoped else None
        column = self.column(field.name)
        return f"{column} DESC" if direction < 0 else column

    def _field_for_path(self, path: str) -> IndexedField | None:
        for field in self.spec.all_fields:
            if field.name == path:
                return field
        for field in self.spec.all_fields:
            if path in field.raw_names:
                return field
        return None
