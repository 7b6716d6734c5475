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
