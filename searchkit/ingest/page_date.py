"""The publication date of a page whose metadata does not state it, found by htmldate.

Our own rules (``metadata.py``, ``headline_area.py``) read the dates a page
declares: JSON-LD, ``<meta>``, ``<time>``, the URL, a dateline under the
headline. On pages that declare none, htmldate (a maintained library made for
this one job) searches the whole page: its patterns for dates in text, in
many languages, and its checks against implausible ones. Measured on the
799 pages of htmldate's own evaluation set, our rules alone found the right
day on 0.687 of them and htmldate extensive on 0.906 (``benchmarks/metadata.py``);
our rules first and htmldate for the rest reached 0.876, htmldate first 0.895. So
htmldate decides the day, and our rules only add the time of day when they agree.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from htmldate import find_date
from lxml.etree import LxmlError

from searchkit.ingest.dates import parse_date

logger = logging.getLogger("searchkit")

SAME_DAY_SLACK = timedelta(days=1)
"""Declared and found dates this close are one date seen in two time zones."""
EXTENSIVE_SEARCH = True
"""htmldate's extensive mode: also dates in free text (0.906 vs 0.866 for fast mode)."""


def find_page_date(markup: str, url: str | None) -> datetime | None:
    """The page's original publication date as htmldate finds it (midnight UTC), or None.

    htmldate reports a day, not a time; it is kept as midnight UTC, the
    convention for dates without a time elsewhere in searchkit.
    """
    try:
        found = find_date(markup, url=url, extensive_search=EXTENSIVE_SEARCH, original_date=True)
    except (ValueError, TypeError, LxmlError) as exc:
        logger.debug("htmldate could not read the page: %s", exc)
        return None
    parsed = parse_date(found) if found else None
    return parsed.astimezone(timezone.utc) if parsed else None


def choose_date(
    declared: datetime | None, found: datetime | None, url_date: datetime | None = None
) -> datetime | None:
    """htmldate's day wins, unless the page's declared date has a second witness.

    The declared date (JSON-LD, ``<meta>``, a dateline) carries the time and the
    time zone, which htmldate drops, so it is kept when it falls on htmldate's
    day or next to it (a UTC timestamp can be a day off the local date), or
    when the URL spells the same day ("/2019/nov/18/"): two independent
    sources agreeing beat one. Otherwise htmldate was right more often (module
    docstring). Either alone is used as is.
    """
    if found is None or declared is None:
        return declared or found
    if abs(declared.date() - found.date()) <= SAME_DAY_SLACK:
        return declared
    if url_date is not None and declared.date() == url_date.date():
        return declared
    return found
