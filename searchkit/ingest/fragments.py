"""Text of an HTML fragment (a feed entry's content, a title with markup), paragraph by paragraph.

A fragment is the article already cut out by its publisher, so there is no
container to find and no furniture to drop: its blocks (``blocks.py``: one per
paragraph, heading, list item or ``<br>``-separated line) are all kept.
"""

from __future__ import annotations

import warnings

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning

from searchkit.ingest.blocks import collect_blocks
from searchkit.ingest.markup import strip_inert_markup
from searchkit.ingest.normalize import collapse_whitespace, join_paragraphs

_MARKUP_HINTS = ("<", "&")


def fragment_text(fragment: str) -> str:
    """The paragraphs of an HTML fragment, separated by blank lines (scripts and styles cut)."""
    if not any(hint in fragment for hint in _MARKUP_HINTS):
        return fragment.strip()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(strip_inert_markup(fragment), "lxml", multi_valued_attributes=None)
    root = soup.body or soup
    return join_paragraphs([block.text for block in collect_blocks(root)])


def fragment_line(fragment: str) -> str:
    """A fragment as one line of text (a title that came with markup)."""
    return collapse_whitespace(fragment_text(fragment).replace("\n\n", " "))
