"""Result counts and highlights on the query path, checked against the documents themselves.

``total`` is counted by set algebra over the parsed query rather than by
Whoosh's second matcher pass, and highlights come from the query's terms
rather than from Whoosh's per-hit matched terms; these tests pin both to what
the documents actually contain, including deleted and replaced documents.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import searchkit

WORDS = ("harbour", "ferry", "bridge", "tunnel", "canal", "pier", "dock", "lock")


def _documents() -> list[searchkit.Article]:
    rnd = random.Random(7)
    articles = []
    for number in range(60):
        words = rnd.sample(WORDS, rnd.randint(1, 4))
        body = " ".join(words + ["filler"] * rnd.randint(0, 5))
        title = rnd.choice(WORDS) if number % 3 == 0 else "Notes"
        source = "North Post" if number % 2 else "South Star"
        articles.append(
            searchkit.Article(id=f"doc-{number}", title=title, body=body, source=source)
        )
    return articles


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, searchkit.Article]]:
    folder = tmp_path_factory.mktemp("counts") / "index"
    articles = _documents()
    with searchkit.Indexer(folder) as indexer:
        for article in articles[:40]:
            indexer.add(article)
    with searchkit.Indexer(folder) as indexer:  # a second segment, deletions and a replacement
        for article in articles[40:]:
            indexer.add(article)
        for doc_id in ("doc-1", "doc-2", "doc-41"):
            indexer.delete(doc_id)
        indexer.add(searchkit.Article(id="doc-3", title="Notes", body="only canal here"))
    live = {a.id: a for a in articles if a.id not in {"doc-1", "doc-2", "doc-41"}}
    live["doc-3"] = searchkit.Article(id="doc-3", title="Notes", body="only canal here")
    return folder, live


def _has(article: searchkit.Article, word: str) -> bool:
    return word in f"{article.title} {article.body}".lower().split()


CASES = [
    ("harbour", lambda a: _has(a, "harbour")),
    ("harbour ferry", lambda a: _has(a, "harbour") or _has(a, "ferry")),
    ("harbour AND ferry", lambda a: _has(a, "harbour") and _has(a, "ferry")),
    ("harbour NOT ferry", lambda a: _has(a, "harbour") and not _has(a, "ferry")),
    ("canal ANDMAYBE pier", lambda a: _has(a, "canal")),
    (
        "(dock OR lock) AND tunnel",
        lambda a: (_has(a, "dock") or _has(a, "lock")) and _has(a, "tunnel"),
    ),
    ("brid*", lambda a: _has(a, "bridge")),
    ("title:pier", lambda a: "pier" in a.title.lower().split()),
]


@pytest.mark.parametrize(("query", "matches"), CASES, ids=[c[0] for c in CASES])
def test_total_counts_every_live_matching_document(
    index: tuple[Path, dict[str, searchkit.Article]], query: str, matches: object
) -> None:
    folder, live = index
    expected = sum(1 for article in live.values() if matches(article))  # type: ignore[operator]
    with searchkit.Searcher(folder) as searcher:
        results = searcher.search(query, limit=5)
        assert results.total == expected
        every = searcher.search(query, limit=100)
        assert len(every.hits) == expected


def test_total_respects_the_source_filter(
    index: tuple[Path, dict[str, searchkit.Article]],
) -> None:
    folder, live = index
    expected = sum(
        1
        for a in live.values()
        if a.source == "North Post" and (_has(a, "dock") or _has(a, "pier"))
    )
    with searchkit.Searcher(folder) as searcher:
        assert searcher.search("dock pier", source="North Post", limit=3).total == expected


def test_highlights_mark_matched_words_and_never_negated_ones(
    index: tuple[Path, dict[str, searchkit.Article]],
) -> None:
    folder, _live = index
    with searchkit.Searcher(folder) as searcher:
        results = searcher.search("harbour NOT ferry", limit=100)
        assert results.hits
        for hit in results.hits:
            marked = {hit.snippet[a:b].lower() for a, b in hit.highlights}
            assert "harbour" in marked or "harbour" in hit.title.lower()
            assert "ferry" not in marked
            assert "ferry" not in hit.matched_terms


def test_wildcard_highlights_the_expanded_words(
    index: tuple[Path, dict[str, searchkit.Article]],
) -> None:
    folder, _live = index
    with searchkit.Searcher(folder) as searcher:
        hit = searcher.search("brid*", limit=1).hits[0]
        assert "bridge" in {hit.snippet[a:b].lower() for a, b in hit.highlights}
        assert "bridge" in hit.matched_terms
