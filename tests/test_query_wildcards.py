"""Wildcards: ``?`` and ``*`` inside or in front of a word search the index's words.

The analyzer used to split a word at its wildcards, so ``b?rder`` searched
"rder", ``bo*er`` "bo OR er" and ``*order`` "order", with no warning. Each
test here runs on a real index on disk, built through the public Indexer.
"""

from __future__ import annotations

import pytest

import searchkit
from searchkit.engine import expansions as expansions_module
from searchkit.engine.analysis import pattern_forms

DOCS = {
    "border": ("Crossing point", "Guards at the border checked every lorry."),
    "borders": ("Open borders", "Ministers argued about open borders all night."),
    "booker": ("Prize list", "The Booker shortlist was announced on Tuesday."),
    "order": ("Court order", "A judge signed the order late on Friday."),
    "bard": ("Theatre", "The bard was performed at the festival."),
    "taxes": ("Budget", "The chancellor raised taxes on fuel."),
    "colour": ("Paint", "The colour of the new trains divided commuters."),
    "color": ("Design", "A color scheme for the stations was chosen."),
    "election": ("Vote", "Turnout at the election was the highest in years."),
}


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> searchkit.Searcher:
    folder = tmp_path_factory.mktemp("wildcards") / "index"
    with searchkit.Indexer(folder) as indexer:
        for doc_id, (title, body) in DOCS.items():
            indexer.add(searchkit.Article(doc_id, title, body))
        for number in range(60):  # words the scan budget test can run out on
            indexer.add(searchkit.Article(f"filler-{number}", "Filler", f"zq{number:03d}order"))
    with searchkit.Searcher(folder) as opened:
        yield opened


def ids(results: searchkit.SearchResults) -> set[str]:
    return {hit.id for hit in results}


def test_question_mark_inside_a_word_is_one_letter(searcher: searchkit.Searcher) -> None:
    results = searcher.search("b?rder")
    assert ids(results) == {"border", "borders"}
    assert not results.warnings
    assert "border" in results.hits[0].matched_terms or "borders" in results.hits[0].matched_terms


def test_star_inside_a_word_is_any_letters(searcher: searchkit.Searcher) -> None:
    results = searcher.search("bo*er")
    assert ids(results) == {"border", "borders", "booker"}
    assert not results.warnings


def test_a_leading_star_is_supported(searcher: searchkit.Searcher) -> None:
    assert {"border", "borders", "order"} <= ids(searcher.search("*order", limit=100))
    assert ids(searcher.search("?order")) == {"border", "borders"}


def test_patterns_match_stemmed_words(searcher: searchkit.Searcher) -> None:
    """The index holds stems ("borders" is "border"), so patterns are tried stemmed too."""
    assert ids(searcher.search("b?rders")) == {"border", "borders"}
    assert ids(searcher.search("t?xes")) == {"taxes"}
    assert ids(searcher.search("colo?r")) == {"colour"}, "? is exactly one letter"
    assert ids(searcher.search("colo*r")) == {"colour", "color"}
    assert pattern_forms("B?rders") == ("b?rders", "b?rder")
    assert pattern_forms("*ing") == ("*ing",), "a stem of wildcards alone would match every word"


def test_a_pattern_in_one_field_and_in_a_hyphenated_word(searcher: searchkit.Searcher) -> None:
    assert ids(searcher.search("title:b?rders")) == {"borders"}
    assert ids(searcher.search("bo*er-prize")) == {"border", "borders", "booker"}


def test_a_question_mark_ending_a_word_is_a_question(searcher: searchkit.Searcher) -> None:
    results = searcher.search("who won the election?")
    assert ids(results) == {"election"}
    assert any("read as a question mark: searched election" in w for w in results.warnings)


def test_wildcards_inside_quotes_are_reported(searcher: searchkit.Searcher) -> None:
    results = searcher.search('"open b?rders"')
    assert any("not wildcards inside quotes" in w and "open b?rders" in w for w in results.warnings)


def test_the_words_wildcards_examine_are_bounded_and_reported(
    searcher: searchkit.Searcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a budget of 40 words, ``*order`` (70 words in the body) is searched in part."""
    monkeypatch.setattr(expansions_module, "MAX_QUERY_SCANNED_WORDS", 40)
    results = searcher.search("*order ?ard")
    assert any(
        "body:*order was compared with only" in w and "examine at most 40" in w
        for w in results.warnings
    ), results.warnings
    assert any("?ard was not searched" in w for w in results.warnings), results.warnings
    assert "bard" not in ids(results)
    monkeypatch.undo()
    assert "bard" in ids(searcher.search("*order ?ard", limit=100))
