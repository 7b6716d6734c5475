"""Searcher behaviour on a real on-disk index built through the public Indexer."""

from __future__ import annotations

import threading
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchkit import (
    Article,
    DocumentNotFoundError,
    Indexer,
    IndexNotFoundError,
    QueryError,
    Searcher,
)


def when(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=timezone.utc)


# Seven documents: three in the ISKP group, two TTP, two decoys (after the
# measurement in shared/notes/whoosh-facts.md).
ALIAS_DOCS = [
    Article("iskp-1", "Raid on cell", "Police said the cell answered to Daesh commanders."),
    Article("iskp-2", "Border alert", "Officials warned that ISIS-K recruits crossed at night."),
    Article("iskp-3", "Report", "Analysts describe Islamic State Khorasan Province as resilient."),
    Article("ttp-1", "Ceasefire ends", "The TTP announced an end to the ceasefire."),
    Article("ttp-2", "Talks", "Envoys met leaders of the Tehrik-i-Taliban Pakistan in secret."),
    Article(
        "decoy-1",
        "Silk road",
        "ISIS temples and the old caravans: Khorasan is a historic region of Central Asia.",
    ),
    Article("decoy-2", "Music", "The Afghan Taliban banned music; abroad, a K-pop review ran."),
]
ISKP = {"iskp-1", "iskp-2", "iskp-3"}
TTP = {"ttp-1", "ttp-2"}


@pytest.fixture(scope="module")
def alias_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("alias-index")
    with Indexer(directory) as indexer:
        for article in ALIAS_DOCS:
            indexer.add(article)
    return directory


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Daesh", ISKP),
        ("ISIS-K", ISKP),
        ("IS-Khorasan", ISKP),
        ("Islamic State Khorasan Province", ISKP),
        ("ISKP", ISKP),
        ('"ISIS-K"', ISKP),
        ("TTP", TTP),
        ("Tehreek-e-Taliban Pakistan", TTP),
        ("Tehrik-i-Taliban Pakistan", TTP),
        ("Pakistani Taliban", TTP),
    ],
)
def test_every_variant_finds_every_variant_and_no_decoy(
    alias_index: Path, query: str, expected: set[str]
) -> None:
    with Searcher(alias_index) as searcher:
        found = {hit.id for hit in searcher.search(query, limit=20)}
    assert found == expected


def test_fragments_do_not_match_everything(alias_index: Path) -> None:
    with Searcher(alias_index) as searcher:
        assert searcher.search("is").total == 0
        assert searcher.search("k").total == 0
        # the plain word still finds the documents that contain it
        assert {h.id for h in searcher.search("khorasan")} == {"decoy-1", "iskp-3"}


def test_no_synonyms_searches_the_literal_words(alias_index: Path) -> None:
    with Searcher(alias_index) as searcher:
        found = {hit.id for hit in searcher.search("Daesh", use_synonyms=False)}
    assert found == {"iskp-1"}


def test_alias_phrase_inside_quotes(alias_index: Path) -> None:
    with Searcher(alias_index) as searcher:
        assert {h.id for h in searcher.search('"Daesh recruits"')} == {"iskp-2"}


def test_highlight_covers_the_whole_alias_span(alias_index: Path) -> None:
    with Searcher(alias_index) as searcher:
        (hit,) = [h for h in searcher.search("Daesh") if h.id == "ttp-2" or h.id == "iskp-3"]
    assert [hit.snippet[a:b] for a, b in hit.highlights] == ["Islamic State Khorasan Province"]
    assert hit.matched_terms == ("islamic state khorasan province",)


def test_query_time_synonyms_file(alias_index: Path, tmp_path: Path) -> None:
    extra = tmp_path / "mine.txt"
    extra.write_text("caravans, camel trains\n", encoding="utf-8")
    with Searcher(alias_index, synonyms=extra) as searcher:
        assert {h.id for h in searcher.search("camel trains")} == {"decoy-1"}
    with Searcher(alias_index) as searcher:
        assert searcher.search("camel trains").total == 0


NEWS = [
    Article(
        "a",
        "Border security talks",
        "The US and Pakistan discussed border security and training.",
        source="Harbour Daily",
        published=when("2024-05-10"),
        author="Ann Lee",
    ),
    Article(
        "b",
        "Harvest report",
        "Farmers reported a strong harvest despite border delays.",
        source="Meridian Post",
        published=when("2024-06-02"),
    ),
    Article(
        "c",
        "Security summit",
        "Ministers held a security summit on cyber threats.",
        source="Meridian Post",
        published=when("2023-11-20"),
    ),
    Article("d", "Undated note", "A note about security with no date.", source="Harbour Daily"),
]


@pytest.fixture()
def news_index(tmp_path: Path) -> Path:
    with Indexer(tmp_path / "ix") as indexer:
        for article in NEWS:
            indexer.add(article)
    return tmp_path / "ix"


def test_more_matching_words_rank_first_and_missing_words_do_not_empty_results(
    news_index: Path,
) -> None:
    with Searcher(news_index) as searcher:
        results = searcher.search("border security zeppelin")
    assert results.total == 4
    assert results.hits[0].id == "a"


def test_title_outweighs_body(news_index: Path) -> None:
    with Searcher(news_index) as searcher:
        results = searcher.search("summit")
        assert [h.id for h in results] == ["c"]
        ranked = [h.id for h in searcher.search("harvest delays")]
    assert ranked[0] == "b"


def test_filters_sort_paging_and_facets(news_index: Path) -> None:
    with Searcher(news_index) as searcher:
        assert {h.id for h in searcher.search("security", source="meridian post")} == {"c"}
        assert {h.id for h in searcher.search("security", since="2024-01-01")} == {"a"}
        assert {h.id for h in searcher.search("security", until=date(2023, 12, 31))} == {"c"}
        assert {h.id for h in searcher.search("border", until="2024-06-02")} == {"a", "b"}
        by_date = [h.id for h in searcher.search("security OR harvest", sort="date")]
        assert by_date[:3] == ["b", "a", "c"]
        first = searcher.search("security", limit=2, page=1)
        second = searcher.search("security", limit=2, page=2)
        third = searcher.search("security", limit=2, page=3)
        assert first.total == second.total == 3
        assert [h.rank for h in second] == [3]
        assert {h.id for h in first} | {h.id for h in second} == {"a", "c", "d"}
        assert third.hits == ()
        faceted = searcher.search("security", facets=True)
        assert dict(faceted.facets) == {"Harbour Daily": 2, "Meridian Post": 1}
        unknown = searcher.search("security", source="Nowhere Times")
        assert unknown.total == 0 and "Nowhere Times" in unknown.warnings[0]


def test_query_syntax(news_index: Path) -> None:
    with Searcher(news_index) as searcher:
        assert {h.id for h in searcher.search('"border security"')} == {"a"}
        assert {h.id for h in searcher.search("security NOT summit")} == {"a", "d"}
        assert {h.id for h in searcher.search("border AND harvest")} == {"b"}
        assert {h.id for h in searcher.search("title:security")} == {"a", "c"}
        assert {h.id for h in searcher.search('source:"Meridian Post" harvest')} >= {"b"}
        assert {h.id for h in searcher.search("secur*")} == {"a", "c", "d"}
        ranged = searcher.search("security published:[2024-01-01 TO 2024-12-31]")
        assert ranged.hits[0].id == "a"


@pytest.mark.parametrize(
    ("query", "warning"),
    [
        ('"border security', "unbalanced quote"),
        ("AND", "nothing searchable"),
        ("colour:red border", "unknown field 'colour'"),
        ("border\x00security", "control characters"),
    ],
)
def test_odd_queries_run_and_say_what_was_ignored(
    news_index: Path, query: str, warning: str
) -> None:
    with Searcher(news_index) as searcher:
        results = searcher.search(query)
    assert any(warning in w for w in results.warnings), results.warnings


@pytest.mark.parametrize(
    "options",
    [
        {"limit": 0},
        {"page": 0},
        {"sort": "random"},
        {"since": "yesterday"},
        {"since": "2024-05-01", "until": "2024-01-01"},
    ],
)
def test_bad_options_raise_query_error(news_index: Path, options: dict[str, object]) -> None:
    with Searcher(news_index) as searcher, pytest.raises(QueryError):
        searcher.search("security", **options)  # type: ignore[arg-type]


def test_hits_carry_metadata_and_snippets(news_index: Path) -> None:
    with Searcher(news_index) as searcher:
        hit = searcher.search("border security").hits[0]
    assert hit.source == "Harbour Daily"
    assert hit.published == when("2024-05-10")
    assert {hit.snippet[a:b].lower() for a, b in hit.highlights} == {"border", "security"}
    assert set(hit.to_dict()) == {
        "rank",
        "score",
        "id",
        "title",
        "source",
        "url",
        "published",
        "path",
        "snippet",
        "matched_terms",
        "copies",
        "story_id",
    }


def test_get_and_stats(news_index: Path) -> None:
    with Searcher(news_index) as searcher:
        article = searcher.get("a")
        assert article.author == "Ann Lee" and article.content_hash
        with pytest.raises(DocumentNotFoundError):
            searcher.get("nope")
        stats = searcher.stats()
    assert stats.documents == 4
    assert stats.sources == {"Harbour Daily": 2, "Meridian Post": 2}
    assert stats.first_published == when("2023-11-20")
    assert stats.last_published == when("2024-06-02")
    assert stats.index_bytes > 0


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="run `searchkit index CORPUS` first"):
        Searcher(tmp_path / "nothing")


def test_long_lived_searcher_sees_later_commits(news_index: Path) -> None:
    with Searcher(news_index) as searcher:
        assert searcher.search("zeppelin").total == 0
        with Indexer(news_index) as indexer:
            indexer.add(Article("z", "Zeppelin returns", "An airship over the harbour."))
        assert [h.id for h in searcher.search("zeppelin")] == ["z"]
        with Indexer(news_index) as indexer:
            assert indexer.delete("z")
        assert searcher.search("zeppelin").total == 0


def test_one_searcher_shared_by_threads(news_index: Path) -> None:
    errors: list[BaseException] = []
    counts: list[int] = []

    with Searcher(news_index) as searcher:

        def work() -> None:
            try:
                for _ in range(20):
                    counts.append(searcher.search("security").total)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors
    assert set(counts) == {3}


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=200))
def test_any_query_string_returns_results_or_warnings(news_index: Path, text: str) -> None:
    with Searcher(news_index) as searcher:
        results = searcher.search(text)
    assert results.total >= len(results.hits)


OPERATOR_SOUP = st.lists(
    st.sampled_from(
        [
            '"',
            "(",
            ")",
            "AND",
            "OR",
            "NOT",
            "title:",
            "published:",
            "*",
            "[",
            "]",
            "TO",
            "^2",
            "border",
            "security",
            "ISIS-K",
            "Pakistani",
            "Taliban",
            "~",
            "'",
            "-",
            ":",
        ]
    ),
    max_size=12,
).map(" ".join)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(OPERATOR_SOUP)
def test_operator_soup_never_raises(news_index: Path, text: str) -> None:
    with Searcher(news_index) as searcher:
        searcher.search(text)


def test_search_without_snippets_ranks_the_same(tmp_path):
    """snippets=False gives the same hits and scores, with empty snippets."""
    from searchkit import Article, Indexer, Searcher

    with Indexer(tmp_path / "ix") as indexer:
        for n in range(6):
            indexer.add(
                Article(id=f"a{n}", title=f"Border talks {n}", body="border security " * (n + 1))
            )
    with Searcher(tmp_path / "ix") as searcher:
        full = searcher.search("border security")
        bare = searcher.search("border security", snippets=False)
    assert [(h.id, h.score) for h in bare.hits] == [(h.id, h.score) for h in full.hits]
    assert full.hits[0].snippet and full.hits[0].highlights
    assert all(h.snippet == "" and h.highlights == () for h in bare.hits)
    assert bare.total == full.total == 6
