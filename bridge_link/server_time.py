"""MT5 server time: the broker's wall clock written as if it were UTC (mt5-api.md §8).

Every ``time`` the terminal returns is epoch seconds of the *server's* wall clock, and date
arguments are compared with those numbers. This module converts both ways for a broker zone
given as a base offset plus a DST rule, so one configured value serves the direct source, the
bridge server and the demo terminal (which emits times through the same class).
"""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass
from functools import lru_cache
from datetime import UTC, datetime, timedelta
from typing import Literal

DstRule = Literal["none", "eu", "us"]


def _last_sunday(year: int, month: int) -> int:
    last = calendar.monthrange(year, month)[1]
    return last - (calendar.weekday(year, month, last) + 1) % 7


def _nth_sunday(year: int, month: int, n: int) -> int:
    first = (6 - calendar.weekday(year, month, 1)) % 7 + 1
    return first + 7 * (n - 1)


@lru_cache(maxsize=128)
def _dst_epochs(year: int, rule: DstRule) -> tuple[float, float] | None:
    window = _dst_window(year, rule)
    return (window[0].timestamp(), window[1].timestamp()) if window else None


def _dst_window(year: int, rule: DstRule) -> tuple[datetime, datetime] | None:
    """The UTC instants at which summer time starts and ends in ``year``."""
    if rule == "eu":  # last Sunday of March / October, 01:00 UTC
        return (datetime(year, 3, _last_sunday(year, 3), 1, tzinfo=UTC),
                datetime(year, 10, _last_sunday(year, 10), 1, tzinfo=UTC))
    if rule == "us":  # 2nd Sunday of March 02:00 EST (07:00 UTC) / 1st Sunday of November 02:00 EDT (06:00 UTC)
        return (datetime(year, 3, _nth_sunday(year, 3, 2), 7, tzinfo=UTC),
                datetime(year, 11, _nth_sunday(year, 11, 1), 6, tzinfo=UTC))
    return None


@dataclass(frozen=True, slots=True)
class ServerZone:
    """A broker's clock: ``base_hours`` east of UTC, one hour more in summer under ``dst``.

    The usual broker setting is UTC+2 with summer time (+3), which keeps the daily bar aligned with
    the New York close; ``dst="us"`` follows the US switch dates, ``"eu"`` the European ones.
    """

    base_hours: float = 2.0
    dst: DstRule = "eu"

    def offset_at(self, moment: datetime) -> timedelta:
        """The server's offset from UTC at the true instant ``moment`` (aware)."""
        return timedelta(seconds=self.offset_seconds(moment.timestamp()))

    def offset_seconds(self, epoch: float) -> float:
        """The offset in seconds at the true UTC epoch ``epoch`` (the fast path for bulk work)."""
        base = self.base_hours * 3600
        window = _dst_epochs(time.gmtime(epoch).tm_year, self.dst)
        return base + 3600 if window and window[0] <= epoch < window[1] else base

    def to_server_seconds(self, moment: datetime) -> int:
        """The number the terminal would show for the true instant ``moment``."""
        if moment.tzinfo is None:
            raise ValueError("naive datetime: MT5 times must be built from aware UTC datetimes")
        return int((moment + self.offset_at(moment)).timestamp())

    def to_server_arg(self, moment: datetime) -> datetime:
        """A date argument for ``history_*``/``copy_*``: the server wall clock as an aware datetime.

        The module turns it into a number with ``.timestamp()``; an aware value converts exactly,
        whereas a naive one would be shifted by this computer's own zone.
        """
        return datetime.fromtimestamp(self.to_server_seconds(moment), UTC)

    def from_server_seconds(self, value: float) -> datetime:
        """The true UTC instant of a server-clock value returned by the terminal."""
        wall = datetime.fromtimestamp(value, UTC)
        guess = wall - timedelta(hours=self.base_hours)
        # The offset depends on the instant we are looking for; two passes settle it except in the
        # repeated hour after the autumn switch, where the later reading is as good as any.
        for _ in range(2):
            guess = wall - self.offset_at(guess)
        return guess

    def from_server_msc(self, value_ms: int) -> datetime:
        seconds, millis = divmod(int(value_ms), 1000)
        return self.from_server_seconds(seconds) + timedelta(milliseconds=millis)

    def describe(self) -> str:
        hours = f"{self.base_hours:+g}"
        return f"UTC{hours}" + ("" if self.dst == "none" else f" with {self.dst.upper()} summer time")


def estimate_offset(newest_tick_server_seconds: int, now: datetime) -> timedelta:
    """The server offset seen in a live quote: newest tick minus now, rounded to 30 minutes.

    Only meaningful while quotes flow (not over a weekend unless a symbol trades 24/7).
    """
    raw = newest_tick_server_seconds - now.timestamp()
    half_hours = round(raw / 1800)
    return timedelta(minutes=30 * half_hours)
