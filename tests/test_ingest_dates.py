"""Unit tests for searchkit.ingest.dates: every date becomes timezone-aware or None."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from searchkit.ingest.dates import find_date_in_text, is_dateline, parse_date

UTC = timezone.utc


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-10", datetime(2024, 5, 10, tzinfo=UTC)),
        ("2024-05-10T13:03:00Z", datetime(2024, 5, 10, 13, 3, tzinfo=UTC)),
        ("2019-11-19T13:03:00.000Z", datetime(2019, 11, 19, 13, 3, tzinfo=UTC)),
        ("2024-05-10 08:00", datetime(2024, 5, 10, 8, 0, tzinfo=UTC)),
        (
            "2018-10-06T08:57:00+02:00",
            datetime(2018, 10, 6, 8, 57, tzinfo=timezone(timedelta(hours=2))),
        ),
        ("Tue, 19 Nov 2019 13:03:00 GMT", datetime(2019, 11, 19, 13, 3, tzinfo=UTC)),
        ("May 10, 2024", datetime(2024, 5, 10, tzinfo=UTC)),
        ("10 May 2024", datetime(2024, 5, 10, tzinfo=UTC)),
        ("Sept. 3rd, 2023", datetime(2023, 9, 3, tzinfo=UTC)),
        (1715299200, datetime(2024, 5, 10, tzinfo=UTC)),
        (1715299200000, datetime(2024, 5, 10, tzinfo=UTC)),
    ],
)
def test_parse_date_reads_common_forms(value: object, expected: datetime) -> None:
    parsed = parse_date(value)
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is not None


@pytest.mark.parametrize(
    "value",
    [None, "", "yesterday", "2024-13-01", "2024-02-30", "9999-01-01", "0001-01-01", True, [], 1e30],
)
def test_parse_date_gives_none_for_unreadable_values(value: object) -> None:
    assert parse_date(value) is None


def test_naive_values_are_taken_as_utc() -> None:
    parsed = parse_date("2024-05-10T10:00:00")
    assert parsed is not None and parsed.utcoffset() == timedelta(0)


def test_find_date_in_text() -> None:
    found = find_date_in_text("Published 3:05 PM ET, Nov. 19, 2019")
    assert found == datetime(2019, 11, 19, tzinfo=UTC)
    assert find_date_in_text("no date here") is None


def test_is_dateline_only_for_short_date_lines() -> None:
    assert is_dateline("Updated 3:05 PM ET, Nov. 19, 2019")
    assert is_dateline("2024-05-10")
    assert not is_dateline("The talks were held on May 10, 2024 in Washington with officials.")
