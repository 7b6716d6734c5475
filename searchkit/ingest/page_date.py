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
from datetime import datetime, timezone

from htmldate import find_date
from lxml.etree import LxmlError

from searchkit.ingest.dates import parse_date

logger = logging.getLogger("searchkit")

LOCAL_DAY_HOURS = (7, 17)
"""UTC hours whose calendar day is the same from UTC-7 to UTC+7 (the Americas to Asia)."""
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
    day, when the URL spells its day ("/2019/nov/18/"), or when it is one day
    off and ``names_its_local_day`` (htmldate then read a later timestamp, or
    the other side of midnight in UTC). Otherwise htmldate was right more often
    (module docstring). Either alone is used as is.
    """
    if found is None or declared is None:
        return declared or found
    gap = abs((declared.date() - found.date()).days)
    if gap == 0 or (url_date is not None and declared.date() == url_date.date()):
        return declared
    return declared if gap == 1 and names_its_local_day(declared) else found


def names_its_local_day(moment: datetime) -> bool:
    """True when ``moment``'s calendar day is the day its readers saw on their calendar.

    A time with its own offset ("18:11+02:00") or a bare date (midnight UTC, no
    time given) is written in the publisher's day. A UTC time is the same day
    from UTC-7 to UTC+7 only between ``LOCAL_DAY_HOURS``; nearer midnight the
    publisher's day may be the one before or after.
    """
    offset = moment.utcoffset()
    if offset is not None and offset.total_seconds() != 0:
        return True
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        return True
    return LOCAL_DAY_HOURS[0] <= moment.hour < LOCAL_DAY_HOURS[1]
