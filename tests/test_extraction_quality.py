"""Extraction quality must not regress: searchkit's F1 on the article-extraction-benchmark.

Runs searchkit alone through the same page files, runner and metric as
``benchmarks/extraction.py`` on the 181 pages of
``../shared/data/article-extraction-benchmark`` (read in place). The floors
are the figures searchkit reached when they were last raised; a change that
costs more than the tolerance fails here, like trafilatura's own evaluation
gate, and a change that gains should raise the floors in the same commit.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
HARNESS_PATH = REPO_ROOT / "benchmarks" / "extraction.py"
DATA = REPO_ROOT.parent / "shared" / "data" / "article-extraction-benchmark"

F1_FLOOR = 0.976
PRECISION_FLOOR = 0.981
RECALL_FLOOR = 0.972
"""searchkit's figures as measured by `python benchmarks/extraction.py`."""

F1_TOLERANCE = 0.005
PRECISION_RECALL_TOLERANCE = 0.01


def _load_harness() -> ModuleType:
    """Import benchmarks/extraction.py by path: benchmarks/ is a scripts folder, not a package."""
    spec = importlib.util.spec_from_file_location("extraction_benchmark", HARNESS_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def harness() -> ModuleType:
    return _load_harness()


@pytest.fixture(scope="module")
def benchmark(harness: ModuleType) -> Any:
    if not (DATA / "ground-truth.json").is_file():
        pytest.skip(f"{DATA} is absent (the shared research data is not mounted)")
    return harness.load_benchmark(DATA)


@pytest.fixture(scope="module")
def searchkit_summary(
    harness: ModuleType, benchmark: Any, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    """searchkit's mean precision, recall and F1 over every page, extracted from files."""
    paths = harness.write_pages(benchmark, tmp_path_factory.mktemp("pages"))
    extractors = [("searchkit", "", harness.searchkit_extractor())]
    (run,) = harness.run_extractors(paths, extractors)
    return harness.summarise(harness.score_run(benchmark, run).values())


def test_every_page_is_scored(benchmark: Any, searchkit_summary: Any) -> None:
    assert len(benchmark.ids) == searchkit_summary.pages == 181


def test_f1_stays_at_its_floor(searchkit_summary: Any) -> None:
    assert searchkit_summary.f1 >= F1_FLOOR - F1_TOLERANCE, (
        f"F1 {searchkit_summary.f1:.4f} fell below the floor {F1_FLOOR} - {F1_TOLERANCE}"
    )


def test_precision_and_recall_stay_at_their_floors(searchkit_summary: Any) -> None:
    assert searchkit_summary.precision >= PRECISION_FLOOR - PRECISION_RECALL_TOLERANCE
    assert searchkit_summary.recall >= RECALL_FLOOR - PRECISION_RECALL_TOLERANCE


def test_metric_reproduces_the_published_trafilatura_row(
    harness: ModuleType, benchmark: Any
) -> None:
    checks = {name: (summary, row) for name, summary, row in harness.check_metric(benchmark)}
    if "trafilatura" not in checks or checks["trafilatura"][1] is None:
        pytest.skip("the benchmark copy has no published trafilatura output or row")
    summary, row = checks["trafilatura"]
    assert round(summary.f1, 3) == row.f1
    assert round(summary.precision, 3) == row.precision
    assert round(summary.recall, 3) == row.recall


def test_shingle_metric_on_small_texts(harness: ModuleType) -> None:
    score = harness.score_page("one two three four five", "one two three four six")
    assert score.precision == score.recall == 0.5
    assert harness.score_page("some truth here", "").precision is None
    assert harness.score_page("", "").recall is None
    summary = harness.summarise([score, harness.score_page("a b c d", "")])
    assert summary.precision == 0.5 and summary.recall == 0.25
