"""Judge the blocks of the article container one by one: article text, or page furniture?

The container (``container.py``) still holds labels, bylines, datelines,
repeated headlines and link lists; each gets a verdict here, with the reason
it was dropped, so tests and the benchmark can see why a line disappeared.
Pure: blocks in, verdicts out.
"""

from __future__ import annotations

from dataclasses import dataclass

from searchkit.ingest.authors import clean_author, parse_authors
from searchkit.ingest.blocks import Block
from searchkit.ingest.dates import is_dateline
from searchkit.ingest.normalize import comparison_key, ends_like_sentence, word_count
from searchkit.ingest.rules import BYLINE_PREFIX, LINE_RULES, SECTION_END_RULES, first_match

MAX_LINK_DENSITY = 0.5
MAX_SENTENCE_LINK_DENSITY = 0.7
MIN_SENTENCE_CHARS = 80
MAX_SECTION_HEADING_WORDS = 8
MAX_BYLINE_WORDS = 12
MIN_BODY_BEFORE_SECTION_END = 150
MIN_PARAGRAPH_CHARS = 100


@dataclass(frozen=True)
class Verdict:
    """One block and why it was dropped (``dropped`` is None for article text)."""

    block: Block
    dropped: str | None = None

    @property
    def kept(self) -> bool:
        """True when the block is article text."""
        return self.dropped is None


def judge_blocks(blocks: list[Block], title: str) -> list[Verdict]:
    """A verdict for every block, in order.

    A block goes when it is mostly links, repeats the headline (or is an
    ``<h1>`` before any paragraph), repeats its image's alt text, matches a
    ``LINE_RULES`` label, or is a byline or a bare dateline. A short
    ``SECTION_END_RULES`` heading ("Related stories") ends the article once
    some text has been kept: it and every block after it go.
    """
    title_key = comparison_key(title) if title else ""
    verdicts: list[Verdict] = []
    kept_chars = 0
    longest_kept = 0
    ended: str | None = None
    for block in blocks:
        if ended is not None:
            verdicts.append(Verdict(block, ended))
            continue
        reason = _drop_reason(block, title_key)
        if reason is None and block.owner.name == "h1" and longest_kept < MIN_PARAGRAPH_CHARS:
            reason = "headline"
        ends_here = reason is not None and reason.startswith(_SECTION_END)
        if ends_here and kept_chars >= MIN_BODY_BEFORE_SECTION_END:
            ended = f"after a {reason}"
        if reason is None:
            kept_chars += len(block.text)
            longest_kept = max(longest_kept, len(block.text))
        verdicts.append(Verdict(block, reason))
    return verdicts


def byline_of(verdicts: list[Verdict], outlet: str | None = None) -> str | None:
    """The authors named by the first byline block dropped from the article, if any."""
    for verdict in verdicts:
        if verdict.dropped == _BYLINE:
            author = clean_author(verdict.block.text, outlet=outlet)
            if author:
                return author
    return None


_BYLINE = "byline"
_SECTION_END = "section end"


def _is_byline(text: str) -> bool:
    """A "By ..." line; for the prefixes that are also common words elsewhere ("Por",
    "Par", "Von"), only when what follows reads as names."""
    prefix = BYLINE_PREFIX.match(text)
    if prefix is None:
        return False
    word = prefix.group(0).split()[0].lower()
    return word not in _AMBIGUOUS_PREFIXES or bool(parse_authors(text))


_AMBIGUOUS_PREFIXES = frozenset({"von", "par", "por"})


def _allowed_link_density(text: str) -> float:
    """Long sentences may be link-rich (every name linked); short link-only lines are lists."""
    if len(text) >= MIN_SENTENCE_CHARS and ends_like_sentence(text):
        return MAX_SENTENCE_LINK_DENSITY
    return MAX_LINK_DENSITY


def _drop_reason(block: Block, title_key: str) -> str | None:
    text = block.text
    key = comparison_key(text)
    if not key:
        return "no words"
    if block.link_density > _allowed_link_density(text):
        return "mostly links"
    words = word_count(text)
    if words <= MAX_SECTION_HEADING_WORDS:
        section_end = first_match(SECTION_END_RULES, text)
        if section_end is not None:
            return f"{_SECTION_END}: {section_end.reason}"
    if key == title_key:
        return "repeats the headline"
    if block.image_text and comparison_key(block.image_text) == key:
        return "caption repeating its image's alt text"
    label = first_match(LINE_RULES, text)
    if label is not None:
        return label.reason
    if words <= MAX_BYLINE_WORDS and _is_byline(text):
        return _BYLINE
    if is_dateline(text):
        return "dateline"
    return None
