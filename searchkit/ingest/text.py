"""Clean plain-text page captures (a browser's "save as text", a scraper's dump).

A capture is the page's visible text, one block per line: the headline first,
then page chrome mixed into the article (repeated headlines, "New Update"
badges, "Share this page:"), and usually a trailing "Related content" list of
teasers. Cleaning is line-level and pure (text in, ``CleanCapture`` out):

1. the first non-empty line is the title;
2. short metadata lines near the top ("By Jane Doe", "Published: May 10, 2024",
   "Source: ...", "URL: ...") become fields and leave the body;
3. lines matching ``LINE_RULES`` and repeats of the headline are page chrome;
4. a short Title-Case line without sentence punctuation ("Trim Correspondents")
   is chrome too when it sits in the same block as other chrome, so labels
   glued to badges go while a standalone subhead ("Key Takeaways") stays;
5. a ``SECTION_END_RULES`` heading ("Related content") ends the article, and
   a trailing run of teaser titles and "…"-truncated teasers is dropped even
   without such a heading;
6. a short line already seen (teaser titles appear twice) is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from searchkit.ingest.authors import clean_author
from searchkit.ingest.dates import find_date_in_text, is_dateline
from searchkit.ingest.normalize import (
    collapse_whitespace,
    comparison_key,
    ends_like_sentence,
    join_paragraphs,
    looks_like_label,
    word_count,
)
from searchkit.ingest.rules import LINE_RULES, SECTION_END_RULES, first_match

_HEADER_LINES = 12
_MAX_METADATA_WORDS = 14
_MAX_REPEATABLE_WORDS = 20
_MAX_TEASER_TITLE_WORDS = 20
_METADATA_LINE = re.compile(
    r"^(?P<key>published|posted|date|dated|updated|source|url|link|author|by)\s*:\s*(?P<value>.+)$",
    re.IGNORECASE,
)
_TEASER_END = re.compile(r"(…|\.\.\.)\s*$")


@dataclass(frozen=True)
class CleanCapture:
    """The article inside a plain-text capture."""

    title: str
    body: str
    author: str | None = None
    published: datetime | None = None
    source: str | None = None
    url: str | None = None


@dataclass
class _Line:
    text: str
    block: int
    chrome: bool = False


def clean_capture(text: str) -> CleanCapture:
    """Split a plain-text capture into title, cleaned body and any metadata it states.

    Returns an empty ``title`` when the capture holds no text at all, and an
    empty ``body`` when nothing but the title survives cleaning; the caller
    decides whether that is a failure.
    """
    lines = _split_lines(text)
    if not lines:
        return CleanCapture(title="", body="")
    title = collapse_whitespace(lines[0].text)
    fields = _take_metadata_lines(lines[1:])
    body_lines = [line for line in lines[1:] if not line.chrome]
    _mark_chrome(body_lines, title)
    body_lines = _cut_section_end([line for line in body_lines if not line.chrome])
    body_lines = _cut_teaser_tail(body_lines)
    body_lines = _drop_repeats(body_lines)
    return CleanCapture(
        title=title,
        body=_assemble(body_lines),
        author=fields.get("author"),
        published=find_date_in_text(fields["date"]) if "date" in fields else None,
        source=fields.get("source"),
        url=fields.get("url"),
    )


def _split_lines(text: str) -> list[_Line]:
    lines: list[_Line] = []
    block = 0
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        stripped = collapse_whitespace(raw)
        if not stripped:
            block += 1
            continue
        lines.append(_Line(stripped, block))
    return lines


def _take_metadata_lines(lines: list[_Line]) -> dict[str, str]:
    """Read (and mark as chrome) byline, dateline, source and URL lines near the top."""
    fields: dict[str, str] = {}
    for line in lines[:_HEADER_LINES]:
        if word_count(line.text) > _MAX_METADATA_WORDS:
            continue
        match = _METADATA_LINE.match(line.text)
        key, value = (match["key"].lower(), match["value"]) if match else ("", line.text)
        if key in ("author", "by") or (not key and re.match(r"^by\s", value, re.IGNORECASE)):
            author = clean_author(value)
            if author and "author" not in fields:
                fields["author"] = author
                line.chrome = True
        elif key in ("source",):
            fields.setdefault("source", value.strip())
            line.chrome = True
        elif key in ("url", "link") and re.match(r"https?://\S+$", value.strip()):
            fields.setdefault("url", value.strip())
            line.chrome = True
        elif (key or is_dateline(value)) and "date" not in fields and find_date_in_text(value):
            fields["date"] = value
            line.chrome = True
    return fields


def _mark_chrome(lines: list[_Line], title: str) -> None:
    title_key = comparison_key(title)
    for line in lines:
        if comparison_key(line.text) == title_key or first_match(LINE_RULES, line.text):
            line.chrome = True
    changed = True
    while changed:
        changed = False
        for index, line in enumerate(lines):
            if line.chrome or not looks_like_label(line.text):
                continue
            neighbours = [lines[i] for i in (index - 1, index + 1) if 0 <= i < len(lines)]
            if any(n.chrome and n.block == line.block for n in neighbours):
                line.chrome = True
                changed = True


def _cut_section_end(lines: list[_Line]) -> list[_Line]:
    for index, line in enumerate(lines):
        if index > 0 and word_count(line.text) <= 8 and first_match(SECTION_END_RULES, line.text):
            return lines[:index]
    return lines


def _cut_teaser_tail(lines: list[_Line]) -> list[_Line]:
    """Drop a trailing run of teaser titles and "…"-truncated teaser paragraphs."""
    start = len(lines)
    teasers = titles = 0
    while start > 0:
        text = lines[start - 1].text
        if _TEASER_END.search(text):
            teasers += 1
        elif not ends_like_sentence(text) and word_count(text) <= _MAX_TEASER_TITLE_WORDS:
            titles += 1
        else:
            break
        start -= 1
    if teasers and titles and start > 0:
        return lines[:start]
    return lines


def _drop_repeats(lines: list[_Line]) -> list[_Line]:
    seen: set[str] = set()
    kept: list[_Line] = []
    for line in lines:
        key = comparison_key(line.text)
        if key in seen and word_count(line.text) <= _MAX_REPEATABLE_WORDS:
            continue
        seen.add(key)
        kept.append(line)
    return kept


def _assemble(lines: list[_Line]) -> str:
    paragraphs: list[str] = []
    current: list[str] = []
    block = None
    for line in lines:
        if block is not None and line.block != block and current:
            paragraphs.append("\n".join(current))
            current = []
        current.append(line.text)
        block = line.block
    if current:
        paragraphs.append("\n".join(current))
    return join_paragraphs(paragraphs)
