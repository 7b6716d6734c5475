"""Generic fixtures shared by the test modules: where the repository and the shared data are."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's root folder (holds corpus/, searchkit/, tests/)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only shared data beside the repository (../shared); skip when it is absent."""
    shared = REPO_ROOT.parent / "shared"
    if not shared.is_dir():
        pytest.skip("../shared (research data) is not available on this machine")
    return shared


@pytest.fixture(scope="session")
def seeds_dir(shared_dir: Path) -> Path:
    """The two real page captures in ../shared/seeds; skip when they are absent."""
    seeds = shared_dir / "seeds"
    if not seeds.is_dir() or not any(seeds.glob("*.txt")):
        pytest.skip("../shared/seeds is not available on this machine")
    return seeds


SLOW_TESTS: tuple[tuple[str, str], ...] = (
    # (node id prefix, why it waits for the second CI step)
    ("tests/test_ranking_pruning.py::", "ranks random corpora with and without pruning"),
    ("tests/test_relevance_floor.py::", "indexes and scores all of TIME and CACM"),
    ("tests/test_extraction_quality.py::", "extracts the 181 + 311 gold pages"),
    ("tests/test_distributed.py::test_bbc", "builds BBC as one index and 1, 2, 4 shards"),
    ("tests/test_reliability_ingest.py::test_a_large_page", "parses a page near the tag bound"),
    ("tests/test_reliability_ingest.py::test_hostile_file[10k", "parses 10,000 unclosed tags"),
    ("tests/test_unpickling.py::test_real_indexes", "builds six kinds of real index"),
    ("tests/test_synonym_scale.py::test_fifty_thousand", "merges 50,000 alias groups"),
    ("tests/test_end_to_end.py::test_progress_bar", "drives the CLI through a pseudo-terminal"),
    # The eval gadget goes through every command in the quick run; the others add no path.
    (
        "tests/test_unpickling.py::test_every_command_reports_a_crafted_index_as_damaged_and_"
        "rebuild_replaces_it[builtins",
        "the same commands as eval",
    ),
    (
        "tests/test_unpickling.py::test_every_command_reports_a_crafted_index_as_damaged_and_"
        "rebuild_replaces_it[subprocess",
        "the same commands as eval",
    ),
    (
        "tests/test_unpickling.py::test_every_command_reports_a_crafted_index_as_damaged_and_"
        "rebuild_replaces_it[importlib",
        "the same commands as eval",
    ),
    (
        "tests/test_unpickling.py::test_every_command_reports_a_crafted_index_as_damaged_and_"
        "rebuild_replaces_it[os.system",
        "the same commands as eval",
    ),
)
"""Tests that the README's test command leaves out (``-m "not slow"`` in pyproject.toml),
besides those marked ``@pytest.mark.slow`` in place; `.ci/run` runs them all as a second step,
so nothing leaves CI. The quick run stays under about three minutes on two cores."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests listed in SLOW_TESTS as slow."""
    for item in items:
        if any(item.nodeid.startswith(prefix) for prefix, _reason in SLOW_TESTS):
            item.add_marker(pytest.mark.slow)
