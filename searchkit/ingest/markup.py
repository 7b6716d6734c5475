"""Cut what can never be article text out of a page's markup, before it is parsed.

BeautifulSoup spends most of an extraction building Python objects for
elements; scripts, styles, comments, inline SVG, navigation menus, footers
and form controls are often half of a page and never article text
(``rules.TAG_RULES`` marks ``<nav>`` and ``<footer>`` as furniture whatever
their content). ``<header>`` and ``<aside>`` stay: headlines, dates and
author boxes live there, and metadata is read from them. Cutting them from the
text first roughly doubles parsing speed without changing what is extracted.
JSON-LD scripts stay: metadata is read from them. Pure: text in, text out.

Both cuts are one forward scan, linear in the page's length whatever it
holds: the end of a tag and the closer of an element are found with
``_ForwardFinder``, which never searches the same stretch of text twice. (A
lazy ``<script>.*?</script>`` regex rescans to the end of the page for every
opener that is never closed, so 400 KB of unclosed ``<script>`` took minutes.)
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from functools import lru_cache

_INERT_OPENER = re.compile(
    r"<(?:(script|style|svg|noscript|template)(?=[\s/>])|!--)", re.IGNORECASE
)
"""Where a removable element (group 1 names it) or a comment may start."""
_TITLE_START = re.compile(r"<title(?=[\s>])", re.IGNORECASE)
_TITLE_CLOSE = re.compile(r"</title\s*>", re.IGNORECASE)
MAX_TITLE_MARKUP = 2000
"""A ``<title>`` not closed within this many characters is damaged: real titles are short."""
_NESTABLE_CHROME = re.compile(r"<(/?)(nav|select|button|footer)(?=[\s/>])", re.IGNORECASE)
"""Where an opening or closing tag of an element removed with its content starts."""
_COMMENT_CLOSER = "-->"

Span = tuple[int, int]


class _ForwardFinder:
    """The first occurrence of something at or after a position, each stretch searched once.

    The last answer is remembered: a question from a position at or before the
    remembered occurrence gets it again without a search, and once a search
    from some position found nothing, every question from that position on is
    answered "nothing" at once. A page with thousands of unclosed openers is
    therefore scanned once per kind of closer, not once per opener.
    """

    def __init__(self, search: Callable[[int], Span | None]) -> None:
        self._search = search
        self._searched_from: int | None = None
        self._found: Span | None = None

    def at_or_after(self, position: int) -> Span | None:
        """The (start, end) of the first occurrence starting at or after ``position``."""
        remembered = self._searched_from is not None and self._searched_from <= position
        if remembered and (self._found is None or self._found[0] >= position):
            return self._found
        self._searched_from = position
        self._found = self._search(position)
        return self._found


def _text_finder(markup: str, needle: str) -> _ForwardFinder:
    def search(position: int) -> Span | None:
        start = markup.find(needle, position)
        return None if start < 0 else (start, start + len(needle))

    return _ForwardFinder(search)


def _pattern_finder(markup: str, pattern: re.Pattern[str]) -> _ForwardFinder:
    def search(position: int) -> Span | None:
        match = pattern.search(markup, position)
        return None if match is None else match.span()

    return _ForwardFinder(search)


# Which letters close which: the cut used to find closers with the backreference
# ``</\1`` under re.IGNORECASE, which compares letters by their simple lowercase.
# That differs from str.lower() for one letter an opener name can hold (capital I
# with a dot, U+0130, is "i" to the regex engine), and the regex lets the long s
# (U+017F) and the dotless i (U+0131) open an element, letters that then close only
# themselves. Kept so that the output stays exactly what it was.
_SIMPLE_LOWER = {"\u0130": "i"}
_OPENER_LETTERS = string.ascii_letters + "\u0130\u0131\u017f"


def _fold(letter: str) -> str:
    return _SIMPLE_LOWER.get(letter, letter.lower())


@lru_cache(maxsize=64)
def _closer_pattern(name: str) -> re.Pattern[str]:
    """``</name>`` (spaces allowed before ``>``), each letter matched as ``</\\1`` matched it."""
    letters = "".join(
        "[" + "".join(other for other in _OPENER_LETTERS if _fold(other) == _fold(letter)) + "]"
        for letter in name
    )
    return re.compile(f"</{letters}\\s*>")


def strip_inert_markup(markup: str) -> str:
    """``markup`` without scripts (JSON-LD excepted), styles, comments, menus, footers, controls.

    An element that is never closed is left in place: the parser decides
    where it ends, as it would have without this step. A comment that is
    never closed runs to the end of the page, as HTML parsers read it, and
    is cut with it: lxml stalls on many such openers past 10 MB (19 MB of
    ``<!--x`` ran for over ten minutes). Linear in the length of ``markup``,
    so a hostile page costs no more than a long one.
    """
    return _cut_chrome(_cut_inert(close_runaway_title(markup)))


def close_runaway_title(markup: str) -> str:
    """End a ``<title>`` whose closing tag is missing or mangled ("</titavaScript").

    The parser reads a title as plain text up to ``</title>``, so an unclosed
    one swallows the whole page and leaves no article (pages saved by old
    crawlers lose bytes). Such a title ends at the first tag after it.
    """
    opening = _TITLE_START.search(markup)
    if opening is None:
        return markup
    # str.find, not ``[^>]*>``: a regex would rescan to the end for every "<title" without ">".
    tag_end = markup.find(">", opening.end())
    if tag_end < 0:
        return markup
    window = markup[tag_end + 1 : tag_end + 1 + MAX_TITLE_MARKUP]
    if _TITLE_CLOSE.search(window):
        return markup
    end = markup.find("<", tag_end + 1)
    if end < 0:
        return markup
    return markup[:end] + "</title>" + markup[end:]


def _cut_inert(markup: str) -> str:
    """Remove each script (not JSON-LD), style, svg, noscript, template and comment."""
    tag_end = _text_finder(markup, ">")
    comment_end = _text_finder(markup, _COMMENT_CLOSER)
    closers: dict[str, _ForwardFinder] = {}  # by the name's folded letters
    closer_of: dict[str, _ForwardFinder] = {}  # by the name as written, to skip the folding
    pieces: list[str] = []
    kept_from = position = 0
    while (opener := _INERT_OPENER.search(markup, position)) is not None:
        name = opener.group(1)
        opening: Span | None = None
        closer: Span | None
        if name is None:
            closer = comment_end.at_or_after(opener.end()) or (len(markup), len(markup))
        else:
            opening = tag_end.at_or_after(opener.end())
            finder = closer_of.get(name)
            if finder is None:
                key = "".join(_fold(letter) for letter in name)
                if key not in closers:
                    closers[key] = _pattern_finder(markup, _closer_pattern(name))
                finder = closer_of[name] = closers[key]
            closer = None if opening is None else finder.at_or_after(opening[1])
        if closer is None:  # never closed: left for the parser, as before
            position = opener.start() + 1
            continue
        # Read only once the element is known to close: the opening tag may be long, and
        # reading it for every unclosed opener would make the scan quadratic again.
        keep = opening is not None and "ld+json" in markup[opener.start() : opening[1]].lower()
        if not keep:
            pieces.append(markup[kept_from : opener.start()])
            kept_from = closer[1]
        position = closer[1]
    pieces.append(markup[kept_from:])
    return "".join(pieces)


def _cut_chrome(markup: str) -> str:
    """Remove each outermost ``_NESTABLE_CHROME`` element with everything inside it."""
    tag_end = _text_finder(markup, ">")
    pieces: list[str] = []
    kept_from = position = 0
    open_name = ""
    open_at = 0
    depth = 0
    while (tag := _NESTABLE_CHROME.search(markup, position)) is not None:
        end = tag_end.at_or_after(tag.end())
        if end is None:  # no ">" anywhere after: no later tag can be complete either
            break
        position = end[1]
        closing, name = tag.group(1), tag.group(2).lower()
        if not open_name:
            if not closing:
                open_name, open_at, depth = name, tag.start(), 1
            continue
        if name != open_name:
            continue
        depth += -1 if closing else 1
        if depth == 0:
            pieces.append(markup[kept_from:open_at])
            kept_from = position
            open_name = ""
    pieces.append(markup[kept_from:])
    return "".join(pieces)
