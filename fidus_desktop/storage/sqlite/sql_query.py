"""A :class:`Query` as SQL over a :class:`TableLayout`; every value is a bound parameter."""

from __future__ import annotations

from typing import Any

from ..query import Between, Condition, Contains, Eq, In, Query
from .layout import Scope, TableLayout, column_value


def where_clause(layout: TableLayout, query: Query, scope: Scope = ()) -> tuple[str, list[Any]]:
    """``WHERE ...`` (scope first, so scoped indexes serve it) and its parameters."""
    parts: list[str] = []
    params: list[Any] = []
    for column, value in scope:
        parts.append(f"{column} = ?")
        params.append(value)
    for condition in query.where:
        sql, values = _condition(layout, condition)
        parts.append(sql)
        params.extend(values)
    return ("WHERE " + " AND ".join(parts) if parts else ""), params


def order_clause(layout: TableLayout, query: Query) -> str:
    """``ORDER BY`` the query's fields, then the key, so pages never overlap or skip a record.

    NULLs come first ascending and last descending, as in MongoDB.
    """
    terms = [f"{_sortable(layout, name)}{' DESC' if descending else ''}" for name, descending in query.order_by]
    key = layout.column(layout.spec.key.name)
    if not any(name == layout.spec.key.name for name, _ in query.order_by):
        terms.append(key)
    return "ORDER BY " + ", ".join(terms)


def _sortable(layout: TableLayout, name: str) -> str:
    column = layout.column(name)
    return f"CAST({column} AS REAL)" if layout.kind(name) == "decimal" else column


def page_clause(query: Query) -> tuple[str, list[Any]]:
    if query.limit is None and not query.offset:
        return "", []
    # SQLite needs a LIMIT before an OFFSET; -1 means none.
    return "LIMIT ? OFFSET ?", [-1 if query.limit is None else query.limit, query.offset]


def _condition(layout: TableLayout, condition: Condition) -> tuple[str, list[Any]]:
    if isinstance(condition, Contains):
        return _contains(layout, condition)
    column = layout.column(condition.field)
    kind = layout.kind(condition.field)
    key_field = condition.field == layout.spec.key.name

    def value(v: Any) -> Any:
        return layout.key_value(v) if key_field else column_value(kind, v)

    if key_field:
        column = "key"  # compare as text: the key column's own form, served by the primary key
    if isinstance(condition, Eq):
        if condition.value is None:
            return f"{column} IS NULL", []
        return f"{column} = ?", [value(condition.value)]
    if isinstance(condition, In):
        if not condition.values:
            return "0", []
        return f"{column} IN ({', '.join('?' * len(condition.values))})", [value(v) for v in condition.values]
    if isinstance(condition, Between):
        if key_field and kind == "int":  # a range of MT5 logins is numeric, not text order
            column, value = layout.column(condition.field), int
        parts, params = [], []
        if condition.low is not None:
            parts.append(f"{column} >= ?")
            params.append(value(condition.low))
        if condition.high is not None:
            parts.append(f"{column} < ?")
            params.append(value(condition.high))
        return (" AND ".join(parts) or "1"), params
    raise TypeError(f"unsupported condition {condition!r}")


def _contains(layout: TableLayout, condition: Contains) -> tuple[str, list[Any]]:
    text = condition.text.strip()
    if not text:
        return "1", []
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    # LIKE ignores case for ASCII only: other text is compared lower-cased by Python's rules.
    fold = not text.isascii()
    pattern = f"%{escaped.lower() if fold else escaped}%"
    terms = []
    for name in condition.fields:
        column = layout.column(name)
        terms.append(f"{'fidus_lower(' + column + ')' if fold else column} LIKE ? ESCAPE '\\'")
    return "(" + " OR ".join(terms) + ")", [pattern] * len(terms)
