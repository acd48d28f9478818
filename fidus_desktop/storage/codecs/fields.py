"""Readers for the original's loosely typed documents, and the ``IndexedField`` helpers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from bson import Decimal128

from ...domain.values import read_datetime, read_decimal
from ..spec import FieldKind, IndexedField

Doc = Mapping[str, Any]


def first(doc: Doc, *names: str) -> Any:
    """The first present, non-empty value among ``names`` (the original's aliases)."""
    for name in names:
        value = doc.get(name)
        if value is not None and value != "":
            return value
    return None


def text(doc: Doc, *names: str) -> str:
    value = first(doc, *names)
    return "" if value is None else str(value)


def money(doc: Doc, *names: str) -> Decimal | None:
    return read_decimal(first(doc, *names))


def moment(doc: Doc, *names: str) -> datetime | None:
    return read_datetime(first(doc, *names))


def flag(doc: Doc, name: str) -> bool:
    value = doc.get(name)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def as_double(amount: Decimal | None) -> float | None:
    """Money in the original's most common encoding. Doubles hold 15 significant digits,
    so any amount in cents below 10^13 reads back exactly through ``read_decimal``."""
    return None if amount is None else float(amount)


def as_decimal128(amount: Decimal | None) -> Decimal128 | None:
    return None if amount is None else Decimal128(amount)


def _safe(reader: Callable[[Doc], Any]) -> Callable[[Doc], Any]:
    # An unreadable value must not stop a bulk load; decode() reports it when the record is read.
    def extract(doc: Doc) -> Any:
        try:
            return reader(doc)
        except (ValueError, TypeError, ArithmeticError):
            return None

    return extract


def _single_text(field: str) -> Callable[[Doc], str | None]:
    def extract(doc: Doc) -> str | None:
        value = doc.get(field)
        if value is None or value == "":
            return None
        return value if type(value) is str else str(value)

    return extract


def indexed(name: str, kind: FieldKind, *raw_names: str,
            reader: Callable[[Doc], Any] | None = None,
            raw_values: Callable[[Any], tuple[Any, ...]] | None = None, index: bool = True) -> IndexedField:
    names = raw_names or (name,)
    if reader is None and kind == "text" and len(names) == 1:
        # The common case, on the hot path of every bulk load: one plain text field, no fallback.
        return IndexedField(name=name, raw_names=names, kind=kind, extract=_single_text(names[0]),
                            raw_values=raw_values, index=index)
    if reader is None:
        readers: dict[str, Callable[[Doc], Any]] = {
            "text": lambda d: text(d, *names) or None,
            "datetime": lambda d: moment(d, *names),
            "real": lambda d: money(d, *names),
            "decimal": lambda d: money(d, *names),
            "bool": lambda d: flag(d, names[0]),
            "int": lambda d: first(d, *names),
        }
        reader = readers[kind]
    return IndexedField(name=name, raw_names=names, kind=kind, extract=_safe(reader), raw_values=raw_values,
                        index=index)


def fund_code_forms(code: Any) -> tuple[Any, ...]:
    """The spellings ``normalize_fund_code`` reads as ``code`` (``FIDUS_CORE``, ``core``...)."""
    base = str(code or "").strip().upper()
    if not base:
        return (None, "")
    spellings = (base, base.lower(), base.capitalize())
    return (*spellings, *(f"FIDUS_{s}" for s in spellings), *(f"fidus_{s}" for s in spellings))


class DatetimeStamps:
    """The usual rule of the original's writers: ``created_at`` and ``updated_at`` as BSON
    datetimes. Codecs whose collection is written differently define their own."""

    def stamp_update(self, changes: dict[str, Any], now: datetime) -> None:
        changes["updated_at"] = now

    def stamp_create(self, doc: dict[str, Any], now: datetime) -> None:
        doc.setdefault("created_at", now)
        doc["updated_at"] = now
