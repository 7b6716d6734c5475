"""Small text normalisations shared by the HTML and plain-text cleaners.

Kept apart so both cleaners agree on what "the same line" and "a short label"
mean; all functions are pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from searchkit.characters import clean_body, clean_line, clean_token
from searchkit.models import Article
from searchkit.titles import with_title

_WHITESPACE = re.compile(r"\s+")
_NON_WORD = re.compile(r"[\W_]+")
_SENTENCE_END = re.compile("[.!?\u2026:;\"'\u201d\u2019)\\]]$")
_LABEL_MAX_WORDS = 4


def collapse_whitespace(text: str) -> str:
    """All runs of whitespace (including newlines and non-breaking spaces) become one space."""
    return _WHITESPACE.sub(" ", text.replace("\u00a0", " ")).strip()


def comparison_key(text: str) -> str:
    """Case- and punctuation-blind form of a line, to spot a headline repeated with changes."""
    return _NON_WORD.sub(" ", text.casefold()).strip()


def word_count(text: str) -> int:
    """Number of whitespace-separated words."""
    return len(text.split())


def ends_like_sentence(text: str) -> bool:
    """True when a line ends as prose does (full stop, question mark, quote, ellipsis)."""
    return bool(_SENTENCE_END.search(text.rstrip()))


def looks_like_label(text: str) -> bool:
    """A short Title-Case line without sentence punctuation: a UI label or section name.

    "Trim Correspondents", "New Update", "Key Takeaways" all qualify; whether
    one is dropped depends on its neighbours (see ``text.py``), not on this test.
    """
    words = text.split()
    if not words or len(words) > _LABEL_MAX_WORDS or ends_like_sentence(text):
        return False
    if any(char.isdigit() for char in text):
        return False
    capitalised = sum(1 for word in words if word[:1].isupper())
    return capitalised == len(words)


def join_paragraphs(paragraphs: list[str]) -> str:
    """The article body format: paragraphs separated by one blank line."""
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph)


def finish_article(article: Article) -> Article:
    """The last step of every ingest path: make each field safe to store and show, then hash.

    Page text can carry terminal controls (an ``&#27;[2J`` entity, a C1
    ``U+009B`` CSI) and invisible characters (``BBC&#x200b; News``, a
    right-to-left override in a title). Every builder of an Article ends
    here, so none can forget it: one-line fields lose both (see
    ``searchkit.characters``), the body keeps its tabs and newlines, and an
    optional field left empty becomes None. An article without a title
    gets one from its first sentence (``searchkit.titles``), so no record is
    lost for lack of a headline. The content hash is computed last, from the
    cleaned fields.
    """
    cleaned = replace(
        article,
        id=clean_token(article.id),
        title=clean_line(article.title),
        body=clean_body(article.body),
        url=_optional(clean_token, article.url),
        source=_optional(clean_line, article.source),
        author=_optional(clean_line, article.author),
    )
    return with_title(cleaned).with_content_hash()


def _optional(clean: Callable[[str], str], value: str | None) -> str | None:
    return (clean(value) or None) if value is not None else None
