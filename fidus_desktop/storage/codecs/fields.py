"""Readers for the original's loosely typed documents, and the ``IndexedField`` helpers.

Readers accept every encoding the original wrote, and refuse (:class:`UntrustedValue`, naming
the field) a value that could only corrupt a figure: amounts that are not finite or beyond any
real fund, dates outside 1900-2199, identifiers and fund codes that are sections or lists (an
operator such as ``{"$gt": ""}`` written where a code belongs).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from bson import Decimal128, ObjectId

from ...domain.funds import normalize_fund_code
from ...domain.values import (
    TRUSTED_FROM,
    TRUSTED_UNTIL,
    ZERO,
    read_datetime,
    read_decimal,
)
from ..problems import UntrustedValue, shown
from ..spec import FieldKind, IndexedField

Doc = Mapping[str, Any]

#: No amount of this fund reaches a trillion; beyond it a value is a typo or an attack (1e308).
MAX_AMOUNT = Decimal(10) ** 12
_MAX_FLOAT = float(MAX_AMOUNT)
_FUND_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")


def first(doc: Doc, *names: str) -> Any:
    """The first present, non-empty value among ``names`` (the original's aliases)."""
    for name in names:
        value = doc.get(name)
        if value is not None and value != "":
            return value
    return None


def first_named(doc: Doc, *names: str) -> tuple[str, Any]:
    """``(name, value)`` of the first present, non-empty value among ``names``."""
    for name in names:
        value = doc.get(name)
        if value is not None and value != "":
            return name, value
    return names[0], None


def text(doc: Doc, *names: str) -> str:
    value = first(doc, *names)
    return "" if value is None else str(value)


def money(doc: Doc, *names: str, low: Decimal | None = None, high: Decimal = MAX_AMOUNT) -> Decimal | None:
    """An amount or a rate, finite and within ``low..high`` (``high`` also bounds it below when
    ``low`` is not given: ``-high..high``)."""
    name, value = first_named(doc, *names)
    if type(value) is float and high is MAX_AMOUNT:
        # The original's usual encoding, checked as a float (a NaN fails every comparison and
        # takes the careful path below, which says why).
        if -_MAX_FLOAT <= value <= _MAX_FLOAT and (low is None or value >= (0.0 if low is ZERO else float(low))):
            return Decimal(repr(value))
    try:
        amount = read_decimal(value)
    except ValueError as exc:
        raise UntrustedValue(name, str(exc)) from None
    if amount is None:
        return None
    if low is not None and amount < low:
        raise UntrustedValue(name, f"{shown(value)} is below {low}")
    if abs(amount) > high:
        raise UntrustedValue(name, f"{shown(value)} is beyond any real value here (limit {high:,})")
    return amount


def moment(doc: Doc, *names: str) -> datetime | None:
    """A date within the years the fund's records can be about (``TRUSTED_FROM`` ..
    ``TRUSTED_UNTIL``, 1900-2199)."""
    name, value = first_named(doc, *names)
    if type(value) is datetime and value.tzinfo is UTC:  # the common case (a tz-aware driver), fast
        when: datetime | None = value
    else:
        try:
            when = read_datetime(value)
        except ValueError as exc:
            raise UntrustedValue(name, str(exc)) from None
    if when is not None and not TRUSTED_FROM <= when < TRUSTED_UNTIL:
        raise UntrustedValue(name, f"{when:%Y-%m-%d} is outside the years {TRUSTED_FROM.year}-"
                                   f"{TRUSTED_UNTIL.year - 1}")
    return when


def day(doc: Doc, *names: str) -> date | None:
    """The calendar day of :func:`moment` (the same checks), ``None`` when absent."""
    found = moment(doc, *names)
    return found.date() if found else None


def identifier(doc: Doc, *names: str) -> str:
    """A key or a reference to another record: text, a whole number or an ObjectId."""
    name, value = first_named(doc, *names)
    if value is None:
        return ""
    if type(value) is str:
        return value
    if isinstance(value, str | ObjectId) or (isinstance(value, int) and not isinstance(value, bool)):
        return str(value)
    raise UntrustedValue(name, f"{shown(value)} is not an identifier")


def fund_code(doc: Doc, *names: str) -> str:
    """A product code (``CORE``; ``FIDUS_CORE`` and ``core`` read as it); "" when absent."""
    name, value = first_named(doc, *names)
    if value is None:
        return ""
    code = _checked_code(value) if isinstance(value, str) else None
    if code is None:
        raise UntrustedValue(name, f"{shown(value)} is not a fund code")
    return code


@lru_cache(maxsize=256)  # a fund has a handful of codes, read once per record
def _checked_code(value: str) -> str | None:
    code = normalize_fund_code(value)
    return code if _FUND_CODE.match(code) else None


def whole(doc: Doc, name: str, default: int | None, low: int, high: int) -> int | None:
    """A count of days or payments within ``low..high`` (a double holding a whole number too)."""
    value = doc.get(name, default)
    if value is None or value == "":
        return default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise UntrustedValue(name, f"{shown(value)} is not a whole number")
    if not low <= value <= high:
        raise UntrustedValue(name, f"{value} is outside {low}..{high}")
    return value


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


def refusal(decode: Callable[[Doc], Any], doc: Doc) -> str | None:
    """``"field\treason"`` when ``decode`` refuses ``doc``, ``None`` when it reads it."""
    try:
        decode(doc)
    except UntrustedValue as exc:
        return f"{exc.field}\t{exc.reason}"
    except (ValueError, TypeError, KeyError, ArithmeticError) as exc:
        return f"\t{exc}"
    return None


def whole_document(name: str, reader: Callable[[Doc], Any]) -> IndexedField:
    """A text column computed from the whole document (no raw path of its own: MongoDB reads of
    it fetch the whole document, and no index is made for it)."""
    return IndexedField(name=name, raw_names=(), kind="text", extract=reader)


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
