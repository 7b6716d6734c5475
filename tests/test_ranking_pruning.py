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


@pytest.mark.parametrize("limit", [10, 20, 30])
def test_pruning_never_drops_a_top_document(big_index: Path, exhaustive: Any, limit: int) -> None:
    rng = random.Random(11)
    queries = [" ".join(rng.sample(WORDS[10:1500], rng.randint(2, 3))) for _ in range(80)]
    # A word typed twice weighs double: pruning must not lose documents then either.
    queries += [f"{a} {a} {b}" for a, b in (rng.sample(WORDS[:300], 2) for _ in range(40))]
    with Searcher(big_index) as searcher:
        for query in queries:
            exhaustive["on"] = False
            pruned = [(hit.id, hit.score) for hit in searcher.search(query, limit=limit)]
            exhaustive["on"] = True
            scored = [(hit.id, hit.score) for hit in searcher.search(query, limit=limit)]
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


def _postings(ids: list[int], score: float = 1.0) -> Any:
    """Real Whoosh postings in memory, every one scoring ``score``."""
    from whoosh.matching import ListMatcher

    return ListMatcher(ids, all_weights=score)


def test_the_optional_side_follows_the_required_side_past_a_skip() -> None:
    from searchkit.engine.ranking import _OptionalMatcher

    # Skipping to 3 lands the required side on 5; the optional side has 3 and 5.
    optional = _OptionalMatcher(_postings([1, 5, 9]), _postings([3, 5]))
    optional.skip_to(3)
    assert optional.id() == 5
    assert optional.score() == 2.0


def test_a_pruned_union_keeps_both_sides_scores() -> None:
    from searchkit.engine.ranking import _ScoredUnion

    # Above 0.9 only documents of the first side can score: the union is pruned
    # to "first side, plus the second where it also matches".
    pruned = _ScoredUnion(_postings([1, 5, 9]), _postings([3, 5], score=0.5)).replace(0.9)
    pruned.skip_to(3)
    assert (pruned.id(), pruned.score()) == (5, 1.5)
