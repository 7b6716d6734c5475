"""Author and date as the page shows them beside its headline, for pages that declare neither.

Many pages state no author or date in their metadata but print them under
the headline: "By Matthew Digby", "on Monday, November 18th, 2019",
"publiziert am 25. September 2018". Those lines sit in header furniture the
article text leaves out, so they are looked for among all of the page's
blocks, in a window around the first ``<h1>``. Pure: blocks in, values out.
"""

from __future__ import annotations

from datetime import datetime

from searchkit.ingest.authors import clean_author
from searchkit.ingest.blocks import Block
from searchkit.ingest.dates import find_date_in_text, is_dateline
from searchkit.ingest.normalize import word_count
from searchkit.ingest.rules import BYLINE_PREFIX

BLOCKS_BEFORE_HEADLINE = 5
BLOCKS_AFTER_HEADLINE = 15
MAX_BYLINE_WORDS = 20


def byline_near_headline(blocks: list[Block], outlet: str | None = None) -> str | None:
    """The authors of the first "By ..." line near the headline, if any."""
    for block in _headline_window(blocks):
        text = block.text
        if word_count(text) <= MAX_BYLINE_WORDS and BYLINE_PREFIX.match(text):
            author = clean_author(text, outlet=outlet)
            if author:
                return author
    return None


def dateline_near_headline(blocks: list[Block]) -> datetime | None:
    """The date of the first dateline near the headline, if any.

    A dateline is a short line that is a date and little else ("Published
    May 10, 2024"), or a byline that ends with one ("By Jane Doe on May 10,
    2024").
    """
    for block in _headline_window(blocks):
        text = block.text
        byline = word_count(text) <= MAX_BYLINE_WORDS and BYLINE_PREFIX.match(text)
        if byline or is_dateline(text):
            found = find_date_in_text(text)
            if found is not None:
                return found
    return None


def _headline_window(blocks: list[Block]) -> list[Block]:
    for index, block in enumerate(blocks):
        if block.owner.name == "h1":
            start = max(0, index - BLOCKS_BEFORE_HEADLINE)
            return blocks[start : index + BLOCKS_AFTER_HEADLINE + 1]
    return []
