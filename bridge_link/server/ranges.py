"""Checking what a request asks for before the terminal is asked: dates, ranges, logins, bars.

Everything refused here is the client's mistake and says what to change (422); the terminal
only ever sees ranges it can answer in bounded time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fidus_desktop.domain.values import read_datetime

from ..models import INT64_MAX, Timeframe
from .limits import ServerLimits
from .problems import InvalidRequest

#: MT5 history starts with the Unix epoch; nothing a terminal holds is later than this.
FIRST_DAY = datetime(1970, 1, 2, tzinfo=UTC)
LAST_DAY = datetime(2100, 1, 1, tzinfo=UTC)
TIMEFRAME_SECONDS = {Timeframe.M1: 60, Timeframe.M5: 300, Timeframe.M15: 900, Timeframe.M30: 1800,
                     Timeframe.H1: 3600, Timeframe.H4: 14400, Timeframe.D1: 86400, Timeframe.W1: 604800,
                     Timeframe.MN1: 2592000}


def _check_dates(date_from: datetime, date_to: datetime, names: tuple[str, str]) -> None:
    for name, moment in zip(names, (date_from, date_to), strict=True):
        if not FIRST_DAY <= moment <= LAST_DAY:
            raise InvalidRequest(f"{name} must be between {FIRST_DAY.date()} and {LAST_DAY.date()}.")
    if date_from > date_to:
        raise InvalidRequest(f"{names[0]} is after {names[1]}.")


def history_range(date_from: datetime, date_to: datetime, limits: ServerLimits,
                  names: tuple[str, str] = ("date_from", "date_to")) -> tuple[datetime, datetime]:
    """``(date_from, date_to)`` in UTC when the terminal can answer them; :class:`InvalidRequest` if not.

    ``names`` are the request's own words for the two dates (the legacy API says ``from_date``).
    """
    _check_dates(date_from, date_to, names)
    if date_to - date_from > timedelta(days=limits.max_history_days):
        raise InvalidRequest(f"At most {limits.max_history_days} days of history per request: ask in pieces.")
    return date_from.astimezone(UTC), date_to.astimezone(UTC)


def bars_range(timeframe: Timeframe, date_from: datetime, date_to: datetime,
               limits: ServerLimits) -> tuple[datetime, datetime]:
    for name, moment in (("date_from", date_from), ("date_to", date_to)):
        if not FIRST_DAY <= moment <= LAST_DAY:
            raise InvalidRequest(f"{name} must be between {FIRST_DAY.date()} and {LAST_DAY.date()}.")
    if date_from > date_to:
        raise InvalidRequest("date_from is after date_to.")
    bars = (date_to - date_from).total_seconds() / TIMEFRAME_SECONDS[Timeframe(timeframe)]
    if bars > limits.max_bars:
        raise InvalidRequest(f"At most {limits.max_bars} bars per request ({int(bars)} asked): "
                             "ask in pieces or a longer timeframe.")
    return date_from.astimezone(UTC), date_to.astimezone(UTC)


def body_date(payload: dict[str, Any], key: str, default: datetime) -> datetime:
    """A date from a legacy JSON body (ISO text, as the original's clients send); absent -> ``default``."""
    value = payload.get(key)
    if value is None or value == "":
        return default
    if not isinstance(value, str):
        raise InvalidRequest(f"{key} must be an ISO date such as 2026-01-31, not {type(value).__name__}.")
    try:
        moment = read_datetime(value[:64])
    except (ValueError, OverflowError):
        raise InvalidRequest(f"{key} must be an ISO date such as 2026-01-31.") from None
    return moment or default


def body_login(payload: dict[str, Any]) -> int:
    """The account of a legacy body: ``login`` (G1) or ``account`` (G2), a number or digits."""
    number = payload.get("login", payload.get("account"))
    if isinstance(number, str) and number.isascii() and number.isdigit() and len(number) <= 19:
        number = int(number)
    if not isinstance(number, int) or isinstance(number, bool) or not 0 < number <= INT64_MAX:
        raise InvalidRequest("A numeric 'login' (or 'account') is required.")
    return number
