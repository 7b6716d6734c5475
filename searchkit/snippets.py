"""Snippets: the best short window of a document around the words that matched.

Pure functions over text and term spans, so they can be tested without an
index and reused by any caller.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence

SNIPPET_CHARS = 240
_SPACE = re.compile(r"\s+")

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

    Works run by run (regex and bisection), not character by character: it is
    on the path of every hit.
    """
    window = text[start:end]
    # For each run longer than one char: (first dropped offset, run end, chars dropped before it).
    firsts: list[int] = []
    runs: list[tuple[int, int]] = []
    dropped = 0
    for match in _SPACE.finditer(window):
        run_start, run_end = match.span()
        if run_end - run_start > 1:
            firsts.append(run_start + 1)
            runs.append((run_end, dropped))
            dropped += run_end - run_start - 1

    def moved_offset(offset: int) -> int:
        index = bisect_right(firsts, offset) - 1
        if index < 0:
            return offset
        run_end, before = runs[index]
        return offset - before - (min(offset, run_end) - firsts[index])

    moved = [
        (moved_offset(a - start), moved_offset(b - start))
        for a, b in spans
        if start <= a and b <= end
    ]
    return _SPACE.sub(" ", window), moved


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
