from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bridge_link.server_time import ServerZone, estimate_offset


@pytest.mark.parametrize(("zone", "before", "after"), [
    (ServerZone(2, "eu"), datetime(2026, 3, 29, 0, 59, tzinfo=UTC), datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
    (ServerZone(2, "us"), datetime(2026, 3, 8, 6, 59, tzinfo=UTC), datetime(2026, 3, 8, 7, 0, tzinfo=UTC)),
])
def test_summer_time_starts_on_the_rule_date(zone: ServerZone, before: datetime, after: datetime) -> None:
    assert zone.offset_at(before) == timedelta(hours=2)
    assert zone.offset_at(after) == timedelta(hours=3)


def test_us_rule_ends_first_sunday_of_november() -> None:
    zone = ServerZone(2, "us")
    assert zone.offset_at(datetime(2026, 11, 1, 5, 59, tzinfo=UTC)) == timedelta(hours=3)
    assert zone.offset_at(datetime(2026, 11, 1, 6, 0, tzinfo=UTC)) == timedelta(hours=2)


@pytest.mark.parametrize("dst", ["none", "eu", "us"])
def test_round_trip_through_the_server_clock(dst: str) -> None:
    zone = ServerZone(2, dst)  # type: ignore[arg-type]
    moment = datetime(2025, 5, 1, tzinfo=UTC)
    for _ in range(800):  # every 13 hours over a year, across both switches
        moment += timedelta(hours=13)
        value = zone.to_server_seconds(moment)
        assert value - moment.timestamp() == zone.offset_at(moment).total_seconds()
        assert zone.from_server_seconds(value) == moment


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        ServerZone().to_server_seconds(datetime(2026, 1, 1))


def test_argument_is_the_server_wall_clock_as_aware_utc() -> None:
    zone = ServerZone(2, "eu")
    arg = zone.to_server_arg(datetime(2026, 7, 1, 12, tzinfo=UTC))
    assert arg == datetime(2026, 7, 1, 15, tzinfo=UTC) and arg.timestamp() == zone.to_server_seconds(
        datetime(2026, 7, 1, 12, tzinfo=UTC))


def test_offset_estimate_rounds_to_half_hours() -> None:
    now = datetime(2026, 11, 18, 12, tzinfo=UTC)
    assert estimate_offset(int(now.timestamp()) + 7200 - 41, now) == timedelta(hours=2)
    assert estimate_offset(int(now.timestamp()) + 19800 + 30, now) == timedelta(hours=5, minutes=30)
