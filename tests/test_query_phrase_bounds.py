"""Phrase work is bounded: the slop, the words per phrase and the phrase words per query.

A 32-word phrase with ``~100`` took seconds, and a query of many phrases
grew without limit. Each bound must change what is searched and say so in
the results' warnings; each test runs on a real index on disk.
"""

from __future__ import annotations

import pytest

import searchkit
from searchkit.engine.query_tree import (
    MAX_PHRASE_SLOP,
    MAX_PHRASE_WORDS,
    MAX_QUERY_PHRASE_WORDS,
    MAX_QUERY_PHRASES,
)

FILLER = "crane"


def spaced(first: str, second: str, apart: int) -> str:
    """``first`` and ``second`` ``apart`` positions apart (filler words are not stopwords)."""
    return " ".join([first, *[FILLER] * (apart - 1), second])


PAIRS = [(f"alpha{number:02d}", f"omega{number:02d}") for number in range(40)]


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> searchkit.Searcher:
    folder = tmp_path_factory.mktemp("phrases") / "index"
    with searchkit.Indexer(folder) as indexer:
        indexer.add(searchkit.Article("near", "Near", spaced("harbour", "strike", 5)))
        indexer.add(
            searchkit.Article("far", "Far", spaced("harbour", "strike", MAX_PHRASE_SLOP + 2))
        )
        for first, second in PAIRS:  # each pair's words, far apart: no phrase matches them
            indexer.add(searchkit.Article(f"apart-{first}", "Apart", spaced(first, second, 30)))
        last, next_to_last = PAIRS[-1], PAIRS[-2]
        indexer.add(searchkit.Article("together", "Together", " ".join([*last, *next_to_last])))
    with searchkit.Searcher(folder) as opened:
        yield opened


def ids(results: searchkit.SearchResults) -> set[str]:
    return {hit.id for hit in results}


def test_a_slop_within_the_bound_is_searched_as_typed(searcher: searchkit.Searcher) -> None:
    results = searcher.search(f'"harbour strike"~{MAX_PHRASE_SLOP}')
    assert ids(results) == {"near"}
    assert not results.warnings


def test_a_larger_slop_is_lowered_and_reported(searcher: searchkit.Searcher) -> None:
    results = searcher.search('"harbour strike"~500')
    assert ids(results) == {"near"}, "words 12 apart are beyond the bound of 10"
    assert f"~500 was searched as ~{MAX_PHRASE_SLOP}" in " ".join(results.warnings)


def test_phrases_past_the_query_budget_are_left_out(searcher: searchkit.Searcher) -> None:
    phrases = [f'"{first} {second}"' for first, second in PAIRS]
    assert ids(searcher.search(phrases[-1])) == {"together"}
    searched = min(MAX_QUERY_PHRASES, MAX_QUERY_PHRASE_WORDS // 2)  # two words each
    for glue in (" ", " AND "):
        results = searcher.search(glue.join(phrases), limit=100)
        assert not results.hits, "the last phrases, which match, were not searched"
        expected = f"{len(PAIRS) - searched} quoted phrases were not searched"
        assert any(expected in warning for warning in results.warnings), results.warnings
    everything = searcher.search(" ".join([phrases[-1], *phrases]), limit=100)
    assert ids(everything) == {"together"}, "the phrases typed first are the ones searched"


def test_the_phrase_words_of_one_query_are_bounded(searcher: searchkit.Searcher) -> None:
    long_phrase = '"' + " ".join([FILLER] * (MAX_QUERY_PHRASE_WORDS - 1)) + '"'
    last = '"' + " ".join(PAIRS[-1]) + '"'
    results = searcher.search(f"{long_phrase} {last}")
    assert not results.hits, "the second phrase would pass the word budget"
    assert "1 quoted phrase was not searched" in " ".join(results.warnings)
    assert ids(searcher.search(f"{last} {long_phrase}")) == {"together"}


def test_a_phrase_repeated_or_in_two_fields_is_paid_for_once(
    searcher: searchkit.Searcher,
) -> None:
    first, second = PAIRS[0]
    results = searcher.search(" ".join([f'"{first} {second}"'] * 50))
    assert not results.hits
    assert not results.warnings


def test_a_long_phrase_is_cut_and_reported(searcher: searchkit.Searcher) -> None:
    words = " ".join(f"w{number}" for number in range(MAX_PHRASE_WORDS + 5))
    results = searcher.search(f'"{words}"~3')
    assert f"cut to its first {MAX_PHRASE_WORDS} words" in " ".join(results.warnings)


def test_a_hostile_phrase_query_has_every_bound_reported(searcher: searchkit.Searcher) -> None:
    """Twelve 40-word phrases at ~100: the shape that took minutes on 4,000 stories."""
    phrase = '"' + " ".join(["harbour", "strike", FILLER] * 13 + ["harbour"]) + '"~100'
    results = searcher.search(" ".join([phrase.replace("harbour", f"h{n}") for n in range(12)]))
    text = " ".join(results.warnings)
    assert "cut to its first" in text
    assert "was searched as ~" in text
    assert "quoted phrases were not searched" in text
