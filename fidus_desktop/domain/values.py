"""Money and time as the domain holds them: ``Decimal`` and timezone-aware UTC ``datetime``.

The readers accept every encoding the web platform has written (see
docs/reference/fidus-data-model.md §1): floats, ints, numeric strings and Decimal128 for money;
BSON datetimes (naive means UTC), ISO-8601 strings with or without offset, ``YYYY-MM-DD`` and
``"%Y-%m-%d %H:%M:%S.%f"`` strings for time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")
ZERO = Decimal("0")
#: The dates a record of this fund, or a question about it, can be about: 1900-01-01 up to (not
#: including) 2200-01-01. Year 9999 is Python's last, so every date computed from it overflows.
TRUSTED_FROM = datetime(1900, 1, 1, tzinfo=UTC)
TRUSTED_UNTIL = datetime(2200, 1, 1, tzinfo=UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_cents(amount: Decimal) -> Decimal:
    """The one rounding rule of the fund: to the cent, half-up."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def read_decimal(value: Any) -> Decimal | None:
    """Money or a rate from whatever the original stored; ``None`` when absent or empty.

    Raises ``ValueError`` for anything that is not a finite number (``NaN`` and infinities are
    never an amount: one of them would make every sum it enters meaningless).
    """
    amount = _decimal(value)
    if amount is not None and not amount.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return amount


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, Decimal):
        return value
    if hasattr(value, "to_decimal"):  # bson.Decimal128, without importing bson here
        return value.to_decimal()
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # repr() gives the shortest string that round-trips: 0.1 stays 0.1, not 0.1000000000000000055
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip().replace(",", ""))
        except InvalidOperation as exc:
            raise ValueError(f"not a number: {value!r}") from exc
    raise ValueError(f"not a number: {value!r}")


def read_datetime(value: Any) -> datetime | None:
    """An aware UTC datetime from any of the original's encodings; ``None`` when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=UTC)
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            try:
                parsed = datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f")
            except ValueError as exc:
                raise ValueError(f"not a date: {value!r}") from exc
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    raise ValueError(f"not a date: {value!r}")


def read_account_number(value: Any) -> int | None:
    """MT5 logins are ints, sometimes stored as strings (``"<n>"``)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not an account number: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise ValueError(f"not an account number: {value!r}")


def iso_utc(moment: datetime) -> str:
    """The ISO string form the original writes with ``datetime.now(timezone.utc).isoformat()``."""
    return moment.astimezone(UTC).isoformat()
