from __future__ import annotations

import re

from searchkit.snippets import collapse, make_snippet, merge_spans


def matches(text: str, *words: str) -> list[tuple[int, int, str]]:
    pattern = "|".join(words)
    return [(m.start(), m.end(), m.group(0).lower()) for m in re.finditer(pattern, text)]


def test_highlights_point_at_the_matched_words() -> None:
    text = (
        "Intro sentence here. " * 20 + "Officials met on border security today.\n\nMore text. " * 3
    )
    snippet, spans = make_snippet(text, matches(text, "border", "security"))
    assert [snippet[a:b] for a, b in spans][:2] == ["border", "security"]
    assert snippet.startswith("… ")
    assert len(snippet) <= 250


def test_window_prefers_more_distinct_terms() -> None:
    text = "alpha " * 80 + "beta gamma alpha " + "filler " * 80
    snippet, spans = make_snippet(text, matches(text, "alpha", "beta", "gamma"), width=60)
    assert {snippet[a:b] for a, b in spans} >= {"beta", "gamma"}


def test_no_matches_gives_the_start_of_the_text() -> None:
    assert make_snippet("Short body.", []) == ("Short body.", ())


def test_empty_text() -> None:
    assert make_snippet("", []) == ("", ())


def test_collapse_folds_whitespace_and_moves_spans() -> None:
    text = "a  b\n\nborder"
    out, spans = collapse(text, 0, len(text), [(6, 12)])
    assert out == "a b border"
    assert [out[a:b] for a, b in spans] == ["border"]


def test_merge_spans_joins_overlaps() -> None:
    assert merge_spans([(5, 9), (0, 3), (2, 4), (9, 12)]) == [(0, 4), (5, 12)]
