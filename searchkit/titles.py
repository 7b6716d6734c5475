"""Titles for articles that come without one: the start of their first sentence.

Wire briefs, transcripts and some test collections carry no headline; such
an article is still indexed, under a title made from its text and marked
``title_derived`` so a reader (and ``show --json``) can tell it from a real
headline. Shared by the ingester and ``Indexer.add`` so every path agrees.
"""

from __future__ import annotations

import re
from dataclasses import replace

from searchkit.models import Article

DERIVED_TITLE_CHARS = 90
"""Longest derived title: about a headline's length, so result lists stay one line a hit."""

MIN_SENTENCE_CHARS = 12
"""A "sentence" shorter than this ("Mr.", "U.S.") is an abbreviation; the title reads on."""

_SENTENCE_END = re.compile(r"[.!?\u2026](?=\s|$)")
_WHITESPACE = re.compile(r"\s+")
_ELLIPSIS = "\u2026"


def derive_title(body: str) -> str:
    """The first sentence of ``body``, cut at a word boundary to ``DERIVED_TITLE_CHARS``.

    Pure and deterministic, so re-indexing the same text gives the same title
    (and the same content hash). A cut title ends with an ellipsis. Empty
    text gives an empty title.
    """
    first = next((part for part in body.split("\n\n") if part.strip()), "")
    text = _WHITESPACE.sub(" ", first).strip()
    for match in _SENTENCE_END.finditer(text):
        if match.end() >= MIN_SENTENCE_CHARS:
            text = text[: match.end()]
            break
    if len(text) <= DERIVED_TITLE_CHARS:
        return text
    cut = text[: DERIVED_TITLE_CHARS - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-\u2013\u2014") + _ELLIPSIS


def with_title(article: Article) -> Article:
    """``article`` unchanged when it has a title, else with one derived from its body
    (``title_derived=True``); an article with neither keeps its empty title."""
    if article.title.strip() or not article.body.strip():
        return article
    derived = replace(article, title=derive_title(article.body), title_derived=True)
    return derived.with_content_hash() if article.content_hash else derived
