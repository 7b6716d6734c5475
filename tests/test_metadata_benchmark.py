"""The metadata benchmark's own rules: title normalization and the outlet and title verdicts.

The figures in benchmarks/README.md rest on these judgements, so they are pinned
here on small cases; the benchmark itself needs ../shared and is run by hand.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

HARNESS_PATH = Path(__file__).resolve().parent.parent / "benchmarks" / "metadata.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """Import benchmarks/metadata.py by path: benchmarks/ is a scripts folder, not a package."""
    spec = importlib.util.spec_from_file_location("metadata_benchmark", HARNESS_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_title_normalization_ignores_case_quotes_and_punctuation(bench: ModuleType) -> None:
    assert bench.normalize_title("Kosovo\u2019s  FUTURE status?") == "kosovo s future status"
    assert bench.normalize_title("Kosovo?s future status") == "kosovo s future status"


@pytest.mark.parametrize(
    ("title", "verdict"),
    [
        ("Kerry endorses Obama", "right"),
        ("Berkshire Eagle Online - Kerry endorses Obama", "has affix"),
        ("Kerry endorses", "partial"),
        ("Berkshire Eagle Online", "wrong"),
        (None, "missing"),
    ],
)
def test_title_verdicts(bench: ModuleType, title: str | None, verdict: str) -> None:
    assert bench.judge_title(title, ["Kerry endorses Obama"]) == verdict


@pytest.mark.parametrize(
    ("outlet", "host", "verdict"),
    [
        ("Reuters", "uk.reuters.com", "right"),
        ("BBC News", "news.bbc.co.uk", "right"),
        ("The Herald", "theherald.co.uk", "right"),
        ("Berkshire Eagle Online", "berkshireeagle.com", "right"),
        ("telegraph.co.uk", "telegraph.co.uk", "host only"),
        ("Article", "telegraph.co.uk", "wrong"),
        ("6.0", "telegraph.co.uk", "wrong"),
        ("The Jerusalem Post", "jpost.com", "right"),
        ("Google", "afp.google.com", "wrong"),
        ("AFP", "afp.google.com", "right"),
        (None, "jpost.com", "missing"),
    ],
)
def test_outlet_verdicts(bench: ModuleType, outlet: str | None, host: str, verdict: str) -> None:
    assert bench.judge_outlet(outlet, host, bench.load_checked_outlets()) == verdict


def test_date_and_author_verdicts(bench: ModuleType) -> None:
    assert bench.judge_date("2019-11-18", "2019-11-18") == "right"
    assert bench.judge_date("2019-11-19", "2019-11-18") == "near"
    assert bench.judge_date("2019-10-01", "2019-11-18") == "wrong"
    assert bench.judge_authors(["jane doe"], ["Jane Doe"]) == "right"
    assert bench.judge_authors(["Jane Doe", "OUR"], ["Jane Doe"]) == "extra"
    assert bench.judge_authors([], []) == "right"
