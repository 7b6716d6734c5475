"""Snippets: the best short window of a document around the words that matched.

Pure functions over text and term spans, so they can be tested without an
index and reused by any caller.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

SNIPPET_CHARS = 240
_SPACE = re.compile(r"\s+")
_DOUBLE_SPACE = re.compile(r"\s\s")
# Every character str.isspace() accepts (checked by a test), mapped to a plain space.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
    "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_TO_SPACE = str.maketrans(dict.fromkeys(WHITESPACE, " "))

Span = tuple[int, int]


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Sort spans and merge overlapping ones, so an alias span and its words mark once."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def best_window(spans: Sequence[tuple[int, int, str]], width: int) -> int:
    """Start offset of the ``width``-char window holding the most distinct matched terms."""
    best_start, best_score = spans[0][0], (-1, -1)
    left = 0
    for right in range(len(spans)):
        while spans[right][1] - spans[left][0] > width:
            left += 1
        window = spans[left : right + 1]
        score = (len({term for _, _, term in window}), len(window))
        if score > best_score:
            best_start, best_score = spans[left][0], score
    return best_start


def _snap_start(text: str, start: int) -> int:
    """Move a window start back to a sentence start nearby, or forward to a word start."""
    if start <= 60:
        return 0
    floor = start - 60
    for marker in ("\n", ". ", "? ", "! "):
        found = text.rfind(marker, floor, start)
        if found != -1:
            return found + len(marker)
    if start == 0 or not text[start - 1].isalnum():
        return start
    space = text.rfind(" ", floor, start)
    return space + 1 if space != -1 else start


def collapse(text: str, start: int, end: int, spans: Sequence[Span]) -> tuple[str, list[Span]]:
    """Cut text[start:end] with runs of whitespace folded to one space, moving spans along.

    It runs for every hit, so the usual case (no two whitespace characters in
    a row) is a plain translation that moves no offsets; only a window with a
    longer run takes the character-by-character walk.
    """
    window = text[start:end]
    if _DOUBLE_SPACE.search(window) is None:
        moved = [(a - start, b - start) for a, b in spans if start <= a and b <= end]
        return window.translate(_TO_SPACE), moved
    pieces: list[str] = []
    offsets: list[int] = []  # output offset of each input char in the window
    length = 0
    previous_space = False
    for char in window:
        offsets.append(length)
        if char.isspace():
            if previous_space:
                continue
            char = " "
            previous_space = True
        else:
            previous_space = False
        pieces.append(char)
        length += 1
    offsets.append(length)
    moved = [(offsets[a - start], offsets[b - start]) for a, b in spans if start <= a and b <= end]
    return "".join(pieces), moved


def make_snippet(
    text: str, matches: Sequence[tuple[int, int, str]], width: int = SNIPPET_CHARS
) -> tuple[str, tuple[Span, ...]]:
    """Return (snippet, highlight spans) for ``text`` given matched (start, end, term) spans.

    With no matches the snippet is the start of the text. Ellipses mark cut
    ends; whitespace is folded so the snippet prints on one line.
    """
    if not text:
        return "", ()
    ordered = sorted(matches)
    start = _snap_start(text, best_window(ordered, width)) if ordered else 0
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start + width // 2, end)
        end = space if space != -1 else end
    spans = merge_spans((a, b) for a, b, _ in ordered if a >= start and b <= end)
    body, moved = collapse(text, start, end, spans)
    leading = body[: len(body) - len(body.lstrip())]
    body = body.strip()
    shift = len(leading)
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    offset = len(prefix) - shift
    highlights = tuple(
        (a + offset, b + offset) for a, b in moved if a >= shift and b - shift <= len(body)
    )
    return prefix + body + suffix, highlights
