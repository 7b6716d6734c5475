"""The search page's timeline layout (searchkit.serve.timeline): gaps drawn, periods linked."""

from __future__ import annotations

from datetime import date, timedelta

from searchkit.models import Histogram, HistogramBucket
from searchkit.serve.timeline import BAR_HEIGHT, MAX_FILLED_BARS, timeline


def _histogram(interval: str, *counts: tuple[date, int], undated: int = 0) -> Histogram:
    buckets = tuple(HistogramBucket(start, count) for start, count in counts)
    return Histogram(interval, buckets, undated)


def test_empty_months_between_matches_are_drawn_empty_across_a_new_year() -> None:
    drawn = timeline(_histogram("month", (date(2023, 11, 1), 4), (date(2024, 2, 1), 2), undated=3))
    assert drawn is not None
    assert [bar.label for bar in drawn.bars] == ["2023-11", "2023-12", "2024-01", "2024-02"]
    assert [bar.count for bar in drawn.bars] == [4, 0, 0, 2]
    assert [bar.height for bar in drawn.bars] == [BAR_HEIGHT, 0, 0, BAR_HEIGHT // 2]
    assert [(bar.since, bar.until) for bar in drawn.counted] == [
        ("2023-11", "2023-11"),
        ("2024-02", "2024-02"),
    ]
    assert drawn.finer == "day" and drawn.undated == 3 and drawn.width == 4 * 10


def test_a_week_links_monday_to_sunday_and_a_year_opens_by_month() -> None:
    week = timeline(_histogram("week", (date(2024, 12, 30), 1)))
    assert week is not None and week.bars[0].label == "2025-W01"
    assert (week.bars[0].since, week.bars[0].until) == ("2024-12-30", "2025-01-05")
    year = timeline(_histogram("year", (date(1987, 1, 1), 7), (date(1989, 1, 1), 1)))
    assert year is not None and year.finer == "month"
    assert [bar.label for bar in year.bars] == ["1987", "1988", "1989"]
    assert year.bars[-1].height >= 2  # a small count stays visible beside a large one


def test_too_long_a_span_draws_only_the_buckets_with_matches() -> None:
    first = date(2000, 1, 1)
    last = first + timedelta(days=MAX_FILLED_BARS * 3)
    drawn = timeline(_histogram("day", (first, 1), (last, 5)))
    assert drawn is not None and [bar.count for bar in drawn.bars] == [1, 5]


def test_nothing_dated_draws_nothing() -> None:
    assert timeline(None) is None
    assert timeline(_histogram("month", undated=4)) is None
