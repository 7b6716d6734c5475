"""Ranking quality must not regress: searchkit's nDCG@10 on TIME and CACM stays at its floor.

Runs searchkit alone (no peers) through the same loaders, runner and metrics
as ``benchmarks/relevance.py``, on the judged test collections under
``../shared/data/ir``. The floors are the figures searchkit reached when they
were last raised; a change that costs more than TOLERANCE fails here, and a
change that gains should raise the floor in the same commit.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
HARNESS_PATH = REPO_ROOT / "benchmarks" / "relevance.py"
DATA = REPO_ROOT.parent / "shared" / "data"

NDCG_FLOORS = {"TIME": 0.687, "CACM": 0.519}
"""searchkit's nDCG@10 as measured by `python benchmarks/relevance.py --engines searchkit`."""

TOLERANCE = 0.01


def _load_harness() -> ModuleType:
    """Import benchmarks/relevance.py by path: benchmarks/ is a scripts folder, not a package."""
    spec = importlib.util.spec_from_file_location("relevance_benchmark", HARNESS_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class SearchkitRuns:
    """Indexes and queries each collection once, however many tests look at the result."""

    def __init__(self) -> None:
        self.harness = _load_harness()
        self._done: dict[str, tuple[Any, dict[str, list[str]]]] = {}

    def ranking(self, collection_name: str) -> tuple[Any, dict[str, list[str]]]:
        """The loaded collection and searchkit's ranked ids for its judged queries."""
        if collection_name not in self._done:
            subdir, loader = self.harness.COLLECTIONS[collection_name]
            directory = DATA / subdir
            if not directory.is_dir():
                pytest.skip(f"{directory} is absent (the shared research data is not mounted)")
            collection = loader(directory)
            ranked = self.harness.run_searchkit(collection.documents, collection.judged_queries)
            self._done[collection_name] = (collection, ranked)
        return self._done[collection_name]


@pytest.fixture(scope="module")
def runs() -> SearchkitRuns:
    return SearchkitRuns()


@pytest.mark.parametrize("collection_name", sorted(NDCG_FLOORS))
def test_searchkit_ndcg_stays_at_floor(runs: SearchkitRuns, collection_name: str) -> None:
    collection, ranking = runs.ranking(collection_name)

    ndcg = runs.harness.metrics(collection, ranking)["ndcg@10"]

    floor = NDCG_FLOORS[collection_name]
    assert ndcg >= floor - TOLERANCE, (
        f"{collection_name} nDCG@10 fell to {ndcg:.3f}, more than {TOLERANCE} below the "
        f"floor {floor:.3f}"
    )


@pytest.mark.parametrize("collection_name", sorted(NDCG_FLOORS))
def test_every_judged_query_gets_ranked_results(runs: SearchkitRuns, collection_name: str) -> None:
    """A query that silently returns nothing would drag the mean down without any error."""
    collection, ranking = runs.ranking(collection_name)

    judged = [query.id for query in collection.judged_queries]
    assert sorted(ranking) == sorted(judged)
    assert [query_id for query_id in judged if not ranking[query_id]] == []
    assert all(len(ranking[query_id]) <= runs.harness.DEPTH for query_id in judged)
