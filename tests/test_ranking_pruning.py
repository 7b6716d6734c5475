"""Whoosh skips documents that cannot reach the top results; it must never skip one that can.

The top hits of an ordinary search are compared with the top hits of the same
search scored exhaustively (Whoosh's collector told never to prune), on an
index large enough for pruning to kick in.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from searchkit import Article, Indexer, Searcher

WORDS = [f"w{n}" for n in range(5000)]


def _documents(count: int, seed: int) -> Iterator[Article]:
    rng = random.Random(seed)
    weights = [1.0 / (rank + 1) for rank in range(len(WORDS))]  # Zipf-like, like prose
    for number in range(count):
        title = " ".join(rng.choices(WORDS, weights, k=rng.randint(2, 6)))
        body = " ".join(rng.choices(WORDS, weights, k=rng.randint(5, 300)))
        yield Article(f"doc-{number}", title, body)


@pytest.fixture(scope="module")
def big_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("pruning")
    with Indexer(directory) as indexer:
        for article in _documents(3000, seed=7):
            indexer.add(article)
    return directory


@pytest.fixture()
def exhaustive(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A switch that makes every Whoosh search score every matching document."""
    import whoosh.searching

    original = whoosh.searching.Searcher.search
    state = {"on": False}

    def search(self: Any, query: Any, **options: Any) -> Any:
        if not state["on"]:
            return original(self, query, **options)
        collector = self.collector(**options)
        innermost = collector
        while hasattr(innermost, "child"):
            innermost = innermost.child
        innermost.replace = 0
        innermost.usequality = False
        self.search_with_collector(query, collector)
        return collector.results()

    monkeypatch.setattr(whoosh.searching.Searcher, "search", search)
    return state


def test_pruning_never_drops_a_top_document(big_index: Path, exhaustive: Any) -> None:
    rng = random.Random(11)
    queries = [" ".join(rng.sample(WORDS[10:1500], rng.randint(2, 3))) for _ in range(80)]
    with Searcher(big_index) as searcher:
        for query in queries:
            exhaustive["on"] = False
            pruned = [(hit.id, hit.score) for hit in searcher.search(query, limit=10)]
            exhaustive["on"] = True
            scored = [(hit.id, hit.score) for hit in searcher.search(query, limit=10)]
            assert pruned == scored, query


def test_long_queries_score_every_match_the_same_way(big_index: Path, exhaustive: Any) -> None:
    rng = random.Random(12)
    queries = [" ".join(rng.sample(WORDS[10:1500], rng.randint(7, 40))) for _ in range(20)]
    with Searcher(big_index) as searcher:
        for query in queries:
            exhaustive["on"] = False
            default = [(hit.id, hit.score) for hit in searcher.search(query, limit=10)]
            exhaustive["on"] = True
            scored = [(hit.id, hit.score) for hit in searcher.search(query, limit=10)]
            assert default == scored, query
