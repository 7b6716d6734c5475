"""The publication date of a page whose metadata does not state it, found by htmldate.

Our own rules (``metadata.py``, ``headline_area.py``) read the dates a page
declares: JSON-LD, ``<meta>``, ``<time>``, the URL, a dateline under the
headline. On pages that declare none, htmldate (a maintained library made for
this one job) searches the whole page: its patterns for dates in text, in
many languages, and its checks against implausible ones. Measured on the
799 pages of htmldate's own evaluation set, our rules alone found the right
day on 0.687 of them and htmldate extensive on 0.906 (``benchmarks/metadata.py``),
so htmldate is a dependency, consulted after our rules.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from htmldate import find_date
from lxml.etree import LxmlError

from searchkit.ingest.dates import parse_date

logger = logging.getLogger("searchkit")

EXTENSIVE_SEARCH = True
"""htmldate's extensive mode: also dates in free text (0.906 vs 0.866 for fast mode)."""


def find_page_date(markup: str, url: str | None) -> datetime | None:
    """The page's original publication date as htmldate finds it (midnight UTC), or None.

    htmldate reports a day, not a time; it is kept as midnight UTC, the
    convention for dates without a time elsewhere in searchkit.
    """
    try:
        found = find_date(
            markup, url=url, extensive_search=EXTENSIVE_SEARCH, original_date=True
        )
    except (ValueError, TypeError, LxmlError) as exc:
        logger.debug("htmldate could not read the page: %s", exc)
        return None
    parsed = parse_date(found) if found else None
    return parsed.astimezone(timezone.utc) if parsed else None
