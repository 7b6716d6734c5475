"""The search page's timeline: a query's date histogram as bars, each a link to its period.

The library counts the matches per bucket (``Searcher.search(histogram=...)``);
this module only lays them out: empty buckets between the first and the last
are filled in (so a gap in the news shows as a gap), each bar gets its height
and the since/until that narrow the search to its period, one step finer
(a month's bar opens that month by day). The bars are drawn as SVG shapes
whose sizes are attributes, so the page's Content-Security-Policy (no inline
style) holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from searchkit.models import Histogram

DEFAULT_INTERVAL = "month"
"""The page's timeline interval when the query string names none."""

MAX_FILLED_BARS = 400
"""Beyond this many buckets from first to last, only the buckets holding matches are drawn."""

FINER = {"year": "month", "month": "day", "week": "day", "day": "day"}
"""The interval a bar's link opens its period in."""

BAR_WIDTH = 10
"""Width of one bar's slot in the SVG's own units (the SVG is scaled to the page)."""

BAR_HEIGHT = 100
"""Height of the tallest bar in the SVG's own units."""


@dataclass(frozen=True)
class Bar:
    """One bucket as drawn: its label, its count, where it sits and what it links to."""

    label: str
    count: int
    x: int
    height: int
    since: str
    until: str


@dataclass(frozen=True)
class Timeline:
    """The bars of one histogram and the SVG's width in its own units."""

    interval: str
    finer: str
    bars: tuple[Bar, ...]
    width: int
    undated: int

    @property
    def counted(self) -> tuple[Bar, ...]:
        """The bars holding matches (the table beside the chart lists only these)."""
        return tuple(bar for bar in self.bars if bar.count)


def _period(start: date, interval: str) -> tuple[str, str]:
    """The since and until (as the search takes them) that cover one bucket."""
    if interval == "year":
        return f"{start.year:04d}", f"{start.year:04d}"
    if interval == "month":
        month = f"{start.year:04d}-{start.month:02d}"
        return month, month
    if interval == "week":
        return start.isoformat(), (start + timedelta(days=6)).isoformat()
    return start.isoformat(), start.isoformat()


def _slots(histogram: Histogram) -> list[tuple[date, int]]:
    counts = {bucket.start: bucket.count for bucket in histogram.buckets}
    if not counts:
        return []
    first, last = min(counts), max(counts)
    slots: list[tuple[date, int]] = []
    at = first
    while at <= last:
        slots.append((at, counts.get(at, 0)))
        if len(slots) > MAX_FILLED_BARS:
            return sorted(counts.items())
        at = histogram.bucket_after(at)
    return slots


def timeline(histogram: Histogram | None) -> Timeline | None:
    """The bars for ``histogram``, or None when there is nothing dated to draw."""
    if histogram is None or not histogram.buckets:
        return None
    slots = _slots(histogram)
    top = max(count for _start, count in slots)
    bars = []
    for number, (start, count) in enumerate(slots):
        since, until = _period(start, histogram.interval)
        height = max(2, round(BAR_HEIGHT * count / top)) if count else 0
        bars.append(Bar(histogram.label(start), count, number * BAR_WIDTH, height, since, until))
    return Timeline(
        interval=histogram.interval,
        finer=FINER[histogram.interval],
        bars=tuple(bars),
        width=len(bars) * BAR_WIDTH,
        undated=histogram.undated,
    )
