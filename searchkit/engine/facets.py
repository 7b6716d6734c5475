"""Facet counts and date histograms over a query's matches, from the segments' arrays.

Both take each segment's matching local ids (``Scorer.split`` of every match,
not only the ranked page), so the counts are exact: a document counts once,
deleted documents never (the ids are live matches already).

Dates are the arrays' ``published`` values, Whoosh's column encoding of a
naive UTC datetime (microseconds since 0001-01-01, 0 for undated); buckets are
UTC calendar days, ISO weeks (starting on Monday), months and years.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np

from searchkit.options import HISTOGRAM_INTERVALS

_MICROSECONDS_PER_DAY = 86_400_000_000
_EPOCH_DAY = date(1970, 1, 1).toordinal() - 1
"""Days from 0001-01-01 (day 0 of Whoosh's encoding) to 1970-01-01 (numpy's epoch)."""
_MONDAY_SHIFT = 3
"""1970-01-01 was a Thursday: day ``n`` since the epoch is a Monday when (n + 3) % 7 == 0."""


def author_counts(segments: Sequence[Any], per_segment: Sequence[np.ndarray]) -> dict[str, int]:
    """How many of the given documents each author has (documents without one left out).

    From the arrays' author codes; a segment whose arrays file predates them
    is counted from its stored fields instead (slower, same answer).
    """
    counts: dict[str, int] = {}
    for segment, ids in zip(segments, per_segment, strict=True):
        if not len(ids):
            continue
        arrays = segment.arrays
        if arrays.author_codes is None:
            reader = segment.leaf.reader()
            for local in ids.tolist():
                author = reader.stored_fields(int(local)).get("author")
                if author:
                    counts[str(author)] = counts.get(str(author), 0) + 1
            continue
        codes = arrays.author_codes[ids]
        codes = codes[codes >= 0]
        if not len(codes):
            continue
        names = arrays.author_names()
        for code, count in enumerate(np.bincount(codes, minlength=len(names)).tolist()):
            if count:
                counts[names[code]] = counts.get(names[code], 0) + count
    return counts


def bucket_days(days: np.ndarray, interval: str) -> np.ndarray:
    """Each day's bucket (both as numpy days since 1970-01-01), named by its first day.

    The first day is the day itself, the Monday of its ISO week, the first of
    its month or of its year.
    """
    if interval == "day":
        return days
    if interval == "week":
        weeks: np.ndarray = days - (days + _MONDAY_SHIFT) % 7
        return weeks
    unit = {"month": "M", "year": "Y"}[interval]
    as_dates = days.astype("datetime64[D]")
    starts: np.ndarray = as_dates.astype(f"datetime64[{unit}]").astype("datetime64[D]")
    return starts.astype(np.int64)


def _day_counts(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct days among ``days`` (ascending) and how often each occurs.

    A count per day over the span when the span is short next to the number
    of days (news clusters in time), a sort otherwise.
    """
    low, high = int(days.min()), int(days.max())
    if high - low <= 4 * len(days) + 10_000:
        counts = np.bincount(days - low)
        present = np.flatnonzero(counts)
        return present + low, counts[present]
    distinct, counts = np.unique(days, return_counts=True)
    return distinct, counts


def histogram(
    segments: Sequence[Any], per_segment: Sequence[np.ndarray], interval: str
) -> tuple[list[tuple[date, int]], int]:
    """The given documents per ``interval`` bucket, oldest first, and how many are undated.

    Only buckets holding a document are listed (a caller drawing a timeline
    fills the gaps it wants), so a corpus spanning centuries costs no more
    than one spanning a week. The documents are counted per day first, and
    only the distinct days are put in buckets.
    """
    if interval not in HISTOGRAM_INTERVALS:
        raise ValueError(f"unknown histogram interval {interval!r}")
    values = [
        segment.arrays.published[ids] for segment, ids in zip(segments, per_segment, strict=True)
    ]
    published = np.concatenate(values) if values else np.zeros(0, dtype=np.int64)
    dated = published[published != 0]
    undated = int(len(published) - len(dated))
    if not len(dated):
        return [], undated
    days, per_day = _day_counts(dated // _MICROSECONDS_PER_DAY - _EPOCH_DAY)
    buckets, inverse = np.unique(bucket_days(days, interval), return_inverse=True)
    counts = np.bincount(inverse, weights=per_day, minlength=len(buckets))
    epoch = date(1970, 1, 1)
    found = [
        (epoch + timedelta(days=int(day)), int(count))
        for day, count in zip(buckets.tolist(), counts.tolist(), strict=True)
    ]
    return found, undated
