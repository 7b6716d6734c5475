"""Ranking behaviour that the relevance benchmark relies on, on small real indexes."""

from __future__ import annotations

from pathlib import Path

import pytest

from searchkit import Article, Indexer, RankingSettings, Searcher

# A query about harbour dredging: the first three documents share its vocabulary
# ("silt", "channel", "barge"), the fourth matches one query word only in passing,
# the rest are about other things.
DREDGING = [
    Article("d1", "Harbour dredging", "Dredging the harbour channel moved silt by barge."),
    Article("d2", "Channel works", "Barges carried silt out of the harbour channel at dawn."),
    Article("d3", "Silt report", "The harbour authority said the silt in the channel grew."),
    Article("d4", "Fishing fleet", "Trawlers left the harbour early; prices rose at market."),
    Article("d5", "Council budget", "The council argued over the library and the pool."),
    Article("d6", "Cup final", "The visitors scored twice in the second half to win the cup."),
    Article("d7", "Rail strike", "Drivers walked out over pay; trains ran a reduced timetable."),
    Article("d8", "Heatwave", "Temperatures passed forty degrees for a third day running."),
]


@pytest.fixture(scope="module")
def dredging_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("dredging")
    with Indexer(directory) as indexer:
        for article in DREDGING:
            indexer.add(article)
    return directory


def test_feedback_words_appear_in_the_explained_query(dredging_index: Path) -> None:
    with Searcher(dredging_index) as searcher:
        results = searcher.search("harbour dredging")
    assert "feedback(" in results.expanded_query
    assert "silt" in results.expanded_query.split("feedback(", 1)[1]


def test_feedback_reorders_but_never_adds_results(dredging_index: Path) -> None:
    with Searcher(dredging_index) as searcher:
        matched = {hit.id for hit in searcher.search("harbour dredging")}
        by_date = {hit.id for hit in searcher.search("harbour dredging", sort="date")}
    # d5-d8 share no query word; feedback words ("silt", "channel") must not pull them in.
    assert matched == by_date == {"d1", "d2", "d3", "d4"}


def test_feedback_words_are_not_highlighted(dredging_index: Path) -> None:
    with Searcher(dredging_index) as searcher:
        results = searcher.search("dredging")
    for hit in results:
        assert all("silt" not in term for term in hit.matched_terms)


def test_sorting_by_date_skips_feedback(dredging_index: Path) -> None:
    with Searcher(dredging_index) as searcher:
        results = searcher.search("harbour dredging", sort="date")
    assert "feedback(" not in results.expanded_query


def test_phrases_get_no_feedback(dredging_index: Path) -> None:
    with Searcher(dredging_index) as searcher:
        results = searcher.search('"harbour channel"')
    assert "feedback(" not in results.expanded_query
    assert {hit.id for hit in results} == {"d1", "d2"}


def test_a_word_typed_twice_weighs_more(dredging_index: Path) -> None:
    with Searcher(dredging_index) as searcher:
        once = searcher.search("fishing council", sort="date")
        twice = searcher.search("council council fishing", sort="date")
    assert "council^2" in twice.expanded_query
    assert "council^2" not in once.expanded_query


def test_pages_continue_past_the_reranked_documents(
    dredging_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import searchkit.engine.ranking

    # Feedback re-scores only the first pass's best documents; make that two here.
    monkeypatch.setattr(searchkit.engine.ranking, "RERANK_DEPTH", 2)
    with Searcher(dredging_index) as searcher:
        whole = [hit.id for hit in searcher.search("harbour silt", limit=10)]
        pages = [
            hit.id
            for page in (1, 2, 3, 4)
            for hit in searcher.search("harbour silt", limit=1, page=page)
        ]
        explained = searcher.search("harbour silt").expanded_query
    assert "rerank(first 2)" in explained
    assert len(whole) == 4 == len(set(whole))
    assert pages == whole


def test_not_an_absent_word_keeps_the_ranking_and_scores(dredging_index: Path) -> None:
    """Excluding a word no document has changes nothing: same order, same scores."""
    with Searcher(dredging_index) as searcher:
        plain = searcher.search("harbour silt")
        excluded = searcher.search("harbour silt NOT zzzqqq")
    assert [h.id for h in excluded.hits] == [h.id for h in plain.hits]
    assert [h.score for h in excluded.hits] == pytest.approx([h.score for h in plain.hits])


def test_the_explained_query_is_the_scored_tree_under_not(dredging_index: Path) -> None:
    """--explain shows the BM25F words (not raw Whoosh terms) on both sides of a NOT."""
    with Searcher(dredging_index) as searcher:
        plain = searcher.search("harbour silt")
        excluded = searcher.search("harbour silt NOT zzzqqq")
    scored_words = plain.expanded_query.split(" feedback(")[0]
    assert scored_words.strip("(") in excluded.expanded_query


def test_settings_belong_to_one_searcher(dredging_index: Path) -> None:
    """Two Searchers with different settings rank side by side, without module globals."""
    title_heavy = RankingSettings(field_weights={"title": 20.0, "body": 1.0}, feedback_docs=0)
    with (
        Searcher(dredging_index) as default,
        Searcher(dredging_index, settings=title_heavy) as heavy,
    ):
        plain = default.search("silt report")
        weighted = heavy.search("silt report")
        again = default.search("silt report")
    assert weighted.hits[0].id == "d3"  # the only title with both words
    assert [h.score for h in weighted.hits] != [h.score for h in plain.hits]
    assert [h.score for h in again.hits] == [h.score for h in plain.hits]
