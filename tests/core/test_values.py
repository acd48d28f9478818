"""Money and time readers accept every encoding the web platform wrote."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from bson import Decimal128

from fidus_desktop.domain.values import (iso_utc, read_account_number, read_datetime, read_decimal,
                                         to_cents)


@pytest.mark.parametrize("raw, expected", [
    (10000.1, Decimal("10000.1")),  # a double reads as the amount written, not its binary expansion
    (0.015, Decimal("0.015")),
    (250000, Decimal("250000")),
    (Decimal128("107500.25"), Decimal("107500.25")),
    ("1,250.50", Decimal("1250.50")),
    (Decimal("3.5"), Decimal("3.5")),
])
def test_money_from_every_encoding(raw, expected):
    assert read_decimal(raw) == expected


@pytest.mark.parametrize("raw", [None, ""])
def test_missing_money_is_none(raw):
    assert read_decimal(raw) is None


@pytest.mark.parametrize("raw", ["abc", True, [1]])
def test_unreadable_money_is_refused(raw):
    with pytest.raises(ValueError):
        read_decimal(raw)


@pytest.mark.parametrize("raw, expected", [
    (datetime(2025, 10, 1, 12, 30), datetime(2025, 10, 1, 12, 30, tzinfo=UTC)),  # naive means UTC
    (datetime(2025, 10, 1, 7, 30, tzinfo=timezone(timedelta(hours=-5))), datetime(2025, 10, 1, 12, 30, tzinfo=UTC)),
    ("2025-10-01T12:30:00+00:00", datetime(2025, 10, 1, 12, 30, tzinfo=UTC)),
    ("2025-10-01T12:30:00.123456", datetime(2025, 10, 1, 12, 30, 0, 123456, tzinfo=UTC)),
    ("2025-10-01T12:30:00Z", datetime(2025, 10, 1, 12, 30, tzinfo=UTC)),
    ("2025-10-01", datetime(2025, 10, 1, tzinfo=UTC)),
    ("2025-10-01 12:30:00.250000", datetime(2025, 10, 1, 12, 30, 0, 250000, tzinfo=UTC)),
])
def test_datetimes_from_every_encoding_are_aware_utc(raw, expected):
    value = read_datetime(raw)
    assert value == expected
    assert value.tzinfo is not None and value.utcoffset() == timedelta(0)


def test_unreadable_date_is_refused():
    with pytest.raises(ValueError):
        read_datetime("next tuesday")


def test_iso_utc_matches_the_original_isoformat():
    assert iso_utc(datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2025-01-02T03:04:05+00:00"


def test_rounding_is_half_up_to_the_cent():
    assert to_cents(Decimal("0.125")) == Decimal("0.13")
    assert to_cents(Decimal("0.135")) == Decimal("0.14")  # half-even would give 0.14 too; check 0.125
    assert to_cents(Decimal("-0.125")) == Decimal("-0.13")


@pytest.mark.parametrize("raw, expected", [(100001, 100001), ("100001", 100001), (100001.0, 100001), (None, None)])
def test_account_numbers_as_int_or_string(raw, expected):
    assert read_account_number(raw) == expected
